"""The convolution arithmetic of one real layer along one axis, drawn (the "what if" chart beside it is
in ``alexnet.plots.whatif``).

``arithmetic_figure`` draws ``alexnet.network.window.AxisGeometry``: the padded input row (padding,
pixels, and the cells the floor drops), the window at its first positions and its last one
(one row per overlapping window), and the numbered output cells under the centre of their
window. A play button and a slider step a highlighted window over every output cell
(plotly animation frames, so playing needs no rerun). Cells are bars whose x is
``geometry.x(coordinate)``: full resolution at the start and the end, the middle squeezed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alexnet.network.window import HEAD_WINDOWS, AxisGeometry
from alexnet.plots.spec import FigureSpec, default_template

Trace = dict[str, Any]  # one trace as plotly.js reads it ({"type": "bar", "x": [...], ...})

PADDING_COLOR = "#d9d9d9"
PIXEL_COLOR = "#9ecae1"
DROPPED_COLOR = "#e45756"
SKIPPED_COLOR = "#b279a2"  # pixels between two windows (stride > kernel): read by none
WINDOW_COLOR = "#4c78a8"
CURRENT_COLOR = "#f58518"
OUTPUT_COLOR = "#54a24b"
ROW_GAP = 0.55  # vertical distance between two window rows


def drawn_windows(geometry: AxisGeometry) -> list[int]:
    """The output cells whose window is drawn in the window rows: the first few and the last."""
    return sorted({*range(min(geometry.out, HEAD_WINDOWS)), geometry.out - 1})


def window_rows(geometry: AxisGeometry) -> int:
    """Rows the drawn windows need so that overlapping ones never share a row.

    Overlapping windows need ceil(K / S) rows, but only ``drawn_windows`` are drawn: no more rows
    than windows. The n-th drawn window takes row n mod rows (``window_row``): two windows on one
    row are at least ``rows`` output cells apart, so at least rows·S ≥ K pixels, and do not overlap.
    """
    return min(math.ceil(geometry.kernel / geometry.stride), len(drawn_windows(geometry)))


def window_row(geometry: AxisGeometry, index: int) -> int:
    """The window row of output cell ``index``'s window (0 = the top one), if it is drawn."""
    return drawn_windows(geometry).index(index) % window_rows(geometry)


def _levels(geometry: AxisGeometry) -> tuple[float, float]:
    """y of the first window row and of the output row (the input row sits at y = 0 .. 0.9).

    The output row starts below the last window row: no window bar is drawn over it.
    """
    first = -0.5
    # the last window row's bar ends at first - ROW_GAP * (rows - 1) - 0.35; the output row's top
    # (0.9 above its base) sits 0.15 below that
    return first, first - ROW_GAP * window_rows(geometry) - 0.85


def _span(geometry: AxisGeometry, first: int, last: int) -> tuple[float, float]:
    """Display centre and width of the cells first .. last (inclusive)."""
    left, right = geometry.x(first - 0.5), geometry.x(last + 0.5)
    return (left + right) / 2, right - left


def _cells(geometry: AxisGeometry, cells: Sequence[int], name: str, color: str, hover: str) -> Trace:
    return {
        "type": "bar",
        "x": [geometry.x(c) for c in cells],
        "y": [0.9] * len(cells),
        "base": [0.0] * len(cells),
        "width": [0.92] * len(cells),
        "marker": {"color": color, "line": {"width": 0}},
        "name": name,
        "customdata": list(cells),
        "hovertemplate": hover + "<extra></extra>",
    }


def _windows(geometry: AxisGeometry, indices: Sequence[int], name: str, color: str, *, current: bool) -> Trace:
    """Windows as horizontal bands: the current one covers the input row, the others sit in window rows."""
    top, _ = _levels(geometry)
    spans = [_span(geometry, *geometry.window(o)) for o in indices]
    if current:
        base, height = [-0.08] * len(indices), [1.06] * len(indices)
    else:
        base = [top - ROW_GAP * window_row(geometry, o) - 0.35 for o in indices]
        height = [0.35] * len(indices)
    return {
        "type": "bar",
        "x": [centre for centre, _ in spans],
        "y": height,
        "base": base,
        "width": [width for _, width in spans],
        "marker": {
            "color": f"rgba(245, 133, 24, {0.3 if current else 0})" if current else color,
            "line": {"color": CURRENT_COLOR if current else color, "width": 3 if current else 0},
        },
        "name": name,
        "customdata": [[o, *geometry.window(o)] for o in indices],
        "hovertemplate": "output %{customdata[0]}: pixels %{customdata[1]} to %{customdata[2]}<extra></extra>",
    }


def _outputs(geometry: AxisGeometry, indices: Sequence[int], name: str, color: str, *, legend: bool = True) -> Trace:
    _, bottom = _levels(geometry)
    return {
        "type": "bar",
        "x": [geometry.x(geometry.centre(o)) for o in indices],
        "y": [0.9] * len(indices),
        "base": [bottom] * len(indices),
        "width": [0.92] * len(indices),
        "marker": {"color": color, "line": {"width": 0}},
        "text": [str(o) for o in indices],
        "textposition": "inside",
        "insidetextanchor": "middle",
        # full size even where the number is wider than its cell: plotly shrinks it to fit by default,
        # down to 5 px at a 1024 px window
        "constraintext": "none",
        "textfont": {"size": 12, "color": "white"},
        "name": name,
        "showlegend": legend,
        "customdata": [[o, *geometry.window(o)] for o in indices],
        "hovertemplate": "output %{customdata[0]} = window over pixels %{customdata[1]} to %{customdata[2]}"
        "<extra></extra>",
    }


def _frame_traces(geometry: AxisGeometry, index: int) -> list[Trace]:
    """The traces one animation frame replaces: the current window and its output cell."""
    return [
        _windows(geometry, [index], "window now", CURRENT_COLOR, current=True),
        _outputs(geometry, [index], "current output", CURRENT_COLOR, legend=False),
    ]


def formula_caption(geometry: AxisGeometry) -> str:
    """out = floor((W - K + 2P) / S) + 1 and what the windows leave unread, with this layer's numbers.

    The remainder (W - K + 2P) mod S is cut after the last window: its pixels of the map are
    dropped, its padding held only zeros. Pixels between windows (stride > kernel) are skipped.
    """
    w, k, s, p = geometry.size, geometry.kernel, geometry.stride, geometry.padding
    span = f"({w} − {k} + 2·{p})"
    text = f"out = floor({span} / {s}) + 1 = {geometry.out}   ·   {span} mod {s} = {geometry.cut}"
    parts = [f"{geometry.dropped} px dropped"] * bool(geometry.dropped)
    parts += [f"{geometry.cut - geometry.dropped} padding"] * bool(geometry.cut - geometry.dropped)
    text += f" cut ({', '.join(parts)})" if parts else ""
    if geometry.skipped_cells:
        text += f"   ·   {len(geometry.skipped_cells)} px skipped"
    return text


def arithmetic_figure(geometry: AxisGeometry, *, title: str = "", height: int = 330) -> FigureSpec:
    """The padded input, the windows, the output cells and the unread pixels of one layer along one axis.

    Pixels of the map that no window reads have colours of their own: dropped by the floor (after
    the last window) and skipped (between two windows, when the stride exceeds the window).
    Padding the floor cuts stays padding: it held only zeros.

    Built as the plain dict plotly.js reads (``FigureSpec``): conv1 of the paper network is 8
    traces and 55 animation frames, which as graph objects took 0.2 s to build and check.
    """
    shown = geometry.shown_cells()
    dropped, skipped = set(geometry.dropped_cells), set(geometry.skipped_cells)
    padding = [c for c in shown if geometry.is_padding(c)]
    pixels = [c for c in shown if not geometry.is_padding(c) and c not in dropped and c not in skipped]
    data = [
        _cells(geometry, padding, "padding (zeros)", PADDING_COLOR, "padding at %{customdata}: 0"),
        _cells(geometry, pixels, "input pixels", PIXEL_COLOR, "pixel %{customdata}"),
        _cells(geometry, sorted(dropped), "dropped by the floor", DROPPED_COLOR, "pixel %{customdata}: never read"),
        _cells(
            geometry,
            sorted(skipped & set(shown)),
            "skipped between windows",
            SKIPPED_COLOR,
            "pixel %{customdata}: between two windows, never read",
        ),
        _windows(geometry, drawn_windows(geometry), f"window (K = {geometry.kernel})", WINDOW_COLOR, current=False),
        _outputs(geometry, geometry.shown_outputs(), "output cells", OUTPUT_COLOR),
        *_frame_traces(geometry, 0),
    ]
    annotations: list[dict[str, Any]] = []
    _, bottom = _levels(geometry)
    for first, last in geometry.hidden():
        centre = geometry.x((first + last) / 2)
        annotations.append(_note(centre, 0.45, f"⋯ {last - first + 1} px ⋯", 11))
        annotations.append(_note(centre, bottom + 0.45, "⋯", 14))
    frames = geometry.frames()
    # input coordinates just above the input row (every fifth cell, the image's edges, the padding's ends)
    shown_set, placed = set(shown), -math.inf
    for c in sorted({geometry.first, 0, geometry.size - 1, geometry.last, *(c for c in shown if c % 5 == 0)}):
        if c in shown_set and geometry.x(c) - placed >= 2.5:  # two labels need about three cells
            placed = geometry.x(c)
            annotations.append(_note(geometry.x(c), 0.93, str(c), 9) | {"yanchor": "bottom"})
            annotations[-1]["font"]["color"] = "#555"
    top, _ = _levels(geometry)
    layout: dict[str, Any] = {
        "annotations": annotations,
        "xaxis": {
            "visible": False,
            "range": [geometry.x(geometry.first - 0.5) - 0.5, geometry.x(geometry.last + 0.5) + 0.5],
            "fixedrange": True,
        },
        "yaxis": {
            "tickvals": [0.45, top - ROW_GAP * (window_rows(geometry) - 1) / 2 - 0.17, bottom + 0.45],
            "ticktext": ["input + padding", "windows", "output"],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "range": [bottom - 0.2, 1.3],
        },
        "barmode": "overlay",
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 100 if title else 70, "b": 75},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.12, "x": 0, "font": {"size": 11}},
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "dragmode": False,
        "template": default_template(),
        **_player(frames),
    }
    if title:
        layout["title"] = {"text": title, "font": {"size": 14}, "y": 0.98, "yanchor": "top"}
    return FigureSpec(
        {
            "data": data,
            "layout": layout,
            "frames": [{"name": str(o), "data": _frame_traces(geometry, o), "traces": [6, 7]} for o in frames],
        }
    )


def _note(x: float, y: float, text: str, size: int) -> dict[str, Any]:
    """A text annotation at (x, y) in data coordinates, without an arrow."""
    return {"x": x, "y": y, "text": text, "showarrow": False, "font": {"size": size}}


def _player(frames: Sequence[int]) -> dict[str, Any]:
    """A play / pause button and a slider over the output index, driving the animation frames."""
    step = {"frame": {"duration": 350, "redraw": True}, "transition": {"duration": 0}, "mode": "immediate"}
    return dict(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.02,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 30, "r": 6},
                "showactive": False,
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, {**step, "fromcurrent": True}]},
                    {"label": "❚❚", "method": "animate", "args": [[None], step]},
                ],
            }
        ],
        sliders=[
            {
                "active": 0,
                "x": 0.24,
                "len": 0.76,
                "y": -0.02,
                "yanchor": "top",
                "pad": {"t": 20},
                "currentvalue": {"prefix": "output cell ", "font": {"size": 12}},
                "font": {"size": 9},
                "steps": [{"label": str(o), "method": "animate", "args": [[str(o)], step]} for o in frames],
            }
        ],
    )
