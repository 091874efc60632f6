"""Reading a run's TensorBoard events back with TensorBoard's own reader, for the tests."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def events(run_dir: Path) -> EventAccumulator:
    """Every event file of the run folder (one per trainer process), loaded whole, as TensorBoard
    loads them: events a resumed writer purged (after its checkpoint) are dropped."""
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalars(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) of one tag, in step order."""
    return [(event.step, event.value) for event in events(run_dir).Scalars(tag)]
