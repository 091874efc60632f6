"""The network drawn in the spirit of the paper's figure 2 (the per-layer cost charts are in
``alexnet.plots.costs``).

``network_figure`` takes ``alexnet.network.shapes.LayerShape`` rows (``analyze(config).layers``)
and returns a plotly figure; nothing here knows about Streamlit.

The drawing is an oblique projection: each feature map (C, H, W) is a box whose length
along the page is the channel count C, whose height is H and whose slanted side is W.
Sizes are drawn on a square-root scale (side = a * sqrt(n)) so that a 6x6 map still shows
next to a 227x227 image, while bigger still looks bigger. Dense layers are thin bars whose
height grows with log(units).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alexnet.network.config import ACTIVATIONS
from alexnet.network.shapes import LayerShape
from alexnet.plots.spec import FigureSpec, default_template
from alexnet.units import range_text

COLORS = {
    "input": "#8c8c8c",
    "conv": "#4c78a8",
    "pool": "#f58518",
    "avgpool": "#72b7b2",
    "flatten": "#b279a2",
    "linear": "#54a24b",
}
LEGEND = {
    "input": "input image",
    "conv": "convolution (+{activation})",  # +ReLU, or +tanh in a tanh network
    "pool": "max-pool",
    "avgpool": "adaptive avg-pool",
    "flatten": "flatten",
    "linear": "fully connected",
}
FACE_HEIGHT = 20.0  # drawing units of the tallest map's height
BOX_LENGTH = 10.0  # drawing units of the deepest map's length (channels)
SLANT = (math.cos(math.radians(35)) * 0.45, math.sin(math.radians(35)) * 0.45)  # W drawn foreshortened
GAP = 3.5  # between boxes
MIN_SLOT = 8.0  # room for a label under narrow boxes
LABEL_ROW_PX = 44  # a label's three lines at 11 px: every other label sits this much lower
EDGE_PX = 30  # margin left and right, so that the first and last labels stay clear of the edge


@dataclass(frozen=True)
class _Box:
    """One drawn item: its corner, size in drawing units, and what it stands for."""

    kind: str
    label: str
    shape: tuple[int, ...]
    x: float
    length: float  # along the page: channels
    height: float  # H
    width: float  # W, drawn along SLANT
    hover: str
    kernel: tuple[int, int] | None = None  # (K, S) of the window that produced this map


def network_figure(
    layers: Sequence[LayerShape], *, failed: str | None = None, height: int | None = None, width: int = 950
) -> FigureSpec:
    """The network as boxes left to right: input, every conv and pool output, then dense bars.

    Written as the plain dict plotly.js reads (``FigureSpec``): as graph objects, its hundred
    traces and labels took 0.1 s to build and check for every new configuration.

    Args:
        layers: ``analyze(config).layers``, possibly cut short by an error.
        failed: name of the layer that cannot work (drawn as a red mark after the last box).
        height: figure height in pixels; by default, what keeps the drawing's proportions at ``width``.
        width: the width in pixels the figure is expected to get (it still stretches to its container).
    """
    boxes = _layout(layers)
    activation = next((row.kind for row in layers if row.kind in ACTIVATIONS and row.kind != "relu"), "ReLU")
    data = _draw_faces(boxes, activation)
    data += _draw_kernels(boxes)
    annotations = _draw_labels(boxes)
    end = max((b.x + b.length + b.width * SLANT[0] for b in boxes), default=0.0)
    if failed:
        annotations.append(
            {
                "x": end + GAP + 2,
                "y": FACE_HEIGHT / 2,
                "text": f"<b>✗ {failed}</b><br>cannot work",
                "showarrow": False,
                "font": {"color": "#d62728", "size": 13},
            }
        )
        end += GAP + 8
    if not boxes:
        annotations.append({"x": 0, "y": 0, "text": "nothing to draw", "showarrow": False})
    x_range, y_range = (-6, end + 2), (-9, FACE_HEIGHT + 6)  # room for labels left and below
    px_per_unit = (width - 2 * EDGE_PX) / (x_range[1] - x_range[0])
    if height is None:
        # equal units on both axes, so the page height follows the network's length; plus the lower label row
        drawing = px_per_unit * (y_range[1] - y_range[0])
        height = round(min(480, max(260, 40 + drawing))) + LABEL_ROW_PX
    data.append(_hover_points(boxes, px_per_unit))
    layout = {
        "annotations": annotations,
        "xaxis": {"visible": False, "range": list(x_range)},
        "yaxis": {"visible": False, "scaleanchor": "x", "scaleratio": 1, "range": list(y_range)},
        "height": height,
        "margin": {"l": EDGE_PX, "r": EDGE_PX, "t": 30, "b": LABEL_ROW_PX},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "legend": {"orientation": "h", "y": 1.08, "x": 0, "font": {"size": 12}},
        "hovermode": "closest",
        "dragmode": False,
        "template": default_template(),
    }
    return FigureSpec({"data": data, "layout": layout})


def _layout(layers: Sequence[LayerShape]) -> list[_Box]:
    """Place the boxes left to right, scaled so the biggest map is FACE_HEIGHT tall."""
    if not layers:
        return []
    maps = [("input", "input", layers[0].in_shape, None, "")]
    kernels = _kernels(layers)
    for layer in layers:
        if layer.kind in ("conv", "pool", "avgpool"):
            kernel = kernels.get(layer.name)
            label = layer.name + (f" {kernel[0]}×{kernel[0]}/{kernel[1]}" if kernel else "")
            maps.append((layer.kind, label, layer.out_shape, kernel, _hover(layer)))
        elif layer.kind == "norm" and maps[-1][0] == "conv":
            kind, label, shape, kernel, hover = maps[-1]
            maps[-1] = (kind, label, shape, kernel, hover + "<br>then local response norm")
    spatial = [shape for _, _, shape, _, _ in maps]  # every map here is (C, H, W)
    side_scale = FACE_HEIGHT / math.sqrt(max(max(s[1], s[2]) for s in spatial))
    depth_scale = BOX_LENGTH / math.sqrt(max(s[0] for s in spatial))
    dense = [layer for layer in layers if layer.kind in ("flatten", "linear")]
    biggest = max((layer.out_shape[0] for layer in dense), default=2)

    boxes, x = [], 0.0
    for kind, label, shape, kernel, hover in maps:
        c, h, w = shape
        length = max(0.5, depth_scale * math.sqrt(c))
        box_h, box_w = max(1.0, side_scale * math.sqrt(h)), max(1.0, side_scale * math.sqrt(w))
        hover = hover or f"<b>input</b><br>{_dims(shape)}"
        boxes.append(_Box(kind, label, shape, x, length, box_h, box_w, hover, kernel))
        x += max(MIN_SLOT, length + box_w * SLANT[0] + GAP)
    for layer in dense:
        (n,) = layer.out_shape
        # log scale: 10 classes are half as tall as 9216 features, not 900 times shorter
        bar = FACE_HEIGHT * (0.35 + 0.65 * math.log(max(n, 1) + 1) / math.log(max(biggest, 1) + 1))
        boxes.append(_Box(layer.kind, layer.name, (n,), x, 1.2, bar, 1.5, _hover(layer)))
        x += MIN_SLOT
    return boxes


def _kernels(layers: Sequence[LayerShape]) -> dict[str, tuple[int, int]]:
    """(K, S) of every conv and pool, read back from receptive field r and jump j.

    r_out = r_in + (K - 1) * j_in  gives  K = (r_out - r_in) / j_in + 1,  and  S = j_out / j_in.
    """
    kernels, rf, jump = {}, 1, 1
    for layer in layers:
        if layer.receptive_field is None or layer.jump is None:
            break
        if layer.kind in ("conv", "pool"):
            kernels[layer.name] = ((layer.receptive_field - rf) // jump + 1, layer.jump // jump)
        rf, jump = layer.receptive_field, layer.jump
    return kernels


def _hover(layer: LayerShape) -> str:
    parts = [f"<b>{layer.name}</b>", f"{_dims(layer.in_shape)} → {_dims(layer.out_shape)}"]
    if layer.formula:
        parts.append(layer.formula)
    if layer.params:
        parts.append(f"{layer.params:,} parameters")
    if layer.receptive_range:
        parts.append(f"receptive field {range_text(*layer.receptive_range)} px")
    return "<br>".join(parts)


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _shade(color: str, amount: float) -> str:
    """Mix with white (amount > 0) or black (amount < 0)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    target = 255 if amount > 0 else 0
    mix = [round(v + (target - v) * abs(amount)) for v in (r, g, b)]
    return "#" + "".join(f"{v:02x}" for v in mix)


def _faces(box: _Box) -> tuple[tuple[list[float], list[float], str], ...]:
    """The box's three visible faces as (xs, ys, fill colour): front, top and side."""
    color = COLORS[box.kind]
    dx, dy = box.width * SLANT[0], box.width * SLANT[1]
    x0, x1, h = box.x, box.x + box.length, box.height
    return (
        ([x0, x1, x1, x0], [0, 0, h, h], color),  # front: channels x height
        ([x0, x1, x1 + dx, x0 + dx], [h, h, h + dy, h + dy], _shade(color, 0.45)),  # top: channels x width
        ([x1, x1 + dx, x1 + dx, x1], [0, dy, h + dy, h], _shade(color, -0.25)),  # side: the H x W map
    )


def _draw_faces(boxes: Sequence[_Box], activation: str) -> list[dict[str, Any]]:
    """Every box's three faces, one filled trace per colour (at most 18, whatever the depth).

    A face of its own trace each was 3 traces a box, 39 for the paper network (49 with the convs'
    windows): redrawing that took plotly.js in the learner's browser 1.5x as long as these 18 traces
    (``benchmarks/bench_figure_redraw.py``: 115 against 73 ms on a Zen 3).
    One trace holds many polygons, ``None`` between them: ``fill="toself"`` closes each on its own.
    The front face's trace of each kind carries the legend entry; hover is ``_hover_points``'.
    """
    traces: dict[str, dict[str, Any]] = {}
    for box in boxes:
        for index, (xs, ys, fill) in enumerate(_faces(box)):
            if fill not in traces:
                traces[fill] = {
                    "type": "scatter", "x": [], "y": [], "fill": "toself", "fillcolor": fill, "mode": "lines",
                    "line": {"color": _shade(COLORS[box.kind], -0.45), "width": 1},
                    "name": LEGEND[box.kind].format(activation=activation), "legendgroup": box.kind,
                    "showlegend": index == 0, "hoverinfo": "skip",
                }  # fmt: skip
            trace = traces[fill]
            trace["x"] += [*xs, xs[0], None]
            trace["y"] += [*ys, ys[0], None]
    return list(traces.values())


def _hover_points(boxes: Sequence[_Box], px_per_unit: float) -> dict[str, Any]:
    """One invisible square per box over its front face, carrying the box's hover text.

    Merged face traces can show only one text each; these markers show each box's own. A marker's
    size is in pixels: the face's smaller side at ``px_per_unit`` (at least 12 px), and plotly
    answers within 20 px of a marker, so the whole box answers.
    """
    return {
        "type": "scatter", "mode": "markers", "showlegend": False, "name": "",
        "x": [box.x + box.length / 2 for box in boxes],
        "y": [box.height / 2 for box in boxes],
        "marker": {
            "symbol": "square", "opacity": 0,
            "size": [max(12, round(min(box.length, box.height) * px_per_unit)) for box in boxes],
        },
        "hovertext": [box.hover for box in boxes], "hoverinfo": "text",
    }  # fmt: skip


def _draw_kernels(boxes: list[_Box]) -> list[dict[str, Any]]:
    """The paper's cue: each conv's window drawn on the map it slides over, with lines to its output.

    Two traces for all the convs (the windows, then the dotted lines), ``None`` between the parts.
    """
    windows: dict[str, Any] = {
        "type": "scatter", "x": [], "y": [], "fill": "toself", "fillcolor": "rgba(255,255,255,0.6)",
        "mode": "lines", "line": {"color": "#222", "width": 1.2}, "hoverinfo": "skip", "showlegend": False,
    }  # fmt: skip
    lines: dict[str, Any] = {
        "type": "scatter", "x": [], "y": [], "mode": "lines",
        "line": {"color": "#222", "width": 0.8, "dash": "dot"}, "hoverinfo": "skip", "showlegend": False,
    }  # fmt: skip
    for before, after in itertools.pairwise(boxes):
        if after.kind != "conv" or after.kernel is None or len(before.shape) != 3:
            continue
        k = after.kernel[0]
        fh = min(1.0, k / before.shape[1]) * before.height  # window height on the drawn face
        fw = min(1.0, k / before.shape[2]) * before.width
        x1 = before.x + before.length
        # the window sits in the middle of the previous box's visible H x W face
        cx = x1 + (before.width - fw) / 2 * SLANT[0]
        cy = (before.height - fh) / 2 + (before.width - fw) / 2 * SLANT[1]
        xs = [cx, cx + fw * SLANT[0], cx + fw * SLANT[0], cx, cx]
        ys = [cy, cy + fw * SLANT[1], cy + fw * SLANT[1] + fh, cy + fh, cy]
        windows["x"] += [*xs, None]
        windows["y"] += [*ys, None]
        # lines from the window's corners to one pixel of the output map
        tx = after.x + after.length * 0.5 + after.width * SLANT[0] * 0.5
        ty = after.height * 0.5 + after.width * SLANT[1] * 0.5
        for px, py in zip(xs[:4], ys[:4], strict=True):
            lines["x"] += [px, tx, None]
            lines["y"] += [py, ty, None]
    return [windows, lines] if windows["x"] else []


def _draw_labels(boxes: list[_Box]) -> list[dict[str, Any]]:
    """Name, shape and window under each box; every other label a row lower, so neighbours never meet."""
    labels = []
    for index, box in enumerate(boxes):
        name, _, kernel = box.label.partition(" ")
        text = f"<b>{name}</b><br>{_dims(box.shape)}" + (f"<br>{kernel}" if kernel else "")
        labels.append({
            "x": box.x + box.length / 2, "y": -1, "yshift": -LABEL_ROW_PX * (index % 2), "text": text,
            "showarrow": False, "yanchor": "top", "font": {"size": 11, "color": "#333"},
        })  # fmt: skip
    return labels
