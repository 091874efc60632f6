"""Starting, resuming and stopping runs, each a ``python -m alexnet train`` process.

A run starts at once when fewer than ``queue.max_runs()`` train (default one: they would share
the CPU cores), else it joins the queue (``alexnet.runs.queue``) and starts when a run ends.
The process starts in its own session, so a page reload or a closed terminal does not stop it;
``alexnet.runs.trainer_process`` owns the operating-system side.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from alexnet.errors import AlexNetError, first_line
from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_training_memory
from alexnet.network.shapes import layer_table
from alexnet.runs import queue, trainer_process
from alexnet.runs.catalog import RunInfo, get_run
from alexnet.training import run_folder
from alexnet.training.run_folder import runs_dir
from alexnet.training.settings import TrainSettings


def start_run(
    config: AlexNetConfig,
    settings: TrainSettings,
    *,
    directory: str | Path | None = None,
    allow_parallel: bool = False,
    max_runs: int | None = None,
) -> RunInfo:
    """Launch ``python -m alexnet train`` on ``config`` in its own process, or queue it; return the new run.

    The run directory is made at once. The process starts now if fewer than ``max_runs``
    (``queue.max_runs()``: ``ALEXNET_MAX_RUNS``, default 1) train and nothing waits before it;
    else the run is ``queued`` and starts when a run ends. It starts in its own session (a page
    reload or a closed terminal does not stop it) and writes its output to ``train.log``.

    Args:
        allow_parallel: launch at once whatever else trains (tests, the command line).

    Returns:
        The run, in state ``running`` or ``queued`` (``queue.queue_position`` says where).

    Raises:
        AlexNetError: the network cannot work, or bad settings.
    """
    settings.check()
    layer_table(config)  # an impossible network is explained here, before a run directory exists
    check_training_memory(config, settings)
    queue.max_runs(max_runs)  # a bad ALEXNET_MAX_RUNS is said before a run directory exists
    root = runs_dir(directory)
    # check-then-start under one lock: two tabs pressing Start together start one run and queue the other
    try:
        with trainer_process.start_lock(root):
            run_id = run_folder.new_run_id(root, settings.dataset)
            path = root / run_id
            path.mkdir(parents=True)
            try:
                _write_run(config, settings, path, run_id)
                queue.admit(path, None, allow_parallel=allow_parallel, limit=max_runs)
            except OSError:
                shutil.rmtree(path, ignore_errors=True)  # no half-made run is left behind to list
                raise
    except OSError as exc:  # a full disk, a read-only runs folder, no Python to start
        raise AlexNetError(
            f"The run could not be started in {root}: {exc.strerror or first_line(exc)}.",
            fix="check that the runs folder is writable and has free space (ALEXNET_RUNS_DIR moves it).",
        ) from exc
    return get_run(path)


def _write_run(config: AlexNetConfig, settings: TrainSettings, path: Path, run_id: str) -> None:
    """network.json and config.json: what the run will be, before its trainer runs (now or queued)."""
    config.save(path / run_folder.NETWORK)
    # what the run will be, readable at once; the trainer rewrites it with the dataset's facts
    preliminary = {
        "run_id": run_id,
        "created_at": time.time(),
        "network": config.to_dict(),
        "training": asdict(settings),
    }
    run_folder.write_json(path / run_folder.CONFIG, preliminary)


def resume_run(
    run: str | Path,
    *,
    directory: str | Path | None = None,
    allow_parallel: bool = False,
    max_runs: int | None = None,
    **overrides: Any,
) -> RunInfo:
    """Continue ``run`` from its checkpoint in a new process, now or when its turn in the queue
    comes (as ``start_run``); ``overrides`` (e.g. ``epochs=20``) change its saved training settings.
    A run stopped before its first step (no checkpoint, nothing trained) starts from the beginning.

    Raises:
        AlexNetError: the run is still going or already queued, or has no checkpoint.
    """
    info = get_run(run, directory)
    _refuse_twice(info)
    if not (info.has_checkpoint or info.starts_over):
        raise AlexNetError(f"Run {info.run_id} has no checkpoint to resume from.", fix="start a new run.")
    wanted = {name: value for name, value in overrides.items() if value is not None}
    try:
        with trainer_process.start_lock(info.path.parent):
            _refuse_twice(get_run(info.path), again=True)  # another tab resumed it a moment ago
            queue.admit(info.path, wanted, allow_parallel=allow_parallel, limit=max_runs)
    except OSError as exc:
        raise AlexNetError(
            f"Run {info.run_id} could not be resumed: {exc.strerror or first_line(exc)}.",
            fix="check that its folder is writable and the disk has free space.",
        ) from exc
    return get_run(info.path)


def _refuse_twice(info: RunInfo, *, again: bool = False) -> None:
    if info.active:
        said = "already running again" if again else "still running"
        raise AlexNetError(f"Run {info.run_id} is {said}.", fix="watch it in the live view, or stop it first.")
    if info.queued:
        raise AlexNetError(f"Run {info.run_id} is already in the queue.", fix="it starts when the run before it ends.")


def stop_run(run: str | Path, directory: str | Path | None = None) -> bool:
    """Ask a run to stop; returns whether there was a trainer to ask or a queued run to cancel.

    A queued run leaves the queue (``queue.cancel_queued``). A running one gets a stop request in
    its folder (``run_folder.STOP``), which its trainer watches from before its first step: it
    finishes the step it is in, saves a checkpoint and marks itself stopped; asked before its
    first step, it stops without training. No signal is sent: one that reached the process before
    its handler was installed would kill it, and the run would read "interrupted".

    Raises:
        AlexNetError: the request cannot be written (a read-only folder, another user's run).
    """
    info = get_run(run, directory)
    if info.queued:
        if queue.cancel_queued(info):
            return True
        info = get_run(info.path)  # it left the queue a moment ago: it is starting
    if not info.active:
        return False
    try:
        run_folder.request_stop(info.path)
    except OSError as exc:
        raise AlexNetError(
            f"Run {info.run_id} could not be asked to stop: {exc.strerror or first_line(exc)}.",
            fix=f"stop it from the terminal that started it (kill {info.pid}), or as the user who owns {info.path}."
            if info.pid
            else f"check that {info.path} is writable.",
        ) from exc
    return True
