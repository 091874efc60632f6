"""Starting, watching, stopping, resuming and listing training runs.

A run is a separate process (``python -m alexnet train ...``) that writes its run directory
(``alexnet.rundir``); everything here only starts or signals that process and reads the
directory, so a web page can watch a run, be reloaded, and find the run still there.

States: the trainer writes running, finished, stopped, failed or diverged. A run whose
status still says running but whose process is gone (killed, machine restarted) is reported
as ``interrupted``; it can be resumed from its last checkpoint.
"""

from __future__ import annotations

import io
import os
import signal
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from alexnet import rundir, runproc
from alexnet.config import AlexNetConfig
from alexnet.errors import AlexNetError
from alexnet.memory import check_training_memory
from alexnet.model import AlexNet, build_model, load_weights
from alexnet.runid import MAX_RUN_ID_LENGTH, RUN_ID_PATTERN, resolve_run_dir
from alexnet.runtable import format_duration, table_rows
from alexnet.shapes import layer_table
from alexnet.train import TrainSettings

__all__ = [
    "Metrics",
    "Progress",
    "RunInfo",
    "active_run",
    "checkpoint_stamp",
    "format_duration",
    "get_run",
    "list_runs",
    "load_run_model",
    "metrics_csv",
    "progress",
    "read_metrics",
    "resume_run",
    "run_classes",
    "run_config",
    "run_path",
    "runs_dir",
    "start_run",
    "stop_run",
    "table_rows",
]

RESUMABLE = ("stopped", "interrupted", "failed", "diverged", "finished")


@dataclass(frozen=True)
class RunInfo:
    """One run, as its directory describes it."""

    run_id: str
    path: Path
    state: str  # running, finished, stopped, failed, diverged, or interrupted (process gone)
    message: str
    dataset: str
    step: int
    total_steps: int
    best_accuracy: float | None  # best validation accuracy in [0, 1], None before the first epoch
    duration_s: float  # training seconds so far (across resumes)
    created_at: float  # Unix seconds
    updated_at: float
    has_checkpoint: bool
    pid: int | None
    settings: dict[str, Any]  # TrainSettings as saved in config.json (empty until the trainer starts)
    network: dict[str, Any]  # AlexNetConfig.to_dict() of the trained network

    @property
    def active(self) -> bool:
        return self.state == "running"

    @property
    def can_resume(self) -> bool:
        return self.state in RESUMABLE and self.has_checkpoint


@dataclass(frozen=True)
class Metrics:
    """A run's curves: one dict per logged step and one per validated epoch (see ``alexnet.rundir``)."""

    steps: list[dict[str, Any]]
    epochs: list[dict[str, Any]]

    def column(self, name: str, *, epochs: bool = False) -> list[Any]:
        return [record.get(name) for record in (self.epochs if epochs else self.steps)]


@dataclass(frozen=True)
class Progress:
    """How far a run is, and how long the rest should take at its speed so far."""

    step: int
    total_steps: int
    fraction: float  # step / total_steps, in [0, 1]
    epoch: float  # epochs done (fractional)
    epochs: int
    eta_s: float | None  # (total - step) * elapsed / step; None before the first step
    images_per_sec: float | None  # the latest logged speed
    last_loss: float | None


def runs_dir(path: str | Path | None = None) -> Path:
    """``path``, else ``$ALEXNET_RUNS_DIR``, else ``<repo>/runs``."""
    return Path(path) if path else rundir.default_runs_dir()


def run_path(run: str | Path, directory: str | Path | None = None) -> Path:
    """The directory of ``run``, an existing run directory inside the runs directory.

    ``run`` is a run id (a ``str``, from a page, the CLI, a link or the runs table), checked by
    ``alexnet.runid`` and resolved inside ``directory``; or a ``Path`` to a run directory that the
    caller already holds (``RunInfo.path``), whose name is checked the same way inside its parent.

    Raises:
        AlexNetError: not a run id (``..``, ``/etc``, too long...), or no such run.
    """
    where = (run.name, run.parent) if isinstance(run, Path) else (run, runs_dir(directory))
    path = resolve_run_dir(*where)
    if not path.is_dir():
        raise AlexNetError(
            f"There is no run {path.name!r} in {path.parent}.", fix="pick one of the runs in the runs table."
        )
    return path


def get_run(run: str | Path, directory: str | Path | None = None) -> RunInfo:
    """What the run directory says about ``run``, with a dead process reported as interrupted.

    A status.json that is not what the trainer writes (garbage, hand-edited, another program's)
    makes the run ``interrupted`` with a message saying so: it is never trusted for a pid.

    Raises:
        AlexNetError: not a run id, or no such run.
    """
    path = run_path(run, directory)
    status, problem = _read_status(path)
    config = rundir.read_json(path / rundir.CONFIG) or {}
    metrics = read_metrics(path)
    accuracies = [a for a in metrics.column("val_accuracy", epochs=True) if isinstance(a, (int, float))]
    last = (metrics.steps or metrics.epochs or [{}])[-1]
    state = status.get("state", "running")
    if state == "running" and not runproc.is_running(status):
        # read again: the launcher or the trainer may have just replaced status.json
        status, problem = _read_status(path)
        state = status.get("state", "running")
        if state == "running" and not runproc.is_running(status):
            state = "interrupted"
    message = status.get("message", "") if state != "interrupted" else _interrupted_message(path)
    if problem:
        state = "interrupted"
        resumable = (path / rundir.CHECKPOINT).is_file()
        message = f"{problem} " + ("Resume continues from its last checkpoint." if resumable else "Start a new run.")
    training = _dict(config.get("training"))
    return RunInfo(
        run_id=path.name,
        path=path,
        state=state,
        message=str(message),
        dataset=str(training.get("dataset", status.get("dataset", "?"))),
        step=_int(status.get("step")),
        total_steps=_int(status.get("total_steps", config.get("total_steps"))),
        best_accuracy=max(accuracies) if accuracies else None,
        duration_s=_float(last.get("elapsed")),
        created_at=_float(config.get("created_at", status.get("created_at"))) or path.stat().st_mtime,
        updated_at=_float(status.get("updated_at")),
        has_checkpoint=(path / rundir.CHECKPOINT).is_file(),
        pid=status.get("pid"),
        settings=training,
        network=_dict(config.get("network")),
    )


def _read_status(path: Path) -> tuple[dict[str, Any], str | None]:
    """status.json as the trainer writes it, or ({}, what is wrong with it)."""
    file = path / rundir.STATUS
    status = rundir.read_json(file)
    if status is None:
        if not file.exists():
            return {}, None  # just created by start_run: the launcher writes it a moment later
        return {}, f"Its {rundir.STATUS} cannot be read (not a JSON object: damaged or written by another program)."
    pid, state = status.get("pid"), status.get("state", "running")
    if state not in rundir.STATES or not (pid is None or (isinstance(pid, int) and pid > 0)):
        return {}, f"Its {rundir.STATUS} does not look like the trainer's (state {str(state)[:40]!r})."
    return status, None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def list_runs(directory: str | Path | None = None) -> list[RunInfo]:
    """Every run in the runs directory, newest first."""
    root = runs_dir(directory)
    if not root.is_dir():
        return []
    # folders whose names are not run ids (hidden, dotted, copied in by hand) are not runs
    names = [p.name for p in root.iterdir() if RUN_ID_PATTERN.fullmatch(p.name) and len(p.name) <= MAX_RUN_ID_LENGTH]
    runs = [get_run(root / name) for name in names if (root / name).is_dir() and (root / name / rundir.STATUS).exists()]
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)


def active_run(directory: str | Path | None = None) -> RunInfo | None:
    """The run whose process is training right now, if any."""
    return next((run for run in list_runs(directory) if run.active), None)


def start_run(
    config: AlexNetConfig,
    settings: TrainSettings,
    *,
    directory: str | Path | None = None,
    allow_parallel: bool = False,
) -> RunInfo:
    """Launch ``python -m alexnet train`` on ``config`` in its own process; return the new run.

    The process starts in its own session (a page reload or a closed terminal does not stop
    it) and writes its output to ``train.log`` in the run directory.

    Raises:
        AlexNetError: the network cannot work, another run is going (one at a time unless
            ``allow_parallel``), or bad settings.
    """
    settings.check()
    layer_table(config)  # an impossible network is explained here, before a run directory exists
    check_training_memory(config, settings)
    root = runs_dir(directory)
    # check-then-start under one lock: two tabs pressing Start together start exactly one run
    with runproc.start_lock(root):
        _one_at_a_time(root, allow_parallel)
        run_id = rundir.new_run_id(root, settings.dataset)
        path = root / run_id
        path.mkdir(parents=True)
        _write_and_launch(config, settings, path, root, run_id)
    return get_run(path)


def _write_and_launch(config: AlexNetConfig, settings: TrainSettings, path: Path, root: Path, run_id: str) -> None:
    config.save(path / rundir.NETWORK)
    # what the run will be, readable at once; the trainer rewrites it with the dataset's facts
    preliminary = {
        "run_id": run_id,
        "created_at": time.time(),
        "network": config.to_dict(),
        "training": asdict(settings),
    }
    rundir.write_json(path / rundir.CONFIG, preliminary)
    args = ["--config", str(path / rundir.NETWORK), "--run-id", run_id]
    for field in fields(TrainSettings):
        value = getattr(settings, field.name)
        if value is None or value is False:
            continue
        flag = "--" + field.name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    runproc.launch(path, root, args, "starting")


def resume_run(
    run: str | Path, *, directory: str | Path | None = None, allow_parallel: bool = False, **overrides: Any
) -> RunInfo:
    """Continue ``run`` from its checkpoint in a new process; ``overrides`` (e.g. ``epochs=20``)
    change its saved training settings.

    Raises:
        AlexNetError: the run is still going, has no checkpoint, or another run is going.
    """
    info = get_run(run, directory)
    if info.active:
        raise AlexNetError(f"Run {info.run_id} is still running.", fix="stop it first.")
    if not info.has_checkpoint:
        raise AlexNetError(f"Run {info.run_id} has no checkpoint to resume from.", fix="start a new run.")
    args = ["--resume", info.run_id]
    for name, value in overrides.items():
        if value is not None:
            args += ["--" + name.replace("_", "-"), str(value)]
    with runproc.start_lock(info.path.parent):
        _one_at_a_time(info.path.parent, allow_parallel)
        if get_run(info.path).active:  # another tab resumed it a moment ago
            raise AlexNetError(f"Run {info.run_id} is already running again.", fix="watch it in the live view.")
        runproc.launch(info.path, info.path.parent, args, "resuming")
    return get_run(info.path)


def stop_run(run: str | Path, directory: str | Path | None = None) -> bool:
    """Ask a running trainer to stop (SIGTERM): it finishes its step, saves a checkpoint and
    marks itself stopped. Returns whether there was a process to signal."""
    info = get_run(run, directory)
    if not info.active or not info.pid:
        return False
    try:
        os.kill(info.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def read_metrics(run: str | Path, directory: str | Path | None = None) -> Metrics:
    """The run's step and epoch records (a torn last line, from a killed trainer, is skipped)."""
    records = rundir.read_metrics(run_path(run, directory) / rundir.METRICS)
    return Metrics(
        steps=[r for r in records if r.get("kind") == "step"],
        epochs=[r for r in records if r.get("kind") == "epoch"],
    )


def progress(run: RunInfo, metrics: Metrics) -> Progress:
    """Steps done of all, epochs, speed, and the time left: (total - step) * elapsed / step."""
    epochs = int(run.settings.get("epochs", 0))
    last = metrics.steps[-1] if metrics.steps else None
    step = max(run.step, last["step"] if last else 0)
    total = max(run.total_steps, step, 1)
    eta = None
    if last and last["step"] > 0 and run.active:
        eta = (total - step) * last["elapsed"] / last["step"]
    return Progress(
        step=step,
        total_steps=total,
        fraction=min(step / total, 1.0),
        epoch=last["epoch"] if last else 0.0,
        epochs=epochs,
        eta_s=eta,
        images_per_sec=last.get("images_per_sec") if last else None,
        last_loss=last.get("loss") if last else None,
    )


def metrics_csv(run: str | Path, directory: str | Path | None = None) -> str:
    """All records of a run as CSV, one row per step or epoch record (columns: kind, step, epoch, ...)."""
    import pandas as pd

    metrics = read_metrics(run, directory)
    frame = pd.DataFrame(metrics.steps + metrics.epochs)
    if not frame.empty:
        frame = frame.sort_values(["step", "kind"], kind="stable")
        first = [c for c in ("kind", "step", "epoch") if c in frame.columns]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def load_run_model(run: str | Path, *, directory: str | Path | None = None, device: str = "cpu") -> AlexNet:
    """The network of ``run`` with the weights of its latest checkpoint, in eval mode.

    Raises:
        AlexNetError: no such run, or no checkpoint yet.
    """
    path = run_path(run, directory)
    config = rundir.read_json(path / rundir.CONFIG)
    if config is None or not (path / rundir.CHECKPOINT).is_file():
        raise AlexNetError(f"Run {path.name} has no checkpoint yet.", fix="wait for its first epoch to end.")
    model = build_model(AlexNetConfig.from_dict(config["network"]), device=device)
    load_weights(model, rundir.load_checkpoint(path / rundir.CHECKPOINT, map_location=device)["model"])
    return model.eval()


def run_classes(run: str | Path, directory: str | Path | None = None) -> list[str] | None:
    """The class names of the run's dataset in output order (digits "0".."9", CIFAR-10's "airplane"...),
    or ``None`` before the trainer has recorded them."""
    config = rundir.read_json(run_path(run, directory) / rundir.CONFIG) or {}
    classes = config.get("dataset", {}).get("classes")
    return list(classes) if classes else None


def checkpoint_stamp(run: str | Path, directory: str | Path | None = None) -> int:
    """When the run's checkpoint was last written (ns since the epoch; 0 if none): a cache key that
    changes whenever a still-training run saves newer weights."""
    try:
        return (run_path(run, directory) / rundir.CHECKPOINT).stat().st_mtime_ns
    except OSError:
        return 0


def run_config(run: str | Path, directory: str | Path | None = None) -> AlexNetConfig:
    """The network a run trains (with the class count of its dataset)."""
    config = rundir.read_json(run_path(run, directory) / rundir.CONFIG)
    if config is None:
        raise AlexNetError(f"Run {Path(run).name} has not written its configuration yet.")
    return AlexNetConfig.from_dict(config["network"])


# ---------------------------------------------------------------- process handling


def _one_at_a_time(root: Path, allow_parallel: bool) -> None:
    if allow_parallel:
        return
    going = active_run(root)
    if going:
        where = f"step {going.step} of {going.total_steps}" if going.total_steps else going.message
        raise AlexNetError(
            f"A run is already going ({going.run_id}, {where}).",
            fix="wait for it to finish or stop it: two runs at once would share the same CPU cores.",
        )


def _interrupted_message(path: Path) -> str:
    checkpoint = (path / rundir.CHECKPOINT).is_file()
    message = "The training process ended without saying why (killed, or the machine restarted). " + (
        "Resume continues from the last checkpoint." if checkpoint else "It saved no checkpoint: start a new run."
    )
    try:
        lines = (path / rundir.LOG).read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return message + (f" Last line of {rundir.LOG}: {lines[-1].strip()}" if lines else "")
