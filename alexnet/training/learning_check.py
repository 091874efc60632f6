"""Saying plainly when a run does not learn: its loss and validation accuracy still at chance.

The paper's settings (SGD 0.01, N(0, 0.01²) weights) were made for 90 epochs of 1.2 M images; on
the digits, in a few epochs, they can leave a network guessing. The app says so, and changes
nothing: the learner decides what to try next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

CHANCE_ACCURACY_TIMES = 1.5  # validation accuracy up to 1.5 x chance (1 / C) is still guessing
CHANCE_LOSS_MARGIN = 0.05  # a training loss within 5 % of ln C has not moved from a uniform guess
LAST_STEPS = 10  # steps averaged when no epoch record gives the training loss


def not_learning(
    steps: Sequence[dict[str, Any]],
    epochs: Sequence[dict[str, Any]],
    num_classes: int,
    *,
    recipe: str | None = None,
) -> str | None:
    """A plain sentence when a run has not learned, else ``None``.

    A network that guesses uniformly among C classes has loss ln C and accuracy 1 / C. The run has
    not learned when, with at least one whole epoch trained and validated (``epochs``: its epoch
    records; a validation where ``max_steps`` ended mid-epoch counts only after epoch 1),

        val_accuracy <= 1.5 / C    and    |train_loss - ln C| <= 0.05 * ln C

    where val_accuracy is the last epoch record's, and train_loss its mean training loss (or, when
    it has none, the mean loss of the last 10 ``steps`` records).

    Args:
        steps, epochs: the run's step and epoch records (``alexnet.runs.read_metrics``).
        num_classes: C, the outputs of the network's last layer.
        recipe: the recipe the run started from (``TrainSettings.recipe``): what to suggest.
    """
    if num_classes < 2 or not epochs:
        return None
    last = epochs[-1]
    if last.get("epoch", 0) < 1:  # a quick look of a few steps has not had its chance yet
        return None
    accuracy = last.get("val_accuracy")
    loss = last.get("train_loss")
    if loss is None and steps:
        recent = [r["loss"] for r in steps[-LAST_STEPS:] if r.get("loss") is not None]
        loss = sum(recent) / len(recent) if recent else None
    if accuracy is None or loss is None:
        return None
    chance_loss = math.log(num_classes)
    if accuracy > CHANCE_ACCURACY_TIMES / num_classes or abs(loss - chance_loss) > CHANCE_LOSS_MARGIN * chance_loss:
        return None
    epoch, step = last.get("epoch", 0), last.get("step", 0)
    done = f"{epoch:g} epoch{'' if epoch == 1 else 's'} ({step} step{'' if step == 1 else 's'})"
    advice = (
        "The paper trained 90 epochs of 1.2 M images; try more epochs, or today's default recipe."
        if recipe == "paper"
        else "Try more epochs, or another learning rate."
    )
    return (
        f"After {done} the training loss is still {loss:.2f}, chance for {num_classes} classes "
        f"(ln {num_classes} = {chance_loss:.2f}), and validation accuracy {accuracy:.0%} is chance "
        f"({1 / num_classes:.0%}): this network does not learn with these settings in this many steps. "
        f"{advice} Nothing was changed for you."
    )
