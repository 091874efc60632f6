"""The Architecture page's views that depend on the configuration alone, cached per configuration for
every session: the real shapes, the network drawing, the working input sizes and the layer table.

They live here, not in the page script, because a decorator in a script that reruns is a new
cached function every rerun (Streamlit reads its source to key it: 7 ms of a slider step).
A configuration seen before costs a lookup: the figures are ``FigureSpec``s, sent as they are,
and the layer table's elements are replayed by ``st.cache_data`` instead of marshalled again.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from alexnet.inspect.tables import agreement_text, input_ranges_text, shape_rows
from alexnet.network.config import AlexNetConfig
from alexnet.network.output_size import spatial_size
from alexnet.network.receptive import uneven_pool_note
from alexnet.network.shapes import MAX_INPUT_SIZE, analyze, working_input_sizes
from alexnet.plots.architecture import network_figure
from alexnet.plots.spec import FigureSpec
from pages.parts.architecture.layer_table import show_table
from pages.parts.common import warmup
from pages.parts.common.sidebar import CONFIG_HASH

CHECKING = (
    ":material/hourglass_top: Checking with PyTorch… The shapes below are the formula's; PyTorch is still loading, "
    "and its forward pass fills in the **Agree** column as soon as it can."
)


@st.cache_data(max_entries=512, show_spinner=False, hash_funcs=CONFIG_HASH)
def real_shapes(config: AlexNetConfig) -> dict[str, tuple[int, ...]]:
    """Shapes from a real forward pass on the meta device; for a failing network, of the part that runs.

    Call it once ``warmup.torch_ready()``: the import is here, not at the top, so that the page
    draws everything else while PyTorch loads in the background.
    """
    from alexnet.inspect.probe import analyze_and_probe

    return analyze_and_probe(config)[1]


@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=CONFIG_HASH)
def drawing(config: AlexNetConfig) -> FigureSpec:
    """The network drawn (a plotly.js dict, ``FigureSpec``); shared read-only by every session."""
    report = analyze(config)
    return network_figure(report.layers, failed=report.error.layer if report.error else None)


def input_sizes(config: AlexNetConfig) -> str:
    """The input sizes this network accepts, as text. Kept per network and last-map side, not per
    input size: every size of a range has the same answer, so a step of the input-size slider
    costs a lookup, not the search over 1,024 sizes (40 ms of a step to a size not seen before)."""
    side = spatial_size(config, config.input_size)
    if side is None:
        return input_ranges_text([], MAX_INPUT_SIZE)
    return _input_sizes_for_side(replace(config, input_size=0), side)


@st.cache_data(max_entries=512, show_spinner=False, hash_funcs=CONFIG_HASH)
def _input_sizes_for_side(network: AlexNetConfig, side: int) -> str:
    """``network`` with its input size taken out (0): the sizes whose last map is ``side`` wide."""
    return input_ranges_text(working_input_sizes(network, last_side=side), MAX_INPUT_SIZE)


def show_layer_table(config: AlexNetConfig, preset: AlexNetConfig, preset_name: str) -> bool:
    """The layer table with its PyTorch check; returns whether that check is still to come.

    Before PyTorch has loaded the check column says "…", and the page ends with
    ``look_for_torch``, which reruns it once PyTorch is there.
    """
    if not warmup.torch_ready():
        st.caption(CHECKING)
        layer_table(config, preset, preset_name, pending=True)
        return True
    layer_table(config, preset, preset_name, pending=False)
    return False


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=CONFIG_HASH)
def layer_table(config: AlexNetConfig, preset: AlexNetConfig, preset_name: str, *, pending: bool) -> None:
    """The table and its captions, drawn once per configuration: on a configuration seen before,
    Streamlit replays these elements (marshalling the table's row shading took 40 ms a rerun)."""
    report, base = analyze(config), analyze(preset)
    if pending:
        show_table(shape_rows(report, None, pending=True, preset=base), preset_name, pending=True)
        return
    rows = shape_rows(report, real_shapes(config), preset=base)
    st.caption(agreement_text(rows) + _changed_text(rows, preset_name))
    show_table(rows, preset_name)
    note = uneven_pool_note(report.layers)
    if note:
        st.caption(note)


def _changed_text(rows: list[dict], preset_name: str) -> str:
    changed = [row["layer"] for row in rows if row["changed"]]
    if not changed:
        return ""
    return (
        f" Shaded: the {len(changed)} layer{'s' if len(changed) > 1 else ''} whose output differs from the "
        f"**{preset_name}** preset's; **Was ({preset_name})** gives that preset's shape ({preset_name} → yours)."
    )
