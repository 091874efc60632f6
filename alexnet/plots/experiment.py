"""An experiment's curves: per variant, the mean over the seeds as a line inside the band from the
lowest to the highest seed, in three panels: training loss and training error by step (moving
averages), validation error by epoch.

A pure builder: bands in, a plotly figure out, as a plain dict (``go.Figure(figure)`` validates
it; the page sends it as it is, without building graph objects on every rerun).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from alexnet.plots.training import PALETTE

COLORS = (PALETTE[0], PALETTE[1])  # A blue, B orange
HEIGHT = 340
PANELS = (
    ("Training loss (10-step mean)", "step", "loss"),
    ("Training error (10-step mean)", "step", "error"),
    ("Validation error", "epoch", "error"),
)


class BandLike(Protocol):
    x: Sequence[float]
    mean: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    seeds: int


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def band_traces(band: BandLike, label: str, color: str, axis: int, *, legend: bool) -> list[dict[str, Any]]:
    """Three traces: the band's upper edge, its lower edge filled up to it, and the mean line."""
    suffix = "" if axis == 1 else str(axis)
    where = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "legendgroup": label}
    x = list(band.x)
    one = len(x) == 1  # one point draws no line: show it as a marker
    edge = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False}
    return [
        {**edge, **where, "y": list(band.high), "name": f"{label} max"},
        {
            **edge,
            **where,
            "y": list(band.low),
            "name": f"{label} min",
            "fill": "tonexty",
            "fillcolor": _rgba(color, 0.22),
        },
        {
            "type": "scatter",
            **where,
            "x": x,
            "y": list(band.mean),
            "mode": "markers" if one else "lines",
            "line": {"color": color, "width": 2.5},
            "marker": {"color": color, "size": 8},
            "name": f"{label} (mean of {band.seeds}, band: min-max)",
            "showlegend": legend,
            "hovertemplate": f"%{{x}}: %{{y:.3f}}<extra>{label}, mean</extra>",
        },
    ]


def experiment_figure(
    loss: Sequence[BandLike],
    train_error: Sequence[BandLike],
    val_error: Sequence[BandLike],
    labels: Sequence[str],
    *,
    threshold: float | None = 0.25,
) -> dict[str, Any]:
    """Both variants' bands in the three ``PANELS``; a dashed line at ``threshold`` training error."""
    traces: list[dict[str, Any]] = []
    for axis, bands in enumerate((loss, train_error, val_error), start=1):
        for band, label, color in zip(bands, labels, COLORS, strict=True):
            if band.x:
                traces += band_traces(band, label, color, axis, legend=axis == 1)
    gap = 0.07
    width = (1 - 2 * gap) / 3
    layout: dict[str, Any] = {
        "height": HEIGHT,
        "margin": {"l": 50, "r": 20, "t": 40, "b": 45},
        "legend": {"orientation": "h", "y": -0.2, "x": 0},
        "hovermode": "x unified",
        "annotations": [],
        "shapes": [],
    }
    for i, (title, x_title, y_title) in enumerate(PANELS):
        suffix = "" if i == 0 else str(i + 1)
        start = i * (width + gap)
        domain = [start, start + width]
        layout[f"xaxis{suffix}"] = {"domain": domain, "title": {"text": x_title}, "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {"title": {"text": y_title}, "anchor": f"x{suffix}", "rangemode": "tozero"}
        layout["annotations"].append(
            {
                "text": f"<b>{title}</b>",
                "x": start + width / 2,
                "y": 1.08,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "xanchor": "center",
            }
        )
    if threshold is not None:
        layout["shapes"].append(
            {
                "type": "line",
                "xref": "x2 domain",
                "x0": 0,
                "x1": 1,
                "yref": "y2",
                "y0": threshold,
                "y1": threshold,
                "line": {"dash": "dash", "color": "#888", "width": 1},
            }
        )
    return {"data": traces, "layout": layout}
