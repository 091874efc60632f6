"""The fast LRN (alexnet.network.lrn) against PyTorch's ``nn.LocalResponseNorm``: values and gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from alexnet.network.config import preset
from alexnet.network.lrn import LocalResponseNorm, local_response_norm
from alexnet.network.model import build_model


def _value_and_grad(module: nn.Module, x: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_(True)
    y = module(x)
    (grad_x,) = torch.autograd.grad(y, x, grad)
    return y.detach(), grad_x


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("channels", [1, 3, 7, 13])
@pytest.mark.parametrize("channels_last", [False, True])
def test_matches_pytorch_in_fp32(size: int, channels: int, channels_last: bool) -> None:
    generator = torch.Generator().manual_seed(size * 100 + channels)
    x = torch.randn(3, channels, 5, 6, generator=generator) * 3  # big enough that the norm matters
    grad = torch.randn(3, channels, 5, 6, generator=generator)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    # a large alpha makes the window sum dominate k, so a wrong window would show
    args = dict(alpha=0.3, beta=0.75, k=1.5)
    y_ref, g_ref = _value_and_grad(nn.LocalResponseNorm(size, **args), x, grad)
    y, g = _value_and_grad(LocalResponseNorm(size, **args), x, grad)
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g, g_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [2, 5])
@pytest.mark.parametrize("beta", [0.6, 0.75, 0.5])  # 0.75 and 0.5 take square roots instead of pow
@pytest.mark.parametrize("channels_last", [False, True])
def test_gradcheck_in_double(size: int, beta: float, channels_last: bool) -> None:
    x = torch.randn(2, 6, 3, 4, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: local_response_norm(t, size, 0.2, beta, 1.2), (x,))


@pytest.mark.parametrize("shape", [(2, 1, 4, 4), (1, 3, 1, 1), (2, 4, 3, 5)])
def test_channels_last_window_matches_the_plain_layout(shape: tuple[int, ...]) -> None:
    """A window wider than the channels, one channel, one pixel: both layouts give the same numbers."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(len(shape))) * 3
    plain = local_response_norm(x, 7, 0.5, 0.75, 1.0)
    last = local_response_norm(x.contiguous(memory_format=torch.channels_last), 7, 0.5, 0.75, 1.0)
    torch.testing.assert_close(last, plain, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(plain, nn.LocalResponseNorm(7, 0.5, 0.75, 1.0)(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("channels_last", [False, True])
def test_matches_pytorch_in_bf16(size: int, channels_last: bool) -> None:
    """bf16 in, bf16 out; compared with PyTorch's fp32 result at bf16's precision (8 mantissa bits)."""
    generator = torch.Generator().manual_seed(size)
    x = torch.relu(torch.randn(2, 11, 7, 7, generator=generator) * 4).bfloat16()
    grad = torch.randn(2, 11, 7, 7, generator=generator).bfloat16()
    if channels_last:  # the layout the default training mode runs in
        x, grad = (t.contiguous(memory_format=torch.channels_last) for t in (x, grad))
    args = dict(alpha=0.3, beta=0.75, k=2.0)
    y_ref, g_ref = _value_and_grad(nn.LocalResponseNorm(size, **args), x.float(), grad.float())
    y, g = _value_and_grad(LocalResponseNorm(size, **args), x, grad)
    assert y.dtype == torch.bfloat16 and g.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), y_ref, rtol=2e-2, atol=2e-2)
    torch.testing.assert_close(g.float(), g_ref, rtol=3e-2, atol=3e-2)


def test_the_model_uses_it_and_keeps_its_state_dict() -> None:
    model = build_model(preset("paper"), device="meta")
    norms = [m for m in model.modules() if isinstance(m, nn.LocalResponseNorm)]
    assert norms and all(isinstance(m, LocalResponseNorm) for m in norms)
    assert not any("norm" in key for key in model.state_dict())  # no parameters or buffers: torchvision's keys


def test_paper_network_output_matches_pytorch_lrn() -> None:
    config = preset("paper")
    model = build_model(config, seed=0).eval()
    x = torch.randn(1, 3, config.input_size, config.input_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = model(x)
        for block in model.features:
            if hasattr(block, "norm"):
                norm = block.norm
                block.norm = nn.LocalResponseNorm(norm.size, alpha=norm.alpha, beta=norm.beta, k=norm.k)
        reference = model(x)
    torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last], ids=["nchw", "channels-last"])
def test_on_the_meta_device_it_gives_pytorchs_shape_dtype_and_layout(layout) -> None:
    # probe_shapes runs the network on "meta": the shortcut must agree with PyTorch's own module there
    x = torch.empty(2, 7, 5, 6, device="meta", dtype=torch.bfloat16).contiguous(memory_format=layout)
    ours, reference = LocalResponseNorm(5)(x), nn.LocalResponseNorm(5)(x)
    assert ours.device.type == "meta" and ours.shape == reference.shape == x.shape
    assert ours.dtype == reference.dtype and ours.is_contiguous(memory_format=layout)
