"""The Activations page's receptive-field section in Streamlit's AppTest.

The expected rectangles come from ``alexnet.network.receptive`` (checked against backpropagation in
tests/test_receptive.py); here the page must draw exactly them, for the cell the sliders pick.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet.network.config import PRESETS
from alexnet.network.receptive import receptive_rect
from alexnet.network.shapes import analyze
from alexnet.plots.receptive import ANALYTIC_SHAPE, FIELD_SHAPE

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def at(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    app = AppTest.from_file(APP, default_timeout=180)
    app.run()
    app.switch_page("pages/activations.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def image_shapes(at: AppTest) -> dict[str, tuple[float, float, float, float]]:
    """The rectangles of the input-image figure, by name: (x0, x1, y0, y1)."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    figure = next(f for f in figures if f["layout"].get("title", {}).get("text") == "The 227 × 227 input")
    shapes = figure["layout"]["shapes"]
    return {s["name"]: (s["x0"], s["x1"], s["y0"], s["y1"]) for s in shapes}


def expected(layer_name: str, row: int, col: int):
    paper = PRESETS["paper"]
    layer = next(layer for layer in analyze(paper).layers if layer.name == layer_name)
    return layer, receptive_rect(paper, layer, row, col)


def pixels(rows: tuple[int, int], cols: tuple[int, int]) -> tuple[float, float, float, float]:
    """Pixels rows[0] .. rows[1], cols[0] .. cols[1] as a rectangle's (x0, x1, y0, y1): pixel edges at +-0.5."""
    return cols[0] - 0.5, cols[1] + 0.5, rows[0] - 0.5, rows[1] + 0.5


def caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Cell (row"))


def test_centre_cell_of_conv2_by_default(at):
    layer, rect = expected("conv2", 13, 13)
    assert at.selectbox(key="rf_layer").value == layer.module
    assert (at.slider(key="rf_row").value, at.slider(key="rf_col").value) == (13, 13)
    assert not rect.clipped
    assert image_shapes(at)[FIELD_SHAPE] == pixels(rect.clipped_rows, rect.clipped_cols)
    assert ANALYTIC_SHAPE not in image_shapes(at)
    text = caption(at)
    assert f"Receptive field {layer.receptive_field} × {layer.receptive_field} px" in text
    assert f"Jump {layer.jump} px" in text


def test_corner_cell_is_clipped_at_the_padding(at):
    at.slider(key="rf_row").set_value(0).run()
    at.slider(key="rf_col").set_value(26).run()
    _, rect = expected("conv2", 0, 26)
    assert rect.clipped  # conv2's window reaches into conv1's zero padding
    shapes = image_shapes(at)
    assert shapes[FIELD_SHAPE] == pixels(rect.clipped_rows, rect.clipped_cols)
    assert shapes[ANALYTIC_SHAPE] == pixels(rect.rows, rect.cols)
    assert shapes[ANALYTIC_SHAPE][2] < -0.5  # the formula's square starts above the image
    assert "dashed square" in caption(at)


def test_another_layer_starts_at_its_centre(at):
    at.slider(key="rf_row").set_value(20).run()
    pool5 = next(layer for layer in analyze(PRESETS["paper"]).layers if layer.name == "pool5")
    at.selectbox(key="rf_layer").set_value(pool5.module).run()
    assert not at.exception, [e.value for e in at.exception]
    side = pool5.out_shape[1]
    assert at.slider(key="rf_row").max == side - 1
    assert (at.slider(key="rf_row").value, at.slider(key="rf_col").value) == (side // 2, side // 2)
    _, rect = expected("pool5", side // 2, side // 2)
    assert image_shapes(at)[FIELD_SHAPE] == pixels(rect.clipped_rows, rect.clipped_cols)


def test_an_uneven_adaptive_pool_shows_each_cells_own_field(tmp_path, monkeypatch):
    """torchvision's network at 200 px: a 5 x 5 map pooled to 6 x 6, so PyTorch's windows are one or
    two map cells wide and 0 or 1 apart: cell 0 sees 195 px, cell 1 sees 227 px (32 more)."""
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    app = AppTest.from_file(APP, default_timeout=180)
    app.session_state["preset"] = "torchvision"
    app.session_state["config"] = replace(PRESETS["torchvision"], input_size=200)
    app.run()
    app.switch_page("pages/activations.py").run()
    app.selectbox(key="rf_layer").set_value("avgpool").run()
    app.slider(key="rf_row").set_value(0).run()
    app.slider(key="rf_col").set_value(1).run()
    assert not app.exception, [e.value for e in app.exception]
    text = caption(app)
    assert "Receptive field 195 × 227 px" in text and "Jump 0–32 px" in text
    assert "cells see 195–227 px, 0–32 px apart" in text
