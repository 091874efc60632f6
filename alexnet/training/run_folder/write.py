"""The writers of a run folder: whole files replaced atomically, metrics appended a line at a time.

Writers replace whole files through a temporary file and ``os.replace`` (atomic on POSIX), so a
reader, or a trainer killed with SIGKILL, never leaves a half-written status or checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch

from alexnet.training.run_folder.layout import STOP


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file in the same folder, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The object in ``path``, or ``None`` if it is missing or unreadable: for writers that merge
    into a file (a status keeps its step counts). Readers use ``alexnet.training.run_folder.read``."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def request_stop(run_dir: Path) -> None:
    """Ask the trainer of ``run_dir`` to stop: the file it watches (``alexnet.training.stop_signal``)."""
    write_json(run_dir / STOP, {"requested_at": time.time()})


def withdraw_stop(run_dir: Path) -> None:
    """Remove the stop request, if any: a trainer about to start, or one writing its final state."""
    (run_dir / STOP).unlink(missing_ok=True)


class MetricsWriter:
    """Appends one JSON line per record to metrics.jsonl and flushes it at once."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")
        # a trainer killed mid-write left a torn last line: end it, or the first record of the
        # resumed run would be glued to it and lost with it
        if self._file.tell() and _last_byte(path) != b"\n":
            self._file.write("\n")
            self._file.flush()

    def write(self, record: dict[str, Any]) -> None:
        # one write call per line: a reader sees whole lines, or a torn last line it skips
        clean = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}
        self._file.write(json.dumps(clean, default=_jsonable) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file, then rename over ``path``: never a half-written checkpoint."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _jsonable(value: Any) -> Any:
    """JSON for what ``json`` cannot write itself (paths)."""
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
