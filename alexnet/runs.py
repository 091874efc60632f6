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
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from alexnet import rundir
from alexnet.config import AlexNetConfig
from alexnet.errors import AlexNetError
from alexnet.model import AlexNet, build_model, load_weights
from alexnet.shapes import layer_table
from alexnet.train import TrainSettings

STARTING_GRACE_S = 30.0  # a status without a pid (just launched) counts as running this long
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
    """The directory of ``run``: a run id inside the runs directory, or a path to the run itself."""
    path = Path(run)
    if path.is_dir() and (path / rundir.STATUS).exists():
        return path
    candidate = runs_dir(directory) / str(run)
    if not candidate.is_dir():
        raise AlexNetError(f"There is no run {str(run)!r} in {runs_dir(directory)}.")
    return candidate


def get_run(run: str | Path, directory: str | Path | None = None) -> RunInfo:
    """What the run directory says about ``run``, with a dead process reported as interrupted."""
    path = run_path(run, directory)
    status = rundir.read_json(path / rundir.STATUS) or {}
    config = rundir.read_json(path / rundir.CONFIG) or {}
    metrics = read_metrics(path)
    accuracies = [a for a in metrics.column("val_accuracy", epochs=True) if a is not None]
    last = (metrics.steps or metrics.epochs or [{}])[-1]
    state = status.get("state", "running")
    if state == "running" and not _running(status):
        # read again: the launcher or the trainer may have just replaced status.json
        status = rundir.read_json(path / rundir.STATUS) or status
        state = status.get("state", "running")
        if state == "running" and not _running(status):
            state = "interrupted"
    training = config.get("training", {})
    return RunInfo(
        run_id=path.name,
        path=path,
        state=state,
        message=status.get("message", "") if state != "interrupted" else _interrupted_message(path),
        dataset=training.get("dataset", status.get("dataset", "?")),
        step=int(status.get("step", 0)),
        total_steps=int(status.get("total_steps", config.get("total_steps", 0))),
        best_accuracy=max(accuracies) if accuracies else None,
        duration_s=float(last.get("elapsed", 0.0)),
        created_at=float(config.get("created_at", status.get("created_at", path.stat().st_mtime))),
        updated_at=float(status.get("updated_at", 0.0)),
        has_checkpoint=(path / rundir.CHECKPOINT).is_file(),
        pid=status.get("pid"),
        settings=training,
        network=config.get("network", {}),
    )


def list_runs(directory: str | Path | None = None) -> list[RunInfo]:
    """Every run in the runs directory, newest first."""
    root = runs_dir(directory)
    if not root.is_dir():
        return []
    runs = [get_run(p) for p in root.iterdir() if p.is_dir() and (p / rundir.STATUS).exists()]
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
    root = runs_dir(directory)
    _one_at_a_time(root, allow_parallel)
    run_id = rundir.new_run_id(root, settings.dataset)
    path = root / run_id
    path.mkdir(parents=True)
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
    _launch(path, root, args, "starting")
    return get_run(path)


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
    _one_at_a_time(info.path.parent, allow_parallel)
    args = ["--resume", info.run_id]
    for name, value in overrides.items():
        if value is not None:
            args += ["--" + name.replace("_", "-"), str(value)]
    _launch(info.path, info.path.parent, args, "resuming")
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


def _launch(path: Path, root: Path, args: list[str], message: str) -> None:
    """Start the trainer for ``path`` and record its pid in status.json."""
    old = rundir.read_json(path / rundir.STATUS) or {}
    keep = {k: old[k] for k in ("step", "total_steps", "epoch") if k in old}
    rundir.write_json(
        path / rundir.STATUS, {"state": "running", "pid": None, "message": message, "updated_at": time.time()} | keep
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(rundir.REPO_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "alexnet", "train", *args, "--runs-dir", str(root), "--no-progress"]
    with (path / rundir.LOG).open("a") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=rundir.REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: survives the page, and a Ctrl-C meant for the server
        )
    # The trainer needs seconds to import torch before it writes its own status, so this lands first.
    status = rundir.read_json(path / rundir.STATUS) or {}
    if status.get("pid") is None:
        rundir.write_json(path / rundir.STATUS, status | {"pid": process.pid, "updated_at": time.time()})


def _running(status: dict[str, Any]) -> bool:
    """Whether the process a "running" status names is alive (not gone, not a zombie)."""
    pid = status.get("pid")
    if not pid:
        return time.time() - float(status.get("updated_at", 0)) < STARTING_GRACE_S
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps our own dead child, which would look alive
        if finished:
            return False
    except ChildProcessError:
        pass  # not our child: ask the system below
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but someone else's
    try:  # a zombie of another parent, or a recycled pid that is not a trainer at all
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
        if b"alexnet" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return True
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust the signal check
    # Alive but not recognisably a trainer: /proc/<pid>/cmdline can read empty, or still show the
    # parent's, while a process starts. Only a status that has not moved for a while can name a
    # recycled pid (after a reboot, say).
    return time.time() - float(status.get("updated_at", 0)) < STARTING_GRACE_S


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


def format_duration(seconds: float | None) -> str:
    """``75`` -> ``"1 min 15 s"``; ``None`` -> ``"-"``."""
    if seconds is None:
        return "-"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def table_rows(infos: list[RunInfo]) -> list[dict[str, Any]]:
    """One plain row per run for a table: state, dataset, network, optimizer, best accuracy, duration."""
    rows = []
    for info in infos:
        net, training = info.network, info.settings
        rows.append(
            {
                "run": info.run_id,
                "state": info.state,
                "dataset": info.dataset,
                "network": f"{net['input_size']} px, {len(net['blocks'])} blocks" if net else "",
                "optimizer": f"{training['optimizer']} lr {training['lr']:g}" if training else "",
                "best accuracy (%)": None if info.best_accuracy is None else round(100 * info.best_accuracy, 1),
                "steps": f"{info.step} / {info.total_steps}",
                "duration": format_duration(info.duration_s),
                "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created_at)),
            }
        )
    return rows
