"""Where a run computes and in which number format: the device, bf16 or fp32, and the memory layout.

One place that the trainer, the bench (``alexnet.bench.ceiling``), the epoch estimate
(``alexnet.training.speed``) and the Training page all ask, so that "auto" means the same in each.
``--precision auto`` is bf16 only where the hardware runs it natively; elsewhere bf16 is emulated
and slower than fp32 (measured figures in docs/performance.md).
"""

from __future__ import annotations

import torch

from alexnet.errors import AlexNetError


def bf16_supported(device: torch.device) -> bool:
    """Whether ``device`` runs bfloat16 math natively: a CUDA GPU that says so, or a CPU with the
    AVX512-BF16 or AMX instructions; elsewhere bf16 is emulated and slower than fp32.

    oneDNN's own check (``torch.ops.mkldnn._is_mkldnn_bf16_supported``) is not enough: it also
    says yes on AVX-512 CPUs without bf16 instructions (Intel Ice Lake, Cascade Lake), where it
    emulates bf16. Measured on an Ice Lake Xeon (2 threads, conv3 at batch 64): fp32 163
    GFLOP/s, bf16 42 GFLOP/s, so bf16 there would make the default mode 4x slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_native_bf16()
    return False


def cpu_has_native_bf16() -> bool:
    """The CPU's own bf16 instructions (AVX512-BF16, or AMX tiles), as PyTorch's cpuinfo reads them.
    One place to ask, so tests can fake a CPU without them."""
    if not torch.backends.mkldnn.is_available():
        return False
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def auto_precision_note(device: torch.device) -> str:
    """One line for a learner: what ``--precision auto`` runs on ``device``, and why."""
    if device.type == "cuda":
        why = "this GPU runs bf16 natively" if bf16_supported(device) else "this GPU has no fast bf16"
    else:
        why = (
            "this CPU has bf16 instructions (AVX512-BF16 or AMX)"
            if bf16_supported(device)
            else "this CPU has no bf16 instructions, and emulated bf16 is slower than fp32"
        )
    return f"auto runs {resolve_precision('auto', device)} here: {why}."


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` (the default) is ``bf16`` where the device supports it natively, else ``fp32``."""
    if precision == "auto":
        return "bf16" if bf16_supported(device) else "fp32"
    return precision


def use_channels_last(precision: str, device: torch.device) -> bool:
    """Channels-last (NHWC) layout for model and images: oneDNN's bf16 convolutions on a CPU run
    in it natively; measured with ``python -m alexnet bench`` (see docs/performance.md)."""
    return device.type == "cpu" and precision == "bf16"


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` is cuda when a GPU is visible, else cpu; asking for cuda without one is an error."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise AlexNetError("No CUDA GPU is visible to PyTorch.", fix="use --device cpu (or auto).")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")
