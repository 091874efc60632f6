"""A memory budget for real passes: estimate the peak from the shape arithmetic, refuse what does not fit.

Every real forward pass (the Summary page's torchinfo, the Activations page's probe, the export
check, a training run) first asks ``check_memory``. The estimate needs no tensors: it comes from
``alexnet.network.shapes`` (parameters and each layer's float32 output, 4 bytes a number), so a network
that would need 262 GB is refused in microseconds instead of taking the machine down.

Peak memory in bytes, for a batch of B images (W = parameters x 4 bytes):

    inference  = W + B x max over layers (input + output + conv workspace)
    probe      = inference + B x sum of every layer's output        (each output is kept, cloned)
    training   = W x (2 + optimizer slots) + B x (2 x sum of outputs + max over layers of workspace)
                 + TRAINING_OVERHEAD

- the conv workspace is the unfolded input PyTorch's CPU convolution may build, (C_in / groups) x
  K x K x H_out x W_out numbers, counted once for the largest layer;
- training keeps every layer's output for the backward pass and a gradient of the same size
  flows back through them (2 x sum); the weights have a gradient (1 x W) and AdamW two moments
  (2 x W), SGD with momentum one; the autograd engine, the optimizer's buffers and the thread
  pools add about ``TRAINING_OVERHEAD`` whatever the network (measured: 150-250 MB on a CPU).

The budget is ``ALEXNET_MEMORY_BUDGET`` ("8GB", "512MB", "1.5GiB" or plain bytes) when set
(``--memory-budget`` on the command line sets it for the process and its trainer), else
``DEFAULT_FRACTION`` of the memory this machine has available right now. The budget is the
host's memory: torchinfo and the trainer build the model on the CPU first (a CUDA run moves it
after). On a CUDA machine the Activations probe builds on the GPU; the same estimate guards it,
and a GPU out-of-memory error left over is turned into a message by ``alexnet.inspect.probe.probe``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import BYTES_PER_FLOAT, LayerShape, layer_table
from alexnet.units import format_bytes

BUDGET_ENV = "ALEXNET_MEMORY_BUDGET"
DEFAULT_FRACTION = 0.5  # of MemAvailable: leaves room for the server, the browser and the other half's spikes
FALLBACK_AVAILABLE = 4 * 10**9  # bytes, when the system cannot tell (no /proc, no sysconf)
MODES = ("inference", "probe", "training")
TRAINING_OVERHEAD = 150 * 10**6  # bytes: autograd and optimizer machinery, independent of the network
OPTIMIZER_SLOTS = {"adamw": 2, "adam": 2, "sgd": 1}  # float32 tensors per weight: moments / momentum
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 2**10,
    "kib": 2**10,
    "m": 2**20,
    "mib": 2**20,
    "g": 2**30,
    "gib": 2**30,
    "t": 2**40,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


@dataclass(frozen=True)
class MemoryEstimate:
    """The estimated peak of one real pass, in bytes, and its parts."""

    mode: str  # inference, probe or training
    batch: int
    weights: int  # parameters x 4
    training_state: int  # gradients and optimizer state (0 unless training)
    activations: int  # outputs alive at the peak, for the whole batch
    workspace: int  # the largest convolution's unfolded input, for the whole batch
    largest_layer: str  # the layer with the largest output (where a smaller size helps most)
    overhead: int = 0  # fixed cost of training (TRAINING_OVERHEAD), 0 otherwise

    @property
    def total(self) -> int:
        return self.weights + self.training_state + self.activations + self.workspace + self.overhead


def parse_size(text: str, *, source: str = BUDGET_ENV) -> int:
    """ "8GB" -> 8e9, "512MB" -> 5.12e8, "1.5GiB" -> 1.5 x 2**30, "1000" -> 1000 bytes.

    Raises:
        AlexNetError: not a positive size.
    """
    match = _SIZE.fullmatch(str(text))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise AlexNetError(
            f"{source} is {str(text)[:40]!r}, which is not a memory size.",
            fix='write a number of bytes with an optional unit, like "8GB", "512MB", "1.5GiB" or "2000000000".',
        )
    return int(float(match.group(1)) * _UNITS[unit])


def available_memory() -> int:
    """Bytes the system could give this process now: MemAvailable from /proc/meminfo (Linux),
    else free physical pages x page size, else ``FALLBACK_AVAILABLE``."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # the file counts in KiB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_AVAILABLE


def memory_budget() -> tuple[int, str]:
    """(bytes, where that number comes from) for the current process."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if text:
        return parse_size(text), f"set by {BUDGET_ENV} or --memory-budget"
    share = f"{DEFAULT_FRACTION:.0%} of the memory available on this machine now"
    return int(DEFAULT_FRACTION * available_memory()), share


def apply_memory_budget(text: str | None) -> None:
    """``--memory-budget``: check it and set ``ALEXNET_MEMORY_BUDGET`` for this process and the
    trainers it starts (``None`` leaves the environment as it is).

    Raises:
        AlexNetError: not a memory size.
    """
    if text is not None:
        parse_size(text, source="--memory-budget")
        os.environ[BUDGET_ENV] = text


def estimate_memory(
    config: AlexNetConfig, *, mode: str = "inference", batch: int = 1, optimizer: str = "adamw"
) -> MemoryEstimate:
    """The estimated peak of one real pass of ``config`` (formulas in the module docstring).

    Raises:
        AlexNetError: the configuration cannot work (from ``layer_table``).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    layers = layer_table(config)
    weights = sum(layer.params for layer in layers) * BYTES_PER_FLOAT
    outputs = [layer.activation_bytes for layer in layers]
    input_bytes = config.in_channels * config.input_size**2 * BYTES_PER_FLOAT
    working = max((inp + out for inp, out in zip([input_bytes, *outputs], outputs, strict=False)), default=input_bytes)
    workspace = max((_conv_workspace(layer, config) for layer in layers), default=0)
    training_state = 0
    if mode == "training":
        training_state = weights * (1 + OPTIMIZER_SLOTS.get(optimizer, 2))
        activations = 2 * (input_bytes + sum(outputs))
    elif mode == "probe":
        activations = working + sum(outputs)
    else:
        activations = working
    largest = max(layers, key=lambda layer: layer.activation_bytes)
    return MemoryEstimate(
        mode=mode,
        batch=batch,
        weights=weights,
        training_state=training_state,
        activations=batch * activations,
        workspace=batch * workspace,
        largest_layer=largest.name,
        overhead=TRAINING_OVERHEAD if mode == "training" else 0,
    )


def check_memory(
    config: AlexNetConfig,
    *,
    mode: str = "inference",
    batch: int = 1,
    optimizer: str = "adamw",
    budget: int | None = None,
    what: str = "A forward pass of this network",
) -> MemoryEstimate:
    """The estimate, if it fits the budget (``budget`` bytes, else ``memory_budget()``).

    Raises:
        AlexNetError: over the budget; the message gives the estimate, its parts and the budget.
    """
    estimate = estimate_memory(config, mode=mode, batch=batch, optimizer=optimizer)
    limit, source = (budget, "given") if budget is not None else memory_budget()
    if estimate.total <= limit:
        return estimate
    parts = [f"weights {format_bytes(estimate.weights)}"]
    if estimate.training_state:
        parts.append(f"gradients and optimizer state {format_bytes(estimate.training_state)}")
    parts.append(f"activations {format_bytes(estimate.activations)}")
    if estimate.workspace:
        parts.append(f"convolution workspace {format_bytes(estimate.workspace)}")
    batch = f" for a batch of {batch}" if batch > 1 else ""
    biggest = _biggest_weights(config)
    enough = f"{math.ceil(estimate.total / 10**9)}GB"  # the estimate, rounded up to whole GB
    raise AlexNetError(
        f"{what}{batch} would need about {format_bytes(estimate.total)} of memory ({', '.join(parts)}), "
        f"over the memory budget of {format_bytes(limit)} ({source}). Nothing was allocated.",
        layer=biggest if estimate.weights > estimate.activations else estimate.largest_layer,
        fix=(
            "use a smaller input size, fewer channels, a larger stride or an adaptive pool "
            "(fewer inputs to the first fully connected layer)"
            + (", a smaller batch" if estimate.batch > 1 else "")
            + f"; or, only if this machine really has that much memory, raise the budget: {BUDGET_ENV}={enough} "
            f"or --memory-budget {enough}."
        ),
    )


def check_training_memory(config: AlexNetConfig, settings: object, *, budget: int | None = None) -> MemoryEstimate:
    """``check_memory`` for a training run of ``settings`` (a ``TrainSettings``: batch_size, optimizer)."""
    batch = int(getattr(settings, "batch_size", 1) or 1)
    optimizer = str(getattr(settings, "optimizer", "adamw"))
    return check_memory(
        config, mode="training", batch=batch, optimizer=optimizer, budget=budget, what="Training this network"
    )


def _conv_workspace(layer: LayerShape, config: AlexNetConfig) -> int:
    """(C_in / groups) x K x K x H_out x W_out x 4: the unfolded input of one image's convolution."""
    if layer.kind != "conv" or layer.block is None:
        return 0
    block = config.blocks[layer.block - 1]
    c_in = layer.in_shape[0] // block.groups
    _, h, w = layer.out_shape
    return c_in * block.kernel_size**2 * h * w * BYTES_PER_FLOAT


def _biggest_weights(config: AlexNetConfig) -> str:
    return max(layer_table(config), key=lambda layer: layer.params).name
