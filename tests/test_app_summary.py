"""The Summary page in Streamlit's AppTest: torchinfo's table and totals, and an invalid config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torchinfo
from streamlit.testing.v1 import AppTest

from alexnet.inspect.summary import summarize
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze
from alexnet.units import format_count, shape_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.sidebar.selectbox(key="preset").set_value("cifar").run()  # small: torchinfo is quick on it
    app.switch_page("pages/summary.py").run()
    assert not app.exception
    return app


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_table_and_totals_are_torchinfos(at):
    """torchinfo itself, run here on the same network (not through the page's own functions), and
    the totals as fixed numbers: 429,258 parameters and 14,790,986 multiply-adds per 32 x 32 image."""
    info = torchinfo.summary(build_model(PRESETS["cifar"]), input_size=(1, 3, 32, 32), verbose=0, device="cpu")
    assert (info.total_params, info.total_mult_adds) == (429_258, 14_790_986)
    shown = metrics(at)
    assert (shown["Parameters"], shown["Trainable"], shown["Mult-adds per image"]) == ("429 k", "429 k", "14.8 MMac")
    memory = [shown[f"Memory: {label}"] for label in ("Input", "Forward/backward", "Parameters", "Total memory")]
    # 3 x 32 x 32 x 4 bytes = 12,288 (+64 torchinfo counts); params 429,258 x 4 = 1,717,032
    assert memory == ["12.4 kB", "481.9 kB", "1.7 MB", "2.2 MB"]
    table = at.dataframe[0].value
    weighted = table[table["type"].isin(["Conv2d", "Linear"])]
    leaves = [layer for layer in info.summary_list if layer.class_name in ("Conv2d", "Linear")]
    assert list(weighted["params"]) == [layer.num_params for layer in leaves]
    assert list(weighted["mult-adds"]) == [layer.macs for layer in leaves]
    assert list(weighted["output shape"]) == [shape_text(layer.output_size) for layer in leaves]  # batch 1 first
    assert table["params"].iloc[0] == 429_258
    # ReLU has no parameters: shown as a dash, not as "not trainable"
    assert set(table.loc[table["type"] == "ReLU", "trainable"]) == {"—"}


def test_a_block_edit_reaches_the_summary(at):
    at.switch_page("pages/architecture.py").run()
    at.slider(key="edit_block1_stride").set_value(2).run()
    at.switch_page("pages/summary.py").run()
    assert not at.exception
    config = PRESETS["cifar"].with_block(0, stride=2)
    summary = summarize(config)
    assert metrics(at)["Parameters"] == format_count(summary.total_params)
    conv1 = next(row for row in summary.rows if row.name == "conv1")
    table = at.dataframe[0].value
    assert table.loc[table["layer"].str.strip() == "conv1", "output shape"].item() == shape_text(conv1.output_shape)
    assert conv1.output_shape[1:] == analyze(config).layers[0].out_shape


def test_an_invalid_config_stops_with_the_fix(at):
    at.sidebar.number_input(key="edit_input_size").set_value(2).run()
    assert not at.exception
    report = analyze(replace(PRESETS["cifar"], input_size=2))
    assert [e.value for e in at.error] == [report.error.message]
    assert "Fix:" in at.error[0].value
    assert not at.metric and not at.dataframe


def test_torchinfos_printout_is_drawn_only_when_its_panel_is_open(at):
    """Streamlit's code block costs the browser its highlighter on every visit: it appears when the panel opens."""
    assert not at.code
    at.session_state["summary_printout"] = True  # what a click on the panel's title sets
    at.run()
    (code,) = at.code
    assert code.value == summarize(PRESETS["cifar"]).text.rstrip("\n")
