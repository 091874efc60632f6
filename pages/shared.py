"""What every page shares: the current configuration in the session and the sidebar.

Not a page itself (app.py lists the pages). The configuration lives in
``st.session_state["config"]``, a frozen ``AlexNetConfig``, so it survives page switches even
though Streamlit forgets the widgets of a page that is not shown.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from alexnet.config import PRESETS, AlexNetConfig
from alexnet.errors import AlexNetError

DEFAULT_PRESET = "paper"
CONFIG_KEY = "config"
PRESET_KEY = "preset"


def current_config() -> AlexNetConfig:
    """The configuration the user is building (the default preset on a first visit)."""
    if CONFIG_KEY not in st.session_state:
        st.session_state[CONFIG_KEY] = PRESETS[st.session_state.get(PRESET_KEY, DEFAULT_PRESET)]
    return st.session_state[CONFIG_KEY]


def current_preset() -> AlexNetConfig:
    """The preset the current configuration started from (what the diff compares against)."""
    return PRESETS[st.session_state.get(PRESET_KEY, DEFAULT_PRESET)]


def set_config(config: AlexNetConfig) -> None:
    """Replace the configuration; editor widgets re-read it on the next run."""
    st.session_state[CONFIG_KEY] = config
    forget_editor_widgets()


def forget_editor_widgets() -> None:
    """Drop the editor's widget state so every widget starts again from the configuration."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith("edit_")]:
        del st.session_state[key]


def _on_preset_change() -> None:
    set_config(PRESETS[st.session_state[PRESET_KEY]])


def sidebar() -> AlexNetConfig:
    """The preset, input size and class count, shared by every page."""
    config = current_config()
    with st.sidebar:
        st.selectbox(
            "Preset",
            list(PRESETS),
            key=PRESET_KEY,
            on_change=_on_preset_change,
            help="paper: the 2012 article (227x227). notebook: 224x224 with conv1 padding 2. "
            "torchvision: torchvision's AlexNet. cifar: a small AlexNet for 32x32 images.",
        )
        size = st.number_input(
            "Input size (pixels)", min_value=1, max_value=1024, value=config.input_size, key="edit_input_size"
        )
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
