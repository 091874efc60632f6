"""The run directory: the only thing the trainer and its watchers share.

One folder per run, under the runs directory (``ALEXNET_RUNS_DIR``, else ``<repo>/runs``)::

    runs/20250101-120000-digits/
        config.json     network and training settings, dataset facts, step counts, and "startup_s"
                        (seconds from the launcher's Popen to the first step: imports, data, model)
                        when ``alexnet.runs`` launched it (``LAUNCHED_AT_ENV``)
        network.json    the network alone (loadable with ``--config``)
        metrics.jsonl   append-only; one JSON object per line, flushed as written:
                        {"kind": "step", "step", "epoch", "loss", "accuracy", "lr", "images_per_sec", "elapsed"}
                        {"kind": "epoch", "step", "epoch", "train_loss", "val_loss", "val_accuracy", "elapsed"}
                        {"kind": "resume", "step", "elapsed"}  (training restarted from a checkpoint)
        status.json     {"state", "pid", "message", "updated_at", "step", "total_steps", ...}, replaced atomically
                        (a queued run's also says "queued_at" and how to launch it: ``alexnet.runs.queue``)
        checkpoint.pt   model, optimizer, step, epoch, elapsed seconds, RNG state, and the plateau
                        schedule's state ("plateau") when it has one; replaced atomically
        train.log       the trainer's own output, when started by ``alexnet.runs``
        events.out.tfevents.*  TensorBoard's event files (``alexnet.training.tensorboard_log``): the
                        step and epoch records, conv1's filters per epoch, the settings as hparams;
                        one more file per resume. Read by TensorBoard only, never by the app
        stop.request    {"requested_at"}: the Stop button's (``alexnet.runs.stop_run``); the trainer stops
                        after its current step, or before its first (``alexnet.training.stop_signal``).
                        Removed by the launcher before a trainer starts, and by the trainer as it writes
                        its final state

This module writes them; ``alexnet.training.run_files`` is the one reader. Writers replace
whole files through a temporary file and ``os.replace`` (atomic on POSIX), so a
reader, or a trainer killed with SIGKILL, never leaves a half-written status or checkpoint.
Times are Unix seconds; ``elapsed`` is training seconds, carried across resumes.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch

CONFIG = "config.json"
LAUNCHED_AT_ENV = "ALEXNET_LAUNCHED_AT"  # the launcher's Unix time at Popen, for config.json's "startup_s"
NETWORK = "network.json"
METRICS = "metrics.jsonl"
STATUS = "status.json"
CHECKPOINT = "checkpoint.pt"
LOG = "train.log"
STOP = "stop.request"
RUNS_DIR_ENV = "ALEXNET_RUNS_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
# "queued": written by ``alexnet.runs.queue`` for a run that waits its turn; the trainer writes the rest
STATES = ("queued", "running", "finished", "stopped", "failed", "diverged")


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


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file in the same folder, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """The object in ``path``, or ``None`` if it is missing or unreadable: for writers that merge
    into a file (a status keeps its step counts). Readers use ``alexnet.training.run_files``."""
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
