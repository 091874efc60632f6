"""The model against its oracles: a real forward pass and torchvision's own AlexNet."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torchvision

from alexnet.errors import AlexNetError
from alexnet.inspect.probe import probe_shapes
from alexnet.network.config import PRESETS
from alexnet.network.model import AlexNet, build_model, load_weights
from alexnet.network.shapes import layer_table


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", list(PRESETS))
def test_analytic_shapes_equal_a_real_cpu_forward(name):
    config = replace(PRESETS[name], hidden_sizes=(64, 64))  # small classifier: same feature shapes, less memory
    model = build_model(config, seed=0).eval()
    seen = {}
    hooks = [
        module.register_forward_hook(lambda m, i, o, path=path: seen.__setitem__(path, tuple(o.shape[1:])))
        for path, module in model.named_modules()
        if not list(module.children()) and not isinstance(module, torch.nn.Identity)
    ]
    with torch.no_grad():
        out = model(torch.randn(2, config.in_channels, config.input_size, config.input_size))
    for hook in hooks:
        hook.remove()
    assert out.shape == (2, config.num_classes)
    assert {row.module: row.out_shape for row in layer_table(config)} == seen


def test_torchvision_parity_parameters_state_dict_and_outputs():
    ours = build_model(PRESETS["torchvision"], seed=0).eval()
    theirs = torchvision.models.alexnet().eval()
    assert parameter_count(ours) == parameter_count(theirs) == 61_100_840
    result = ours.load_state_dict(theirs.state_dict())  # unchanged: flat torchvision keys
    assert not result.missing_keys and not result.unexpected_keys
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(ours(images), theirs(images), rtol=0, atol=0)


def test_torchvision_module_layout():
    model = build_model(PRESETS["torchvision"], device="meta")
    assert [name for name, _ in model.named_children()] == ["features", "avgpool", "flatten", "classifier"]
    assert isinstance(model.avgpool, torch.nn.AdaptiveAvgPool2d)


def test_paper_blocks_and_classifier():
    model = build_model(PRESETS["paper"], device="meta")
    block = model.features[0]
    assert [name for name, _ in block.named_children()] == ["conv", "relu", "norm", "pool"]
    assert isinstance(block.norm, torch.nn.LocalResponseNorm) and block.norm.size == 5 and block.norm.k == 2
    assert block.pool.kernel_size == 3 and block.pool.stride == 2
    assert [name for name, _ in model.features[2].named_children()] == ["conv", "relu"]
    kinds = [type(layer).__name__ for layer in model.classifier]
    # the paper's ReLU after each hidden linear layer, which the seed article forgot
    assert kinds == ["Dropout", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Linear"]
    assert model.classifier[1].in_features == 9216


def test_classifier_input_is_derived_from_the_configuration():
    config = PRESETS["paper"].with_block(4, out_channels=128)
    assert build_model(config, device="meta").classifier[1].in_features == 128 * 6 * 6
    config = replace(PRESETS["paper"], adaptive_pool=3)
    assert build_model(config, device="meta").classifier[1].in_features == 256 * 3 * 3


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (build_model(PRESETS["cifar"], seed=seed) for seed in (7, 7, 8))
    for (name, x), (_, y), (_, z) in zip(
        a.state_dict().items(), b.state_dict().items(), c.state_dict().items(), strict=True
    ):
        assert torch.equal(x, y), name
        if name.endswith("weight"):  # biases start at zero under every seed
            assert not torch.equal(x, z), name


def test_invalid_configuration_is_not_built():
    with pytest.raises(AlexNetError, match="conv1"):
        AlexNet(replace(PRESETS["paper"], input_size=8))


def test_weights_of_another_network_are_explained():
    model = build_model(PRESETS["cifar"], seed=0)
    other = build_model(PRESETS["cifar"].with_block(0, out_channels=16), seed=0)
    with pytest.raises(AlexNetError, match="do not fit"):
        load_weights(model, other.state_dict())


def test_meta_probe_matches_analytic_at_unusual_sizes():
    for size in (63, 100, 227, 500):
        config = replace(PRESETS["torchvision"], input_size=size)
        assert probe_shapes(config) == {row.module: row.out_shape for row in layer_table(config)}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
def test_runs_on_cuda():
    model = build_model(PRESETS["cifar"], device="cuda", seed=0)
    assert model(torch.randn(4, 3, 32, 32, device="cuda")).shape == (4, 10)


@pytest.mark.parametrize("name", ["paper", "torchvision", "cifar"])
def test_tanh_replaces_every_relu_and_the_table_matches_the_forward_pass(name):
    config = replace(PRESETS[name], activation="tanh", hidden_sizes=(32, 16))
    model = build_model(config, seed=0).eval()
    modules = list(model.modules())
    assert not any(isinstance(m, torch.nn.ReLU) for m in modules)
    # one after every conv and every hidden linear layer, as ReLU was
    assert sum(isinstance(m, torch.nn.Tanh) for m in modules) == len(config.blocks) + len(config.hidden_sizes)
    assert [name for name, _ in model.features[0].named_children()][:2] == ["conv", "tanh"]
    assert probe_shapes(config) == {row.module: row.out_shape for row in layer_table(config)}
    # same parameters and state dict keys as the ReLU network: relu weights load into tanh unchanged
    relu = build_model(replace(config, activation="relu"), seed=0)
    assert relu.state_dict().keys() == model.state_dict().keys()
    load_weights(model, relu.state_dict())
    images = torch.randn(2, 3, config.input_size, config.input_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = model(images)
    assert out.shape == (2, config.num_classes) and not torch.allclose(out, relu.eval()(images))


def test_an_unknown_activation_is_not_built():
    with pytest.raises(AlexNetError, match="relu, tanh"):
        build_model(replace(PRESETS["cifar"], activation="gelu"), device="meta")
