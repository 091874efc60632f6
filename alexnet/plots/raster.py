"""Arrays drawn as images: quantised to a palette, tiled into a mosaic, sent as one PNG.

A layer's maps are quantised to ``LEVELS`` colour steps and tiled into one mosaic, sent to the
browser as ONE palette PNG in a plotly image trace (what ``px.imshow(binary_string=True)`` does for
RGB, at a third of the bytes), not as a heatmap of numbers. The colour bar beside it is a scatter
trace with an invisible point, so the figure keeps a real, readable scale.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

GAP_RGB = (208, 212, 218)  # light grey between tiles, so all-white (zero) tiles stay visible
LEVELS = 255  # colour steps of a map; palette index 255 is the gap between tiles
GAP = LEVELS  # palette index of the gap colour


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


def colorbar_trace(colorscale, low: float, high: float, title: str, ticks: dict | None = None) -> go.Scatter:
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


def image_figure(source: str, height: int, width: int) -> go.Figure:
    """A figure holding one PNG of ``height`` x ``width`` pixels, pixel (row, col) at (x=col, y=row)."""
    figure = go.Figure(go.Image(source=source, x0=0, y0=0, dx=1, dy=1, hoverinfo="skip", name="image"))
    figure.update_xaxes(visible=False, range=[-0.5, width - 0.5], constrain="domain")
    figure.update_yaxes(visible=False, range=[height - 0.5, -0.5], scaleanchor="x", constrain="domain")
    return figure


def tiled_figure(
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

    figure = image_figure(png_source(canvas, colors), *canvas.shape[:2])
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
