"""Property: for any configuration, the arithmetic and PyTorch agree.

Either ``analyze`` explains why the configuration cannot work (and PyTorch itself refuses
it), or every layer's analytic shape equals the shape of a real forward pass.

- small sizes on the CPU, with real numbers: 2,000 examples in CI (profile "ci" in conftest.py);
- user scale on the ``meta`` device (shapes, no storage, so 4096 channels at 4096 px cost
  nothing): ``USER_SCALE_EXAMPLES`` (10,000) in CI, where inputs reach 4096 px, channels
  4096, and kernels larger than the input, strides larger than the kernel and paddings larger
  than the kernel are each drawn often.
"""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.inspect.probe import probe
from alexnet.network.config import ACTIVATIONS, AlexNetConfig, BlockConfig
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze

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
    activation=st.sampled_from(ACTIVATIONS),  # renames layers and module paths, changes no shape
)


def plain_torch_forward(config: AlexNetConfig, device: str = "cpu") -> None:
    """Build the same layers with plain torch.nn (no project code) and run one image on ``device``."""
    with torch.device(device):
        _plain_torch_forward(config)


def _plain_torch_forward(config: AlexNetConfig) -> None:
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


# ----------------------------------------------------------------- user scale, on the meta device

USER_SCALE_EXAMPLES = 10_000 if os.environ.get("CI") else 300


def sizes(top: int) -> st.SearchStrategy[int]:
    """1..top, with the small values a network mostly uses drawn as often as the huge ones."""
    return st.integers(1, 16) | st.integers(1, top)


def _block(drawn: tuple) -> BlockConfig:
    kernel, big_kernel, stride, wide_stride, padding, wide_padding, out, pool, norm, pk, ps, pp, groups = drawn
    kernel = big_kernel or kernel  # often larger than any input
    pool_kernel = pk if pk <= 5 else pk * 7  # up to 300, past most maps
    return BlockConfig(
        out_channels=out,
        kernel_size=kernel,
        stride=kernel + stride if wide_stride else stride,  # a stride larger than the kernel
        padding=kernel + padding if wide_padding else padding,  # a padding larger than the kernel
        pool=pool,
        norm=norm,
        pool_kernel=pool_kernel,
        pool_stride=ps if ps <= 3 else pool_kernel + ps,
        pool_padding=pp if pp <= 2 else pool_kernel + pp,  # a pool padding larger than its kernel
        groups=groups,
    )


# One flat tuple per block: hypothesis draws plain integers fast, and 10,000 examples must fit in CI.
hostile_blocks = st.tuples(
    st.integers(1, 11),
    st.just(0) | st.just(0) | st.integers(1, 5000),
    st.integers(1, 4),
    st.booleans(),
    st.integers(0, 5),
    st.booleans(),
    sizes(4096),
    st.booleans(),
    st.booleans(),
    st.integers(1, 43),
    st.integers(1, 13),
    st.integers(0, 5),
    st.sampled_from([1, 1, 1, 2, 3, 4, 64]),
).map(_block)

user_configs = st.builds(
    AlexNetConfig,
    input_size=sizes(4096),
    in_channels=sizes(4096),
    num_classes=sizes(10_000),
    blocks=st.lists(hostile_blocks, min_size=1, max_size=6).map(tuple),
    hidden_sizes=st.lists(sizes(4096), max_size=2).map(tuple),
    adaptive_pool=st.none() | st.integers(1, 13),
    activation=st.sampled_from(ACTIVATIONS),
)


@settings(max_examples=USER_SCALE_EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(user_configs)
def test_user_scale_configs_end_in_a_plain_error_or_matching_meta_shapes(config):
    report = analyze(config)
    event("refused with a plain error" if report.error is not None else "analytic shapes checked on meta")
    if report.error is not None:
        error = report.error
        assert isinstance(error, AlexNetError)
        assert error.layer and error.reason and error.fix, error.message  # names a layer, proposes a fix
        assert len(error.message) < 2000, error.message
        # exact, not cautious: plain PyTorch (no project code) refuses it too; meta checks shapes as a CPU does
        with pytest.raises((RuntimeError, ValueError)):
            plain_torch_forward(config, device="meta")
        return
    real = probe(build_model(config, device="meta"), torch.empty(1, *_image(config), device="meta")).shapes
    assert real == {row.module: row.out_shape for row in report.layers}


def _image(config: AlexNetConfig) -> tuple[int, int, int]:
    return config.in_channels, config.input_size, config.input_size
