"""The Architecture page's two side tabs: what changed against the preset, and the files.

``show_diff`` lists the settings, shapes and costs that differ from the picked preset;
``show_export_import`` offers the configuration as JSON, as a stand-alone PyTorch file and as ONNX (with random
weights, seed 0: the graph and its shapes for Netron), and
loads a JSON file back (a broken file changes nothing and says why).
"""

from __future__ import annotations

import streamlit as st

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.diff import describe, diff_configs
from alexnet.network.edit import import_config
from alexnet.network.export import to_pytorch_source
from alexnet.network.shapes import ShapeReport
from alexnet.network.weights_choice import RANDOM
from alexnet.units import format_count, format_mult_adds, shape_text
from pages.parts.common.onnx_download import onnx_button, random_model
from pages.parts.common.sidebar import set_config

IMPORT_KEY = "import_file"  # not "edit_": an import must survive sync_editor_widgets()
IMPORT_RESULT_KEY = "import_result"


def on_upload() -> None:
    """Import the uploaded JSON before the widgets are drawn; a broken file changes nothing."""
    upload = st.session_state.get(IMPORT_KEY)
    if upload is None:
        return
    try:
        config = import_config(upload.getvalue())
    except AlexNetError as error:
        st.session_state[IMPORT_RESULT_KEY] = (False, f"{upload.name}: {error.message}")
        return
    set_config(config)
    st.session_state[IMPORT_RESULT_KEY] = (True, f"Loaded {upload.name}.")


def show_diff(config: AlexNetConfig, preset: AlexNetConfig, preset_name: str) -> None:
    diff = diff_configs(preset, config)
    if diff.unchanged:
        st.info(f"This is the **{preset_name}** preset as it is. Change a setting to see what it does.")
        return
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**Settings** ({len(diff.changes)} changed)")
        st.dataframe(
            [{"setting": c.where, preset_name: describe(c.old), "yours": describe(c.new)} for c in diff.changes],
            hide_index=True,
        )
    with right:
        st.markdown("**Shapes that changed**")
        if diff.shapes:
            st.dataframe(
                [{"layer": s.layer, preset_name: shape_text(s.old), "yours": shape_text(s.new)} for s in diff.shapes],
                hide_index=True,
            )
        else:
            st.caption("No output shape changed.")
    costs = [
        ("Parameters", diff.old_params, diff.new_params, format_count),
        ("Mult-adds", diff.old_mult_adds, diff.new_mult_adds, format_mult_adds),
    ]
    st.markdown(
        " · ".join(
            f"**{label}:** {fmt(old) if old is not None else '–'} → {fmt(new) if new is not None else 'fails'}"
            for label, old, new, fmt in costs
        )
        + f" · **Last feature map:** {shape_text(diff.old_output)} → {shape_text(diff.new_output)}"
    )


def show_export_import(config: AlexNetConfig, report: ShapeReport) -> None:
    left, right = st.columns(2)
    with left:
        st.markdown("**Export**")
        st.download_button(
            "Configuration (JSON)", config.to_json(), file_name="alexnet_config.json", mime="application/json",
            icon=":material/download:", key="download_json", on_click="ignore",
        )  # fmt: skip
        source = to_pytorch_source(config) if report.ok else ""
        st.download_button(
            "PyTorch model (.py)", source, file_name="alexnet_model.py", mime="text/x-python",
            icon=":material/code:", key="download_py", on_click="ignore", disabled=not report.ok,
            help="A stand-alone file with plain torch.nn: `python alexnet_model.py` builds it and runs one image.",
        )  # fmt: skip
        onnx_button(config, random_model(config, seed=0), weights=f"{RANDOM}:0", key="download_onnx")
        if not report.ok:
            st.caption("Fix the error above to export a runnable model.")
        else:
            # drawn only while open: highlighting 90 lines of Python cost the browser a quarter of a
            # second on every page load, for a panel most visits never open
            reader = st.expander("Read the PyTorch file", key="read_py_source", on_change="rerun")
            if reader.open:
                reader.code(source, language="python")
    with right:
        st.markdown("**Import**")
        st.file_uploader(
            "Load a configuration (.json)", type=["json"], key=IMPORT_KEY, on_change=on_upload,
            help="A file saved with the export button; it replaces the current configuration.",
        )  # fmt: skip
        result = st.session_state.get(IMPORT_RESULT_KEY)
        if result is not None:
            ok, message = result
            if ok:
                st.success(message, icon=":material/check:")
            else:
                st.error(message + " Your current configuration is unchanged.", icon=":material/error:")
