"""A run's curves: its step and epoch records, and the records as CSV."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alexnet.errors import AlexNetError
from alexnet.training import run_folder
from alexnet.training.run_folder import run_path

if TYPE_CHECKING:
    import pandas as pd  # only where a CSV is written: the pages' first script does without it


@dataclass(frozen=True)
class Metrics:
    """A run's curves: one dict per logged step and one per validated epoch (see ``alexnet.training.run_folder``)."""

    steps: list[dict[str, Any]]
    epochs: list[dict[str, Any]]
    skipped: int = 0  # lines of metrics.jsonl that were not the trainer's, left out
    torn: bool = False  # it ends inside a line (being written; cut short when no trainer runs)

    def column(self, name: str, *, epochs: bool = False) -> list[Any]:
        return [record.get(name) for record in (self.epochs if epochs else self.steps)]


def read_metrics(run: str | Path, directory: str | Path | None = None) -> Metrics:
    """The run's step and epoch records, read incrementally (``alexnet.training.run_folder.read.read_metrics``):
    a torn last line, from a killed trainer, waits for its end; a line that is not the trainer's is left out."""
    read = run_folder.read_metrics(run_path(run, directory))
    return Metrics(steps=list(read.steps), epochs=list(read.epochs), skipped=read.skipped, torn=read.torn)


def metrics_csv(run: str | Path, directory: str | Path | None = None) -> str:
    """All records of a run as CSV, one row per step or epoch record (columns: kind, step, epoch, ...)."""
    buffer = io.StringIO()
    _records(read_metrics(run, directory)).to_csv(buffer, index=False)
    return buffer.getvalue()


@dataclass(frozen=True)
class RunsCsv:
    """Every run's records as one CSV, and the runs whose records could not be read at all."""

    text: str
    unreadable: dict[str, str]  # run id -> what is wrong with its metrics.jsonl, in plain words


def runs_csv(paths: Sequence[Path]) -> RunsCsv:
    """Every record of every run as one CSV: ``run_id``, then kind, step, epoch and the rest (the
    union of the runs' columns, empty where a run has none), the runs in the order given.

    A run gives what ``read_metrics`` can read; one whose file cannot be read at all gives no
    rows and is named in ``unreadable`` (never an exception: one broken run costs the rest nothing).
    """
    import pandas as pd

    frames, unreadable = [], {}
    for path in paths:
        try:
            frame = _records(read_metrics(path))
        except AlexNetError as error:
            unreadable[path.name] = error.message
            continue
        if not frame.empty:
            frames.append(frame.assign(run_id=path.name))
    if not frames:
        return RunsCsv("run_id,kind,step,epoch\n", unreadable)
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["run_id"] + [c for c in frame.columns if c != "run_id"]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return RunsCsv(buffer.getvalue(), unreadable)


def _records(metrics: Metrics) -> pd.DataFrame:
    """One row per record, steps and epochs in step order (a step's record before its epoch's)."""
    import pandas as pd

    frame = pd.DataFrame(metrics.steps + metrics.epochs)
    if not frame.empty:
        frame = frame.sort_values(["step", "kind"], kind="stable")
        first = [c for c in ("kind", "step", "epoch") if c in frame.columns]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    return frame
