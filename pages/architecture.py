"""Architecture: change any layer and watch the shapes, the drawing and the costs follow at once."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from alexnet.inspect.tables import failing_input_text
from alexnet.network import link
from alexnet.network.config import ACTIVATIONS, AlexNetConfig
from alexnet.network.edit import LIMITS, with_hidden_count
from alexnet.network.shapes import ShapeReport, analyze
from alexnet.units import format_count, format_mult_adds, shape_text
from pages.parts.architecture import config_tabs
from pages.parts.architecture.architecture_views import drawing, input_sizes, show_layer_table
from pages.parts.architecture.arithmetic_view import show_arithmetic, show_whatif
from pages.parts.architecture.block_editor import block_summary, blocks_editor
from pages.parts.common import warmup
from pages.parts.common.mounted_chart import mounted_chart
from pages.parts.common.sidebar import (
    CONFIG_KEY,
    PRESET_KEY,
    current_preset,
    set_config,
    show_config_error,
    start_page,
)
from pages.parts.common.start_here import try_next

# How often a table drawn before PyTorch had loaded looks again (PyTorch loads 2-4 s after a server's
# first page is asked for; pages.parts.common.warmup).
POLL_S = 0.5
URL_CHECKED_KEY = "url_checked"
ACTIVATION_LABELS = {"relu": "ReLU: max(0, x)", "tanh": "tanh: into (-1, 1)"}


def load_from_link() -> None:
    """On a first visit, rebuild the configuration a shared link describes (ignored if malformed)."""
    if st.session_state.get(URL_CHECKED_KEY):
        return
    st.session_state[URL_CHECKED_KEY] = True
    loaded = link.decode(st.query_params.to_dict())
    if loaded is not None:
        st.session_state[PRESET_KEY], config = loaded
        set_config(config)


def activation_picker(config: AlexNetConfig) -> str:
    """ReLU or tanh after every conv and hidden linear layer: names change, numbers don't."""
    return st.segmented_control(
        "Activation", ACTIVATIONS, default=config.activation, required=True, key="edit_activation",
        format_func=ACTIVATION_LABELS.get,
        help="The nonlinearity after every convolution and hidden linear layer. The paper's §3.1: ReLU trains "
        "faster than tanh. Neither has parameters, so no shape or cost changes; the layers are renamed (tanh1, ...).",
    )  # fmt: skip


def classifier_editor(config: AlexNetConfig) -> AlexNetConfig:
    config = replace(config, activation=activation_picker(config))
    left, middle, right = st.columns(3)
    with left:
        channels = st.number_input(
            "Input channels", *LIMITS["in_channels"], value=config.in_channels, key="edit_in_channels",
            help="3 for colour images, 1 for greyscale.",
        )  # fmt: skip
        adaptive = st.toggle(
            "Adaptive average pool", value=config.adaptive_pool is not None, key="edit_adaptive_pool",
            help="Average the last map down to a fixed size, so (almost) any input size works (torchvision does this).",
        )  # fmt: skip
        size = config.adaptive_pool or 6
        if adaptive:
            size = st.slider("Pool to (pixels)", *LIMITS["adaptive_pool"], value=size, key="edit_adaptive_pool_size")
    with middle:
        hidden_count = st.number_input(
            "Hidden linear layers", *LIMITS["hidden_layers"], value=len(config.hidden_sizes), key="edit_num_hidden",
            help="Fully connected layers between the flattened features and the classes (the paper: fc6 and fc7).",
        )  # fmt: skip
        config = with_hidden_count(config, int(hidden_count))
        dropout = st.slider(
            "Dropout", 0.0, 1.0, value=float(config.dropout), step=0.05, key="edit_dropout",
            help="Probability of zeroing each unit before a hidden linear layer, while training.",
        )  # fmt: skip
    with right:
        first_fc = len(config.blocks) + 1
        hidden = tuple(
            int(
                st.number_input(
                    f"fc{first_fc + i} units", *LIMITS["hidden_size"], value=width, key=f"edit_hidden{i + 1}_size"
                )
            )
            for i, width in enumerate(config.hidden_sizes)
        )
    return replace(
        config,
        in_channels=int(channels),
        adaptive_pool=size if adaptive else None,
        hidden_sizes=hidden,
        dropout=float(dropout),
    )


def show_overview(config: AlexNetConfig, report: ShapeReport, preset: AlexNetConfig, preset_name: str) -> None:
    base = analyze(preset)
    # a row that wraps: five columns cut every number short ("3×22…") beside the sidebar at 1024 px
    row = st.container(horizontal=True, gap="medium")
    row.metric("Input", shape_text(report.layers[0].in_shape) if report.layers else "–", width="content")
    row.metric(
        "Last feature map",
        shape_text(next((layer.in_shape for layer in report.layers if layer.kind == "flatten"), None)),
        help="What the classifier receives, before it is flattened into one long vector.",
        width="content",
    )
    row.metric(
        "Works for inputs",
        input_sizes(config) if report.ok else "–",
        help="Input sizes this model accepts: no map collapses and the classifier gets the number of features "
        "it was built for.",
        width="content",
    )
    for label, value, old, fmt in (
        ("Parameters", report.total_params, base.total_params, format_count),
        ("Mult-adds", report.total_mult_adds, base.total_mult_adds, format_mult_adds),
    ):
        if not report.ok:
            row.metric(label, "–", width="content")
            continue
        change = value - old if base.ok else 0
        # an ASCII "-" first: Streamlit reads it to point the arrow down
        delta = f"{'+' if change > 0 else '-'}{fmt(abs(change))} vs {preset_name}" if change else None
        row.metric(label, fmt(value), delta=delta, delta_color="off", width="content")


@st.fragment(run_every=POLL_S)
def look_for_torch() -> None:
    """Every ``POLL_S``, a run of this fragment alone: once PyTorch has loaded, the whole page.

    It draws nothing, so that its runs grey nothing out (Streamlit fades the elements of a run
    that takes over half a second, and the server is slow while torch imports). Only a whole-page
    run stops its timer: that run fills the table in and draws the page without this fragment.
    """
    with warmup.foreground():  # a look counts as a page run: the warm-up's later imports wait
        ready = warmup.torch_ready()
    if ready:
        st.rerun()


load_from_link()  # before the sidebar draws the configuration a shared link describes
config = start_page(
    __file__,
    "Architecture",
    "Slide any block's kernel, stride or padding: the shapes, the drawing, the arithmetic and the costs follow at "
    "once. Every shape is computed twice, with the formula and by a real PyTorch forward pass.",
    input_slider=True,
)
preset_name = st.session_state.get(PRESET_KEY, "paper")
preset = current_preset()
overview = st.container()
blocks_tab, classifier_tab, diff_tab, files_tab = st.tabs(
    ["Convolutional blocks", "Input & classifier", f"Changes vs {preset_name}", "Export / import"]
)
with blocks_tab:
    sliders, whatif = st.columns([3, 2], gap="medium")
    with sliders:
        config, picked = blocks_editor(config)
        summary = st.empty()  # every block at a glance, under the picked one's sliders
with classifier_tab:
    config = classifier_editor(config)
if config != st.session_state[CONFIG_KEY]:
    st.session_state[CONFIG_KEY] = config

report = analyze(config)
with overview:
    show_overview(config, report, preset, preset_name)
    if report.error is not None:
        show_config_error(report.error)
summary.markdown(block_summary(config, report, picked))
with whatif:
    show_whatif(config, picked)
with st.sidebar:
    if report.error is None:
        st.caption(f"Works for inputs of {input_sizes(config)}.")
    else:
        st.caption(failing_input_text(config.input_size, report.error))
with diff_tab:
    config_tabs.show_diff(config, preset, preset_name)
with files_tab:
    config_tabs.show_export_import(config, report)

st.subheader("Convolution arithmetic")
show_arithmetic(config, report)
st.subheader("The network")
mounted_chart(drawing(config), config={"displayModeBar": False}, key="network_drawing")
st.subheader("Layer by layer")
pytorch_pending = show_layer_table(config, preset, preset_name)
try_next(
    "see each layer's parameters, mult-adds and memory on Summary, or push a real image through this "
    "network on Activations.",
    "pages/summary.py",
    "Summary",
    ("pages/activations.py", "Activations"),
)

params = link.encode(config, preset_name)
if st.query_params.to_dict() != params:
    st.query_params.from_dict(params)
if pytorch_pending:
    look_for_torch()
