"""The "what if" chart: ``alexnet.network.whatif.sweep`` drawn, the last map's side, the parameters and
the mult-adds for each value of one hyperparameter, the current value ringed, values that break the
network marked with a cross.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

from plotly.subplots import make_subplots

from alexnet.network.whatif import WhatIf
from alexnet.plots.arithmetic import CURRENT_COLOR, DROPPED_COLOR, WINDOW_COLOR, Trace
from alexnet.plots.spec import FigureSpec


@functools.cache
def _whatif_grid() -> dict[str, Any]:
    """The what-if chart's three stacked panels (axes, domains, titles), laid out once by make_subplots."""
    grid = make_subplots(
        rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.11,
        subplot_titles=("last feature map side (px)", "parameters", "mult-adds"),
    )  # fmt: skip
    return grid.to_dict()["layout"]


def whatif_figure(points: Sequence[WhatIf], label: str, current: int, *, height: int = 400) -> FigureSpec:
    """Last map side, parameters and mult-adds against each value of one hyperparameter.

    Written as plotly.js's dict on a grid laid out once (``_whatif_grid``): as graph objects it took
    0.08 s for every new configuration.
    """
    ok = [p for p in points if p.failed_layer is None]
    bad = [p for p in points if p.failed_layer is not None]
    data: list[Trace] = []
    for row, attribute in enumerate(("last_side", "params", "mult_adds"), start=1):
        axes = {"xaxis": f"x{row if row > 1 else ''}", "yaxis": f"y{row if row > 1 else ''}"}
        mine = [p for p in ok if p.value == current]
        data += [
            {
                "type": "scatter",
                "x": [p.value for p in ok],
                "y": [getattr(p, attribute) for p in ok],
                "mode": "lines+markers",
                "marker": {"size": 6, "color": WINDOW_COLOR},
                "line": {"width": 1.5, "color": WINDOW_COLOR},
                "name": attribute,
                "showlegend": False,
                "hovertemplate": f"{label} = %{{x}}: %{{y:,}}<extra></extra>",
                **axes,
            },
            {
                "type": "scatter",
                "x": [p.value for p in mine],
                "y": [getattr(p, attribute) for p in mine],
                "mode": "markers",
                "marker": {"size": 13, "color": "rgba(0,0,0,0)", "line": {"color": CURRENT_COLOR, "width": 2.5}},
                "name": "now",
                "showlegend": row == 1 and bool(mine),
                "hoverinfo": "skip",
                **axes,
            },
            {
                "type": "scatter",
                "x": [p.value for p in bad],
                "y": [0] * len(bad),
                "mode": "markers",
                "marker": {"symbol": "x", "size": 9, "color": DROPPED_COLOR},
                "name": "breaks the network",
                "showlegend": row == 1 and bool(bad),
                "customdata": [p.failed_layer for p in bad],
                "hovertemplate": f"{label} = %{{x}}: %{{customdata}} fails<extra></extra>",
                **axes,
            },
        ]
    layout = copy.deepcopy(_whatif_grid())
    for name, axis in layout.items():
        if name.startswith("yaxis"):
            axis.update(rangemode="tozero", tickfont={"size": 10}, fixedrange=True)
        elif name.startswith("xaxis"):
            axis.update(fixedrange=True, tickfont={"size": 10})
    layout["xaxis3"]["title"] = {"text": label, "font": {"size": 12}}
    for title in layout["annotations"]:
        title["font"] = {**title.get("font", {}), "size": 12}
    layout.update(
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0, "font": {"size": 11}},
        plot_bgcolor="white",
        hovermode="closest",
    )
    return FigureSpec({"data": data, "layout": layout})
