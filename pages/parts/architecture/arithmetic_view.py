"""The Architecture page's "why" views: one layer's convolution arithmetic, and what each value would give.

Not a page itself (pages/architecture.py calls it). Both views are pure arithmetic
(``alexnet.network.window``, ``alexnet.network.whatif``): they cost no forward pass, so they follow every
slider within the same rerun. Their figures are ``FigureSpec``s, written as plotly.js's dicts (2 ms
for conv1 of the paper network, where graph objects took 0.2 s) and cached per configuration for
every session, and drawn by ``pages.parts.common.mounted_chart``: a rerun sends the JSON made once per
figure, and the browser updates the chart in place.
"""

from __future__ import annotations

import streamlit as st

from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import LayerShape, ShapeReport, layer_window
from alexnet.network.whatif import SWEEPABLE, WhatIf, sweep
from alexnet.network.window import axis_geometry
from alexnet.plots.arithmetic import arithmetic_figure, formula_caption
from alexnet.plots.spec import FigureSpec
from alexnet.plots.whatif import whatif_figure
from alexnet.units import format_count, format_mult_adds
from pages.parts.architecture.block_editor import ARITH_LAYER_KEY
from pages.parts.common.mounted_chart import mounted_chart
from pages.parts.common.sidebar import CONFIG_HASH

WHATIF_KEY = "arch_whatif"
ARITH_FAILING_KEY = "arith_failing_layer"  # the failing layer the view last jumped to
PLOT_CONFIG = {"displayModeBar": False}


@st.cache_resource(max_entries=256, show_spinner=False)
def sliding_window_figure(size: int, kernel: int, stride: int, padding: int) -> FigureSpec:
    """One axis of a layer, drawn; shared read-only by every session."""
    geometry = axis_geometry(size, kernel, stride, padding)
    return arithmetic_figure(geometry, title=formula_caption(geometry))


@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=CONFIG_HASH)
def sweep_points(config: AlexNetConfig, index: int, field: str) -> list[WhatIf]:
    """Each value of block ``index``'s ``field``, the rest unchanged; shared read-only by every session."""
    return sweep(config, index, field)


@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=CONFIG_HASH)
def sweep_figure(config: AlexNetConfig, index: int, field: str) -> FigureSpec:
    """The what-if chart of block ``index``'s ``field``; shared read-only by every session."""
    current = getattr(config.blocks[index], field)
    return whatif_figure(sweep_points(config, index, field), SWEEPABLE[field], current)


def _geometry_numbers(config: AlexNetConfig, layer: LayerShape) -> tuple[int, int, int, int]:
    """(W, K, S, P) of a conv or pool layer: its input side and its block's window."""
    return (layer.in_shape[1], *layer_window(config, layer))


def show_arithmetic(config: AlexNetConfig, report: ShapeReport) -> None:
    """A layer picker, the formula with its numbers and the sliding-window figure along one axis.

    Not a fragment: tried as one (with the what-if chart), a slider step of the whole page cost
    the server 85 ms instead of 57-68 and the browser 0.96-1.1 s to settle instead of 0.73-0.84
    (benchmarks/bench_load.py, one learner), and a picker here is pressed far less than a slider."""
    layers = {layer.name: layer for layer in report.layers if layer.kind in ("conv", "pool")}
    error = report.error
    # a window that does not fit (the collapse errors carry a formula) at a conv or pool
    failing = error.layer if error and error.formula and (error.layer or "").startswith(("conv", "pool")) else None
    names = list(layers) + ([failing] if failing and failing not in layers else [])
    if not names:
        st.caption("No convolution or pool can be computed yet: see the error above.")
        return
    # An error at a new layer brings the view there once; the learner may then pick another layer.
    if failing != st.session_state.get(ARITH_FAILING_KEY):
        st.session_state[ARITH_FAILING_KEY] = failing
        if failing:
            st.session_state[ARITH_LAYER_KEY] = failing
    if st.session_state.get(ARITH_LAYER_KEY) not in names:
        st.session_state[ARITH_LAYER_KEY] = names[0]
    pick, text = st.columns([1, 4], vertical_alignment="bottom")
    name = pick.selectbox(
        "Layer", names, key=ARITH_LAYER_KEY, format_func=lambda n: f"{n} ✗ fails" if n == failing else n
    )
    if name not in layers and error is not None:
        text.markdown(f"**{name}** cannot slide: {error.reason}")
        st.code(error.formula, language=None)
        st.caption(
            "out = floor((W − K + 2P) / S) + 1 is below 1: the window is longer than the padded input "
            "(K > W + 2P), so it fits nowhere. The error above offers the fixes."
        )
        return
    layer = layers[name]
    size, kernel, stride, padding = _geometry_numbers(config, layer)
    geometry = axis_geometry(size, kernel, stride, padding)
    kind = "convolution" if layer.kind == "conv" else "max-pool"
    text.markdown(
        f"**{name}**: a {kernel}×{kernel} {kind} with stride {stride} and padding {padding}, along one side of "
        f"its {size}×{size} input. Each output cell is one position of the window."
    )
    notes = []
    if geometry.dropped:
        notes.append(
            f"the last {geometry.dropped} pixels of the map (red) fall short of a whole step: the floor drops them"
            if geometry.dropped > 1
            else "the last pixel of the map (red) falls short of a whole step: the floor drops it"
        )
    if geometry.cut > geometry.dropped:
        cut = geometry.cut - geometry.dropped
        notes.append(f"the floor also cuts {cut} padding cell{'s' if cut > 1 else ''}: zeros, nothing lost")
    if geometry.skipped_cells:
        notes.append(
            f"the stride ({stride}) is larger than the window ({kernel}), so {len(geometry.skipped_cells)} pixels "
            "between windows (purple) are never read: this layer ignores them"
        )
    if geometry.compressed:
        notes.append("the middle of the axis is squeezed so that the start and the end show at full size")
    if len(geometry.frames()) < geometry.out:
        notes.append(f"the play control visits {len(geometry.frames())} of the {geometry.out} positions")
    mounted_chart(sliding_window_figure(size, kernel, stride, padding), config=PLOT_CONFIG, key="arith_figure")
    st.caption(
        "Press ▶ Play or drag the slider under the figure to move the window one output cell at a time. "
        + ("; ".join(notes).capitalize() + "." if notes else "")
    )


def show_whatif(config: AlexNetConfig, number: int) -> None:
    """What each value of one of block ``number``'s hyperparameters would give (no forward pass)."""
    field = st.selectbox(
        f"What if conv{number}'s … were",
        list(SWEEPABLE),
        index=1,  # the stride: the learner's first question
        format_func=lambda f: SWEEPABLE[f],
        key=WHATIF_KEY,
        help="Each value of this hyperparameter, the rest of the network unchanged: pure arithmetic, no forward pass.",
    )
    current = getattr(config.blocks[number - 1], field)
    points = sweep_points(config, number - 1, field)
    mounted_chart(sweep_figure(config, number - 1, field), config=PLOT_CONFIG, key="whatif_chart")
    now = next((p for p in points if p.value == current), None)
    broken = [p.value for p in points if p.failed_layer is not None]
    text = (
        f"Now ({SWEEPABLE[field]} = {current}): last map {now.last_side} px, {format_count(now.params)} parameters, "
        f"{format_mult_adds(now.mult_adds)}."
        if now and now.failed_layer is None
        else f"Now ({SWEEPABLE[field]} = {current}) the network fails."
    )
    if broken:
        text += f" ✗ breaks the network: {_ranges(broken)}."
    st.caption(text)


def _ranges(values: list[int]) -> str:
    """[1, 2, 3, 7] -> "1–3, 7"."""
    parts: list[list[int]] = []
    for value in values:
        if parts and value == parts[-1][-1] + 1:
            parts[-1].append(value)
        else:
            parts.append([value])
    return ", ".join(f"{p[0]}–{p[-1]}" if len(p) > 1 else str(p[0]) for p in parts)
