"""The bench's ceiling and the machine it measures: row (d) of ``python -m alexnet bench``.

The ceiling is the rate this machine achieves at the training's heaviest layer in the precision
the default mode trains in, timed in the same run as the training rows. A ceiling in another
precision misreads the machine: on a CPU that emulates bf16 (Zen 3, Ice Lake), a bf16 conv runs
at a quarter of fp32's rate, and the fp32 trainer then "ran at 480 % of the ceiling".
``ceiling_plan`` asks the trainer's own functions (``resolve_precision``, ``use_channels_last``),
so the ceiling follows the default mode, and a test can fake either kind of CPU.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch

from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.training.precision import bf16_supported, resolve_precision, use_channels_last


@dataclass(frozen=True)
class CeilingPlan:
    """What the ceiling burst runs, in the precision the default mode runs in."""

    precision: str  # "bf16" or "fp32"
    layouts: tuple[str, ...]  # CPU: "channels-last" and/or "NCHW", each timed every round; CUDA: ("-",)
    work: str  # "conv3" (CPU) or "8192^3 matmul" (CUDA)


def ceiling_plan(device: torch.device) -> CeilingPlan:
    """The ceiling for ``device``, decided by the trainer's own functions (so a test can fake a CPU).

    - CPU with native bf16: a bf16 conv3 in the trainer's layout, channels-last;
    - CPU without (bf16 emulated, several times slower than fp32): an fp32 conv3, in NCHW (the
      trainer's layout) and channels-last; the faster is the ceiling, the best this machine does
      in fp32 whichever layout gets it;
    - CUDA: a bf16 8192^3 matmul, the tensor cores' rate.
    """
    if device.type == "cuda":
        return CeilingPlan("bf16", ("-",), "8192^3 matmul")
    precision = resolve_precision("auto", device)
    if use_channels_last(precision, device):
        return CeilingPlan(precision, ("channels-last",), "conv3")
    return CeilingPlan(precision, ("NCHW", "channels-last"), "conv3")


def ceiling_conv(
    config: AlexNetConfig, batch_size: int, precision: str, layout: str
) -> tuple[torch.nn.Conv2d, torch.Tensor, int]:
    """(conv3 of ``config``, a batch of its inputs, FLOP of one forward pass) in ``precision``
    and ``layout``; FLOP = 2 * mult_adds * batch. The paper network does most of its work there."""
    report = analyze(config)
    convs = [index for index, layer in enumerate(report.layers) if layer.kind == "conv"]
    which = min(2, len(convs) - 1)
    index, block = convs[which], config.blocks[which]
    if index == 0:
        in_channels, size = config.in_channels, config.input_size
    else:
        in_channels, size = report.layers[index - 1].out_shape[0], report.layers[index - 1].out_shape[-1]
    layer = torch.nn.Conv2d(
        in_channels, block.out_channels, block.kernel_size, block.stride, block.padding, groups=block.groups
    )
    memory_format = torch.channels_last if layout == "channels-last" else torch.contiguous_format
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    layer = layer.to(dtype=dtype, memory_format=memory_format)
    x = torch.randn(batch_size, in_channels, size, size, dtype=dtype).contiguous(memory_format=memory_format)
    return layer, x, 2 * report.layers[index].mult_adds * batch_size


def ceiling_probe(
    config: AlexNetConfig, batch_size: int, device: torch.device, plan: CeilingPlan, *, burst_s: float = 0.5
) -> dict[str, Callable[[], float]]:
    """Per layout of ``plan``, a function returning achieved GFLOP/s over one ``burst_s`` burst
    (median of the calls in it, at least 3): on a CPU conv3 of ``config`` at batch
    ``batch_size``, on CUDA an 8192^3 matmul."""
    measures = {}
    for layout in plan.layouts:
        if device.type == "cuda":
            a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
            work, flop, sync = partial(torch.mm, a, a), 2 * 8192**3, torch.cuda.synchronize
        else:
            layer, x, flop = ceiling_conv(config, batch_size, plan.precision, layout)
            work, sync = partial(_forward, layer, x), _no_sync
        measures[layout] = partial(_burst_gflops, work, sync, flop, burst_s)
    return measures


@torch.no_grad()
def _forward(layer: torch.nn.Module, x: torch.Tensor) -> None:
    layer(x)


def _no_sync() -> None:
    pass


def _burst_gflops(work: Callable[[], object], sync: Callable[[], None], flop: int, burst_s: float) -> float:
    work()
    sync()
    times = []
    deadline = time.perf_counter() + burst_s
    while time.perf_counter() < deadline or len(times) < 3:
        start = time.perf_counter()
        work()
        sync()
        times.append(time.perf_counter() - start)
    return flop / statistics.median(times) / 1e9


def machine_info(device: torch.device) -> dict[str, Any]:
    """What the numbers were measured on: the CPU's name, the ISA level torch's kernels use
    (``torch.backends.cpu.get_cpu_capability``: AVX2, AVX512, ...), whether bf16 is native on
    ``device`` (the default mode's deciding question), torch's threads, and the GPU if any."""
    return {
        "cpu": cpu_name(),
        "isa": torch.backends.cpu.get_cpu_capability(),
        "bf16_native": bf16_supported(device),
        "threads": torch.get_num_threads(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
    }


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's "model name" from ``cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # not Linux
        pass
    return platform.processor() or "unknown CPU"


def machine_line(machine: dict[str, Any]) -> str:
    """The table's header: what the numbers were measured on."""
    gpu = f" | GPU: {machine['gpu']}" if machine.get("gpu") else ""
    return (
        f"machine: {machine['cpu']} | ISA torch uses: {machine['isa']} | "
        f"native bf16: {'yes' if machine['bf16_native'] else 'no'} | threads: {machine['threads']}{gpu}"
    )
