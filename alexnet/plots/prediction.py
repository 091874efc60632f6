"""The network's answer: softmax probabilities and the top classes as a bar chart, marked right or wrong
where the image's true class is known (a digit of the bundled set)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

BAR_COLOR = "#8c96a8"
WRONG_COLOR = "#d62728"  # the top answer, when it is not the true class
TRUE_COLOR = "#54a24b"  # the true class, wherever it ranks


def softmax(logits: np.ndarray) -> np.ndarray:
    """p_i = exp(z_i - max z) / sum_j exp(z_j - max z), a probability per class."""
    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return shifted / shifted.sum()


def class_name(index: int, names: Sequence[str] | None) -> str:
    """The name of output ``index``: ``names[index]``, else "class <index>"."""
    return names[index] if names else f"class {index}"


class Verdict(NamedTuple):
    """Whether the top answer is the true class, and the sentence that says so."""

    right: bool
    sentence: str


def verdict(logits: np.ndarray, true_class: int | None, names: Sequence[str] | None = None) -> Verdict | None:
    """The top answer checked against the true class; ``None`` where the true class is unknown.

    Right: "**Right**: the top answer, digit 0 (97.10 %), is the true class."
    Wrong: "**Wrong**: the top answer, digit 3 (16.04 %), is not the true class, digit 5 (9.81 %, 4th of 10)",
    with the probabilities written as the bars write them.
    """
    if true_class is None:
        return None
    probabilities = softmax(logits)
    top = int(np.argmax(probabilities))
    answer = f"the top answer, {class_name(top, names)} ({_percent(probabilities[top])})"
    if top == true_class:
        return Verdict(True, f"**Right**: {answer}, is the true class.")
    rank = int((probabilities > probabilities[true_class]).sum()) + 1
    where = f"{_ordinal(rank)} of {len(probabilities)}"
    truth = f"{class_name(true_class, names)} ({_percent(probabilities[true_class])}, {where})"
    return Verdict(False, f"**Wrong**: {answer}, is not the true class, {truth}.")


def _percent(probability: float) -> str:
    return f"{probability * 100:.2f} %"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def top_classes_figure(
    logits: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    k: int = 5,
    title: str | None = None,
    true_class: int | None = None,
) -> go.Figure:
    """The ``k`` most probable classes after a softmax of one image's logits (num_classes,).

    With ``true_class`` known, its bar is green and labelled "true" (added below the top ``k`` when it
    ranks lower), and a wrong top answer is red and labelled "wrong".
    """
    probabilities = softmax(logits)
    best = list(np.argsort(-probabilities, kind="stable")[: min(k, len(probabilities))])
    if true_class is not None and true_class not in best:
        best.append(true_class)
    labels, colors = [], []
    for i in best:
        label, color = f"{names[i]} (#{i})" if names else f"class {i}", BAR_COLOR
        if i == true_class:
            label, color = f"{label} ✓ true", TRUE_COLOR
        elif true_class is not None and i == best[0]:
            label, color = f"{label} ✗ wrong", WRONG_COLOR
        labels.append(label)
        colors.append(color)
    figure = go.Figure(
        go.Bar(
            x=probabilities[best] * 100,
            y=labels,
            orientation="h",
            marker_color=colors,
            text=[_percent(p) for p in probabilities[best]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.3f} %<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title="probability (%)", rangemode="tozero")
    figure.update_layout(
        title={"text": title, "font": {"size": 14}} if title else None,
        height=80 + 34 * len(best),
        margin={"l": 0, "r": 40, "t": 36 if title else 10, "b": 40},
    )
    return figure
