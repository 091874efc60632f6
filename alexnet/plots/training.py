"""Training curves: the loss step by step (raw and smoothed) and the validation accuracy by epoch.

Pure builders: lists of numbers in, plotly figures out. Smoothing is done by the caller with
``alexnet.plots.smoothing.smooth`` so the same numbers can go to a table or a CSV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

RAW_COLOR = "rgba(76, 120, 168, 0.35)"
SMOOTH_COLOR = "#4c78a8"
VAL_COLOR = "#f58518"
ACCURACY_COLOR = "#54a24b"
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")
HEIGHT = 360


def loss_figure(
    steps: Sequence[int],
    losses: Sequence[float | None],
    smoothed: Sequence[float],
    *,
    val_steps: Sequence[int] = (),
    val_losses: Sequence[float | None] = (),
) -> go.Figure:
    """Training loss per step (faint raw line, bold smoothed line) and, if given, the
    validation loss at the end of each epoch (markers)."""
    fig = go.Figure()
    for values, label, color, width in ((losses, "raw", RAW_COLOR, 1), (smoothed, "smoothed", SMOOTH_COLOR, 2.5)):
        # one step: a line of one point draws nothing, so the smoothed curve shows it as a marker
        mode = "lines" if len(steps) > 1 or label == "raw" else "markers"
        fig.add_trace(
            go.Scatter(
                x=list(steps),
                y=list(values),
                mode=mode,
                name=f"loss ({label})",
                line={"color": color, "width": width},
                hovertemplate=f"step %{{x}}: %{{y:.4f}}<extra>{label}</extra>",
            )
        )
    if val_steps:
        fig.add_trace(
            go.Scatter(
                x=list(val_steps),
                y=list(val_losses),
                mode="lines+markers",
                name="validation loss",
                line={"color": VAL_COLOR, "width": 1.5, "dash": "dot"},
                marker={"size": 8},
                hovertemplate="step %{x}: %{y:.4f}<extra>validation</extra>",
            )
        )
    fig = _layout(fig, "Loss (cross-entropy)", "step", "loss")
    _log_scale_if_exploding(fig, [*losses, *val_losses])
    return fig


def accuracy_figure(
    epochs: Sequence[float], accuracies: Sequence[float | None], images: str = "validation"
) -> go.Figure:
    """Accuracy on the validation images (fraction in [0, 1], drawn in percent) after each epoch;
    ``images`` names them: "validation", or "test" for a dataset's official test set."""
    fig = go.Figure(
        go.Scatter(
            x=list(epochs),
            y=[None if a is None else 100 * a for a in accuracies],
            mode="lines+markers",
            name=f"{images} accuracy",
            line={"color": ACCURACY_COLOR, "width": 2.5},
            marker={"size": 8},
            hovertemplate="epoch %{x:.2f}: %{y:.1f}%<extra></extra>",
        )
    )
    fig = _layout(fig, f"{images.capitalize()} accuracy", "epoch", "accuracy (%)")
    fig.update_yaxes(range=[0, 100])
    return fig


def overlay_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    percent: bool = False,
) -> go.Figure:
    """One line per run, ``{run name: (x values, y values)}``, to compare runs on one chart.
    With ``percent``, y values in [0, 1] are drawn as percentages."""
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        values = [None if y is None else (100 * y if percent else y) for y in ys]
        fig.add_trace(
            go.Scatter(
                x=list(xs),
                y=values,
                mode="lines+markers" if len(xs) < 30 else "lines",
                name=name,
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
            )
        )
    fig = _layout(fig, title, x_title, y_title)
    if percent:
        fig.update_yaxes(range=[0, 100])
    else:
        _log_scale_if_exploding(fig, [y for _, ys in curves.values() for y in ys])
    return fig


def _log_scale_if_exploding(fig: go.Figure, values: Sequence[float | None]) -> None:
    """A diverging run's loss reaches 1e10 and flattens every normal curve to a line at 0: when the
    largest value is over 100x the median, switch to a log axis, where both stay readable."""
    finite = sorted(v for v in values if v is not None and math.isfinite(v) and v > 0)
    if finite and finite[-1] > 100 * finite[(len(finite) - 1) // 2]:  # the lower median
        fig.update_yaxes(type="log", title=f"{fig.layout.yaxis.title.text} (log scale)")


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        # under the x axis title: above the plot it collides with the figure's title
        legend={"orientation": "h", "yanchor": "top", "y": -0.28, "xanchor": "left", "x": 0.0},
        hovermode="x unified",
        uirevision="keep",  # live refreshes keep the user's zoom
    )
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title)
    return fig
