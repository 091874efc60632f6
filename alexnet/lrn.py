"""A fast local response normalisation: the same function as ``nn.LocalResponseNorm``, cheaper.

The paper's LRN (section 3.3) divides every activation by a power of the sum of squares of its
neighbours across channels, at the same pixel::

    d_c = k + alpha / n * sum_{j = c - n//2}^{c + (n-1)//2} x_j^2      (channels outside 0..C-1 count 0)
    y_c = x_c * d_c^(-beta)

PyTorch's ``nn.LocalResponseNorm`` builds ``d`` with a pad, a 5-D ``avg_pool3d`` and ``pow``, and
autograd keeps every intermediate; on a CPU that costs about half of a paper AlexNet training
step. Here the window sum is ``n`` shifted adds over channel slices (memory-bound, no padding
copy), and the backward pass is written out instead of recorded::

    dL/dx_c = g_c d_c^(-beta) - (2 alpha beta / n) x_c * sum_{j: c in window(j)} g_j x_j d_j^(-beta-1)

where ``j`` runs over ``c - (n-1)//2 .. c + n//2`` (the window, mirrored). Only ``x`` and ``d``
are kept for the backward pass. ``LocalResponseNorm`` is a drop-in subclass of the PyTorch
module: same arguments, no parameters, so state dicts and torchvision's weights load unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _window_sum(s: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """out[:, c] = sum of s[:, c - before .. c + after] over channels (dim 1) that exist.

    ``s`` is (B, C, ...); each shift adds one slice in place, so the cost is ``before + after``
    passes over memory and one output tensor, whatever the layout (channels-last included).
    """
    out = s.clone()
    channels = s.shape[1]
    for shift in range(1, before + 1):  # neighbours below: out[c] += s[c - shift]
        if shift < channels:
            out[:, shift:].add_(s[:, : channels - shift])
    for shift in range(1, after + 1):  # neighbours above: out[c] += s[c + shift]
        if shift < channels:
            out[:, : channels - shift].add_(s[:, shift:])
    return out


class _LRNFunction(torch.autograd.Function):
    """y = x * (k + alpha/n * window_sum(x^2))^(-beta) with the closed-form backward above."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
        d = _window_sum(x * x, size // 2, (size - 1) // 2)  # (B, C, H, W): sum of squares in the window
        d.mul_(alpha / size).add_(k)
        y = x * d.pow(-beta)
        ctx.save_for_backward(x, d)
        ctx.lrn = (size, alpha, beta)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, d = ctx.saved_tensors
        size, alpha, beta = ctx.lrn
        grad_x = grad * d.pow(-beta)  # the direct term g_c d_c^(-beta)
        t = torch.mul(grad_x, x).div_(d)  # g_j x_j d_j^(-beta-1)
        # the mirrored window: d_j depends on x_c for j in c - (n-1)//2 .. c + n//2
        back = _window_sum(t, (size - 1) // 2, size // 2)
        grad_x.addcmul_(x, back, value=-2.0 * alpha * beta / size)
        return grad_x, None, None, None, None


def local_response_norm(
    x: torch.Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> torch.Tensor:
    """``torch.nn.functional.local_response_norm`` for (B, C, ...) inputs, computed as above."""
    if x.dim() < 3:
        return nn.functional.local_response_norm(x, size, alpha, beta, k)
    return _LRNFunction.apply(x, size, alpha, beta, k)


class LocalResponseNorm(nn.LocalResponseNorm):
    """``nn.LocalResponseNorm`` with the fast computation; same arguments, repr and (empty) state."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)
