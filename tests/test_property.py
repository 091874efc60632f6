"""Property: for any configuration, the arithmetic and PyTorch agree.

Either ``analyze`` explains why the configuration cannot work (and PyTorch itself refuses
it), or every layer's analytic shape equals the shape of a real forward pass on the CPU.
Run with 2,000 examples in CI (profile "ci" in conftest.py).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from alexnet.config import AlexNetConfig, BlockConfig
from alexnet.errors import AlexNetError
from alexnet.model import build_model
from alexnet.probe import probe
from alexnet.shapes import analyze

blocks = st.builds(
    BlockConfig,
    out_channels=st.integers(1, 6),
    kernel_size=st.integers(1, 12),
    stride=st.integers(1, 5),
    padding=st.integers(0, 6),
    pool=st.booleans(),
    norm=st.booleans(),
    pool_kernel=st.integers(1, 5),
    pool_stride=st.integers(1, 4),
    pool_padding=st.integers(0, 3),
    groups=st.sampled_from([1, 1, 1, 2, 3]),
)

configs = st.builds(
    AlexNetConfig,
    input_size=st.integers(1, 96),
    in_channels=st.integers(1, 6),
    num_classes=st.integers(1, 5),
    blocks=st.lists(blocks, min_size=1, max_size=5).map(tuple),
    hidden_sizes=st.lists(st.integers(1, 8), max_size=2).map(tuple),
    adaptive_pool=st.one_of(st.none(), st.integers(1, 7)),
)


def plain_torch_forward(config: AlexNetConfig) -> None:
    """Build the same layers with plain torch.nn (no project code) and run one image."""
    layers: list[nn.Module] = []
    channels = config.in_channels
    for block in config.blocks:
        layers += [
            nn.Conv2d(
                channels, block.out_channels, block.kernel_size, block.stride, block.padding, groups=block.groups
            ),
            nn.ReLU(),
        ]
        if block.norm:
            layers.append(nn.LocalResponseNorm(config.lrn.size))
        if block.pool:
            layers.append(nn.MaxPool2d(block.pool_kernel, block.pool_stride, block.pool_padding))
        channels = block.out_channels
    with torch.no_grad():
        nn.Sequential(*layers)(torch.zeros(1, config.in_channels, config.input_size, config.input_size))


@given(configs)
def test_analytic_shapes_match_a_real_forward_or_the_error_is_real(config):
    report = analyze(config)
    if report.error is not None:
        assert isinstance(report.error, AlexNetError)
        assert report.error.layer and report.error.reason and report.error.fix
        # our validation is exact: PyTorch refuses every configuration we refuse
        with pytest.raises((RuntimeError, ValueError)):
            plain_torch_forward(config)
        return
    model = build_model(config, seed=0)
    real = probe(model, torch.randn(1, config.in_channels, config.input_size, config.input_size)).shapes
    assert real == {row.module: row.out_shape for row in report.layers}
