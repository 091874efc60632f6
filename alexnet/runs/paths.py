"""Where runs live: the runs directory, and the folder of one run, checked before it is opened."""

from __future__ import annotations

from pathlib import Path

from alexnet.errors import AlexNetError
from alexnet.training import run_folder
from alexnet.training.run_id import resolve_run_dir


def runs_dir(path: str | Path | None = None) -> Path:
    """``path``, else ``$ALEXNET_RUNS_DIR``, else ``<repo>/runs``."""
    return Path(path) if path else run_folder.default_runs_dir()


def run_path(run: str | Path, directory: str | Path | None = None) -> Path:
    """The directory of ``run``, an existing run directory inside the runs directory.

    ``run`` is a run id (a ``str``, from a page, the CLI, a link or the runs table), checked by
    ``alexnet.training.run_id`` and resolved inside ``directory``; or a ``Path`` to a run directory that the
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
