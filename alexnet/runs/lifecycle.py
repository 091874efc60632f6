"""Starting, resuming and stopping runs: one run at a time, each a ``python -m alexnet train`` process.

The process starts in its own session, so a page reload or a closed terminal does not stop it;
``alexnet.runs.trainer_process`` owns the operating-system side.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from alexnet.errors import AlexNetError, first_line
from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_training_memory
from alexnet.network.shapes import layer_table
from alexnet.runs import trainer_process
from alexnet.runs.catalog import RunInfo, active_run, get_run
from alexnet.runs.paths import runs_dir
from alexnet.training import run_folder
from alexnet.training.settings import TrainSettings


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
    try:
        with trainer_process.start_lock(root):
            _one_at_a_time(root, allow_parallel)
            run_id = run_folder.new_run_id(root, settings.dataset)
            path = root / run_id
            path.mkdir(parents=True)
            try:
                _write_and_launch(config, settings, path, root, run_id)
            except OSError:
                shutil.rmtree(path, ignore_errors=True)  # no half-made run is left behind to list
                raise
    except OSError as exc:  # a full disk, a read-only runs folder, no Python to start
        raise AlexNetError(
            f"The run could not be started in {root}: {exc.strerror or first_line(exc)}.",
            fix="check that the runs folder is writable and has free space (ALEXNET_RUNS_DIR moves it).",
        ) from exc
    return get_run(path)


def _write_and_launch(config: AlexNetConfig, settings: TrainSettings, path: Path, root: Path, run_id: str) -> None:
    config.save(path / run_folder.NETWORK)
    # what the run will be, readable at once; the trainer rewrites it with the dataset's facts
    preliminary = {
        "run_id": run_id,
        "created_at": time.time(),
        "network": config.to_dict(),
        "training": asdict(settings),
    }
    run_folder.write_json(path / run_folder.CONFIG, preliminary)
    args = ["--config", str(path / run_folder.NETWORK), "--run-id", run_id]
    for field in fields(TrainSettings):
        value = getattr(settings, field.name)
        if value is None or value is False:
            continue
        flag = "--" + field.name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    trainer_process.launch(path, root, args, "starting")


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
    try:
        with trainer_process.start_lock(info.path.parent):
            _one_at_a_time(info.path.parent, allow_parallel)
            if get_run(info.path).active:  # another tab resumed it a moment ago
                raise AlexNetError(f"Run {info.run_id} is already running again.", fix="watch it in the live view.")
            trainer_process.launch(info.path, info.path.parent, args, "resuming")
    except OSError as exc:
        raise AlexNetError(
            f"Run {info.run_id} could not be resumed: {exc.strerror or first_line(exc)}.",
            fix="check that its folder is writable and the disk has free space.",
        ) from exc
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
    except PermissionError as exc:  # another user's process (a recycled pid, a shared runs folder)
        raise AlexNetError(
            f"Run {info.run_id}'s trainer (process {info.pid}) belongs to another user: this app may not stop it.",
            fix=f"stop it as that user (kill {info.pid}), or from the terminal that started it.",
        ) from exc
    return True


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
