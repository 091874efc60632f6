"""The ONNX export (alexnet.network.onnx_export, ``python -m alexnet export``): a file ONNX's own
checker accepts, whose shapes (written by ONNX's shape inference, not by this app) agree with the
app's layer table for every preset and a tanh network, whose weights are the model's, and whose
outputs match PyTorch's in ONNX Runtime and in onnx's reference evaluator."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

from alexnet.cli.main import main
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.model import build_model
from alexnet.network.onnx_export import BATCH, INPUT_NAME, OUTPUT_NAME, export_onnx, onnx_logits, onnx_shapes
from alexnet.network.shapes import layer_table

# float32 in two runtimes with different kernels: the logits agree to this fraction of their scale
RELATIVE_TOLERANCE = 1e-4

TANH_EVEN_LRN = dataclasses.replace(
    PRESETS["cifar"], activation="tanh", lrn=dataclasses.replace(PRESETS["cifar"].lrn, size=4)
)  # tanh, and an even LRN window, which ONNX's LRN would centre differently from PyTorch's
NETWORKS = {**PRESETS, "tanh, LRN of 4": TANH_EVEN_LRN}


@pytest.fixture(scope="module")
def exported() -> dict[str, tuple[torch.nn.Module, bytes]]:
    """Each network with random weights (seed 0) and its file, exported once for the module."""
    files = {}
    for name, config in NETWORKS.items():
        model = build_model(config, seed=0).eval()
        files[name] = model, export_onnx(model, weights="random weights, seed 0")
    return files


def _images(config: AlexNetConfig, count: int = 3) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(count, config.in_channels, config.input_size, config.input_size, generator=generator)


def _inferred_shapes(data: bytes) -> dict[str, tuple[int | str, ...]]:
    """The shapes ONNX's own shape inference gives, with every shape the exporter wrote removed first."""
    proto = onnx.load_from_string(data)
    del proto.graph.value_info[:]
    for value in proto.graph.output:
        value.type.tensor_type.ClearField("shape")
    return onnx_shapes(onnx.shape_inference.infer_shapes(proto, strict_mode=True, data_prop=True).SerializeToString())


@pytest.mark.parametrize("name", NETWORKS)
def test_every_layer_has_the_shape_of_the_app_s_table(exported, name):
    config = NETWORKS[name]
    _, data = exported[name]
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    for shapes in (onnx_shapes(data), _inferred_shapes(data)):  # as saved, and inferred again from scratch
        assert shapes[INPUT_NAME] == (BATCH, config.in_channels, config.input_size, config.input_size)
        table = layer_table(config)
        for layer in table[:-1]:
            if layer.kind == "dropout":  # identity in eval mode: no node, the tensor goes straight on
                assert layer.name not in shapes and layer.out_shape == layer.in_shape
            else:
                assert shapes[layer.name] == (BATCH, *layer.out_shape), layer.name
        assert shapes[OUTPUT_NAME] == (BATCH, config.num_classes)  # the last layer's output: the logits


@pytest.mark.parametrize("name", NETWORKS)
def test_the_graph_reads_like_the_layer_table(exported, name):
    config = NETWORKS[name]
    _, data = exported[name]
    nodes = {node.name: node.op_type for node in onnx.load_from_string(data).graph.node}
    kinds = {"conv": "Conv", "relu": "Relu", "tanh": "Tanh", "pool": "MaxPool", "linear": "Gemm"}
    kinds["norm"] = "LRN" if config.lrn.size % 2 else "Div"  # an even window: PyTorch's formula, spelled out
    for layer in layer_table(config):
        if layer.kind in kinds:
            assert nodes[layer.name] == kinds[layer.kind], layer.name
    assert not any(prop.key == "pkg.torch.onnx.stack_trace" for node in onnx.load_from_string(data).graph.node
                   for prop in node.metadata_props)  # fmt: skip


@pytest.mark.parametrize("name", NETWORKS)
def test_onnx_runtime_gives_pytorch_s_logits(exported, name):
    model, data = exported[name]
    images = _images(NETWORKS[name])
    with torch.no_grad():
        expected = model(images).numpy()
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(onnx_logits(data, images), expected, rtol=0, atol=RELATIVE_TOLERANCE * scale)


def test_the_reference_evaluator_agrees_and_the_weights_are_the_model_s(exported):
    model, data = exported["tanh, LRN of 4"]
    proto = onnx.load_from_string(data)
    weights = {tensor.name: numpy_helper.to_array(tensor) for tensor in proto.graph.initializer}
    state = {key: value.numpy() for key, value in model.state_dict().items()}
    assert state.keys() <= weights.keys()
    assert all(weights[key].size <= 8 for key in weights.keys() - state.keys())  # the even LRN's pads and scalars
    for key, value in state.items():
        np.testing.assert_array_equal(weights[key], value, err_msg=key)
    images = _images(model.config)
    (logits,) = ReferenceEvaluator(proto).run(None, {INPUT_NAME: images.numpy()})
    with torch.no_grad():
        expected = model(images).numpy()
    np.testing.assert_allclose(logits, expected, rtol=0, atol=RELATIVE_TOLERANCE * np.abs(expected).max())


def test_the_file_says_what_it_holds(exported):
    _, data = exported["cifar"]
    proto = onnx.load_from_string(data)
    props = {prop.key: prop.value for prop in proto.metadata_props}
    assert AlexNetConfig.from_json(props["alexnet_config"]) == PRESETS["cifar"]
    assert props["weights"] == "random weights, seed 0"
    assert "32x32" in proto.doc_string


def test_the_cli_exports_a_run_s_checkpoint(digits_run, tmp_path, capsys):
    from alexnet import runs

    out = tmp_path / "run.onnx"
    code = main(["export", "--onnx", str(out), "--run", digits_run.name, "--runs-dir", str(digits_run.parent)])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert str(out) in printed and f"run {digits_run.name}'s last checkpoint" in printed
    model = runs.load_run_model(digits_run.name, directory=digits_run.parent).eval()
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(out).graph.initializer}
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(weights[key], value.numpy(), err_msg=key)
    images = _images(model.config)
    with torch.no_grad():
        expected = model(images).numpy()
    atol = RELATIVE_TOLERANCE * np.abs(expected).max()
    np.testing.assert_allclose(onnx_logits(out.read_bytes(), images), expected, rtol=0, atol=atol)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--onnx", "{tmp}/net.pt"], "does not end in .onnx"),
        (["--onnx", "{tmp}/missing/net.onnx"], "does not exist"),
        (["--onnx", "{tmp}/net.onnx", "--run", "no-such-run", "--runs-dir", "{tmp}"], "There is no run"),
        (["--onnx", "{tmp}/net.onnx", "--input-size", "20"], "Fix: use an input of at least"),
    ],
)
def test_the_cli_explains_what_it_cannot_export(arguments, message, tmp_path, capsys):
    code = main(["export", *(a.format(tmp=tmp_path) for a in arguments)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not list(Path(tmp_path).glob("*.onnx"))


def test_a_network_over_onnx_s_two_gigabytes_is_refused_before_exporting():
    from alexnet.errors import AlexNetError

    huge = dataclasses.replace(PRESETS["paper"], hidden_sizes=(65536, 4096))  # fc6 and fc7: 3.5 GB of float32
    model = build_model(huge, device="meta")  # nothing allocated: the refusal must come before any copy
    with pytest.raises(AlexNetError, match=r"take 3\.5 GB: one ONNX file holds less than 2\.1 GB"):
        export_onnx(model)
