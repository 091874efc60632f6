"""A run's curves: its step and epoch records, and the records as CSV."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alexnet.runs.paths import run_path
from alexnet.training import run_files


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
    """The run's step and epoch records, read incrementally (``alexnet.training.run_files.read_metrics``):
    a torn last line, from a killed trainer, waits for its end; a line that is not the trainer's is left out."""
    read = run_files.read_metrics(run_path(run, directory))
    return Metrics(steps=list(read.steps), epochs=list(read.epochs), skipped=read.skipped, torn=read.torn)


def metrics_csv(run: str | Path, directory: str | Path | None = None) -> str:
    """All records of a run as CSV, one row per step or epoch record (columns: kind, step, epoch, ...)."""
    import pandas as pd

    metrics = read_metrics(run, directory)
    frame = pd.DataFrame(metrics.steps + metrics.epochs)
    if not frame.empty:
        frame = frame.sort_values(["step", "kind"], kind="stable")
        first = [c for c in ("kind", "step", "epoch") if c in frame.columns]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
