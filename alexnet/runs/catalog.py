"""What the runs directory holds: one ``RunInfo`` per run (a dead process reported as interrupted), and how far it is.

States: the trainer writes running, finished, stopped, failed or diverged; a run waiting its
turn is ``queued`` (``alexnet.runs.queue``). A run whose status still says running but whose
process is gone (killed, machine restarted) is reported as ``interrupted``; it can be resumed
from its last checkpoint.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from alexnet.errors import AlexNetError
from alexnet.runs import trainer_process
from alexnet.runs.curves import Metrics, read_metrics
from alexnet.training import run_folder
from alexnet.training.run_folder import MAX_RUN_ID_LENGTH, RUN_ID_PATTERN, run_path, runs_dir
from alexnet.training.run_folder.read import RunStatus

T = TypeVar("T")
RESUMABLE = ("stopped", "interrupted", "failed", "diverged", "finished")
STARTUP_RUNS = 10  # runs whose start-up times make the typical one
SPEED_STEPS = 200  # logged steps a run's speed is the median of (logged_speed)


@dataclass(frozen=True)
class RunInfo:
    """One run, as its directory describes it."""

    run_id: str
    path: Path
    state: str  # queued, running, finished, stopped, failed, diverged, or interrupted (process gone)
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
    settings: dict[str, Any]  # TrainSettings as saved in config.json (empty when it cannot be read)
    network: dict[str, Any]  # AlexNetConfig.to_dict() of the trained network (empty likewise)
    problem: str | None = None  # what is wrong with the run's files, in plain words (None: nothing)
    queued_at: float | None = None  # when it joined the queue (Unix seconds), while queued
    stopping: bool = False  # running, and a Stop was asked for (its trainer has not ended yet)
    startup_s: float | None = None  # its trainer's seconds from launch to first step (config.json), if launched here

    @property
    def queued(self) -> bool:
        return self.state == "queued"

    @property
    def active(self) -> bool:
        return self.state == "running"

    @property
    def starts_over(self) -> bool:
        """No checkpoint and no step trained (stopped before its first step): Resume starts it from step 0."""
        return not self.has_checkpoint and self.step == 0 and self.duration_s == 0

    @property
    def can_resume(self) -> bool:
        return self.state in RESUMABLE and (self.has_checkpoint or self.starts_over) and bool(self.settings)


def get_run(run: str | Path, directory: str | Path | None = None) -> RunInfo:
    """What the run directory says about ``run``, with a dead process reported as interrupted.

    Every file is read through ``alexnet.training.run_folder.read``. A file that cannot be read never
    raises here: the run is listed with ``problem`` saying what is wrong. A status.json that is
    not what the trainer writes makes the run ``interrupted`` (it is never trusted for a pid); a
    broken config.json leaves the run without settings, so it cannot be resumed.

    Raises:
        AlexNetError: not a run id, or no such run.
    """
    path = run_path(run, directory)
    problems: list[str] = []
    status = _read(run_folder.read_status, path, problems)
    status_problem = bool(problems)
    config = _read(run_folder.read_config, path, problems)
    metrics = _read(read_metrics, path, problems) or Metrics([], [])
    state = "interrupted" if status_problem else status.state if status else "running"
    if state == "running" and not _alive(status):
        status = _read(run_folder.read_status, path, [])  # the launcher or the trainer may have just replaced it
        state = status.state if status else "running"
        if state == "running" and not _alive(status):
            state = "interrupted"
    message = status.message if status and state != "interrupted" else ""
    if state == "interrupted" and not status_problem:
        message = _interrupted_message(path)
    if metrics.skipped:
        lines = f"{metrics.skipped} line{' is' if metrics.skipped == 1 else 's are'}"
        problems.append(f"{lines} of its {run_folder.METRICS} not the trainer's: left out.")
    if metrics.torn and state != "running":  # no trainer will finish that line
        problems.append(f"The last line of its {run_folder.METRICS} is cut short: left out.")
    has_checkpoint = (path / run_folder.CHECKPOINT).is_file()
    if status_problem:  # the state comes from the problem: say it, and what to do
        hint = "Resume continues from its last checkpoint." if has_checkpoint and config else "Start a new run."
        message = f"{problems[0]} {hint}"
    accuracies = [a for a in metrics.column("val_accuracy", epochs=True) if a is not None]
    # training seconds so far: the later of the last step and the last epoch that say (elapsed only grows,
    # across resumes too), found from the end: a long run's page does not walk all its records
    elapsed = max(_last_elapsed(metrics.steps), _last_elapsed(metrics.epochs))
    return RunInfo(
        run_id=path.name,
        path=path,
        state=state,
        message=message,
        dataset=config.settings.dataset if config else "?",
        step=status.step if status else 0,
        total_steps=(status and status.total_steps) or (config and config.total_steps) or 0,
        best_accuracy=max(accuracies) if accuracies else None,
        duration_s=float(elapsed),
        created_at=(config and config.created_at) or path.stat().st_mtime,
        updated_at=status.updated_at if status else 0.0,
        has_checkpoint=has_checkpoint,
        pid=None if status_problem or status is None else status.pid,
        settings=asdict(config.settings) if config else {},
        network=config.network.to_dict() if config else {},
        problem=" ".join(problems) or None,
        queued_at=status.queued_at if status and state == "queued" else None,
        stopping=state == "running" and (path / run_folder.STOP).exists(),
        startup_s=config.startup_s if config else None,
    )


def _read(reader: Callable[[Path], T], path: Path, problems: list[str]) -> T | None:
    """``reader(path)``, or None with the reason added to ``problems``."""
    try:
        return reader(path)
    except AlexNetError as error:
        problems.append(error.reason)
        return None


def _last_elapsed(records: Sequence[dict[str, Any]]) -> float:
    return next((r["elapsed"] for r in reversed(records) if r.get("elapsed") is not None), 0.0)


def _alive(status: RunStatus | None) -> bool:
    return status is not None and trainer_process.is_running(status.pid, status.updated_at)


def list_runs(directory: str | Path | None = None) -> list[RunInfo]:
    """Every run in the runs directory, newest first."""
    root = runs_dir(directory)
    if not root.is_dir():
        return []
    # folders whose names are not run ids (hidden, dotted, copied in by hand) are not runs
    names = [p.name for p in root.iterdir() if RUN_ID_PATTERN.fullmatch(p.name) and len(p.name) <= MAX_RUN_ID_LENGTH]
    runs = [
        info
        for name in names
        if (root / name).is_dir() and (root / name / run_folder.STATUS).exists()
        and (info := _still_there(root / name)) is not None
    ]  # fmt: skip
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)


def _still_there(path: Path) -> RunInfo | None:
    """``get_run(path)``, or None for a run removed while the folder was read (a queued run cancelled)."""
    try:
        return get_run(path)
    except (AlexNetError, FileNotFoundError):
        if path.is_dir():
            raise
        return None


def active_run(directory: str | Path | None = None) -> RunInfo | None:
    """The run whose process is training right now, if any."""
    return next((run for run in list_runs(directory) if run.active), None)


def _interrupted_message(path: Path) -> str:
    checkpoint = (path / run_folder.CHECKPOINT).is_file()
    message = "The training process ended without saying why (killed, or the machine restarted). " + (
        "Resume continues from the last checkpoint." if checkpoint else "It saved no checkpoint: start a new run."
    )
    last = run_folder.last_log_line(path)
    return message + (f" Last line of {run_folder.LOG}: {last}" if last else "")


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


def progress(run: RunInfo, metrics: Metrics) -> Progress:
    """Steps done of all, epochs, speed, and the time left: (total - step) * elapsed / step."""
    epochs = run.settings.get("epochs", 0)  # a checked whole number, or 0 when config.json is unreadable
    last = metrics.steps[-1] if metrics.steps else None
    step = max(run.step, last["step"] if last else 0)
    total = max(run.total_steps, step, 1)
    eta = None
    if last and last["step"] > 0 and run.active and last.get("elapsed") is not None:
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


def typical_startup(infos: list[RunInfo], last: int = STARTUP_RUNS) -> tuple[float, int] | None:
    """(median seconds from launch to first step, runs it is the median of) over the newest ``last``
    runs in ``infos`` (newest first) that recorded one: importing torch, loading the data and building
    the model, as this machine did it. None when no run has recorded it yet."""
    seconds = [info.startup_s for info in infos if info.startup_s is not None][:last]
    return (statistics.median(seconds), len(seconds)) if seconds else None


def logged_speed(infos: list[RunInfo], network: dict[str, Any], batch_size: int) -> tuple[float, str] | None:
    """(images per second, run id) as logged by the first run in ``infos`` (newest first, as
    ``list_runs`` gives them) that trained ``network`` (``AlexNetConfig.to_dict()``) at ``batch_size``
    and has logged a speed: the trainer's own measure on this machine.

    The median of its last ``SPEED_STEPS`` logged steps, not the last one alone: one step is one
    sample of a shared machine (a run that finished beside an experiment logged 112 images/s on
    its last step, against about 2,000 on most of them, and a new run's estimate read 9 minutes
    an epoch for one that takes 30 s)."""
    for info in infos:
        if info.network == network and info.settings.get("batch_size") == batch_size and info.step:
            logged = [s.get("images_per_sec") for s in read_metrics(info.path).steps[-SPEED_STEPS:]]
            speeds = [float(v) for v in logged if isinstance(v, int | float) and v > 0]
            if speeds:
                return statistics.median(speeds), info.run_id
    return None
