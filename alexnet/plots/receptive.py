"""A feature map to click and the input image with the clicked cell's receptive field: arrays in, figures out.

``cell_map_figure`` draws one layer's map (the mean over its channels) as a heatmap, with a
scatter of one invisible marker per cell on top: plotly's heatmap emits no point selection,
the scatter does, so ``st.plotly_chart(on_select=...)`` hands back the clicked cell's (x=col, y=row).

``field_figure`` draws the image the network sees with ``alexnet.network.receptive.ReceptiveRect``:
the pixels the cell reads as a filled rectangle (named ``FIELD_SHAPE``), and, when the field
runs into the padding, the analytic square of the recurrences as a dashed outline reaching
past the image's edge. Pixel (row, col) is at (x=col, y=row); a rectangle over pixels a .. b
spans a - 0.5 .. b + 0.5.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from alexnet.network.receptive import ReceptiveRect
from alexnet.plots.activations import DIVERGING, POSITIVE
from alexnet.plots.raster import png_source

FIELD_SHAPE = "receptive field"  # name of the rectangle of pixels the cell reads
ANALYTIC_SHAPE = "analytic field"  # name of the unclipped square (only when it reaches the padding)
CELL_SHAPE = "picked cell"
FIELD_COLOR = "#f58518"
ANALYTIC_COLOR = "#4c78a8"


def cell_map_figure(values: np.ndarray, row: int, col: int, *, title: str, height: int = 340) -> go.Figure:
    """A clickable (H, W) map with cell (row, col) outlined.

    Args:
        values: one number per cell, e.g. the mean of a layer's channels.
    """
    side_h, side_w = values.shape
    rows, cols = np.mgrid[0:side_h, 0:side_w]
    # the feature maps' colours (alexnet.plots.activations): white at zero, red up, blue down when signed
    top = float(np.abs(values).max()) or 1.0
    signed = bool((values < 0).any())
    figure = go.Figure(
        go.Heatmap(
            z=values, colorscale=DIVERGING if signed else POSITIVE, zmin=-top if signed else 0.0, zmax=top,
            colorbar={"title": {"text": "mean", "side": "right"}, "thickness": 12, "len": 0.8},
            hoverinfo="skip", name="map",
        ),
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=cols.ravel(),
            y=rows.ravel(),
            mode="markers",
            # almost transparent squares, one per cell: they take the clicks (a heatmap emits no selection)
            marker={"symbol": "square", "size": max(4, min(40, 0.8 * (height - 40) / side_h)), "opacity": 0.01},
            selected={"marker": {"opacity": 0.01}},
            unselected={"marker": {"opacity": 0.01}},
            hovertemplate="row %{y}, column %{x}<extra></extra>",
            name="cells",
            showlegend=False,
        )
    )
    for color, line_width, name in (("#222222", 5, "picked cell edge"), (FIELD_COLOR, 3, CELL_SHAPE)):
        # orange as the field on the image, on a dark edge that shows on the map's dark red too
        figure.add_shape(
            type="rect",
            x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
            line={"color": color, "width": line_width}, name=name,
        )  # fmt: skip
    figure.update_xaxes(range=[-0.5, side_w - 0.5], constrain="domain", showgrid=False, zeroline=False)
    figure.update_yaxes(range=[side_h - 0.5, -0.5], scaleanchor="x", constrain="domain", showgrid=False, zeroline=False)
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 30, "r": 10, "t": 40, "b": 20},
        clickmode="event+select",
        dragmode=False,
    )
    return figure


def field_figure(picture: np.ndarray, rect: ReceptiveRect, *, title: str, height: int = 340) -> go.Figure:
    """The (S, S, C) uint8 picture with the receptive field drawn on it.

    The view reaches past the image wherever the analytic square does, so its part in the
    padding shows as a dashed outline over nothing.
    """
    if picture.ndim == 3 and picture.shape[2] == 1:
        picture = picture[:, :, 0]
    side_h, side_w = picture.shape[:2]
    figure = go.Figure(go.Image(source=png_source(np.ascontiguousarray(picture)), x0=0, y0=0, dx=1, dy=1))
    figure.data[0].update(hoverinfo="skip", name="image")
    figure.add_shape(
        type="rect", x0=-0.5, x1=side_w - 0.5, y0=-0.5, y1=side_h - 0.5,
        line={"color": "#888888", "width": 1}, name="image edge",
    )  # fmt: skip
    if rect.clipped:
        figure.add_shape(
            type="rect",
            x0=rect.cols[0] - 0.5, x1=rect.cols[1] + 0.5, y0=rect.rows[0] - 0.5, y1=rect.rows[1] + 0.5,
            line={"color": ANALYTIC_COLOR, "width": 2, "dash": "dash"}, name=ANALYTIC_SHAPE,
        )  # fmt: skip
    if not rect.empty:
        (top, bottom), (left, right) = rect.clipped_rows, rect.clipped_cols
        figure.add_shape(
            type="rect",
            x0=left - 0.5, x1=right + 0.5, y0=top - 0.5, y1=bottom + 0.5,
            line={"color": FIELD_COLOR, "width": 3}, fillcolor="rgba(245, 133, 24, 0.18)", name=FIELD_SHAPE,
        )  # fmt: skip
    low_x, high_x = min(-0.5, rect.cols[0] - 0.5), max(side_w - 0.5, rect.cols[1] + 0.5)
    low_y, high_y = min(-0.5, rect.rows[0] - 0.5), max(side_h - 0.5, rect.rows[1] + 0.5)
    figure.update_xaxes(visible=False, range=[low_x, high_x], constrain="domain")
    figure.update_yaxes(visible=False, range=[high_y, low_y], scaleanchor="x", constrain="domain")
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        dragmode=False,
        plot_bgcolor="#f0f0f0",  # the padding around the image: nothing there
    )
    return figure
