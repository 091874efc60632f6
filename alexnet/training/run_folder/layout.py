"""Where runs live and what their files are called: the runs directory, run ids, file names, states.

The project names its runs ``YYYYmmdd-HHMMSS-<dataset>`` (``-2``, ``-3``... when taken; see
``new_run_id``), and ``python -m alexnet train --run-id`` takes a plain name.
Both fit one fixed pattern: letters, digits, ``-`` and ``_``, starting with a letter or digit,
at most ``MAX_RUN_ID_LENGTH`` characters. No ``/``, no ``.``: an id can never name ``..``, an
absolute path or a hidden file, and the resolved folder is checked to sit directly inside the
runs directory (a symbolic link pointing elsewhere is refused too): ``run_path`` is the one gate
every run id passes through, from the UI, the CLI, a link or the runs table.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from alexnet.errors import AlexNetError

CONFIG = "config.json"
LAUNCHED_AT_ENV = "ALEXNET_LAUNCHED_AT"  # the launcher's Unix time at Popen, for config.json's "startup_s"
NETWORK = "network.json"
METRICS = "metrics.jsonl"
STATUS = "status.json"
CHECKPOINT = "checkpoint.pt"
LOG = "train.log"
STOP = "stop.request"
RUNS_DIR_ENV = "ALEXNET_RUNS_DIR"
REPO_ROOT = Path(__file__).resolve().parents[3]
# "queued": written by ``alexnet.runs.queue`` for a run that waits its turn; the trainer writes the rest
STATES = ("queued", "running", "finished", "stopped", "failed", "diverged")

MAX_RUN_ID_LENGTH = 64  # "20250101-120000-cifar10-12" is 26; file systems allow 255
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
EXAMPLE = "20250101-120000-digits"


def check_run_id(run_id: object) -> str:
    """``run_id`` itself if it is a name the project could have made, else an ``AlexNetError``."""
    if not isinstance(run_id, str) or not run_id:
        raise AlexNetError(
            "A run id is needed, and none was given.", fix=f"give the name of a run folder, like {EXAMPLE}."
        )
    shown = run_id if len(run_id) <= 40 else run_id[:37] + "..."
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise AlexNetError(
            f"The run id {shown!r} is {len(run_id)} characters long; run ids have at most {MAX_RUN_ID_LENGTH}.",
            fix=f"use the name of a run folder, like {EXAMPLE}.",
        )
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise AlexNetError(
            f"{shown!r} is not a run id: a run id is the name of a folder in the runs directory, made of "
            "letters, digits, '-' and '_' only (no '/', no '.'), starting with a letter or digit.",
            fix=f"use a run id from the runs table, like {EXAMPLE}.",
        )
    return run_id


def resolve_run_dir(run_id: object, runs_dir: str | Path) -> Path:
    """The folder of ``run_id`` directly inside ``runs_dir`` (it need not exist yet).

    Raises:
        AlexNetError: ``run_id`` is not a run id, or its folder resolves outside ``runs_dir``.
    """
    name = check_run_id(run_id)
    root = Path(runs_dir)
    path = root / name
    # the pattern rules out "..", "/" and "."; a symbolic link is the only way left out of the folder
    if path.resolve().parent != root.resolve():
        raise AlexNetError(
            f"The run {name!r} points outside the runs directory {root}.",
            fix="remove that link from the runs directory, or choose another run.",
        )
    return path


def default_runs_dir() -> Path:
    """``$ALEXNET_RUNS_DIR`` if set, else ``runs/`` in the repository."""
    return Path(os.environ.get(RUNS_DIR_ENV) or REPO_ROOT / "runs")


def new_run_id(runs_dir: Path, dataset: str) -> str:
    """A readable, sortable, unused name: ``YYYYmmdd-HHMMSS-<dataset>`` (``-2``, ``-3``... if taken)."""
    base = time.strftime("%Y%m%d-%H%M%S") + f"-{dataset}"
    run_id, n = base, 1
    while (runs_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def runs_dir(path: str | Path | None = None) -> Path:
    """``path``, else ``$ALEXNET_RUNS_DIR``, else ``<repo>/runs``."""
    return Path(path) if path else default_runs_dir()


def run_path(run: str | Path, directory: str | Path | None = None) -> Path:
    """The directory of ``run``, an existing run directory inside the runs directory.

    ``run`` is a run id (a ``str``, from a page, the CLI, a link or the runs table), checked by
    ``check_run_id`` and resolved inside ``directory``; or a ``Path`` to a run directory that the
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
