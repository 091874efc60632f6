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

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

from alexnet.network.shapes import LayerShape

SPATIAL_KINDS = ("conv", "relu", "norm", "pool", "avgpool")  # layers whose output is (C, H, W)
DIVERGING = "RdBu_r"  # blue (negative) -> white (zero) -> red (positive)
POSITIVE = [[0.0, "#ffffff"], [0.5, "#f4a582"], [1.0, "#67001f"]]  # the red half of RdBu_r
GAP_RGB = (208, 212, 218)  # light grey between tiles, so all-white (zero) tiles stay visible
LEVELS = 255  # colour steps of a map; palette index 255 is the gap between tiles
GAP = LEVELS  # palette index of the gap colour
DEFAULT_WIDTH = 860  # pixels: the usual width of a mosaic on the page (wide layout, colour bar aside)


def spatial_layers(layers: Sequence[LayerShape]) -> list[LayerShape]:
    """The layers with a feature map to draw: conv, relu, norm, pool and avgpool outputs (C, H, W)."""
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


def palette(colorscale) -> np.ndarray:
    """A plotly colour scale sampled at ``LEVELS`` points, plus the gap colour last: (256, 3) uint8."""
    colors = sample_colorscale(colorscale, np.linspace(0, 1, LEVELS))  # ["rgb(r, g, b)", ...]
    table = [[round(float(c)) for c in rgb[rgb.index("(") + 1 : -1].split(",")] for rgb in colors]
    return np.array([*table, GAP_RGB], dtype=np.uint8)


def levels(values: np.ndarray, low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """Quantise ``values`` linearly from [low, high] to colour indices 0 .. LEVELS - 1 (uint8).

    ``low`` and ``high`` broadcast against ``values`` (one pair per tile for per-tile scales).
    """
    span = np.maximum(np.asarray(high, np.float64) - low, 1e-12)
    fraction = np.clip((values - low) / span, 0.0, 1.0)
    return np.rint(fraction * (LEVELS - 1)).astype(np.uint8)


def png_source(image: np.ndarray, colors: np.ndarray | None = None) -> str:
    """An image as a ``data:image/png;base64,...`` URI, the way plotly's image trace takes it.

    Args:
        image: (H, W) colour indices with ``colors`` (256, 3) as palette, or (H, W, 3) uint8 RGB.
    """
    picture = Image.fromarray(image)
    if colors is not None:
        picture = picture.convert("P") if picture.mode != "P" else picture
        picture.putpalette(colors.reshape(-1).tolist())
    buffer = io.BytesIO()
    # zlib level 3, not 9: a 1600 x 900 mosaic encodes in 14 ms instead of 240 ms and is 40% larger
    # (95 kB instead of 66 kB), which a browser on loopback or a LAN takes in well under that time
    picture.save(buffer, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def grid_columns(count: int, tile_height: int, tile_width: int, aspect: float = 2.2) -> int:
    """Columns that make a mosaic of ``count`` tiles about ``aspect`` times wider than tall.

    A nearby count that fills every row (32 maps: 8 x 4, not 9 + 9 + 9 + 5) is preferred.
    """
    target = math.sqrt(count * aspect * tile_height / tile_width)
    even = [c for c in range(max(1, math.floor(target * 0.75)), math.ceil(target * 1.35) + 1) if count % c == 0]
    columns = min(even, key=lambda c: abs(c - target)) if even else math.ceil(target)
    return max(1, min(count, columns))


def mosaic(
    tiles: np.ndarray, columns: int, gap: int, band: int = 0, fill: int | Sequence[int] = GAP
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Lay tiles (N, h, w) or (N, h, w, 3) out in a grid, row by row, on a ``fill`` background.

    Each cell is ``band`` pixels of label space above the tile plus ``gap`` pixels around it.

    Returns:
        The (H, W) or (H, W, 3) mosaic and each tile's top-left corner (row, column) in it.
    """
    count, height, width = tiles.shape[:3]
    rows = math.ceil(count / columns)
    cell_h, cell_w = band + height + gap, width + gap
    canvas = np.empty((rows * cell_h + gap, columns * cell_w + gap, *tiles.shape[3:]), tiles.dtype)
    canvas[:] = fill
    corners = []
    for i in range(count):
        top = (i // columns) * cell_h + gap + band
        left = (i % columns) * cell_w + gap
        canvas[top : top + height, left : left + width] = tiles[i]
        corners.append((top, left))
    return canvas, corners


def _colorbar_trace(colorscale, low: float, high: float, title: str, ticks: dict | None = None) -> go.Scatter:
    """An invisible trace whose only job is to show a colour bar beside an image."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker={
            "colorscale": colorscale,
            "cmin": low,
            "cmax": high,
            "color": [low],
            "showscale": True,
            "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 12, "len": 0.9, **(ticks or {})},
        },
    )


def _image_figure(source: str, height: int, width: int) -> go.Figure:
    """A figure holding one PNG of ``height`` x ``width`` pixels, pixel (row, col) at (x=col, y=row)."""
    figure = go.Figure(go.Image(source=source, x0=0, y0=0, dx=1, dy=1, hoverinfo="skip", name="image"))
    figure.update_xaxes(visible=False, range=[-0.5, width - 0.5], constrain="domain")
    figure.update_yaxes(visible=False, range=[height - 0.5, -0.5], scaleanchor="x", constrain="domain")
    return figure


def _tiled_figure(
    tiles: np.ndarray,
    labels: Sequence[str],
    hover: Sequence[str],
    *,
    colors: np.ndarray | None,
    columns: int,
    show_labels: bool,
    width: int,
    max_height: int,
    title: str | None,
) -> go.Figure:
    """One PNG of all tiles, a text trace of labels above them and a hover trace at their centres.

    Args:
        tiles: (N, h, w) colour indices into ``colors``, or (N, h, w, 3) RGB when ``colors`` is None.
    """
    height, tile_w = tiles.shape[1:3]
    gap = max(1, round(height * 0.08))
    band = max(3, round(height * 0.3)) if show_labels else 0
    canvas, corners = mosaic(tiles, columns, gap, band, fill=GAP if colors is not None else GAP_RGB)

    figure = _image_figure(png_source(canvas, colors), *canvas.shape[:2])
    if show_labels:
        figure.add_trace(
            go.Scatter(
                x=[left - 0.5 for _, left in corners],
                y=[top - 0.5 for top, _ in corners],
                text=list(labels),
                mode="text",
                textposition="top right",
                textfont={"size": 10, "color": "#2b2f36"},
                hoverinfo="skip",
                showlegend=False,
                name="labels",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[left + tile_w / 2 - 0.5 for _, left in corners],
            y=[top + height / 2 - 0.5 for top, _ in corners],
            mode="markers",
            marker={"size": 18, "opacity": 0},
            hovertext=list(hover),
            hoverinfo="text",
            showlegend=False,
            name="tiles",
        )
    )
    top_margin = 34 if title else 4
    plot_height = min(max_height, max(90, round(width * canvas.shape[0] / canvas.shape[1])))
    figure.update_layout(
        title={"text": title, "font": {"size": 14}} if title else None,
        height=plot_height + top_margin + 4,
        margin={"l": 4, "r": 4, "t": top_margin, "b": 4},
        plot_bgcolor="white",
        hoverlabel={"font_size": 12},
        dragmode=False,
    )
    return figure


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
    figure = _tiled_figure(
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
        figure.add_trace(_colorbar_trace(colorscale, low, high, "value"))
    else:
        ticks = {
            "tickvals": [-1, 0, 1] if signed else [0, 1],
            "ticktext": (["−max", "0", "+max"] if signed else ["0", "max"]),
        }
        figure.add_trace(_colorbar_trace(colorscale, -1.0 if signed else 0.0, 1.0, "each tile", ticks))
    return figure


def filter_tiles(weights: np.ndarray) -> np.ndarray:
    """First-layer filters (O, I, K, K) as RGB tiles (O, K, K, 3) uint8, each min-max normalised.

    Each filter is stretched on its own: tile = (w - min(w)) / (max(w) - min(w)), so its
    strongest positive weight is bright and its strongest negative one dark. A 3-channel filter
    becomes a colour image (R, G, B weights), any other a grey one (the mean over its inputs).
    """
    weights = weights.astype(np.float64)
    if weights.shape[1] != 3:
        weights = np.repeat(weights.mean(axis=1, keepdims=True), 3, axis=1)
    low = weights.min(axis=(1, 2, 3), keepdims=True)
    high = weights.max(axis=(1, 2, 3), keepdims=True)
    unit = (weights - low) / np.maximum(high - low, 1e-12)  # (O, 3, K, K) in 0..1
    return np.rint(unit.transpose(0, 2, 3, 1) * 255).astype(np.uint8)  # (O, K, K, 3)


def filters_figure(weights: np.ndarray, *, title: str | None = None, width: int = DEFAULT_WIDTH) -> go.Figure:
    """conv1's filters as small images, the way the paper's Figure 3 shows them.

    Each K x K filter is enlarged by pixel repetition (nearest neighbour) so it stays sharp.
    """
    tiles = filter_tiles(weights)  # (O, K, K, 3)
    kernel = tiles.shape[1]
    zoom = max(1, math.ceil(24 / kernel))
    tiles = tiles.repeat(zoom, axis=1).repeat(zoom, axis=2)
    columns = grid_columns(len(tiles), 1, 1, aspect=1.5)
    hover = [f"filter #{i}<br>weights {w.min():.3g} .. {w.max():.3g}" for i, w in enumerate(weights.astype(np.float64))]
    return _tiled_figure(
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
    figure = _image_figure(png_source(np.ascontiguousarray(image)), *image.shape[:2])
    figure.update_layout(
        title={"text": title, "font": {"size": 14}} if title else None,
        height=height,
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
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
