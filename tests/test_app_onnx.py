"""The ONNX download buttons in Streamlit's AppTest: Architecture's (the edited network, random
weights of seed 0) and Activations' (the picked weights, here a trained run's checkpoint). Each
button's file is built only when pressed; the test builds it as Streamlit would and opens it."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from app_support import open_page, record_deferred_downloads
from onnx import numpy_helper

from alexnet import runs
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.network.onnx_export import OUTPUT_NAME, onnx_logits, onnx_shapes
from alexnet.network.shapes import layer_table


@pytest.fixture
def deferred(monkeypatch) -> dict:
    return record_deferred_downloads(monkeypatch)


def pressed(at, key: str, deferred: dict) -> bytes:
    """The file the button ``key`` would download, built as a press builds it."""
    button = at.download_button(key=key)
    assert not button.proto.disabled, button.proto.help
    return deferred[button.proto.deferred_file_id]()


def test_architecture_exports_the_edited_network(deferred, monkeypatch, tmp_path):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    at = open_page("pages/architecture.py", timeout=120)
    at.sidebar.selectbox(key="preset").set_value("cifar").run()
    at.slider(key="edit_block1_kernel_size").set_value(5).run()
    assert not at.exception
    edited = PRESETS["cifar"].with_block(0, kernel_size=5)
    button = at.download_button(key="download_onnx")
    parameters = sum(layer.params for layer in layer_table(edited))
    assert f"{4 * parameters / 1e6:.1f} MB" in button.proto.label  # the file's size, before it is built
    data = pressed(at, "download_onnx", deferred)
    shapes = onnx_shapes(data)
    assert shapes["conv1"] == ("batch", 32, 30, 30)  # floor((32 - 5 + 2*1) / 1) + 1 = 30
    assert shapes[OUTPUT_NAME] == ("batch", edited.num_classes)
    model = build_model(edited, seed=0).eval()  # the button's weights: random, seed 0
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load_from_string(data).graph.initializer}
    np.testing.assert_array_equal(weights["features.0.conv.weight"], model.features[0].conv.weight.detach().numpy())

    at.sidebar.slider(key="edit_input_size").set_value(8).run()  # a network that cannot work: nothing to export
    assert at.download_button(key="download_onnx").proto.disabled


def test_activations_exports_the_picked_run_s_weights(digits_run, deferred, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(digits_run.parent))
    at = open_page("pages/activations.py", timeout=120)
    at.selectbox(key="act_weights").set_value(f"run:{digits_run.name}").run()
    assert not at.exception
    data = pressed(at, "act_onnx", deferred)
    model = runs.load_run_model(digits_run.name, directory=digits_run.parent).eval()
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load_from_string(data).graph.initializer}
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(weights[key], value.numpy(), err_msg=key)
    props = {p.key: p.value for p in onnx.load_from_string(data).metadata_props}
    assert props["weights"] == f"run {digits_run.name}'s last checkpoint"
    images = torch.randn(2, model.config.in_channels, model.config.input_size, model.config.input_size)
    with torch.no_grad():
        expected = model(images).numpy()
    np.testing.assert_allclose(onnx_logits(data, images), expected, rtol=0, atol=1e-4 * np.abs(expected).max())
