"""Feature maps, filters and preprocessing, drawn as images: arrays in, plotly figures out.

A layer's maps are tiled into one mosaic, quantised to 255 colour steps and sent to the browser
as ONE palette PNG in a plotly image trace (what ``px.imshow(binary_string=True)`` does for RGB,
at a third of the bytes), not as a heatmap of numbers: see ``tests/test_activations.py`` for
what conv1 of the paper (96 maps of 55 x 55) costs each way.

Colours keep the true values readable: zero is always white. A layer with negative values
(a convolution, the normalised input) uses a diverging scale, blue < 0 < red, symmetric
around zero; a layer without (ReLU, norm, pool) uses white -> red, the positive half of the
same scale, so going from conv to relu visibly removes the blue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from alexnet.network.config import ACTIVATIONS
from alexnet.network.shapes import LayerShape
from alexnet.plots.raster import colorbar_trace, grid_columns, image_figure, levels, palette, png_source, tiled_figure

SPATIAL_KINDS = ("conv", *ACTIVATIONS, "norm", "pool", "avgpool")  # layers whose output is (C, H, W)
DIVERGING = "RdBu_r"  # blue (negative) -> white (zero) -> red (positive)
POSITIVE = [[0.0, "#ffffff"], [0.5, "#f4a582"], [1.0, "#67001f"]]  # the red half of RdBu_r
DEFAULT_WIDTH = 860  # pixels: the usual width of a mosaic on the page (wide layout, colour bar aside)


def spatial_layers(layers: Sequence[LayerShape]) -> list[LayerShape]:
    """The layers with a feature map to draw: conv, relu/tanh, norm, pool and avgpool outputs (C, H, W)."""
    return [layer for layer in layers if layer.kind in SPATIAL_KINDS and len(layer.out_shape) == 3]


def channel_stats(maps: np.ndarray) -> pd.DataFrame:
    """Per-channel statistics of one image's layer output ``maps`` (C, H, W).

    Returns:
        One row per channel: ``channel``, ``min``, ``mean``, ``max`` and ``zeros`` (the fraction
        of positions exactly 0, which is what a ReLU produces for every negative input).
    """
    flat = maps.reshape(maps.shape[0], -1).astype(np.float64)  # (C, H*W)
    return pd.DataFrame(
        {
            "channel": np.arange(maps.shape[0]),
            "min": flat.min(axis=1),
            "mean": flat.mean(axis=1),
            "max": flat.max(axis=1),
            "zeros": (flat == 0).mean(axis=1),
        }
    )


def pick_channels(maps: np.ndarray, count: int | None, order: str = "index") -> np.ndarray:
    """Which channels to show: the first ``count``, or the ``count`` with the largest mean.

    Args:
        maps: (C, H, W).
        count: how many; ``None`` for all of them.
        order: ``"index"`` (0, 1, 2, ...) or ``"active"`` (largest mean activation first).
    """
    channels = maps.shape[0]
    count = channels if count is None else min(count, channels)
    if order == "active":
        means = maps.reshape(channels, -1).mean(axis=1)
        return np.argsort(-means, kind="stable")[:count]
    if order != "index":
        raise ValueError(f"unknown order {order!r}")
    return np.arange(count)


def feature_map_figure(
    maps: np.ndarray,
    channels: Sequence[int] | np.ndarray,
    *,
    shared_scale: bool = True,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    columns: int | None = None,
    width: int = DEFAULT_WIDTH,
    max_height: int = 1400,
) -> go.Figure:
    """A grid of feature maps drawn as one palette PNG, each tile labelled with its channel.

    Args:
        maps: one image's layer output (C, H, W), true values (negatives kept).
        channels: which channels to draw, in this order.
        shared_scale: one colour scale for all tiles (compare channels) or one per tile
            (see the pattern inside a weak channel).
        labels: a label per drawn tile; default ``"#<channel>"``.
        columns: tiles per row; default about twice as wide as tall.
        width: the expected width in pixels, to choose a height that fits.

    Returns:
        An image trace (one PNG), a text trace with the labels, a hover trace with each tile's
        min / mean / max, and a colour bar.
    """
    channels = np.asarray(channels, dtype=np.intp)
    chosen = maps[channels].astype(np.float64)  # (N, H, W)
    signed = bool((maps < 0).any())
    colorscale = DIVERGING if signed else POSITIVE
    if shared_scale:
        top = float(np.abs(chosen).max()) or 1.0
        low, high = (-top if signed else 0.0), top
        tiles = levels(chosen, low, high)
    else:
        tops = np.abs(chosen).reshape(len(chosen), -1).max(axis=1)[:, None, None]  # (N, 1, 1)
        tops = np.where(tops > 0, tops, 1.0)
        tiles = levels(chosen, -tops if signed else 0.0, tops)

    labels = [f"#{c}" for c in channels] if labels is None else list(labels)
    hover = [
        f"{label}<br>min {m.min():.3g} · mean {m.mean():.3g} · max {m.max():.3g}"
        for label, m in zip(labels, chosen, strict=True)
    ]
    height, tile_w = chosen.shape[1:]
    figure = tiled_figure(
        tiles,
        labels,
        hover,
        colors=palette(colorscale),
        columns=columns or grid_columns(len(chosen), height, tile_w),
        show_labels=True,
        width=width,
        max_height=max_height,
        title=title,
    )
    if shared_scale:
        figure.add_trace(colorbar_trace(colorscale, low, high, "value"))
    else:
        ticks = {
            "tickvals": [-1, 0, 1] if signed else [0, 1],
            "ticktext": (["−max", "0", "+max"] if signed else ["0", "max"]),
        }
        figure.add_trace(colorbar_trace(colorscale, -1.0 if signed else 0.0, 1.0, "each tile", ticks))
    return figure


def filter_tiles(weights: np.ndarray, *, grey: bool = False) -> np.ndarray:
    """First-layer filters (O, I, K, K) as RGB tiles (O, K, K, 3) uint8: colour, or grey for a grey input.

    Colour (3 input channels, colour data): each filter is stretched on its own,
    tile = (w - min(w)) / (max(w) - min(w)), so its strongest positive weight is bright and its
    strongest negative one dark; its R, G, B weights become the tile's colour.

    Grey (``grey``, or any input count but 3): a grey image copied into every channel meets only
    the sum over the filter's input channels, s = sum_i w_i, so that sum is drawn, stretched
    symmetrically around zero, tile = 1/2 + s / (2 max|s|): mid grey is a weight of 0, white the
    largest weight, black a negative one as large (a filter with no negative weight has no black).
    """
    weights = weights.astype(np.float64)
    if grey or weights.shape[1] != 3:
        summed = weights.sum(axis=1)  # (O, K, K): the filter a grey image meets
        peak = np.abs(summed).max(axis=(1, 2), keepdims=True)
        unit = 0.5 + summed / (2 * np.maximum(peak, 1e-12))  # (O, K, K) in 0..1, 0 -> 0.5
        return np.repeat(np.rint(unit * 255).astype(np.uint8)[..., None], 3, axis=3)  # (O, K, K, 3)
    low = weights.min(axis=(1, 2, 3), keepdims=True)
    high = weights.max(axis=(1, 2, 3), keepdims=True)
    unit = (weights - low) / np.maximum(high - low, 1e-12)  # (O, 3, K, K) in 0..1
    return np.rint(unit.transpose(0, 2, 3, 1) * 255).astype(np.uint8)  # (O, K, K, 3)


def grey_filters_note(inputs: int) -> str:
    """The line under filters drawn in grey (``filter_tiles(grey=True)``): what a tile is and how to read it."""
    scale = "mid grey = 0, white = positive, black = negative, stretched to the filter's largest weight"
    if inputs == 1:
        return f"Drawn in grey, like the network's one input channel ({scale})."
    return (
        f"Drawn in grey: each filter is the sum of its {inputs} input channels, which is the filter a grey image "
        f"copied into them meets ({scale})."
    )


def filters_figure(
    weights: np.ndarray, *, grey: bool = False, title: str | None = None, width: int = DEFAULT_WIDTH
) -> go.Figure:
    """conv1's filters as small images, the way the paper's Figure 3 shows them (``filter_tiles``).

    Each K x K filter is enlarged by pixel repetition (nearest neighbour) so it stays sharp; ``grey``
    draws the sum over its input channels, what a grey image meets.
    """
    tiles = filter_tiles(weights, grey=grey)  # (O, K, K, 3)
    kernel = tiles.shape[1]
    zoom = max(1, math.ceil(24 / kernel))
    tiles = tiles.repeat(zoom, axis=1).repeat(zoom, axis=2)
    columns = grid_columns(len(tiles), 1, 1, aspect=1.5)
    drawn = weights.astype(np.float64)
    if grey or weights.shape[1] != 3:  # the hover describes what is drawn: the sum over the inputs
        drawn = drawn.sum(axis=1, keepdims=True)
    what = "weights" if weights.shape[1] == 1 or drawn.shape[1] == 3 else "summed weights"
    hover = [f"filter #{i}<br>{what} {w.min():.3g} .. {w.max():.3g}" for i, w in enumerate(drawn)]
    return tiled_figure(
        tiles,
        [f"#{i}" for i in range(len(tiles))],
        hover,
        colors=None,
        columns=columns,
        show_labels=False,
        width=width,
        max_height=600,
        title=title,
    )


def picture_figure(image: np.ndarray, *, title: str | None = None, height: int = 260) -> go.Figure:
    """A photo (H, W, 3) or greyscale (H, W, 1) uint8, sent as one PNG."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    figure = image_figure(png_source(np.ascontiguousarray(image)), *image.shape[:2])
    figure.update_layout(
        title={"text": title, "font": {"size": 14}} if title else None,
        height=height,
        margin={"l": 0, "r": 0, "t": 30 + 18 * title.count("<br>") if title else 0, "b": 0},  # 18 px a line
        dragmode=False,
    )
    return figure


def input_ranges(scaled: np.ndarray, normalized: np.ndarray) -> pd.DataFrame:
    """Per-channel min / mean / max of the input before (x = pixel / 255) and after normalisation.

    Args:
        scaled, normalized: (C, S, S).
    """
    names = ["R", "G", "B"] if scaled.shape[0] == 3 else [f"channel {c}" for c in range(scaled.shape[0])]
    rows = []
    for stage, values in (("x = pixel / 255", scaled), ("x' = (x − mean) / std", normalized)):
        for name, channel in zip(names, values.astype(np.float64), strict=True):
            rows.append(
                {"stage": stage, "channel": name, "min": channel.min(), "mean": channel.mean(), "max": channel.max()}
            )
    return pd.DataFrame(rows)


def ranges_figure(ranges: pd.DataFrame) -> go.Figure:
    """Each channel's value range before and after normalisation: a bar from min to max, a tick at the mean."""
    channels = list(dict.fromkeys(ranges["channel"]))
    stages = list(dict.fromkeys(ranges["stage"]))
    figure = go.Figure()
    for offset, stage, color in zip((-0.18, 0.18), stages, ("#b8c0cc", "#4c72b0"), strict=False):
        part = ranges[ranges["stage"] == stage]
        rows = [channels.index(c) + offset for c in part["channel"]]
        figure.add_trace(
            go.Bar(
                y=rows,
                x=part["max"] - part["min"],
                base=part["min"],
                orientation="h",
                width=0.32,
                marker_color=color,
                name=stage,
                customdata=np.stack([part["min"], part["mean"], part["max"]], axis=1),
                hovertemplate="min %{customdata[0]:.3f} · mean %{customdata[1]:.3f} · max %{customdata[2]:.3f}"
                "<extra>%{fullData.name}</extra>",
            )
        )
        figure.add_trace(
            go.Scatter(
                y=rows,
                x=part["mean"],
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 14, "color": "#222", "line": {"width": 2}},
                name="mean",
                showlegend=offset > 0,
                hoverinfo="skip",
            )
        )
    figure.add_vline(x=0, line_width=1, line_color="#888")
    figure.update_yaxes(
        tickvals=list(range(len(channels))), ticktext=channels, autorange="reversed", showgrid=False, zeroline=False
    )
    figure.update_xaxes(title="value", zeroline=False)
    figure.update_layout(
        height=120 + 44 * len(channels),
        margin={"l": 0, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        barmode="overlay",
    )
    return figure
