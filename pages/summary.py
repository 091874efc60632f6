"""Summary: torchinfo's table of the configured network, its totals, and where the cost sits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alexnet.errors import AlexNetError
from alexnet.inspect.summary import ModelSummary, analytic_rows, summarize
from alexnet.inspect.tables import receptive_rows, summary_rows
from alexnet.network.config import AlexNetConfig
from alexnet.network.receptive import uneven_pool_note
from alexnet.network.shapes import analyze
from alexnet.plots.costs import cost_figure, receptive_field_figure
from alexnet.units import format_bytes, format_count, format_mult_adds
from pages.parts.common.sidebar import show_config_error, show_error, start_page
from pages.parts.common.start_here import try_next


@st.cache_data(max_entries=64, show_spinner="Running torchinfo on your network…")
def cached_summary(config: AlexNetConfig) -> ModelSummary:
    """torchinfo on the meta device (about 10 ms for the paper's net); once per configuration is enough."""
    return summarize(config)


def show_summary(summary: ModelSummary) -> None:
    """torchinfo's totals, memory and table."""
    params, trainable, mult_adds = st.columns(3)
    params.metric("Parameters", format_count(summary.total_params), help=f"{summary.total_params:,} weights and biases")
    trainable.metric(
        "Trainable", format_count(summary.trainable_params), help=f"{summary.trainable_params:,} learned by training"
    )
    mult_adds.metric(
        "Mult-adds per image",
        format_mult_adds(summary.total_mult_adds),
        help=f"{summary.total_mult_adds:,} multiply-accumulate operations for one forward pass",
    )
    memory = st.columns(4)
    for column, label, value, tip in (
        (memory[0], "Input", summary.input_bytes, "One float32 image: C × H × W × 4 bytes"),
        (memory[1], "Forward/backward", summary.forward_backward_bytes, "Activations kept for the backward pass"),
        (memory[2], "Parameters", summary.param_bytes, "Every weight and bias as float32: 4 bytes each"),
        (memory[3], "Total memory", summary.total_bytes, "Input + forward/backward + parameters, for one image"),
    ):
        column.metric(f"Memory: {label}", format_bytes(value), help=f"{tip} ({value:,} bytes)")

    st.subheader("Layer by layer")
    rows = pd.DataFrame(summary_rows(summary))
    st.dataframe(
        rows,
        hide_index=True,
        height=min(38 + 35 * len(rows), 1600),  # the whole paper net, no scrolling inside
        column_config={
            "layer": st.column_config.TextColumn(
                "Layer", width=170, pinned=True, help="Indented by depth in the model"
            ),
            "depth": st.column_config.NumberColumn("Depth", width=55),
            "type": st.column_config.TextColumn("Type", width=120),
            "output shape": st.column_config.TextColumn("Output shape", width=130, help="Batch × C × H × W"),
            "params": st.column_config.NumberColumn("Params", width=110, format="localized"),
            "mult-adds": st.column_config.NumberColumn("Mult-adds", width=130, format="localized"),
            "trainable": st.column_config.TextColumn("Trainable", width=80, help="— : the layer has no parameters"),
        },
    )
    # drawn only while open: Streamlit's code block loads and runs its highlighter even for plain
    # text, 0.34 s of the browser's first Summary visit (Chrome's profiler), for a panel most visits never open
    printout = st.expander("torchinfo's own printout", key="summary_printout", on_change="rerun")
    if printout.open:
        printout.code(summary.text, language=None)


config = start_page(
    __file__,
    "Summary",
    "torchinfo's view of the network you built on the Architecture page: every module, its output "
    "for one image, its parameters and its multiply-accumulates (mult-adds).",
)

report = analyze(config)
if report.error is not None:
    show_config_error(report.error)
    st.info("The summary needs a network that works: fix it on the Architecture page or in the sidebar.")
    st.stop()
try:
    summary: ModelSummary | None = cached_summary(config)
except AlexNetError as error:  # over the memory budget, or analyze() agreed but the real model did not
    show_error(error)
    summary = None

if summary is None:
    # torchinfo cannot run, but the arithmetic needs no memory: the same numbers, from the formulas
    st.subheader("Layer by layer (from the shape arithmetic)")
    st.caption(
        "torchinfo did not run, so these numbers come from the formulas alone: output shape for one image, "
        f"{format_count(report.total_params)} parameters, {format_mult_adds(report.total_mult_adds)} mult-adds."
    )
    table = pd.DataFrame(analytic_rows(report.layers))
    st.dataframe(
        table,
        hide_index=True,
        height=min(38 + 35 * len(table), 1600),  # every layer, no scrolling inside
        column_config={
            "layer": st.column_config.TextColumn("Layer", pinned=True),
            "kind": st.column_config.TextColumn("Kind"),
            "output shape": st.column_config.TextColumn("Output shape", help="C × H × W for one image"),
            # compact numbers (65.5B) keep every column readable at 1024 px; the exact ones are a copy away
            "params": st.column_config.NumberColumn("Params", format="compact"),
            "mult-adds": st.column_config.NumberColumn("Mult-adds", format="compact"),
            "output bytes": st.column_config.NumberColumn("Output", format="bytes", help="float32: C × H × W × 4"),
        },
    )
else:
    show_summary(summary)

st.subheader("Where the cost sits")
st.caption(
    "Convolutions do most of the arithmetic; the fully connected layers hold most of the parameters. "
    "Activation memory is one float32 output per image: C × H × W × 4 bytes."
)
st.plotly_chart(cost_figure(report.layers), config={"displayModeBar": False}, key="cost_chart")

st.subheader("Receptive field and jump")
st.caption(
    "Receptive field: how many input pixels (per side) one output pixel sees, r_out = r_in + (K - 1) × j_in. "
    "Jump: how far apart, in input pixels, neighbouring outputs are, j_out = j_in × S."
)
chart, numbers = st.columns([3, 1])
with chart:
    st.plotly_chart(
        receptive_field_figure(report.layers, config.input_size), config={"displayModeBar": False}, key="rf_chart"
    )
with numbers:
    st.dataframe(pd.DataFrame(receptive_rows(report)), hide_index=True)
note = uneven_pool_note(report.layers)
if note:
    st.caption(note)
try_next(
    "push a real image through this network on Activations and see every layer's feature maps.",
    "pages/activations.py",
    "Activations",
)
