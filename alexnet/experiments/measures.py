"""The numbers a claim is decided on, each read from one run's records (``alexnet.runs.Metrics``).

Training error at a step is 1 - the step's batch accuracy (with dropout on, as the network trains),
smoothed by a trailing moving average over ``WINDOW`` steps: one batch of 32 images is too noisy
to say when the error crossed a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alexnet.experiments.claims import ERROR_THRESHOLD
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze

WINDOW = 10  # steps in the moving average of the training error and loss


@dataclass(frozen=True)
class RunMeasure:
    """One run's value of one measure."""

    value: float  # steps, a fraction (errors, gaps) or a count; for a line never crossed, the run's length
    reached: bool = True  # False: the run ended before the line was crossed, and ``value`` is a lower bound


def moving_average(values: Sequence[float], window: int = WINDOW) -> list[float]:
    """Trailing mean: ``out[i] = mean(values[max(0, i - window + 1) : i + 1])``."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def training_error(steps: Sequence[dict[str, Any]]) -> tuple[list[int], list[float]]:
    """(step numbers, moving-average training error) of the step records that carry an accuracy."""
    logged = [(r["step"], r["accuracy"]) for r in steps if isinstance(r.get("accuracy"), (int, float))]
    return [s for s, _ in logged], moving_average([1.0 - a for _, a in logged])


def steps_to_error(steps: Sequence[dict[str, Any]], threshold: float = ERROR_THRESHOLD) -> RunMeasure:
    """The first step whose moving-average training error is at most ``threshold``; a run that never
    gets there counts as its last step, marked ``reached=False`` (the true value is larger)."""
    numbers, errors = training_error(steps)
    for step, error in zip(numbers, errors, strict=True):
        if error <= threshold:
            return RunMeasure(float(step))
    return RunMeasure(float(numbers[-1] if numbers else 0), reached=False)


def val_error(epochs: Sequence[dict[str, Any]]) -> RunMeasure | None:
    """1 - the last validated epoch's accuracy; None before the first validation."""
    accuracies = [r["val_accuracy"] for r in epochs if isinstance(r.get("val_accuracy"), (int, float))]
    return RunMeasure(1.0 - accuracies[-1]) if accuracies else None


def train_val_gap(steps: Sequence[dict[str, Any]], epochs: Sequence[dict[str, Any]]) -> RunMeasure | None:
    """Validation error minus training error over the last epoch: positive when the network does
    better on the images it learns from than on new ones (it overfits).

    The training error is the mean over the last validated epoch's logged steps, measured as it
    trained (with dropout on), as the paper's training curves are.
    """
    validated = [r for r in epochs if isinstance(r.get("val_accuracy"), (int, float))]
    if not validated:
        return None
    last, before = validated[-1], (validated[-2]["step"] if len(validated) > 1 else 0)
    last_epoch = [r for r in steps if before < r["step"] <= last["step"]]
    accuracies = [r["accuracy"] for r in last_epoch if isinstance(r.get("accuracy"), (int, float))]
    if not accuracies:
        return None
    return RunMeasure((1.0 - last["val_accuracy"]) - (1.0 - sum(accuracies) / len(accuracies)))


def parameters(network: AlexNetConfig) -> RunMeasure:
    """The network's parameter count (the same for every seed)."""
    return RunMeasure(float(analyze(network).total_params))


def measure(
    key: str, steps: Sequence[dict[str, Any]], epochs: Sequence[dict[str, Any]], network: AlexNetConfig
) -> RunMeasure | None:
    """The measure ``key`` (``alexnet.experiments.claims.Measure.key``) of one run; None where the run
    has not got far enough to have it."""
    if key == "steps_to_error":
        return steps_to_error(steps) if steps else None
    if key == "val_error":
        return val_error(epochs)
    if key == "gap":
        return train_val_gap(steps, epochs)
    if key == "params":
        return parameters(network)
    raise ValueError(f"no measure {key!r}")
