"""The Summary page in Streamlit's AppTest: torchinfo's table and totals, and an invalid config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet.inspect.summary import summarize
from alexnet.network.config import PRESETS
from alexnet.network.shapes import analyze
from alexnet.units import format_bytes, format_count, format_mult_adds, shape_text

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
    summary = summarize(PRESETS["cifar"])
    shown = metrics(at)
    assert shown["Parameters"] == format_count(summary.total_params)
    assert shown["Trainable"] == format_count(summary.trainable_params)
    assert shown["Mult-adds per image"] == format_mult_adds(summary.total_mult_adds)
    assert shown["Memory: Input"] == format_bytes(summary.input_bytes)
    assert shown["Memory: Forward/backward"] == format_bytes(summary.forward_backward_bytes)
    assert shown["Memory: Parameters"] == format_bytes(summary.param_bytes)
    assert shown["Memory: Total memory"] == format_bytes(summary.total_bytes)
    table = at.dataframe[0].value
    assert list(table["layer"].str.strip()) == [row.name for row in summary.rows]
    assert list(table["params"]) == [row.params for row in summary.rows]
    assert list(table["mult-adds"]) == [row.mult_adds for row in summary.rows]
    assert list(table["output shape"]) == [shape_text(row.output_shape) for row in summary.rows]
    assert table["params"].iloc[0] == summary.total_params
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
