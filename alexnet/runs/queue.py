"""The run queue: runs that wait for a free slot, started oldest first when a run ends.

A queued run is an ordinary run directory, made at once (network.json, config.json), whose
status.json says::

    {"state": "queued", "queued_at": t, "launch": {"resume": false, "overrides": {}}, ...}

so the queue lives in the runs folder: a page reload, a second tab or a restarted server reads
the same queue, and nothing is held in memory. ``launch`` says how to start it: a new run's
arguments are rebuilt from its config.json (checked by ``alexnet.training.run_folder.read``); a queued
resume keeps its overrides and the status it had before (``previous``), which a cancel restores.

At most ``max_runs()`` trainers run at once (``ALEXNET_MAX_RUNS``, default 1: two trainers
would share the same CPU cores). Every change happens under ``trainer_process.start_lock``, so
two tabs, or a page and an ending trainer, never launch the same run twice. Who moves the queue
on: the trainer, as it ends (``python -m alexnet train`` calls ``advance_queue``); and every page
that reads the runs, which covers a trainer killed with SIGKILL (it is then seen as interrupted).
"""

from __future__ import annotations

import heapq
import os
import shutil
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from alexnet.errors import AlexNetError
from alexnet.runs import trainer_process
from alexnet.runs.catalog import RunInfo, get_run
from alexnet.training import run_folder
from alexnet.training.run_folder import MAX_RUN_ID_LENGTH, RUN_ID_PATTERN, runs_dir
from alexnet.training.run_folder.read import RunStatus
from alexnet.training.settings import TrainSettings

MAX_RUNS_ENV = "ALEXNET_MAX_RUNS"
DEFAULT_MAX_RUNS = 1
WAITING = "Waiting for its turn: it starts when a run before it ends."
_SETTING_NAMES = frozenset(f.name for f in fields(TrainSettings))


def max_runs(value: int | None = None) -> int:
    """How many runs may train at once: ``value``, else ``$ALEXNET_MAX_RUNS``, else 1.

    Raises:
        AlexNetError: not a whole number of at least 1.
    """
    raw = value if value is not None else os.environ.get(MAX_RUNS_ENV) or DEFAULT_MAX_RUNS
    try:
        count = int(raw)
    except (TypeError, ValueError):
        count = 0
    if count < 1 or str(count) != str(raw).strip():
        raise AlexNetError(
            f"{MAX_RUNS_ENV}={raw!r} is not a number of runs that may train at once.",
            fix=f"set {MAX_RUNS_ENV} to a whole number such as 1 (the default) or 2.",
        )
    return count


# ---------------------------------------------------------------- reading the queue


def _statuses(root: Path) -> list[tuple[Path, RunStatus]]:
    """(run folder, status) of every run whose status.json can be read: the cheap scan every poll makes.

    Only status files are read (no metrics), and a broken one is left out: ``get_run`` explains it.
    """
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        if not (RUN_ID_PATTERN.fullmatch(path.name) and len(path.name) <= MAX_RUN_ID_LENGTH):
            continue
        try:
            status = run_folder.read_status(path)
        except (AlexNetError, OSError):
            continue
        if status is not None:
            found.append((path, status))
    return found


def _waiting(found: list[tuple[Path, RunStatus]]) -> list[Path]:
    """The queued run folders, oldest first (ties by run id: the order is the same in every process)."""
    queued = [(s.queued_at or s.updated_at, p.name, p) for p, s in found if s.state == "queued"]
    return [path for _, _, path in sorted(queued)]


def _active(found: list[tuple[Path, RunStatus]], ending: str | None = None) -> int:
    """Runs whose trainer is alive; ``ending``, a trainer on its way out, is not counted."""
    running = [status for path, status in found if status.state == "running" and path.name != ending]
    return sum(1 for status in running if trainer_process.is_running(status.pid, status.updated_at))


def queued_runs(directory: str | Path | None = None) -> list[RunInfo]:
    """The runs waiting in the queue, oldest (next to start) first."""
    return [get_run(path) for path in _waiting(_statuses(runs_dir(directory)))]


def queue_position(run: RunInfo | str | Path, directory: str | Path | None = None) -> int | None:
    """Where ``run`` stands in the queue (1: starts next), or None when it is not queued."""
    name = run.run_id if isinstance(run, RunInfo) else Path(run).name
    root = run.path.parent if isinstance(run, RunInfo) else Path(run).parent if isinstance(run, Path) else None
    waiting = [path.name for path in _waiting(_statuses(root or runs_dir(directory)))]
    return waiting.index(name) + 1 if name in waiting else None


# ---------------------------------------------------------------- joining and leaving


def admit(
    path: Path,
    resume: dict[str, Any] | None,
    *,
    allow_parallel: bool = False,
    limit: int | None = None,
) -> None:
    """Launch the run in ``path`` now if a slot is free, else queue it. The caller holds the start lock.

    Args:
        path: a run folder: a new run's (network.json and config.json written) or one to resume.
        resume: None for a new run, else the overrides of its resume (``{"epochs": 20}``).
        allow_parallel: launch at once whatever runs (tests, the command line).
        limit: runs at once (default ``max_runs()``).
    """
    root = path.parent
    count = max_runs(limit)
    if not allow_parallel:
        _advance_locked(root, count)  # runs queued before this one go first, never behind it
    found = _statuses(root)
    if allow_parallel or (_active(found) < count and not _waiting(found)):
        _launch(path, resume)
        return
    old = run_folder.read_json(path / run_folder.STATUS) or {}
    now = time.time()
    status = {"state": "queued", "pid": None, "message": WAITING, "updated_at": now, "queued_at": now}
    status["launch"] = {"resume": resume is not None, "overrides": resume or {}}
    if resume is not None:
        status["previous"] = old  # what a cancel puts back: the run is stopped or interrupted again
        status |= {k: old[k] for k in ("step", "total_steps", "epoch") if k in old}
    run_folder.write_json(path / run_folder.STATUS, status)


def advance_queue(
    directory: str | Path | None = None, *, limit: int | None = None, ending: str | None = None
) -> list[RunInfo]:
    """Start queued runs, oldest first, while fewer than ``limit`` (``max_runs()``) train; returns those started.

    Cheap when nothing is queued (it reads status files only, and takes no lock), and safe to call
    from every poll of every page: under the start lock, a run is launched once whoever calls.

    Args:
        ending: the run id of a trainer calling this as it ends: not counted as training.
    """
    root = runs_dir(directory)
    if not _waiting(_statuses(root)):
        return []
    with trainer_process.start_lock(root):
        started = _advance_locked(root, max_runs(limit), ending)
    return [get_run(path) for path in started]


def cancel_queued(run: RunInfo | str | Path, directory: str | Path | None = None) -> bool:
    """Take a queued run out of the queue; returns False when it is no longer queued (it started).

    A queued new run is removed with its folder. A queued resume is not: its checkpoint stays and
    the run goes back to the state it had (stopped, finished, interrupted...).
    """
    path = run.path if isinstance(run, RunInfo) else get_run(run, directory).path
    with trainer_process.start_lock(path.parent):
        status = run_folder.read_json(path / run_folder.STATUS) if path.is_dir() else None
        if not status or status.get("state") != "queued":
            return False
        if status.get("launch", {}).get("resume"):
            run_folder.write_json(path / run_folder.STATUS, status.get("previous") or {"state": "stopped"})
            return True
        # renamed first, in one step: a page listing the runs never sees a half-deleted run
        gone = path.with_name(f".cancelled-{path.name}-{os.getpid()}")
        path.rename(gone)
        shutil.rmtree(gone, ignore_errors=True)
    return True


# ---------------------------------------------------------------- launching


def _advance_locked(root: Path, count: int, ending: str | None = None) -> list[Path]:
    started: list[Path] = []
    found = _statuses(root)
    free = count - _active(found, ending)
    for path in _waiting(found)[: max(free, 0)]:
        status = run_folder.read_json(path / run_folder.STATUS) or {}
        launch = status.get("launch") if isinstance(status.get("launch"), dict) else {}
        try:
            _launch(path, _overrides(launch) if launch.get("resume") else None)
        except (AlexNetError, OSError) as exc:  # said in the run's status; the queue moves on
            reason = exc.message if isinstance(exc, AlexNetError) else f"{exc.strerror or exc}"
            failed = {"state": "failed", "pid": None, "message": f"It could not start: {reason}"}
            run_folder.write_json(path / run_folder.STATUS, failed | {"updated_at": time.time()})
            continue
        started.append(path)
    return started


def _overrides(launch: dict[str, Any]) -> dict[str, Any]:
    """A queued resume's overrides: setting names and plain values only (the file could be edited)."""
    overrides = launch.get("overrides")
    if not isinstance(overrides, dict):
        return {}
    return {
        k: v
        for k, v in overrides.items()
        if k in _SETTING_NAMES and isinstance(v, (int, float, str)) and not isinstance(v, bool)
    }


def _launch(path: Path, resume: dict[str, Any] | None) -> None:
    """Start the trainer of a new run (its arguments from its config.json) or of a resume."""
    if resume is None:
        config = run_folder.read_config(path)
        if config is None:
            raise AlexNetError(f"Run {path.name} has no {run_folder.CONFIG}.", fix="start a new run.")
        args = ["--config", str(path / run_folder.NETWORK), "--run-id", path.name, *settings_args(config.settings)]
        trainer_process.launch(path, path.parent, args, "starting")
        return
    args = ["--resume", path.name]
    for name, value in resume.items():
        if value is not None:
            args += ["--" + name.replace("_", "-"), str(value)]
    trainer_process.launch(path, path.parent, args, "resuming")


def settings_args(settings: TrainSettings) -> list[str]:
    """``settings`` as options of ``python -m alexnet train`` (``--epochs 10 --download``...)."""
    args: list[str] = []
    for field in fields(TrainSettings):
        value = getattr(settings, field.name)
        if value is None or value is False:
            continue
        flag = "--" + field.name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    return args


# ---------------------------------------------------------------- how long the wait is


def estimated_wait(
    run: RunInfo, infos: list[RunInfo], durations: dict[str, float | None], limit: int | None = None
) -> float | None:
    """Seconds until ``run`` (queued) should start, or None when a run ahead of it has no estimate.

    ``limit`` slots free up as the training runs end (``durations[run_id]``: the seconds each has
    left); each queued run ahead takes the slot that frees first and holds it for its own
    ``durations`` entry, so with one slot the wait is the sum of everything ahead.
    """
    training = [durations.get(info.run_id) for info in infos if info.active]
    ahead = sorted((i for i in infos if i.queued and (i.queued_at or 0, i.run_id) < (run.queued_at or 0, run.run_id)),
                   key=lambda i: (i.queued_at or 0, i.run_id))  # fmt: skip
    needed = [durations.get(info.run_id) for info in ahead]
    if any(d is None for d in training + needed):
        return None
    slots = [float(d or 0.0) for d in training][: max_runs(limit)]
    slots += [0.0] * (max_runs(limit) - len(slots))
    heapq.heapify(slots)
    for seconds in needed:
        heapq.heapreplace(slots, slots[0] + float(seconds or 0.0))
    return slots[0]
