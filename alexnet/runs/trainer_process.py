"""The trainer's process: launching it detached, telling whether it still runs, one start at a time.

``alexnet.runs`` decides what to start; this module owns the operating-system side: the
``python -m alexnet train`` child in its own session, its pid in status.json, the check that a
pid still names a live trainer, and a file lock that makes "check nothing runs, then start"
one step even when two server sessions (two browser tabs) press Start at the same moment.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alexnet.training import run_folder, stop_signal
from alexnet.training.environment import trainer_env

STARTING_GRACE_S = 30.0  # a status without a pid (just launched) counts as running this long
LOCK_FILE = ".start.lock"  # in the runs directory; a dot name is never a run id
# torchrun's process-group settings: a trainer of rank 0 that starts the next queued run must not
# hand them on, or the new single trainer would wait for a second process that never comes
TORCHRUN_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "GROUP_WORLD_SIZE",
                "ROLE_RANK", "ROLE_WORLD_SIZE", "ROLE_NAME", "MASTER_ADDR", "MASTER_PORT")  # fmt: skip


@contextmanager
def start_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the runs directory while a run is checked for and started.

    ``flock`` is released by the kernel when the holder exits, even on SIGKILL: a crashed
    server never leaves the lock stuck.
    """
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def launch(path: Path, root: Path, args: list[str], message: str) -> None:
    """Start the trainer for ``path`` and record its pid in status.json.

    A stop request left by an earlier trainer is removed first: one written from now on is this
    trainer's, and it is seen however early it comes (``alexnet.training.stop_signal``)."""
    run_folder.withdraw_stop(path)
    old = run_folder.read_json(path / run_folder.STATUS) or {}
    keep = {k: old[k] for k in ("step", "total_steps", "epoch") if k in old}
    run_folder.write_json(
        path / run_folder.STATUS,
        {"state": "running", "pid": None, "message": message, "updated_at": time.time()} | keep,
    )
    # allocator settings and thread counts for a fast trainer (alexnet.training.environment)
    base = {k: v for k, v in os.environ.items() if k not in TORCHRUN_ENV and not k.startswith("TORCHELASTIC_")}
    env = trainer_env(dict(base, PYTHONUNBUFFERED="1"))
    env[stop_signal.LAUNCHED_RUN_ENV] = path.name  # a stop request from now on is this trainer's
    env[run_folder.LAUNCHED_AT_ENV] = repr(time.time())  # the trainer records its start-up cost from it
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(run_folder.REPO_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "alexnet", "train", *args, "--runs-dir", str(root), "--no-progress"]
    with (path / run_folder.LOG).open("a") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=run_folder.REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session: survives the page, and a Ctrl-C meant for the server
        )
    # The trainer needs seconds to import torch before it writes its own status, so this lands first.
    status = run_folder.read_json(path / run_folder.STATUS) or {}
    if status.get("pid") is None:
        run_folder.write_json(path / run_folder.STATUS, status | {"pid": process.pid, "updated_at": time.time()})


def is_running(pid: int | None, updated_at: float) -> bool:
    """Whether the process a "running" status names is alive (not gone, not a zombie)."""
    if not pid:
        return time.time() - updated_at < STARTING_GRACE_S
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
    return time.time() - updated_at < STARTING_GRACE_S
