"""Training: a generic trainer, the run that wraps it in a run directory, and its command line.

    python -m alexnet train --preset cifar --dataset digits --epochs 10
    torchrun --nproc_per_node=2 -m alexnet train --preset cifar --dataset digits

``Trainer`` (after minGPT's) knows nothing about AlexNet or files: it loops over batches of a
dataset, minimising cross-entropy, and calls back ``on_step_end`` and ``on_epoch_end``;
``train_run`` hangs logging, validation and checkpoints on those callbacks and records
everything in a run directory (``alexnet.rundir``). Under torchrun each process trains on its
own share of every epoch (DistributedSampler) and DistributedDataParallel averages the
gradients (gloo on CPU, nccl on GPU); only rank 0 writes the run directory.

Defaults were chosen by measurement on two CPU cores (the numbers are in the commit and in
``OPTIMIZERS``): AdamW at lr 3e-4 learns on every preset; plain SGD at 0.01 barely moves an
AlexNet-sized network, SGD with momentum 0.9 learns once the weights start from Kaiming's
initialisation rather than PyTorch's smaller default.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from alexnet import rundir
from alexnet.config import PRESETS, AlexNetConfig, preset
from alexnet.data import DATASETS, load_dataset
from alexnet.distributed import Distributed
from alexnet.errors import AlexNetError
from alexnet.model import build_model
from alexnet.shapes import analyze, layer_table

# Per optimizer: the settings a run starts from unless told otherwise. Measured on the digits,
# two shared CPU cores (loss: mean of the first vs last tenth of the logged steps):
#   cifar preset, 5 epochs, batch 64:  adamw 3e-4  2.29 -> 0.71, val 82%;  adamw 1e-3  2.30 -> 0.40, val 93%
#                                      sgd 0.01 m0.9 kaiming 2.36 -> 0.63, val 87%
#                                      sgd 0.01 no momentum, torch init: 2.304 -> 2.303 in 2 epochs (stuck)
#   paper preset (227 px), 20 steps of 32: adamw 3e-4  3.07 -> 1.21, val 67%;  adamw 1e-3 stuck at 2.30
#                                      sgd 0.01 m0.9 kaiming 2.72 -> 2.23, val 15%;  sgd 0.01 torch init 2.30 -> 2.30
# so AdamW 3e-4 is the default: the fastest rate that is safe on the big network too.
OPTIMIZERS: dict[str, dict[str, float]] = {
    "adamw": {"lr": 3e-4, "momentum": 0.0, "weight_decay": 0.01},  # decoupled weight decay
    "sgd": {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4},  # the paper's; learns with the Kaiming init
}
INITS = ("kaiming", "torch")
PRECISIONS = ("fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainSettings:
    """Everything about a run except the network. Saved in config.json under "training"."""

    dataset: str = "digits"  # digits, cifar10 or folder (alexnet.data)
    data_dir: str | None = None  # cifar10: folder holding cifar-10-batches-py; folder: the image folder
    download: bool = False  # cifar10 only: fetch it if missing
    epochs: int = 10  # passes over the training set
    batch_size: int = 64  # images per step (per process under torchrun)
    optimizer: str = "adamw"  # adamw or sgd
    lr: float = OPTIMIZERS["adamw"]["lr"]  # learning rate, constant through the run
    momentum: float = 0.0  # sgd only
    weight_decay: float = OPTIMIZERS["adamw"]["weight_decay"]
    precision: str = "fp32"  # bf16: autocast the forward pass to bfloat16
    device: str = "auto"  # auto: cuda when available, else cpu
    init: str = "kaiming"  # kaiming: He et al. 2015 normal init; torch: PyTorch's default
    seed: int = 0  # weights, dropout and the order of the images
    max_steps: int | None = None  # stop early after this many steps in all (tests, quick looks)
    log_every: int = 1  # steps between metrics lines
    checkpoint_every: int = 200  # steps between checkpoints (also at every epoch end and at the end)

    @classmethod
    @classmethod
    def for_optimizer(cls, optimizer: str, /, **changes: Any) -> TrainSettings:
        """Settings with ``optimizer``'s default lr, momentum and weight decay, then ``changes``."""
        if optimizer not in OPTIMIZERS:
            raise AlexNetError(f"There is no optimizer {optimizer!r}.", fix=f"choose one of {', '.join(OPTIMIZERS)}.")
        changes.pop("optimizer", None)
        return replace(cls(optimizer=optimizer, **OPTIMIZERS[optimizer]), **changes)

    def check(self) -> None:
        """Raise ``AlexNetError`` for settings that cannot work."""
        for name, value, allowed in [
            ("dataset", self.dataset, DATASETS),
            ("optimizer", self.optimizer, tuple(OPTIMIZERS)),
            ("precision", self.precision, PRECISIONS),
            ("device", self.device, DEVICES),
            ("init", self.init, INITS),
        ]:
            if value not in allowed:
                raise AlexNetError(f"Unknown {name} {value!r}.", fix=f"choose one of {', '.join(allowed)}.")
        if self.epochs < 1 or self.batch_size < 1 or self.log_every < 1 or self.checkpoint_every < 1:
            raise AlexNetError("Epochs, batch size, log and checkpoint intervals must be at least 1.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise AlexNetError(f"The learning rate must be a positive number, not {self.lr}.")


class Diverged(Exception):
    """The loss became NaN or infinite."""


class Trainer:
    """Minimises cross-entropy over a dataset; everything else happens in callbacks.

    Callbacks receive the trainer and read its state: ``step`` (steps done), ``epoch`` (epochs
    done, fractional), ``loss`` (this step's loss, averaged over processes), ``images`` (images
    in this step, all processes), ``epoch_losses`` (losses of the current epoch).
    Set ``stop_requested`` (e.g. from a signal handler) to stop after the current step.
    """

    def __init__(
        self,
        model: nn.Module,
        dataset: Dataset,
        optimizer: torch.optim.Optimizer,
        *,
        batch_size: int,
        epochs: int,
        device: torch.device,
        precision: str = "fp32",
        seed: int = 0,
        max_steps: int | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.model, self.dataset, self.optimizer = model, dataset, optimizer
        self.batch_size, self.epochs, self.device = batch_size, epochs, device
        self.precision, self.seed, self.max_steps = precision, seed, max_steps
        self.rank, self.world_size = rank, world_size
        self.callbacks: dict[str, list[Callable[[Trainer], None]]] = defaultdict(list)
        self.step = 0
        self.loss = math.nan
        self.images = 0
        self.epoch_losses: list[float] = []
        self.stop_requested = False

    def add_callback(self, event: str, callback: Callable[[Trainer], None]) -> None:
        self.callbacks[event].append(callback)

    def _trigger(self, event: str) -> None:
        for callback in self.callbacks[event]:
            callback(self)

    def _sampler(self, epoch: int) -> DistributedSampler:
        # Also for one process: it gives every epoch its own fixed shuffle (seed + epoch), which is
        # what lets a resumed run see exactly the batches it would have seen.
        sampler = DistributedSampler(
            self.dataset, num_replicas=self.world_size, rank=self.rank, shuffle=True, seed=self.seed
        )
        sampler.set_epoch(epoch)
        return sampler

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self._sampler(0)) / self.batch_size)

    @property
    def total_steps(self) -> int:
        total = self.epochs * self.steps_per_epoch
        return min(total, self.max_steps) if self.max_steps else total

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    def _batches(self, epoch: int, skip: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Epoch ``epoch``'s batches, the first ``skip`` left out (resuming mid-epoch)."""
        indices = list(self._sampler(epoch))[skip * self.batch_size :]
        # its own generator: a loader draws a seed when it starts, and drawing it from the global
        # RNG would shift the dropout masks of a resumed run away from an uninterrupted one
        yield from DataLoader(self.dataset, batch_size=self.batch_size, sampler=indices, generator=torch.Generator())

    def run(self) -> str:
        """Train until the last epoch or ``max_steps``; returns "finished" or "stopped".

        Raises:
            Diverged: the loss became NaN or infinite.
        """
        self.model.train()
        spe = self.steps_per_epoch
        while self.step < self.total_steps:
            epoch = self.step // spe
            if self.step % spe == 0:
                self.epoch_losses = []
            for images, labels in self._batches(epoch, skip=self.step % spe):
                images, labels = images.to(self.device), labels.to(self.device)  # (B, C, H, W), (B,)
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                    logits = self.model(images)  # (B, num_classes)
                loss = F.cross_entropy(logits.float(), labels)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                self.step += 1
                self.loss, stop = self._agree(loss.detach(), len(labels))
                if not math.isfinite(self.loss):
                    raise Diverged(f"the loss became {self.loss} at step {self.step}")
                self.epoch_losses.append(self.loss)
                self._trigger("on_step_end")
                if stop:
                    return "stopped"
                if self.step >= self.total_steps:
                    break
            if self.step % spe == 0:
                self._trigger("on_epoch_end")
        return "finished"

    def _agree(self, loss: torch.Tensor, batch: int) -> tuple[float, bool]:
        """(mean loss over processes, whether any process was asked to stop): every process
        then makes the same decision, or one would wait forever for the others' gradients."""
        if self.world_size == 1:
            self.images = batch
            return loss.item(), self.stop_requested
        shared = torch.stack([loss.float() * batch, torch.tensor(float(batch), device=loss.device)])
        shared = torch.cat([shared, torch.tensor([float(self.stop_requested)], device=loss.device)])
        torch.distributed.all_reduce(shared)
        self.images = int(shared[1].item())
        return (shared[0] / shared[1]).item(), bool(shared[2].item() > 0)


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, *, batch_size: int, device: torch.device) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in [0, 1]) of ``model`` on every image of ``dataset``."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        for images, labels in DataLoader(dataset, batch_size=batch_size, generator=torch.Generator()):
            images, labels = images.to(device), labels.to(device)
            logits = model(images).float()  # (B, num_classes)
            total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += (logits.argmax(1) == labels).sum().item()
            count += len(labels)
    finally:
        model.train(was_training)
    return total_loss / max(count, 1), correct / max(count, 1)


def init_weights(model: nn.Module, scheme: str) -> None:
    """``kaiming``: weights ~ N(0, 2 / fan_in), biases 0 (He et al. 2015), which keeps the signal's
    scale through ReLU layers; the last layer gets N(0, 0.01^2), the paper's init, so the first
    predictions are near-uniform (loss ln 10 = 2.30 for ten classes, not a confident guess).
    ``torch`` keeps PyTorch's default, whose smaller weights leave SGD stuck near 2.30."""
    if scheme == "torch":
        return
    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    for layer in layers:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        nn.init.zeros_(layer.bias)
    nn.init.normal_(layers[-1].weight, std=0.01)


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` is cuda when a GPU is visible, else cpu; asking for cuda without one is an error."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise AlexNetError("No CUDA GPU is visible to PyTorch.", fix="use --device cpu (or auto).")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


# A rough training speed on two shared CPU cores. Forward + backward cost about 3x the forward's
# multiply-adds; measured: the paper preset (1.14 G mult-adds/image) trains at ~16 images/s, i.e.
# ~55 G mult-adds/s, and the cifar preset (15 M) at ~380 images/s, where a fixed ~1.7 ms per
# image (data, optimizer, Python) dominates.
CPU_MULT_ADDS_PER_SECOND = 50e9
CPU_SECONDS_PER_IMAGE = 1.7e-3


def estimate_epoch_seconds(config: AlexNetConfig, images: int) -> float | None:
    """Rough seconds for one epoch of ``images`` images on two CPU cores:

        seconds = images * (3 * mult_adds / 50e9 + 0.0017)

    ``None`` if the network cannot run."""
    report = analyze(config)
    if not report.ok:
        return None
    return images * (3 * report.total_mult_adds / CPU_MULT_ADDS_PER_SECOND + CPU_SECONDS_PER_IMAGE)


def train_run(
    config: AlexNetConfig,
    settings: TrainSettings,
    *,
    runs_dir: Path | None = None,
    run_id: str | None = None,
    resume: str | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
) -> tuple[str, Path | None]:
    """Train and record a run; returns (final state, run directory; ``None`` on ranks > 0).

    Args:
        config: the network (ignored when resuming: the run's own network is used).
        settings: the training settings (when resuming: the run's own, with ``overrides`` applied).
        runs_dir: where runs live (default ``rundir.default_runs_dir()``).
        run_id: name for a new run (made up from the time and dataset if ``None``).
        resume: id of a run to continue from its checkpoint.
        progress: show a tqdm bar on a terminal.

    Raises:
        AlexNetError: a problem found before the run directory exists (bad settings, unknown run).
    """
    runs_dir = Path(runs_dir or rundir.default_runs_dir())
    dist = Distributed.from_env()
    if resume:
        run_dir = runs_dir / resume
        saved = rundir.read_json(run_dir / rundir.CONFIG)
        if saved is None or not (run_dir / rundir.CHECKPOINT).is_file():
            raise AlexNetError(f"Run {resume!r} has no checkpoint in {runs_dir} to resume from.")
        config = AlexNetConfig.from_dict(saved["network"])
        known = {f.name for f in fields(TrainSettings)}
        # the network and its data stay; how long and how fast to train may change
        changes = {k: v for k, v in (overrides or {}).items() if k not in ("dataset", "download")}
        settings = replace(TrainSettings(**{k: v for k, v in saved["training"].items() if k in known}), **changes)
    settings.check()
    if not resume:
        run_dir = runs_dir / (run_id or rundir.new_run_id(runs_dir, settings.dataset))
        if dist.rank == 0:
            run_dir.mkdir(parents=True, exist_ok=True)
    recorder = _Recorder(run_dir, dist.rank == 0)
    recorder.status("running", "loading the data")
    shown = run_dir if dist.rank == 0 else None
    try:
        return _train(config, settings, run_dir, recorder, dist, bool(resume), progress), shown
    except Diverged as exc:
        recorder.status(
            "diverged",
            f"Training diverged: {exc}. The learning rate {settings.lr:g} is too high for this network; "
            f"try a lower one, e.g. {settings.lr / 10:g}.",
        )
        return "diverged", shown
    except AlexNetError as exc:
        recorder.status("failed", exc.message)
        return "failed", shown
    except Exception as exc:
        traceback.print_exc()
        recorder.status("failed", f"{type(exc).__name__}: {exc}")
        return "failed", shown
    finally:
        recorder.close()
        dist.close()


def _train(
    config: AlexNetConfig,
    settings: TrainSettings,
    run_dir: Path,
    recorder: _Recorder,
    dist: Distributed,
    resuming: bool,
    progress: bool,
) -> str:
    device = resolve_device(settings.device, dist.local_rank)
    dist.init(device)
    data = load_dataset(
        settings.dataset,
        input_size=config.input_size,
        channels=config.in_channels,
        data_dir=settings.data_dir,
        download=settings.download and dist.rank == 0,  # rank 0 alone downloads; others wait below
    )
    dist.barrier()
    if settings.download and dist.rank != 0:
        data = load_dataset(
            settings.dataset, input_size=config.input_size, channels=config.in_channels, data_dir=settings.data_dir
        )
    notes = []
    if config.num_classes != data.num_classes:
        # the last layer must have one output per class of the data, whatever the preset says
        notes.append(f"num_classes set from {config.num_classes} to {data.num_classes} to match {data.name}")
        config = replace(config, num_classes=data.num_classes)

    model = build_model(config, seed=settings.seed)
    init_weights(model, settings.init)
    model.to(device)
    optimizer = _optimizer(model, settings)
    checkpoint = rundir.load_checkpoint(run_dir / rundir.CHECKPOINT) if resuming else None
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])  # Adam's moments, SGD's momentum
        for group in optimizer.param_groups:  # ... but the settings may have changed on resume
            group.update(lr=settings.lr, weight_decay=settings.weight_decay)
            if settings.optimizer == "sgd":
                group["momentum"] = settings.momentum
        torch.set_rng_state(checkpoint["rng"]["torch"])
    else:
        torch.manual_seed(settings.seed + dist.rank)  # dropout masks differ between processes
    trainer = Trainer(
        dist.wrap(model),
        data.train,
        optimizer,
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        device=device,
        precision=settings.precision,
        seed=settings.seed,
        max_steps=settings.max_steps,
        rank=dist.rank,
        world_size=dist.world_size,
    )
    trainer.step = checkpoint["step"] if checkpoint else 0
    if resuming and trainer.step >= trainer.total_steps:
        raise AlexNetError(
            f"This run already did all {trainer.total_steps} steps.", fix="resume it with more --epochs."
        )
    recorder.start(config, settings, data.describe(), trainer, dist, notes, checkpoint)
    _install_stop_handlers(trainer)
    elapsed = checkpoint["elapsed"] if checkpoint else 0.0
    log = _Logger(trainer, settings, recorder, model, data.val, device, progress and dist.rank == 0, elapsed)
    try:
        state = trainer.run()
    finally:
        log.close()
    if dist.rank == 0 and trainer.step % trainer.steps_per_epoch != 0 and state == "finished":
        log.validate(trainer)  # max_steps ended mid-epoch: still report a validation accuracy
    recorder.checkpoint(model, optimizer, trainer, log.elapsed())
    done = f"{trainer.step} of {trainer.total_steps} steps"
    recorder.status(state, f"Stopped after {done}." if state == "stopped" else f"Finished: {done}.", trainer)
    return state


def _optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay
        )
    return torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)


def _install_stop_handlers(trainer: Trainer) -> None:
    """SIGTERM (``alexnet.runs.stop_run``) and Ctrl-C finish the current step, then stop cleanly."""

    def request_stop(signum: int, frame: Any) -> None:
        trainer.stop_requested = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)


class _Recorder:
    """Writes the run directory; a silent no-op on ranks other than 0."""

    def __init__(self, run_dir: Path, active: bool) -> None:
        self.run_dir, self.active = run_dir, active
        self.metrics: rundir.MetricsWriter | None = None
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
    ) -> None:
        if not self.active:
            return
        saved = rundir.read_json(self.run_dir / rundir.CONFIG) or {}
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
            "notes": notes,
        }
        rundir.write_json(self.run_dir / rundir.CONFIG, self.info)
        config.save(self.run_dir / rundir.NETWORK)
        self.metrics = rundir.MetricsWriter(self.run_dir / rundir.METRICS)
        if checkpoint:
            self.metrics.write({"kind": "resume", "step": checkpoint["step"], "elapsed": checkpoint["elapsed"]})
        self.status("running", "training", trainer, force=True)

    def status(self, state: str, message: str, trainer: Trainer | None = None, *, force: bool = True) -> None:
        """Replace status.json; while running, at most once a second unless forced."""
        now = time.time()
        if not self.active or (not force and now - self._last_status < 1.0):
            return
        self._last_status = now
        status = {"state": state, "pid": os.getpid(), "message": message, "updated_at": now}
        if trainer is not None:
            status |= {"step": trainer.step, "total_steps": trainer.total_steps, "epoch": trainer.epoch}
        else:
            old = rundir.read_json(self.run_dir / rundir.STATUS) or {}
            status |= {k: old[k] for k in ("step", "total_steps", "epoch") if k in old}
        rundir.write_json(self.run_dir / rundir.STATUS, status)

    def write(self, record: dict[str, Any]) -> None:
        if self.metrics:
            self.metrics.write(record)

    def checkpoint(self, model: nn.Module, optimizer: torch.optim.Optimizer, trainer: Trainer, elapsed: float) -> None:
        if not self.active:
            return
        rng = {"torch": torch.get_rng_state()}
        rundir.save_checkpoint(
            self.run_dir / rundir.CHECKPOINT,
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": trainer.step,
                "epoch": trainer.epoch,
                "elapsed": elapsed,
                "rng": rng,
            },
        )

    def close(self) -> None:
        if self.metrics:
            self.metrics.close()


class _Logger:
    """The callbacks: metrics lines, status, validation, checkpoints and the progress bar."""

    def __init__(
        self,
        trainer: Trainer,
        settings: TrainSettings,
        recorder: _Recorder,
        model: nn.Module,
        val: Dataset,
        device: torch.device,
        progress: bool,
        elapsed_before: float,
    ) -> None:
        from tqdm import tqdm

        self.settings, self.recorder, self.model, self.val, self.device = settings, recorder, model, val, device
        self.optimizer = trainer.optimizer
        self.started = time.perf_counter()
        self.elapsed_before = elapsed_before  # training seconds before a resume
        self.window_start, self.window_images = self.started, 0
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
                    "lr": self.optimizer.param_groups[0]["lr"],
                    "images_per_sec": self.window_images / max(now - self.window_start, 1e-9),
                    "elapsed": round(self.elapsed(), 3),
                }
            )
            self.window_start, self.window_images = now, 0
        self.recorder.status("running", "training", trainer, force=False)
        if trainer.step % self.settings.checkpoint_every == 0:
            self.recorder.checkpoint(self.model, self.optimizer, trainer, self.elapsed())

    def on_epoch_end(self, trainer: Trainer) -> None:
        if self.recorder.active:
            self.validate(trainer)
            self.recorder.checkpoint(self.model, self.optimizer, trainer, self.elapsed())
        self.window_start = time.perf_counter()  # validation time is not training speed

    def validate(self, trainer: Trainer) -> None:
        val_loss, val_accuracy = evaluate(self.model, self.val, batch_size=self.settings.batch_size, device=self.device)
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

    def close(self) -> None:
        self.bar.close()


# ---------------------------------------------------------------- command line


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m alexnet train``. Training options default to ``None`` so that
    ``--resume`` can tell which ones the user gave (those override the run's saved settings)."""
    net = parser.add_argument_group("network")
    which = net.add_mutually_exclusive_group()
    which.add_argument("--preset", choices=list(PRESETS), help="a named network (default: cifar, fast on a CPU)")
    which.add_argument("--config", type=Path, metavar="FILE", help="a network saved as JSON")
    net.add_argument("--input-size", type=int, metavar="S", help="override the network's input size")
    net.add_argument("--num-classes", type=int, metavar="N", help="override (default: the dataset's class count)")

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, help="default: digits (bundled, offline)")
    data.add_argument("--data-dir", metavar="DIR", help="cifar10: folder holding cifar-10-batches-py; folder: images")
    data.add_argument("--download", action="store_true", default=None, help="cifar10: download it if missing")

    train = parser.add_argument_group("training")
    train.add_argument("--epochs", type=int, help="default: 10")
    train.add_argument("--batch-size", type=int, help="default: 64")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: adamw")
    train.add_argument("--lr", type=float, help="default: 3e-4 (adamw), 0.01 (sgd)")
    train.add_argument("--momentum", type=float, help="sgd only; default 0.9")
    train.add_argument("--weight-decay", type=float, help="default: 0.01 (adamw), 5e-4 (sgd)")
    train.add_argument("--precision", choices=PRECISIONS, help="default: fp32")
    train.add_argument("--device", choices=DEVICES, help="default: auto (cuda if available)")
    train.add_argument("--init", choices=INITS, help="weight initialisation; default: kaiming")
    train.add_argument("--seed", type=int, help="default: 0")
    train.add_argument("--max-steps", type=int, help="stop after this many steps in all")
    train.add_argument("--log-every", type=int, help="steps between metrics lines; default 1")
    train.add_argument("--checkpoint-every", type=int, help="steps between checkpoints; default 200")

    runs = parser.add_argument_group("runs")
    runs.add_argument("--runs-dir", type=Path, metavar="DIR", help=f"default: ${rundir.RUNS_DIR_ENV} or runs/")
    runs.add_argument("--resume", metavar="RUN_ID", help="continue this run from its checkpoint")
    runs.add_argument("--run-id", help=argparse.SUPPRESS)  # alexnet.runs names the run it starts
    runs.add_argument("--no-progress", action="store_true", help="no progress bar")


_SETTING_FLAGS = tuple(f.name for f in fields(TrainSettings))


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``python -m alexnet train``; returns the exit status (0 finished or stopped, 1 otherwise)."""
    given = {name: getattr(args, name) for name in _SETTING_FLAGS if getattr(args, name, None) is not None}
    try:
        if args.resume:
            config, settings = PRESETS["cifar"], TrainSettings()  # replaced by the run's own
        else:
            config = AlexNetConfig.load(args.config) if args.config else preset(args.preset or "cifar")
            if args.input_size:
                config = replace(config, input_size=args.input_size)
            if args.num_classes:
                config = replace(config, num_classes=args.num_classes)
            layer_table(config)  # an impossible network is explained before a run directory exists
            settings = TrainSettings.for_optimizer(given.get("optimizer", "adamw"), **given)
        state, run_dir = train_run(
            config,
            settings,
            runs_dir=args.runs_dir,
            run_id=args.run_id,
            resume=args.resume,
            overrides=given,
            progress=not args.no_progress,
        )
    except AlexNetError as exc:
        _mark_failed(args, exc.message)
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:
        _mark_failed(args, f"{type(exc).__name__}: {exc}")
        raise
    if run_dir is not None:
        status = rundir.read_json(run_dir / rundir.STATUS) or {}
        print(f"{state}: {status.get('message', '')} Run directory: {run_dir}", file=sys.stderr)
    return 0 if state in ("finished", "stopped") else 1


def _mark_failed(args: argparse.Namespace, message: str) -> None:
    """A run named by ``alexnet.runs`` that fails before training says why in its status."""
    name = args.run_id or args.resume
    path = Path(args.runs_dir or rundir.default_runs_dir()) / name if name else None
    if path is not None and path.is_dir() and Distributed.from_env().rank == 0:
        old = rundir.read_json(path / rundir.STATUS) or {}
        rundir.write_json(
            path / rundir.STATUS,
            old | {"state": "failed", "pid": os.getpid(), "message": message, "updated_at": time.time()},
        )
