from __future__ import annotations

import pytest
import torch
from torch import nn

from alexnet.config import PRESETS
from alexnet.errors import AlexNetError
from alexnet.model import build_model
from alexnet.probe import probe


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
