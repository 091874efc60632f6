"""The Summary page in Streamlit's AppTest: torchinfo's table and totals, and an invalid config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torchinfo
from streamlit.testing.v1 import AppTest

from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze
from alexnet.units import shape_text

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
    # by hand: conv1 floor((32 - 3 + 2*1) / 2) + 1 = 16, pool1 floor((16 - 3) / 2) + 1 = 7, pool2 3,
    # pool5 floor((3 - 3) / 2) + 1 = 1, so fc6 takes 64 x 1 x 1 inputs: 64 x 256 + 256 = 16,640
    # parameters where the preset's 64 x 3 x 3 took 147,712, and the network 429,258 - 147,712 + 16,640
    model = build_model(PRESETS["cifar"].with_block(0, stride=2))
    assert sum(p.numel() for p in model.parameters()) == 298_186  # plain torch agrees
    assert model.features[0].conv(torch.zeros(1, 3, 32, 32)).shape == (1, 32, 16, 16)
    assert metrics(at)["Parameters"] == "298 k"
    table = at.dataframe[0].value
    assert table.loc[table["layer"].str.strip() == "conv1", "output shape"].item() == "1×32×16×16"
    assert table["params"].iloc[0] == 298_186


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
    # torchinfo itself, on a CPU model with real weights (the page runs it on the meta device)
    printout = torchinfo.summary(
        build_model(PRESETS["cifar"]),
        input_size=(1, 3, 32, 32),
        col_names=("output_size", "num_params", "mult_adds", "trainable"),
        depth=3,
        device="cpu",
        verbose=0,
    )
    assert code.value == str(printout).rstrip("\n")
    assert "Total params: 429,258" in code.value
