from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.inspect.probe import probe, probe_shapes
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model


def test_kept_convolution_output_keeps_its_negative_values():
    # ReLU(inplace=True) overwrites the conv's output tensor; the probe must have cloned it.
    model = build_model(PRESETS["cifar"], seed=0)
    images = torch.randn(1, 3, 32, 32)
    result = probe(model, images, keep=True)
    conv = result.activations["features.0.conv"]
    assert conv.min() < 0
    with torch.no_grad():
        torch.testing.assert_close(conv, model.features[0].conv(images))
    torch.testing.assert_close(result.activations["features.0.relu"], conv.clamp(min=0))


def test_probe_restores_training_mode_and_removes_hooks():
    model = build_model(PRESETS["cifar"], seed=0).train()
    probe(model, torch.randn(1, 3, 32, 32), keep={"features.0.conv"})
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_keep_selects_layers():
    result = probe(build_model(PRESETS["cifar"], seed=0), torch.randn(2, 3, 32, 32), keep={"features.1.pool"})
    assert set(result.activations) == {"features.1.pool"}
    assert result.activations["features.1.pool"].shape == (2, 64, 7, 7)
    assert result.output is not None and result.output.shape == (2, 10)


def test_failed_forward_names_the_layer_that_failed():
    model = build_model(PRESETS["cifar"], seed=0)
    with pytest.raises(AlexNetError) as info:
        probe(model, torch.randn(1, 3, 8, 8))  # too small for this network's classifier
    assert info.value.layer is not None
    assert "after" in info.value.message


def test_failed_forward_cleans_up():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 6)).train()
    with pytest.raises(AlexNetError, match="after 0 ran") as info:
        probe(model, torch.randn(1, 3))
    assert info.value.layer == "1"
    assert model.training and all(not m._forward_hooks for m in model.modules())


SHAPE_CONFIGS = {
    "paper": PRESETS["paper"],
    "torchvision-at-300": replace(PRESETS["torchvision"], input_size=300),
    "cifar-grey-3-blocks": replace(PRESETS["cifar"], in_channels=1, input_size=45, blocks=PRESETS["cifar"].blocks[:3]),
}


@pytest.mark.parametrize("config", SHAPE_CONFIGS.values(), ids=SHAPE_CONFIGS)
def test_shape_probe_on_the_cpu_equals_the_meta_device(config):
    """Both paths of probe_shapes run the same modules: the same shapes, layer by layer."""
    cpu, meta = probe_shapes(config, device="cpu"), probe_shapes(config, device="meta")
    assert cpu == meta and len(cpu) > 10


def test_a_fresh_process_probes_small_networks_on_the_cpu_and_large_ones_on_meta():
    """The first meta-device call imports torch._dynamo (seconds): a fresh process avoids it for the
    paper's network, and takes the meta device for one too big for the CPU pass, and from then on."""
    code = """
import sys
from dataclasses import replace
from alexnet.inspect import probe
from alexnet.network.config import PRESETS
small, huge = PRESETS["paper"], replace(PRESETS["paper"], input_size=2000)
print(probe._shape_probe_device(small), probe._shape_probe_device(huge))
probe.probe_shapes(small)
print("torch._dynamo" in sys.modules)
probe.probe_shapes(huge)
print("torch._dynamo" in sys.modules, probe._shape_probe_device(small))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout.split()  # fmt: skip
    assert out == ["cpu", "meta", "False", "True", "meta"], out
