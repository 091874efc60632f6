"""What the runs directory holds: one ``RunInfo`` per run (a dead process reported as interrupted), and how far it is.

States: the trainer writes running, finished, stopped, failed or diverged. A run whose
status still says running but whose process is gone (killed, machine restarted) is reported
as ``interrupted``; it can be resumed from its last checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alexnet.runs import trainer_process
from alexnet.runs.curves import Metrics, read_metrics
from alexnet.runs.paths import run_path, runs_dir
from alexnet.training import run_folder
from alexnet.training.run_id import MAX_RUN_ID_LENGTH, RUN_ID_PATTERN

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


def get_run(run: str | Path, directory: str | Path | None = None) -> RunInfo:
    """What the run directory says about ``run``, with a dead process reported as interrupted.

    A status.json that is not what the trainer writes (garbage, hand-edited, another program's)
    makes the run ``interrupted`` with a message saying so: it is never trusted for a pid.

    Raises:
        AlexNetError: not a run id, or no such run.
    """
    path = run_path(run, directory)
    status, problem = _read_status(path)
    config = run_folder.read_json(path / run_folder.CONFIG) or {}
    metrics = read_metrics(path)
    accuracies = [a for a in metrics.column("val_accuracy", epochs=True) if isinstance(a, (int, float))]
    last = (metrics.steps or metrics.epochs or [{}])[-1]
    state = status.get("state", "running")
    if state == "running" and not trainer_process.is_running(status):
        # read again: the launcher or the trainer may have just replaced status.json
        status, problem = _read_status(path)
        state = status.get("state", "running")
        if state == "running" and not trainer_process.is_running(status):
            state = "interrupted"
    message = status.get("message", "") if state != "interrupted" else _interrupted_message(path)
    if problem:
        state = "interrupted"
        resumable = (path / run_folder.CHECKPOINT).is_file()
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
        has_checkpoint=(path / run_folder.CHECKPOINT).is_file(),
        pid=status.get("pid"),
        settings=training,
        network=_dict(config.get("network")),
    )


def _read_status(path: Path) -> tuple[dict[str, Any], str | None]:
    """status.json as the trainer writes it, or ({}, what is wrong with it)."""
    file = path / run_folder.STATUS
    status = run_folder.read_json(file)
    if status is None:
        if not file.exists():
            return {}, None  # just created by start_run: the launcher writes it a moment later
        return {}, f"Its {run_folder.STATUS} cannot be read (not a JSON object: damaged or written by another program)."
    pid, state = status.get("pid"), status.get("state", "running")
    if state not in run_folder.STATES or not (pid is None or (isinstance(pid, int) and pid > 0)):
        return {}, f"Its {run_folder.STATUS} does not look like the trainer's (state {str(state)[:40]!r})."
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
    runs = [
        get_run(root / name) for name in names if (root / name).is_dir() and (root / name / run_folder.STATUS).exists()
    ]
    return sorted(runs, key=lambda r: (r.created_at, r.run_id), reverse=True)


def active_run(directory: str | Path | None = None) -> RunInfo | None:
    """The run whose process is training right now, if any."""
    return next((run for run in list_runs(directory) if run.active), None)


def _interrupted_message(path: Path) -> str:
    checkpoint = (path / run_folder.CHECKPOINT).is_file()
    message = "The training process ended without saying why (killed, or the machine restarted). " + (
        "Resume continues from the last checkpoint." if checkpoint else "It saved no checkpoint: start a new run."
    )
    try:
        lines = (path / run_folder.LOG).read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return message + (f" Last line of {run_folder.LOG}: {lines[-1].strip()}" if lines else "")


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
