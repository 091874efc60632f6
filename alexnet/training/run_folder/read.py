"""The one reader of a run's files: config.json, status.json, metrics.jsonl, checkpoint.pt, results/.

Everything the app, the command line and a resumed trainer read from a run directory comes
through here as typed values, each field checked before it is used. Whatever is wrong with a
file (unreadable, not JSON, a field missing, of the wrong type or out of range, a checkpoint cut
short) becomes an ``AlexNetError`` that names the run, the file and the field, with the cause
kept (``raise ... from exc``). The writers live in ``write``; the format is in the package's docstring.

metrics.jsonl grows by a line per step for as long as a run trains, and a page re-reads it every
two seconds: ``read_metrics`` keeps each file's records and its byte offset (a few files, least
recently used dropped), and parses only what was appended since.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from cachetools import LRUCache

from alexnet.errors import AlexNetError, first_line
from alexnet.network.config import AlexNetConfig
from alexnet.training.run_folder import layout
from alexnet.training.settings import TrainSettings

FIX = "start a new run; this file was damaged or written by another program."
CHECKPOINT_KEYS = ("model", "optimizer", "step")  # what every checkpoint of ``RunRecorder`` holds
METRIC_NUMBERS = (
    "epoch",
    "elapsed",
    "loss",
    "accuracy",
    "lr",
    "images_per_sec",
    "train_loss",
    "val_loss",
    "val_accuracy",
)
METRICS_CACHE_RUNS = 16  # metrics files kept parsed in a process (a few KB to a few MB each)


def _problem(run_dir: Path, name: str, what: str, fix: str = FIX) -> AlexNetError:
    return AlexNetError(f"Run {run_dir.name}: its {name} {what.rstrip('.')}.", fix=fix)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_object(run_dir: Path, name: str) -> dict[str, Any] | None:
    """A JSON file of the run as a dict; None if it does not exist (yet)."""
    path = run_dir / name
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _problem(run_dir, name, f"cannot be read ({exc.strerror or first_line(exc)})") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise _problem(run_dir, name, f"is not valid JSON ({first_line(exc)})") from exc
    if not isinstance(data, dict):
        raise _problem(run_dir, name, f"holds {type(data).__name__}, not a JSON object")
    return data


def _optional(run_dir: Path, name: str, data: dict[str, Any], key: str, check: Any, what: str) -> Any:
    """``data[key]`` if present and ``check(value)``; None if absent; else an error naming the field."""
    if data.get(key) is None:
        return None
    if not check(data[key]):
        raise _problem(run_dir, name, f'field "{key}" must be {what}, not {data[key]!r:.60}')
    return data[key]


# ---------------------------------------------------------------- config.json


@dataclass(frozen=True)
class RunConfig:
    """config.json: the network as trained, its training settings and the dataset's facts."""

    network: AlexNetConfig
    settings: TrainSettings
    created_at: float | None  # Unix seconds
    total_steps: int | None  # None until the trainer has loaded the data
    classes: tuple[str, ...] | None  # the dataset's class names in output order, once known
    val_images: int | None = None  # images in one validation pass, once known
    val_set: str | None = None  # "test" (the official test set) or "held out"; None from runs before it was saved
    startup_s: float | None = None  # seconds from the launch to the first step; None unless the app launched it


def read_config(run_dir: Path) -> RunConfig | None:
    """The run's config.json, checked; None before ``start_run`` has written it."""
    data = read_object(run_dir, layout.CONFIG)
    if data is None:
        return None
    name = layout.CONFIG
    for key in ("network", "training"):
        if not isinstance(data.get(key), dict):
            raise _problem(run_dir, name, f'has no "{key}" object')
    try:
        network = AlexNetConfig.from_dict(data["network"])
        settings = TrainSettings.from_dict(data["training"])
    except AlexNetError as exc:
        raise _problem(run_dir, name, f"does not describe a run this app can read: {exc.message}") from exc
    dataset = _optional(run_dir, name, data, "dataset", lambda v: isinstance(v, dict), "an object") or {}
    classes = _optional(
        run_dir, name, dataset, "classes", lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
        "a list of class names",
    )  # fmt: skip
    return RunConfig(
        network=network,
        settings=settings,
        created_at=_optional(run_dir, name, data, "created_at", _number, "a time in seconds"),
        total_steps=_optional(run_dir, name, data, "total_steps", lambda v: _whole(v) and v >= 0, "a step count"),
        classes=tuple(classes) if classes else None,
        val_images=_optional(run_dir, name, dataset, "val_images", lambda v: _whole(v) and v >= 0, "an image count"),
        val_set=_optional(run_dir, name, dataset, "val_set", lambda v: isinstance(v, str), "a name"),
        startup_s=_optional(run_dir, name, data, "startup_s", lambda v: _number(v) and v >= 0, "seconds"),
    )


# ---------------------------------------------------------------- status.json


@dataclass(frozen=True)
class RunStatus:
    """status.json as the trainer (or the launcher) writes it."""

    state: str  # one of layout.STATES
    pid: int | None  # the trainer's process; None in the moment after a launch
    message: str
    updated_at: float
    step: int
    total_steps: int | None
    epoch: float
    queued_at: float | None = None  # when a queued run joined the queue (``alexnet.runs.queue``)


def read_status(run_dir: Path) -> RunStatus | None:
    """The run's status.json, checked; None before the launcher has written it."""
    data = read_object(run_dir, layout.STATUS)
    if data is None:
        return None
    name = layout.STATUS
    if "state" not in data:  # every writer (the launcher, the queue, the trainer) says one
        raise _problem(run_dir, name, 'has no "state"')
    state = data["state"]
    if state not in layout.STATES:
        raise _problem(run_dir, name, f"has an unknown state {str(state)[:40]!r}")

    def get(key: str, check: Any, what: str, default: Any) -> Any:
        value = _optional(run_dir, name, data, key, check, what)
        return default if value is None else value

    return RunStatus(
        state=state,
        pid=get("pid", lambda v: _whole(v) and v > 0, "a process id", None),
        message=get("message", lambda v: isinstance(v, str), "text", ""),
        updated_at=float(get("updated_at", _number, "a time in seconds", 0.0)),
        step=get("step", lambda v: _whole(v) and v >= 0, "a step count", 0),
        total_steps=get("total_steps", lambda v: _whole(v) and v >= 0, "a step count", None),
        epoch=float(get("epoch", lambda v: _number(v) and v >= 0, "a number of epochs", 0.0)),
        queued_at=get("queued_at", _number, "a time in seconds", None),
    )


# ---------------------------------------------------------------- metrics.jsonl


def metric_record(line: bytes | str) -> dict[str, Any] | None:
    """One line of metrics.jsonl as a record, or None for a line that is not the trainer's (torn by a
    kill, hand-edited): kind step, epoch or resume; a whole step; numbers where numbers belong."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("kind") not in ("step", "epoch", "resume"):
        return None
    if not (_whole(record.get("step")) and record["step"] >= 0):
        return None
    if record["kind"] != "resume" and not _number(record.get("epoch")):
        return None
    if not all(record.get(key) is None or _number(record[key]) for key in METRIC_NUMBERS):
        return None
    return record


@dataclass
class _MetricsTail:
    """One metrics file read so far: its records, where reading stopped, and which file it was."""

    identity: tuple[int, int]  # (device, inode): a file replaced under the same name starts over
    offset: int = 0  # bytes consumed: always just after a newline
    records: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)  # the "step" records, kept apart as they arrive
    epochs: list[dict[str, Any]] = field(default_factory=list)  # the "epoch" records
    skipped: int = 0  # complete lines that were not the trainer's
    torn: bool = False  # bytes after the last newline: a line being written, or cut short by a killed trainer

    def add(self, chunk: bytes) -> None:
        for line in chunk.splitlines():
            record = metric_record(line)
            if record is None:
                self.skipped += bool(line.strip())
            elif record["kind"] == "resume":  # steps redone after a crash replace the old ones
                self.records = [r for r in self.records if r["step"] <= record["step"]]
                self.steps = [r for r in self.steps if r["step"] <= record["step"]]
                self.epochs = [r for r in self.epochs if r["step"] <= record["step"]]
                self.records.append(record)
            else:
                self.records.append(record)
                (self.steps if record["kind"] == "step" else self.epochs).append(record)


_tails: LRUCache[Path, _MetricsTail] = LRUCache(maxsize=METRICS_CACHE_RUNS)  # least recently read dropped
_tails_lock = threading.Lock()


@dataclass(frozen=True)
class MetricsRecords:
    records: tuple[dict[str, Any], ...]  # every complete record, steps redone after a resume replaced
    steps: tuple[dict[str, Any], ...]  # the step records among them
    epochs: tuple[dict[str, Any], ...]  # the epoch records
    skipped: int  # lines that were not the trainer's (a torn last line is not counted: it may be finishing)
    torn: bool = False  # the file ends inside a line: still being written, or cut short if no trainer runs


def read_metrics(run_dir: Path) -> MetricsRecords:
    """Every complete record of the run's metrics.jsonl, reading only what was appended since the last call.

    A trainer killed mid-write leaves a torn last line: it is not consumed until its newline
    arrives. After a crash, steps logged after the last checkpoint are trained again on resume,
    so a ``resume`` record at step s drops the records past s.
    """
    path = (run_dir / layout.METRICS).resolve()
    try:
        with path.open("rb") as file:
            stat = os.fstat(file.fileno())
            with _tails_lock:
                tail = _tails.get(path)
                if tail is None or tail.identity != (stat.st_dev, stat.st_ino) or stat.st_size < tail.offset:
                    tail = _MetricsTail((stat.st_dev, stat.st_ino))
                file.seek(tail.offset)
                chunk = file.read()
                complete = chunk.rfind(b"\n") + 1  # up to the last newline; the rest is still being written
                tail.add(chunk[:complete])
                tail.offset += complete
                tail.torn = complete < len(chunk)
                _tails[path] = tail
                return MetricsRecords(
                    tuple(tail.records), tuple(tail.steps), tuple(tail.epochs), tail.skipped, tail.torn
                )
    except FileNotFoundError:
        return MetricsRecords((), (), (), 0)
    except OSError as exc:
        raise _problem(run_dir, layout.METRICS, f"cannot be read ({exc.strerror or first_line(exc)})") from exc


def last_log_line(run_dir: Path) -> str | None:
    """The last non-empty line of train.log, stripped; None without one (no log, unreadable, empty)."""
    try:
        lines = (run_dir / layout.LOG).read_text(errors="replace").strip().splitlines()
    except OSError:
        return None
    return lines[-1].strip() if lines else None


# ---------------------------------------------------------------- checkpoint.pt


def load_checkpoint(run_dir: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The run's checkpoint.pt, loaded safely (``weights_only``: tensors and plain data, never code).

    Raises:
        AlexNetError: no checkpoint, a file cut short or not PyTorch's, code where data belongs,
            weights saved on a device this machine lacks, or another program's checkpoint.
    """
    name = layout.CHECKPOINT
    try:
        state = torch.load(run_dir / name, map_location=map_location, weights_only=True)
    except FileNotFoundError as exc:
        raise _problem(run_dir, name, "does not exist yet", "wait for the run's first checkpoint.") from exc
    except (pickle.UnpicklingError, EOFError, zipfile.BadZipFile) as exc:
        raise _problem(run_dir, name, f"is cut short, or holds more than weights ({first_line(exc)})") from exc
    except RuntimeError as exc:  # torch's own: a bad archive, or a device that is not here
        if "CUDA" in str(exc) or "device" in str(exc):
            fix = "load it on the CPU (the app does) or on a machine with that GPU."
            raise _problem(run_dir, name, f"cannot be placed on {map_location} ({first_line(exc)})", fix) from exc
        raise _problem(run_dir, name, f"is not a checkpoint PyTorch can read ({first_line(exc)})") from exc
    except OSError as exc:
        raise _problem(run_dir, name, f"cannot be read ({exc.strerror or first_line(exc)})") from exc
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state]
    if missing:
        raise _problem(run_dir, name, f"is not one this app wrote: it has no {', '.join(missing)}")
    if not (_whole(state["step"]) and state["step"] >= 0):
        raise _problem(run_dir, name, f'field "step" must be a step count, not {state["step"]!r:.40}')
    return state


# ---------------------------------------------------------------- results/*.npz


def load_results_file(path: Path, arrays: dict[str, int]) -> dict[str, np.ndarray]:
    """One results file (``allow_pickle=False``: a file cannot run code): its scalar step and epoch,
    and ``arrays`` (name -> number of dimensions) present with those dimensions, the 1-D ones of one length."""
    run_dir = path.parent.parent
    try:
        with np.load(path, allow_pickle=False) as data:
            loaded = {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise _problem(
            run_dir, f"results file {path.name}", f"cannot be read ({first_line(exc)})",
            f"delete {path} (the trainer writes it again at the next epoch).",
        ) from exc  # fmt: skip
    name, fix = f"results file {path.name}", f"delete {path} (the trainer writes it again at the next epoch)."
    for key, check in (("step", _whole), ("epoch", _number)):
        value = loaded.get(key)
        if value is None or value.shape != () or not check(value.item()):
            raise _problem(run_dir, name, f'has no scalar "{key}"', fix)
    for key, dims in arrays.items():
        if key not in loaded or loaded[key].ndim != dims or not np.issubdtype(loaded[key].dtype, np.number):
            raise _problem(run_dir, name, f'has no {dims}-D array of numbers "{key}"', fix)
    if len({len(loaded[key]) for key, dims in arrays.items() if dims == 1}) > 1:
        raise _problem(run_dir, name, "holds arrays of different lengths", fix)
    return loaded
