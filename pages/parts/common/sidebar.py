"""What every page shares: the current configuration in the session and the sidebar.

Not a page itself (app.py lists the pages). The configuration lives in
``st.session_state["config"]``, a frozen ``AlexNetConfig``, so it survives page switches even
though Streamlit forgets the widgets of a page that is not shown.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import streamlit as st

from alexnet.errors import AlexNetError, Remedy
from alexnet.network.checks import apply_remedy
from alexnet.network.config import PRESET_LABELS, PRESETS, AlexNetConfig
from alexnet.network.edit import LIMITS
from pages.parts.common.navigation import through_app
from pages.parts.common.start_here import start_here_box

DEFAULT_PRESET = "paper"
CONFIG_KEY = "config"
INPUT_KEY, TYPED_KEY = "edit_input_size", "edit_input_size_typed"
PRESET_KEY = "preset"
# For st.cache_* functions that take a configuration: its repr names every field exactly, and is
# hashed in microseconds where Streamlit's own hasher walked the dataclass in 2.6 ms, five times a
# slider step (issue 17's profile).
CONFIG_HASH = {AlexNetConfig: repr}


def current_config() -> AlexNetConfig:
    """The configuration the user is building (the default preset on a first visit)."""
    if CONFIG_KEY not in st.session_state:
        st.session_state[CONFIG_KEY] = PRESETS[st.session_state.get(PRESET_KEY, DEFAULT_PRESET)]
    return st.session_state[CONFIG_KEY]


def current_preset() -> AlexNetConfig:
    """The preset the current configuration started from (what the diff compares against)."""
    return PRESETS[st.session_state.get(PRESET_KEY, DEFAULT_PRESET)]


def set_config(config: AlexNetConfig) -> None:
    """Replace the configuration (a preset, an import, a link) and make every editor widget show it."""
    st.session_state[CONFIG_KEY] = config
    sync_editor_widgets(config)


def editor_values(config: AlexNetConfig) -> dict[str, object]:
    """The value each editor widget (keys "edit_...", here and on the Architecture page) shows for ``config``."""
    values: dict[str, object] = {
        INPUT_KEY: config.input_size,
        TYPED_KEY: config.input_size,  # the box beside the Architecture page's slider
        "edit_num_classes": config.num_classes,
        "edit_num_blocks": len(config.blocks),
        "edit_in_channels": config.in_channels,
        "edit_adaptive_pool": config.adaptive_pool is not None,
        "edit_adaptive_pool_size": config.adaptive_pool or 6,
        "edit_num_hidden": len(config.hidden_sizes),
        "edit_dropout": float(config.dropout),
        "edit_activation": config.activation,
    }
    for number, block in enumerate(config.blocks, start=1):
        # one widget per BlockConfig field, keyed by the field's name
        values |= {f"edit_block{number}_{name}": value for name, value in asdict(block).items()}
    for number, width in enumerate(config.hidden_sizes, start=1):
        values[f"edit_hidden{number}_size"] = width
    return values


def sync_editor_widgets(config: AlexNetConfig) -> None:
    """Write ``config`` into the editor widgets' state.

    Deleting a widget's key is not enough in a real browser: a keyed widget keeps its id, so the
    browser goes on showing the old number and sends it back with the next interaction (the
    cifar preset snapped back to 227 px and 96 channels). Values written to the session state
    before the widgets run are what the browser is told to show. Widgets of blocks that no
    longer exist are forgotten.
    """
    values = editor_values(config)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("edit_") and k not in values]:
        del st.session_state[key]
    for key, value in values.items():
        st.session_state[key] = value


def _on_preset_change() -> None:
    set_config(PRESETS[st.session_state[PRESET_KEY]])


def use_preset(name: str, input_size: int | None = None) -> None:
    """Make the preset ``name`` the current network, as picking it in the sidebar does, at
    ``input_size`` pixels if given (as the sidebar's input box would then set it)."""
    st.session_state[PRESET_KEY] = name
    set_config(replace(PRESETS[name], input_size=input_size) if input_size else PRESETS[name])


def _input_slider_and_box(size: int) -> int:
    """The input size as a slider to drag and, beside it, a box to type a size into: by keyboard
    the slider moves one pixel a press (93 presses from 32 to 125 px). Each writes the other."""
    # the box shows what the slider holds, whichever page set it last
    st.session_state[TYPED_KEY] = st.session_state.get(INPUT_KEY, size)
    slider, box = st.columns([3, 1], vertical_alignment="bottom")
    value = slider.slider(
        "Input size (pixels)", *LIMITS["input_size"], value=size, key=INPUT_KEY,
        on_change=_copy, args=(INPUT_KEY, TYPED_KEY),
        help="W = H of the square input image. A focused slider moves one pixel per arrow key; "
        "type a size in the box beside it to jump there.",
    )  # fmt: skip
    box.number_input(
        "Type a size", *LIMITS["input_size"], value=size, key=TYPED_KEY,
        on_change=_copy, args=(TYPED_KEY, INPUT_KEY), label_visibility="collapsed",
    )  # fmt: skip
    return value


def _copy(source: str, target: str) -> None:
    st.session_state[target] = st.session_state[source]


def restore_network(config: AlexNetConfig, preset: str) -> None:
    """Make ``config`` (started from the preset ``preset``) the current network again."""
    st.session_state[PRESET_KEY] = preset
    set_config(config)


def sidebar(*, input_slider: bool = False) -> AlexNetConfig:
    """The preset, input size and class count, shared by every page.

    Args:
        input_slider: draw the input size as a slider (the Architecture page, where sliding it is
            the point, with a box beside it to type a size) rather than a number box; both keep the
            key "edit_input_size".
    """
    config = current_config()
    # A widget drawn by a new page is a new widget to the browser: without this write it showed
    # "paper" (its first option) after a page switch while the network stayed cifar, and a pick
    # of "paper" was then ignored. Writing the key tells the browser the value to show.
    if PRESET_KEY in st.session_state:
        st.session_state[PRESET_KEY] = st.session_state[PRESET_KEY]
    with st.sidebar:
        st.selectbox(
            "Preset",
            list(PRESETS),
            key=PRESET_KEY,
            format_func=PRESET_LABELS.get,
            on_change=_on_preset_change,
            help="paper: the 2012 article (227x227). notebook: 224x224 with conv1 padding 2. "
            "torchvision: torchvision's AlexNet. cifar: a small AlexNet for 32x32 images, the size of "
            "CIFAR-10's photos; it trains on any dataset (the Training page picks the data).",
        )
        if input_slider:
            size = _input_slider_and_box(config.input_size)
        else:
            size = st.number_input(
                "Input size (pixels)", *LIMITS["input_size"], value=config.input_size, key=INPUT_KEY,
                help="W = H of the square input image.",
            )  # fmt: skip
        classes = st.number_input(
            "Classes", min_value=1, max_value=10_000, value=config.num_classes, key="edit_num_classes"
        )
        if (size, classes) != (config.input_size, config.num_classes):
            config = replace(config, input_size=int(size), num_classes=int(classes))
            st.session_state[CONFIG_KEY] = config
    return config


def show_error(error: AlexNetError) -> None:
    """A user's mistake, explained: never a traceback."""
    st.error(error.message, icon=":material/error:")


def show_config_error(error: AlexNetError) -> None:
    """The current network's error, and a button for each of its fixes that changes that one setting.

    Each fix was checked on the whole network (``alexnet.network.checks``), so a press makes it work."""
    show_error(error)
    if not error.remedies:
        return
    row = st.container(horizontal=True)
    for remedy in error.remedies:
        row.button(
            f"Use {remedy.text}",
            key=f"remedy_{remedy.block}_{remedy.field}",
            icon=":material/build:",
            on_click=_apply_remedy,
            args=(remedy,),
        )


def _apply_remedy(remedy: Remedy) -> None:
    set_config(apply_remedy(current_config(), remedy))


def start_page(script: str, title: str, caption: str, *, input_slider: bool = False) -> AlexNetConfig:
    """A page's first lines: the app's frame if Streamlit runs the page alone (``through_app``;
    ``script`` is the page's ``__file__``), the shared sidebar, the title and what the page is for."""
    through_app(script)
    config = sidebar(input_slider=input_slider)
    st.title(title)
    st.caption(caption)
    start_here_box(use_preset, restore_network)
    return config
