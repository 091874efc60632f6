"""torchinfo's layer summary, as rows a table can show and totals a page can print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torchinfo

from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_memory
from alexnet.network.model import build_model
from alexnet.network.shapes import LayerShape, analyze


@dataclass(frozen=True)
class SummaryRow:
    """One module in torchinfo's table."""

    name: str  # our friendly name (conv1, pool1, fc6...) or the container's path
    module: str  # the module's path inside AlexNet ("" for the network itself)
    layer_type: str  # Conv2d, ReLU, AlexNetBlock...
    depth: int  # 0 for the network, 1 for features/classifier, 2 for blocks...
    output_shape: tuple[int, ...]  # with the batch dimension
    params: int
    mult_adds: int
    trainable: bool | None  # None for layers without parameters


@dataclass(frozen=True)
class ModelSummary:
    """torchinfo's table and totals for one image, float32. Memory in bytes."""

    rows: tuple[SummaryRow, ...]
    total_params: int
    trainable_params: int
    total_mult_adds: int
    input_bytes: int
    forward_backward_bytes: int  # activations kept for the backward pass
    param_bytes: int
    text: str  # torchinfo's own printout

    @property
    def total_bytes(self) -> int:
        return self.input_bytes + self.forward_backward_bytes + self.param_bytes


def summarize(config: AlexNetConfig, *, depth: int = 3, budget: int | None = None) -> ModelSummary:
    """Run torchinfo on the configured network with one input image, on PyTorch's meta device.

    Meta tensors have shapes and dtypes but no storage: building the model initialises no
    weights and the forward pass computes nothing, yet torchinfo's table, parameter counts,
    mult-adds and byte sizes all come from shapes, so they are the same as a CPU run's (a test
    compares them). For the paper's network this takes tens of milliseconds instead of half a
    second, most of which went to drawing 62 M random weights.

    The memory budget (``alexnet.network.memory``; ``budget`` bytes, else the process's) is still
    checked first, so the Summary agrees with every page that runs the network for real: a
    network that cannot run here is explained, with its estimate, instead of summarised.

    Raises:
        AlexNetError: the configuration cannot work, or would need more memory than the budget.
    """
    check_memory(config, budget=budget, what="Running this network on one image")
    meta = torch.device("meta")
    model = build_model(config, device=meta)
    names = {row.module: row.name for row in analyze(config).layers}
    paths = {id(module): path for path, module in model.named_modules()}
    stats = torchinfo.summary(
        model,
        input_size=(1, config.in_channels, config.input_size, config.input_size),
        col_names=("output_size", "num_params", "mult_adds", "trainable"),
        depth=depth,
        device=meta,
        verbose=0,
    )
    leaf_macs: dict[str, int] = {}
    for info in stats.summary_list:
        if info.is_leaf_layer:
            path = paths.get(id(info.module), "")
            for prefix in _prefixes(path):
                leaf_macs[prefix] = leaf_macs.get(prefix, 0) + info.macs
    rows = []
    for info in stats.summary_list:
        if info.depth > depth:
            continue
        path = paths.get(id(info.module), "")
        has_params = any(True for _ in info.module.parameters(recurse=False)) or not info.is_leaf_layer
        rows.append(
            SummaryRow(
                name=names.get(path) or _container_name(path),
                module=path,
                layer_type=info.class_name,
                depth=info.depth,
                output_shape=tuple(info.output_size),
                params=info.num_params,
                # torchinfo gives containers only their own direct work; leave it to the leaves
                mult_adds=info.macs if info.is_leaf_layer else leaf_macs.get(path, 0),
                trainable=(info.trainable_params > 0) if has_params else None,
            )
        )
    return ModelSummary(
        rows=tuple(rows),
        total_params=stats.total_params,
        trainable_params=stats.trainable_params,
        total_mult_adds=stats.total_mult_adds,
        input_bytes=stats.total_input,
        forward_backward_bytes=stats.total_output_bytes,
        param_bytes=stats.total_param_bytes,
        text=str(stats),
    )


def analytic_rows(layers: tuple[LayerShape, ...]) -> list[dict[str, Any]]:
    """The arithmetic's version of the table, for a network too big to summarise for real:
    per layer its output for one image, parameters, mult-adds and float32 output bytes (C x H x W x 4)."""
    return [
        {
            "layer": layer.name,
            "kind": layer.kind,
            "output shape": " × ".join(str(n) for n in layer.out_shape),
            "params": layer.params,
            "mult-adds": layer.mult_adds,
            "output bytes": layer.activation_bytes,
        }
        for layer in layers
    ]


def _prefixes(path: str) -> list[str]:
    """Every container above a module: "features.0.conv" -> ["", "features", "features.0"]."""
    parts = path.split(".")
    return ["", *(".".join(parts[:n]) for n in range(1, len(parts)))]


def _container_name(path: str) -> str:
    """AlexNet, features, block1, ..., classifier."""
    if not path:
        return "AlexNet"
    parts = path.split(".")
    if parts[0] == "features" and len(parts) == 2:
        return f"block{int(parts[1]) + 1}"
    return path
