"""Recording a run: ``RunRecorder`` writes the run directory (``alexnet.training.run_folder`` describes its files),
``RunLogger`` is the set of trainer callbacks that feed it (metrics lines, status, validation,
checkpoints) and draws the progress bar.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from alexnet.network.config import AlexNetConfig
from alexnet.training import run_folder, stop_signal
from alexnet.training.distributed import Distributed
from alexnet.training.loop import Evaluation, Trainer, evaluate
from alexnet.training.schedule import Plateau
from alexnet.training.settings import TrainSettings
from alexnet.training.tensorboard_log import TensorBoardLog


class RunRecorder:
    """Writes the run directory; a silent no-op on ranks other than 0."""

    def __init__(self, run_dir: Path, active: bool) -> None:
        self.run_dir, self.active = run_dir, active
        self.metrics: run_folder.MetricsWriter | None = None
        self.tensorboard: TensorBoardLog | None = None
        self.info: dict[str, Any] = {}
        self._last_status = 0.0

    def start(
        self,
        config: AlexNetConfig,
        settings: TrainSettings,
        dataset: dict[str, Any],
        trainer: Trainer,
        dist: Distributed,
        notes: list[str],
        checkpoint: dict[str, Any] | None,
        mode: dict[str, Any] | None = None,
    ) -> None:
        """Write config.json (``mode``: how the steps run, e.g. precision and memory layout)."""
        if not self.active:
            return
        saved = run_folder.read_json(self.run_dir / run_folder.CONFIG) or {}
        self.info = {
            "run_id": self.run_dir.name,
            "created_at": saved.get("created_at", time.time()),
            "network": config.to_dict(),
            "training": asdict(settings),
            "dataset": dataset,
            "steps_per_epoch": trainer.steps_per_epoch,
            "total_steps": trainer.total_steps,
            "world_size": dist.world_size,
            "device": str(trainer.device),
            "mode": mode or {},
            "notes": notes,
        }
        launched = _launched_at(self.run_dir.name)
        if launched is not None:
            self.info["startup_s"] = round(max(0.0, time.time() - launched), 2)
        run_folder.write_json(self.run_dir / run_folder.CONFIG, self.info)
        config.save(self.run_dir / run_folder.NETWORK)
        self.metrics = run_folder.MetricsWriter(self.run_dir / run_folder.METRICS)
        # a resumed run hides the events after its checkpoint's step: the killed trainer's last steps are redone
        self.tensorboard = TensorBoardLog(self.run_dir, purge_step=checkpoint["step"] + 1 if checkpoint else None)
        self.tensorboard.hparams(asdict(settings), config.to_dict())
        if checkpoint:
            self.metrics.write({"kind": "resume", "step": checkpoint["step"], "elapsed": checkpoint["elapsed"]})
        self.status("running", "training", trainer, force=True)

    def status(self, state: str, message: str, trainer: Trainer | None = None, *, force: bool = True) -> None:
        """Replace status.json; while running, at most once a second unless forced."""
        now = time.time()
        if not self.active or (not force and now - self._last_status < 1.0):
            return
        self._last_status = now
        if state != "running":
            # the run's end answers any Stop pressed so far; withdrawn before the final state is
            # written, so that a Stop pressed after a Resume that follows can never be removed here
            run_folder.withdraw_stop(self.run_dir)
        status = {"state": state, "pid": os.getpid(), "message": message, "updated_at": now}
        if trainer is not None:
            status |= {"step": trainer.step, "total_steps": trainer.total_steps, "epoch": trainer.epoch}
        else:
            old = run_folder.read_json(self.run_dir / run_folder.STATUS) or {}
            status |= {k: old[k] for k in ("step", "total_steps", "epoch") if k in old}
        run_folder.write_json(self.run_dir / run_folder.STATUS, status)

    def write(self, record: dict[str, Any]) -> None:
        """One metrics record: into the TensorBoard events first, so a kill never leaves them behind metrics.jsonl."""
        if self.tensorboard:
            self.tensorboard.record(record)
        if self.metrics:
            self.metrics.write(record)

    def filters(self, model: nn.Module, step: int) -> None:
        """conv1's filters at ``step`` as a TensorBoard image (the results folder keeps them as arrays)."""
        if self.tensorboard:
            self.tensorboard.filters(model, step)

    def checkpoint(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        trainer: Trainer,
        elapsed: float,
        plateau: Plateau | None = None,
    ) -> None:
        """Save what a resumed run needs; ``plateau``: the schedule's state, so it resumes at the divided lr."""
        if not self.active:
            return
        rng = {"torch": torch.get_rng_state()}
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": trainer.step,
            "epoch": trainer.epoch,
            "elapsed": elapsed,
            "rng": rng,
        }
        if plateau is not None:
            state["plateau"] = plateau.state_dict()
        run_folder.save_checkpoint(self.run_dir / run_folder.CHECKPOINT, state)

    def close(self) -> None:
        if self.metrics:
            self.metrics.close()
        if self.tensorboard:
            self.tensorboard.close()


class RunLogger:
    """The callbacks: metrics lines, status, validation, checkpoints and the progress bar; and,
    for the plateau schedule, ``plateau`` updated with each epoch's validation error (rank 0)."""

    def __init__(
        self,
        trainer: Trainer,
        settings: TrainSettings,
        recorder: RunRecorder,
        model: nn.Module,
        val: Dataset,
        device: torch.device,
        progress: bool,
        elapsed_before: float,
        plateau: Plateau | None = None,
    ) -> None:
        from tqdm import tqdm

        self.settings, self.recorder, self.model, self.val, self.device = settings, recorder, model, val, device
        self.optimizer, self.plateau = trainer.optimizer, plateau
        self.started = time.perf_counter()
        self.elapsed_before = elapsed_before  # training seconds before a resume
        self.window_start, self.window_images = self.started, 0
        self._validated: tuple[int, Evaluation] | None = None  # (step, its evaluation)
        # disable=None: a bar on a terminal, nothing in a log file
        self.bar = tqdm(total=trainer.total_steps, initial=trainer.step, disable=None if progress else True)
        trainer.add_callback("on_step_end", self.on_step_end)
        trainer.add_callback("on_epoch_end", self.on_epoch_end)

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.started

    def on_step_end(self, trainer: Trainer) -> None:
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{trainer.loss:.3f}", epoch=f"{trainer.epoch:.2f}")
        self.window_images += trainer.images
        if trainer.step % self.settings.log_every == 0:
            now = time.perf_counter()
            self.recorder.write(
                {
                    "kind": "step",
                    "step": trainer.step,
                    "epoch": round(trainer.epoch, 4),
                    "loss": trainer.loss,
                    "accuracy": trainer.accuracy,  # this step's batch, in [0, 1]
                    "lr": self.optimizer.param_groups[0]["lr"],
                    "images_per_sec": self.window_images / max(now - self.window_start, 1e-9),
                    "elapsed": round(self.elapsed(), 3),
                }
            )
            self.window_start, self.window_images = now, 0
        self.recorder.status("running", "training", trainer, force=False)
        if trainer.step % self.settings.checkpoint_every == 0:
            self.recorder.checkpoint(self.model, self.optimizer, trainer, self.elapsed(), self.plateau)

    def on_epoch_end(self, trainer: Trainer) -> None:
        if self.recorder.active:
            accuracy = self.validate(trainer)
            self.recorder.filters(self.model, trainer.step)
            if self.plateau is not None and self.plateau.update(1.0 - accuracy):
                self.bar.write(
                    f"epoch {trainer.epoch:.2f}: the validation error stopped improving; the learning rate is "
                    f"divided by 10 (now {self.plateau.factor:g} of its peak)"
                )
            self.recorder.checkpoint(self.model, self.optimizer, trainer, self.elapsed(), self.plateau)

    def restart_speed_window(self, trainer: Trainer) -> None:
        """Validation and other epoch-end work is not training speed: images/s counts from here.
        ``train_run`` registers it as the last epoch-end callback, after this logger's and the hooks'."""
        self.window_start, self.window_images = time.perf_counter(), 0

    def validation(self, trainer: Trainer) -> Evaluation:
        """The network on the validation set at the trainer's step, computed once per step: the epoch
        record and the results' predictions (``RunContext.validation``) share one pass."""
        if self._validated is None or self._validated[0] != trainer.step:
            result = evaluate(
                self.model,
                self.val,
                batch_size=self.settings.batch_size,
                device=self.device,
                precision=self.settings.precision,
            )
            self._validated = (trainer.step, result)
        return self._validated[1]

    def validate(self, trainer: Trainer) -> float:
        """Evaluate on the validation set and write an epoch record; returns the accuracy in [0, 1]."""
        result = self.validation(trainer)
        val_loss, val_accuracy = result.loss, result.accuracy
        losses = trainer.epoch_losses
        record = {
            "kind": "epoch",
            "step": trainer.step,
            "epoch": round(trainer.epoch, 4),
            "train_loss": sum(losses) / len(losses) if losses else None,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "elapsed": round(self.elapsed(), 3),
        }
        self.recorder.write(record)
        self.bar.write(
            f"epoch {trainer.epoch:.2f}: train loss {record['train_loss'] or math.nan:.4f}, "
            f"val loss {val_loss:.4f}, val accuracy {val_accuracy:.1%}"
        )
        return val_accuracy

    def close(self) -> None:
        self.bar.close()


def _launched_at(run_id: str) -> float | None:
    """When ``alexnet.runs`` launched this trainer (Unix seconds), or None if it did not launch this run."""
    if os.environ.get(stop_signal.LAUNCHED_RUN_ENV) != run_id:
        return None
    try:
        return float(os.environ[run_folder.LAUNCHED_AT_ENV])
    except (KeyError, ValueError):
        return None
