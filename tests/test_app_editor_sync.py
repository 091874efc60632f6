"""A new configuration (preset, import, link) must reach every editor widget, not only the session.

In a real browser a keyed widget keeps showing its old value unless the session state tells it
otherwise (see pages.parts.common.sidebar.sync_editor_widgets); here every "edit_" widget the Architecture page
and the sidebar draw must show exactly what ``editor_values`` says for the new configuration.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet.network.config import PRESETS
from pages.parts.common.sidebar import editor_values

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def shown_editor_values(at: AppTest) -> dict[str, object]:
    widgets = [*at.number_input, *at.slider, *at.toggle, *at.segmented_control]
    return {w.key: w.value for w in widgets if w.key and w.key.startswith("edit_")}


@pytest.mark.parametrize("name", ["cifar", "torchvision"])
def test_switching_preset_rewrites_every_editor_widget(name):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.slider(key="edit_block1_out_channels").set_value(7).run()  # edits the switch must undo
    at.segmented_control(key="edit_activation").set_value("tanh").run()
    at.selectbox(key="preset").set_value(name).run()
    assert not at.exception
    shown = shown_editor_values(at)
    expected = editor_values(PRESETS[name])
    assert shown and "edit_activation" in shown, "the Architecture page drew no editor widgets"
    assert {key: expected[key] for key in shown} == shown
    assert at.session_state["config"] == PRESETS[name]
