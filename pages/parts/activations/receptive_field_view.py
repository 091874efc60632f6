"""The Activations page's receptive-field section: click a cell of a feature map, see where it looks.

Not a page itself (pages/activations.py calls ``show``). The cell is picked by clicking the
map (``st.plotly_chart(on_select=...)``, whose callback moves the row and column sliders) or
with those two sliders, which set it exactly and take arrow keys. The rectangle is pure
arithmetic (``alexnet.network.receptive``); the map is the layer's output the page already computed.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from alexnet.inspect import images
from alexnet.network.config import AlexNetConfig
from alexnet.network.receptive import ReceptiveRect, comb_layers, receptive_rect, uneven_pool_note
from alexnet.network.shapes import LayerShape, analyze
from alexnet.plots import activations as maps_plots
from alexnet.plots.receptive import cell_map_figure, field_figure
from alexnet.units import range_text
from pages.parts.common.start_here import RECEPTIVE_ANCHOR, reached

LAYER_KEY, ROW_KEY, COL_KEY, MAP_KEY = "rf_layer", "rf_row", "rf_col", "rf_map"
PLOT_CONFIG = {"displayModeBar": False}
DEFAULT_LAYER = "conv2"


def _on_click() -> None:
    """A click on the map selects one cell: move the sliders to it."""
    points = st.session_state[MAP_KEY]["selection"]["points"]
    if points:
        st.session_state[ROW_KEY], st.session_state[COL_KEY] = int(points[0]["y"]), int(points[0]["x"])
        reached(2)  # Start here's step 2 (a callback: the box, drawn next, shows the tick)


def _centre_cell() -> None:
    """A new layer starts at its centre cell (the old numbers may not exist in the new map)."""
    st.session_state.pop(ROW_KEY, None)
    st.session_state.pop(COL_KEY, None)


def _pick_layer(layers: dict[str, LayerShape]) -> LayerShape:
    if st.session_state.get(LAYER_KEY) not in layers:
        named = [module for module, layer in layers.items() if layer.name == DEFAULT_LAYER]
        st.session_state[LAYER_KEY] = (named or list(layers))[0]
    return layers[
        st.selectbox(
            "Layer",
            list(layers),
            key=LAYER_KEY,
            format_func=lambda m: layers[m].name if m in layers else m,
            on_change=_centre_cell,
        )
    ]


def _cell_slider(column, label: str, key: str, side: int) -> int:
    if st.session_state.get(key, side) > side - 1:
        st.session_state[key] = side // 2  # a first visit, or the map shrank (another network or image size)
    return int(column.slider(label, 0, side - 1, key=key, help="Arrow keys move a focused slider one cell."))


def caption(layer: LayerShape, row: int, col: int, rect: ReceptiveRect, combs: list[str]) -> str:
    """The sentence under the figures: which pixels, the jump and the receptive-field size."""
    height, width = rect.rows[1] - rect.rows[0] + 1, rect.cols[1] - rect.cols[0] + 1
    jump = range_text(*layer.jump_range) if layer.jump_range else "?"
    where = (
        "reads **no pixel at all**: its window holds only padding"
        if rect.empty
        else f"reads input rows {rect.clipped_rows[0]}–{rect.clipped_rows[1]} and columns "
        f"{rect.clipped_cols[0]}–{rect.clipped_cols[1]}"
    )
    text = (
        f"Cell (row {row}, column {col}) of **{layer.name}** {where}. **Receptive field {height} × {width} px**: "
        f"r grows by (K − 1) × j at every layer. **Jump {jump} px**: the next cell's field starts that many "
        "pixels further on (the product of the strides so far)."
    )
    note = uneven_pool_note([layer])
    if note:
        text += f" {note}"
    if combs and not rect.empty:
        text += (
            f" The stride of {', '.join(combs)} is larger than its window, so pixels between windows are never read: "
            "the orange box is only the **bounding box** of the pixels this cell reads, and some inside it are unread."
        )
    if rect.clipped:
        text += (
            f" The dashed square (rows {rect.rows[0]}–{rect.rows[1]}, columns {rect.cols[0]}–{rect.cols[1]}) is what "
            "the formula gives; the part outside the orange box lies in some layer's zero padding, so it reads nothing."
        )
    return text


def show(config: AlexNetConfig, run: images.ImageRun, image: images.Preprocessed) -> None:
    """The section: a layer, a cell (click or sliders), the map and the image with the cell's field."""
    st.subheader("6 · Where one cell looks (receptive field)", divider="gray", anchor=RECEPTIVE_ANCHOR)
    st.markdown(
        "Every cell of a feature map is computed from a square of the input image, its **receptive field**. "
        "Below is the picked layer's map once more, the mean of its channels in the feature maps' colours: "
        "click one of its cells (or set its row and column) to see that square on the image."
    )
    report = analyze(config)
    layers = {
        layer.module: layer
        for layer in maps_plots.spatial_layers(report.layers)
        if layer.module in run.maps and layer.rf_start is not None
    }
    if not layers:
        st.caption("This network has no feature map to pick a cell from.")
        return
    pick, row_col, col_col = st.columns([1.2, 1, 1])
    with pick:
        layer = _pick_layer(layers)
    side = layer.out_shape[1]
    row = _cell_slider(row_col, "Row", ROW_KEY, side)
    col = _cell_slider(col_col, "Column", COL_KEY, side)

    values = np.asarray(run.maps[layer.module], dtype=np.float64).mean(axis=0)  # (H, W)
    rect = receptive_rect(config, layer, row, col)
    left, right = st.columns(2)
    left.plotly_chart(
        cell_map_figure(
            values, row, col, title=f"{layer.name} ({side} × {side}), mean of {len(run.maps[layer.module])} channels"
        ),
        config=PLOT_CONFIG,
        key=MAP_KEY,
        on_select=_on_click,
        selection_mode="points",
    )
    right.plotly_chart(
        field_figure(image.resized, rect, title=f"The {config.input_size} × {config.input_size} input"),
        config=PLOT_CONFIG,
        key="rf_image",
    )
    st.caption(caption(layer, row, col, rect, comb_layers(config, layer)))
