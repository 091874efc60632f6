"""The network's answer: softmax probabilities and the top classes as a bar chart."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go


def softmax(logits: np.ndarray) -> np.ndarray:
    """p_i = exp(z_i - max z) / sum_j exp(z_j - max z), a probability per class."""
    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return shifted / shifted.sum()


def top_classes_figure(
    logits: np.ndarray, names: Sequence[str] | None = None, *, k: int = 5, title: str | None = None
) -> go.Figure:
    """The ``k`` most probable classes after a softmax of one image's logits (num_classes,)."""
    probabilities = softmax(logits)
    best = np.argsort(-probabilities, kind="stable")[: min(k, len(probabilities))]
    labels = [f"{names[i]} (#{i})" if names else f"class {i}" for i in best]
    figure = go.Figure(
        go.Bar(
            x=probabilities[best] * 100,
            y=labels,
            orientation="h",
            marker_color="#8c96a8",
            text=[f"{p * 100:.2f} %" for p in probabilities[best]],
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
