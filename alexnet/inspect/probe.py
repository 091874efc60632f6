"""Real forward passes, watched with hooks: every layer's output shape and, if asked, its values.

Shape-only probes run on the ``meta`` device, where tensors have shapes but no storage, so
a probe of the paper's network at any input size takes milliseconds and no memory (see
``probe_shapes`` for the one exception, a process's first call).
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from alexnet.errors import AlexNetError, first_line
from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_memory, estimate_memory, memory_budget
from alexnet.network.model import build_model
from alexnet.network.shapes import ShapeReport, analyze


@dataclass
class ProbeResult:
    """What one forward pass produced, keyed by module path (``features.0.conv``, ...)."""

    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # per image, batch dim dropped
    activations: dict[str, torch.Tensor] = field(default_factory=dict)  # (B, ...) on the CPU
    output: torch.Tensor | None = None  # the network's logits, (B, num_classes)


def probe(
    model: nn.Module,
    images: torch.Tensor,
    *,
    keep: bool | Collection[str] = False,
) -> ProbeResult:
    """Run ``images`` (B, C, H, W) through ``model`` in eval mode and record every layer.

    Args:
        model: any module; every leaf module except ``nn.Identity`` is recorded.
        images: a batch on the model's device.
        keep: ``True`` keeps every layer's output, a collection of paths keeps those only.
            Kept outputs are cloned as they are produced, because an in-place ReLU
            overwrites its convolution's output a moment later.

    Raises:
        AlexNetError: an ``AlexNet`` whose pass would go over the memory budget
            (``alexnet.network.memory``), or the forward pass failed; the message names the layer that
            failed and the last one that ran.
    """
    config = getattr(model, "config", None)
    if isinstance(config, AlexNetConfig) and images.device.type != "meta":
        # the weights exist already; the outputs (kept ones cloned) would come on top
        check_probe_memory(config, batch=images.shape[0], keep=bool(keep))
    result = ProbeResult()
    started: list[str] = []  # leaf layers entered, in order
    handles = []

    def record(path: str):
        def pre_hook(module: nn.Module, args: object) -> None:
            started.append(path)

        def hook(module: nn.Module, args: object, output: torch.Tensor) -> None:
            result.shapes[path] = tuple(output.shape[1:])
            if keep is True or (keep and path in keep):
                result.activations[path] = output.detach().to("cpu", copy=True)

        return pre_hook, hook

    was_training = model.training
    try:
        for path, module in model.named_modules():
            if list(module.children()) or isinstance(module, nn.Identity):
                continue
            pre_hook, hook = record(path)
            handles.append(module.register_forward_pre_hook(pre_hook))
            handles.append(module.register_forward_hook(hook))
        model.eval()
        with torch.no_grad():
            result.output = model(images)
    except RuntimeError as exc:
        failed = started[-1] if started else "the first layer"
        done = [p for p in started if p in result.shapes]
        after = f"after {done[-1]} ran" if done else "before any layer ran"
        raise AlexNetError(
            f"the forward pass failed {after}: {first_line(exc)}",
            layer=failed,
            fix="check this layer's settings against the shape table.",
        ) from None
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return result


def check_probe_memory(config: AlexNetConfig, *, batch: int = 1, keep: bool = True, budget: int | None = None) -> None:
    """Refuse, before the model is even built, a real probe of ``config`` over the memory budget.

    Raises:
        AlexNetError: the estimate (weights, plus every output when ``keep``) is over the budget.
    """
    check_memory(
        config,
        mode="probe" if keep else "inference",
        batch=batch,
        budget=budget,
        what="Running an image through this network (every layer's output kept)" if keep else "A forward pass",
    )


# Networks up to this estimate (alexnet.network.memory, inference on one image) may take the CPU path of
# probe_shapes while meta-device calls are still expensive: the paper's network needs 259 MB.
CPU_SHAPES_LIMIT_BYTES = 512 * 10**6


def probe_shapes(config: AlexNetConfig, *, device: str | None = None) -> dict[str, tuple[int, ...]]:
    """Every layer's real output shape for one image, from a real forward pass.

    The pass runs on the meta device, where tensors have shapes but no storage: milliseconds
    and no memory at any size. Only a process's first meta-device call is slow: PyTorch's
    Python shape functions import ``torch._dynamo`` and sympy on first use, about 2 s on two
    cores, which would land on the app's first page. So until that has happened (``pages.parts.common.warmup``
    does it in the background), a network whose one-image pass is estimated under
    ``CPU_SHAPES_LIMIT_BYTES`` runs on the CPU instead, with uninitialised weights (no random
    init to pay for): the same shapes from the same modules, about 0.1 s for the paper's network.

    Args:
        device: "meta" or "cpu" to choose; ``None`` chooses as above.

    Raises:
        AlexNetError: the configuration cannot work.
    """
    device = device or _shape_probe_device(config)
    model = build_model(config, device="meta")
    if device != "meta":
        model = model.to_empty(device=device)  # storage for the weights, left uninitialised
    images = torch.zeros(1, config.in_channels, config.input_size, config.input_size, device=device)
    return probe(model, images).shapes


def _shape_probe_device(config: AlexNetConfig) -> str:
    """The meta device, unless meta-device calls would still pay their one-time import and the CPU pass is small."""
    if "torch._dynamo" in sys.modules:  # imported: meta-device shape functions cost microseconds now
        return "meta"
    try:
        small = estimate_memory(config).total <= min(CPU_SHAPES_LIMIT_BYTES, memory_budget()[0])
    except AlexNetError:  # a configuration that cannot work: the meta pass says where it fails
        return "meta"
    return "cpu" if small else "meta"


def runnable_prefix(config: AlexNetConfig, report: ShapeReport) -> AlexNetConfig | None:
    """The part of a failing network that does run, so a real forward pass can check its shapes.

    Keeps the blocks up to the last layer ``analyze`` could compute; if that block's pool is
    the layer that failed, the pool is dropped. None when no layer could be computed.
    """
    blocks = [layer.block for layer in report.layers if layer.block is not None]
    if not blocks:
        return None
    last = blocks[-1]
    kept = list(config.blocks[:last])
    if kept[-1].pool and not any(layer.kind == "pool" and layer.block == last for layer in report.layers):
        kept[-1] = replace(kept[-1], pool=False)
    return replace(config, blocks=tuple(kept))


def analyze_and_probe(config: AlexNetConfig) -> tuple[ShapeReport, dict[str, tuple[int, ...]]]:
    """The analytic table and, beside it, real shapes of every layer that can run.

    ``analyze`` never raises: for a failing network its report stops at the layer at fault, and
    the real pass covers ``runnable_prefix`` (the blocks before it), so a learner still sees the
    formula checked against PyTorch up to where it breaks. Real shapes are empty when nothing
    can run or the pass itself refuses (a network over the memory budget).
    """
    report = analyze(config)
    runnable = config if report.ok else runnable_prefix(config, report)
    if runnable is None:
        return report, {}
    try:
        return report, probe_shapes(runnable)
    except AlexNetError:
        return report, {}
