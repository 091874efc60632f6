"""A training run: builds the network, data and optimizer, trains them with ``Trainer`` and records
everything in a run directory.

    state, run_dir = train_run(config, TrainSettings(epochs=3))

The parts live in their own modules: ``alexnet.training.settings`` (``TrainSettings``, defaults),
``alexnet.training.loop`` (the generic loop and its callback events), ``alexnet.training.recorder`` (the run
directory writer and the logging callbacks) and ``alexnet.cli.train`` (``python -m alexnet train``).
Under torchrun each process trains on its own share of every epoch (DistributedSampler) and
DistributedDataParallel averages the gradients (gloo on CPU, nccl on GPU); only rank 0 writes
the run directory.

Per-run extras (a memory check before the first step, files written at every epoch's end) are
``RunHook``s: functions called once with the run's ``RunContext`` before training starts, which
register the trainer callbacks they need. Add one to ``RUN_HOOKS`` (every run) or pass
``hooks=`` to ``train_run``::

    def write_something(ctx: RunContext) -> None:
        if ctx.is_writer:
            ctx.trainer.add_callback("on_epoch_end", lambda trainer: ...)
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_training_memory
from alexnet.network.model import build_model, init_weights, load_weights
from alexnet.training import run_folder, stop_signal
from alexnet.training.context import RunContext, RunHook
from alexnet.training.data import DataSplit, load_dataset
from alexnet.training.distributed import Distributed
from alexnet.training.environment import LAUNCHED_FLAG
from alexnet.training.loop import Diverged, Trainer, evaluate
from alexnet.training.precision import bf16_supported, resolve_device, resolve_precision, use_channels_last
from alexnet.training.recorder import RunLogger, RunRecorder
from alexnet.training.run_folder import resolve_run_dir
from alexnet.training.run_folder.results import record_results
from alexnet.training.schedule import Plateau
from alexnet.training.settings import (
    DEVICES,
    INITS,
    OPTIMIZERS,
    PRECISIONS,
    TrainSettings,
)
from alexnet.training.subset import subset

__all__ = [
    "DEVICES",
    "INITS",
    "OPTIMIZERS",
    "PRECISIONS",
    "RUN_HOOKS",
    "Diverged",
    "RunContext",
    "RunHook",
    "TrainSettings",
    "Trainer",
    "evaluate",
    "train_run",
]


# Hooks every run gets, called in this order before training starts (after the checkpoint, if
# resuming, is loaded). Keep each one's work per epoch small: it is paid inside the training time.
RUN_HOOKS: list[RunHook] = [
    record_results
]  # conv1 and validation predictions per epoch (alexnet.training.run_folder.results)


def train_run(
    config: AlexNetConfig,
    settings: TrainSettings,
    *,
    runs_dir: Path | None = None,
    run_id: str | None = None,
    resume: str | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
    hooks: Sequence[RunHook] = (),
    data: DataSplit | None = None,
) -> tuple[str, Path | None]:
    """Train and record a run; returns (final state, run directory; ``None`` on ranks > 0).

    Args:
        config: the network (ignored when resuming: the run's own network is used).
        settings: the training settings (when resuming: the run's own, with ``overrides`` applied).
        runs_dir: where runs live (default ``run_folder.default_runs_dir()``).
        run_id: name for a new run (made up from the time and dataset if ``None``).
        resume: id of a run to continue from its checkpoint.
        progress: show a tqdm bar on a terminal.
        hooks: extra ``RunHook``s for this run, called after those in ``RUN_HOOKS``.
        data: train on this instead of loading ``settings.dataset`` (``alexnet.bench``'s random images).

    Raises:
        AlexNetError: a problem found before the run directory exists (bad settings, unknown run,
            a run id that is not one, a network over the memory budget of ``alexnet.network.memory``).
    """
    runs_dir = Path(runs_dir or run_folder.default_runs_dir())
    dist = Distributed.from_env()
    from_checkpoint = False
    if resume:
        run_dir = resolve_run_dir(resume, runs_dir)  # a run id, never a path out of the runs directory
        saved = run_folder.read_config(run_dir)
        from_checkpoint = (run_dir / run_folder.CHECKPOINT).is_file()
        # a run stopped before its first step has no checkpoint and nothing to lose: it starts over
        if saved is None or not (from_checkpoint or _never_trained(run_dir)):
            raise AlexNetError(f"Run {resume!r} has no checkpoint in {runs_dir} to resume from.")
        config = saved.network
        # the network and its data stay; how long and how fast to train may change
        changes = {k: v for k, v in (overrides or {}).items() if k not in ("dataset", "download")}
        settings = replace(saved.settings, **changes)
    settings.check()
    check_training_memory(config, settings)  # before any weight is allocated: refuse what cannot fit
    if not resume:
        run_dir = resolve_run_dir(run_id or run_folder.new_run_id(runs_dir, settings.dataset), runs_dir)
        if dist.rank == 0:
            run_dir.mkdir(parents=True, exist_ok=True)
    if os.environ.get(stop_signal.LAUNCHED_RUN_ENV) != run_dir.name and dist.rank == 0:
        run_folder.withdraw_stop(run_dir)  # left by a run that ended: not meant for this trainer
    stop_signal.watch(run_dir / run_folder.STOP)  # before the status says running: no Stop comes unseen
    recorder = RunRecorder(run_dir, dist.rank == 0)
    recorder.status("running", "loading the data")
    shown = run_dir if dist.rank == 0 else None
    try:
        state = _train(config, settings, run_dir, recorder, dist, from_checkpoint, progress, [*RUN_HOOKS, *hooks], data)
        return state, shown
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
        stop_signal.watch(None)
        recorder.close()
        dist.close()


def _train(
    config: AlexNetConfig,
    settings: TrainSettings,
    run_dir: Path,
    recorder: RunRecorder,
    dist: Distributed,
    resuming: bool,
    progress: bool,
    hooks: Sequence[RunHook],
    given_data: DataSplit | None = None,
) -> str:
    device = resolve_device(settings.device, dist.local_rank)
    dist.init(device)
    # the mode that runs is what config.json records: "auto" becomes bf16 or fp32 here
    settings = replace(settings, precision=resolve_precision(settings.precision, device))
    data = given_data or load_dataset(
        settings.dataset,
        input_size=config.input_size,
        channels=config.in_channels,
        data_dir=settings.data_dir,
        download=settings.download and dist.rank == 0,  # rank 0 alone downloads; others wait below
        flip=settings.flip,
    )
    dist.barrier()
    if settings.download and dist.rank != 0 and given_data is None:
        data = load_dataset(
            settings.dataset,
            input_size=config.input_size,
            channels=config.in_channels,
            data_dir=settings.data_dir,
            flip=settings.flip,
        )
    if settings.train_images is not None:
        data = subset(data, settings.train_images)  # the same share in every run (alexnet.training.subset)
    notes = []
    if config.num_classes != data.num_classes:
        # the last layer must have one output per class of the data, whatever the preset says
        notes.append(f"num_classes set from {config.num_classes} to {data.num_classes} to match {data.name}")
        config = replace(config, num_classes=data.num_classes)

    model = build_model(config, seed=settings.seed)
    init_weights(model, settings.init, nonlinearity=config.activation)  # tanh's gain for a tanh network
    channels_last = use_channels_last(settings.precision, device)
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    optimizer = _optimizer(model, settings)
    checkpoint = run_folder.load_checkpoint(run_dir) if resuming else None
    if checkpoint:
        load_weights(model, checkpoint["model"])  # another network's weights: a plain message, not a traceback
        optimizer.load_state_dict(checkpoint["optimizer"])  # Adam's moments, SGD's momentum
        for group in optimizer.param_groups:  # ... but the settings may have changed on resume
            group.update(lr=settings.lr, weight_decay=settings.weight_decay)
            if settings.optimizer == "sgd":
                group["momentum"] = settings.momentum
        torch.set_rng_state(checkpoint["rng"]["torch"])
    else:
        torch.manual_seed(settings.seed + dist.rank)  # dropout masks differ between processes
    plateau = Plateau(settings.plateau_patience) if settings.schedule == "plateau" else None
    if plateau is not None and checkpoint and "plateau" in checkpoint:
        plateau.load_state_dict(checkpoint["plateau"])  # resumes at the lr it had reached
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
        lr_factor=_lr_factor(settings, plateau),
        channels_last=channels_last,
    )
    trainer.step = checkpoint["step"] if checkpoint else 0
    if resuming and trainer.step >= trainer.total_steps:
        raise AlexNetError(
            f"This run already did all {trainer.total_steps} steps.", fix="resume it with more --epochs."
        )
    mode = {
        "precision": settings.precision,
        "channels_last": channels_last,
        "bf16_native": bf16_supported(device),  # what "auto" was decided on
        "compile": False,  # torch.compile pays off only in long runs (docs/performance.md)
        "allocator_tuned": os.environ.get(LAUNCHED_FLAG) == "1",  # alexnet.training.environment
        "threads": torch.get_num_threads(),
    }
    recorder.start(config, settings, data.describe(), trainer, dist, notes, checkpoint, mode)
    stop_listening = _install_stop_handlers(trainer)
    if dist.broadcast(trainer.stop_requested):  # rank 0 decides for all: none waits on the others' first step
        stop_listening()
        return _stopped_before_training(recorder, trainer, checkpoint)
    elapsed = checkpoint["elapsed"] if checkpoint else 0.0
    log = RunLogger(trainer, settings, recorder, model, data.val, device, progress and dist.rank == 0, elapsed, plateau)
    if plateau is not None and dist.world_size > 1:  # rank 0 validates: the others take its decision
        trainer.add_callback("on_epoch_end", lambda _: plateau.load_state_dict(dist.broadcast(plateau.state_dict())))
    context = RunContext(
        config,
        settings,
        run_dir,
        model,
        optimizer,
        data,
        device,
        trainer,
        recorder,
        dist.rank,
        dist.world_size,
        log.validation,
    )
    for hook in hooks:
        hook(context)
    # after the hooks' epoch-end work (predictions over the validation set, files): the step after
    # an epoch showed 26 images/s for a network that trains 700 a second
    trainer.add_callback("on_epoch_end", log.restart_speed_window)
    try:
        state = trainer.run()
    finally:
        log.close()
        stop_listening()
    if dist.rank == 0 and trainer.step % trainer.steps_per_epoch != 0 and state == "finished":
        log.validate(trainer)  # max_steps ended mid-epoch: still report a validation accuracy
    recorder.checkpoint(model, optimizer, trainer, log.elapsed(), plateau)
    done = f"{trainer.step} of {trainer.total_steps} steps"
    recorder.status(state, f"Stopped after {done}." if state == "stopped" else f"Finished: {done}.", trainer)
    return state


def _never_trained(run_dir: Path) -> bool:
    """No step of ``run_dir`` was recorded (it was stopped before its first): starting it over loses nothing."""
    try:
        return not run_folder.read_metrics(run_dir).steps
    except AlexNetError:
        return False


def _stopped_before_training(recorder: RunRecorder, trainer: Trainer, checkpoint: dict[str, Any] | None) -> str:
    """A Stop that came before the first step: no step is trained and any checkpoint is kept as it was."""
    if checkpoint:
        message = f"Stopped before its first step after the resume: its checkpoint of step {trainer.step} is kept."
    else:
        message = "Stopped before its first step: there is no checkpoint yet. Resume starts it from the beginning."
    recorder.status("stopped", message, trainer)
    return "stopped"


def _lr_factor(settings: TrainSettings, plateau: Plateau | None) -> Callable[[int, int], float]:
    """The lr of a step as a fraction of the peak: ``settings.lr_factor``, times 0.1^k on a plateau schedule."""
    if plateau is None:
        return settings.lr_factor
    return lambda step, total: settings.lr_factor(step, total) * plateau.factor


def _optimizer(model: nn.Module, settings: TrainSettings) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay
        )
    return torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)


def _install_stop_handlers(trainer: Trainer) -> Callable[[], None]:
    """The Stop button's request (``alexnet.runs.stop_run``), SIGTERM and Ctrl-C finish the current step,
    then stop cleanly (``alexnet.training.stop_signal``); one that came while the trainer was starting sets
    ``trainer.stop_requested`` at once. Returns the function that stops listening."""

    def request_stop() -> None:
        trainer.stop_requested = True

    stop_signal.install()
    return stop_signal.on_stop(request_stop)
