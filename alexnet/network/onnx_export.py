"""The network as an ONNX file that Netron opens with every tensor's shape, weights inside.

``torch.onnx.export(..., dynamo=True)`` (torch.export, then onnxscript's translation; the
default since torch 2.9, passed explicitly) writes the graph and its initialisers. Then:

- every layer's output tensor and node take the app's layer names (conv1, relu1, norm1, pool1,
  ..., fc7, relu7; the last layer's output is ``logits``), so Netron's graph reads like the
  app's layer table, and the initialisers keep the state dict's names (``features.0.conv.weight``);
- LocalResponseNorm becomes one ONNX ``LRN`` node through a custom op with its own
  translation: the exporter would otherwise spell the app's fast LRN out as slices and scatters.
  ONNX's LRN is the same function only for odd sizes (for an even size it centres the window one
  channel later than PyTorch), so an even size is PyTorch's formula in a few plain nodes;
- ONNX shape inference runs over the graph (strict), so every tensor between layers carries its
  shape, (batch, C, H, W) with a symbolic batch, and ``onnx.checker`` checks the whole model
  (about 4.5 s for the paper network's 250 MB on two Zen 3 cores, a third of it shape inference);
- the exporter's per-node metadata (stack traces with this machine's paths) is dropped, and the
  model's own metadata carries the configuration as JSON and what the weights are.

Imports torch and onnx: callers in the app import this module only when a file is asked for.
"""

from __future__ import annotations

import ast
import copy
import logging
from collections.abc import Mapping

import numpy as np
import onnx
import onnx_ir
import torch
from onnx import numpy_helper
from onnxscript import opset20 as op
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.network.export import ONNX_LIMIT
from alexnet.network.model import AlexNet
from alexnet.network.shapes import layer_table
from alexnet.units import format_bytes

OPSET = 20  # the ONNX opset the file declares (LRN, Conv, MaxPool, Gemm are unchanged since opset 13)
BATCH = "batch"  # the input's and every tensor's symbolic first dimension
INPUT_NAME, OUTPUT_NAME = "image", "logits"
_SCOPES = "pkg.torch.onnx.name_scopes"  # the exporter's per-node module path, e.g. ['', 'features', 'features.0', ...]


@torch.library.custom_op("alexnet::local_response_norm", mutates_args=())
def _lrn(x: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
    """LocalResponseNorm as one opaque op while exporting: PyTorch's own function computes it."""
    return torch.nn.functional.local_response_norm(x, size, alpha, beta, k)


@_lrn.register_fake
def _lrn_shape(x: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
    return torch.empty_like(x)


def _lrn_onnx(x, size: int, alpha: float, beta: float, k: float):  # onnxscript traces it: x is a symbolic tensor
    """y = x / (k + alpha / size * sum of x^2 over the window) ** beta, PyTorch's window exactly.

    An odd window is ONNX's own LRN. An even one is centred one channel later by ONNX's LRN, so it
    is PyTorch's formula instead: x^2 with the channels padded by size//2 before and
    (size - 1)//2 after, averaged over ``size`` channels (an AveragePool over the channel axis,
    moved next to the width by a Transpose), times alpha, plus k, to the power beta.
    """
    if size % 2:
        return op.LRN(x, size=size, alpha=alpha, beta=beta, bias=k)
    squares = op.Transpose(op.Mul(x, x), perm=[0, 2, 1, 3])  # (B, H, C, W)
    pads = op.Constant(value_ints=[0, 0, size // 2, 0, 0, 0, (size - 1) // 2, 0])
    padded = op.Pad(squares, pads)  # type: ignore[arg-type]  # onnxscript types Constant's output as any tensor type
    mean = op.Transpose(op.AveragePool(padded, kernel_shape=[size, 1]), perm=[0, 2, 1, 3])  # (B, C, H, W)
    scale = op.Add(op.Mul(mean, op.Constant(value_float=alpha)), op.Constant(value_float=k))
    return op.Div(x, op.Pow(scale, op.Constant(value_float=beta)))  # type: ignore[type-var]  # the same


class _ExportedLRN(nn.Module):
    """Stands in for LocalResponseNorm in the copy that is exported."""

    def __init__(self, norm: nn.LocalResponseNorm) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = norm.size, norm.alpha, norm.beta, norm.k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.alexnet.local_response_norm(x, self.size, self.alpha, self.beta, self.k)


def export_onnx(model: AlexNet, *, weights: str = "") -> bytes:
    """The network with its current weights as the bytes of an ``.onnx`` file (float32, eval mode).

    Args:
        model: the network to export; it is copied, so the caller's model is left as it was.
        weights: what the weights are ("random, seed 0", "run 20261207-…"), kept in the file's metadata.

    Raises:
        AlexNetError: the exporter or ONNX's checker refused the network (says which and why).
    """
    config = model.config
    size = 4 * sum(parameter.numel() for parameter in model.parameters())  # float32 bytes
    if size >= ONNX_LIMIT:
        raise AlexNetError(
            f"This network's weights take {format_bytes(size)}: one ONNX file holds less than 2.1 GB "
            "(it is one protobuf message).",
            fix="use fewer channels or hidden units, or export the configuration as JSON instead.",
        )
    exported = copy.deepcopy(model).float().eval().cpu()
    for parent in list(exported.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.LocalResponseNorm):
                setattr(parent, name, _ExportedLRN(child))
    images = torch.zeros(2, config.in_channels, config.input_size, config.input_size)
    logging.getLogger("torch.onnx").setLevel(logging.WARNING)
    try:
        with torch.no_grad():
            program = torch.onnx.export(
                exported,
                (images,),
                dynamo=True,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes={"x": {0: torch.export.Dim(BATCH, min=1)}},
                custom_translation_table={torch.ops.alexnet.local_response_norm.default: _lrn_onnx},
                optimize=True,
                verbose=False,
                report=False,
            )
    except Exception as error:  # torch.onnx raises many kinds; the message is what a user can act on
        raise AlexNetError(
            f"PyTorch could not export this network to ONNX: {str(error).splitlines()[0]}",
            fix="export the configuration as JSON or as a PyTorch file instead.",
        ) from error
    assert program is not None
    _name_as_the_app(program.model, {layer.module: layer.name for layer in layer_table(config)})
    proto = program.model_proto
    proto.doc_string = (
        f"AlexNet Explorer: a {config.input_size}x{config.input_size} AlexNet with {weights or 'its weights'}. "
        "Every tensor's shape is written between layers (ONNX shape inference)."
    )
    onnx.helper.set_model_props(proto, {"alexnet_config": config.to_json(), "weights": weights})
    _flatten_as_flatten(proto.graph)
    try:
        # strict inference with type checks, then the checker: full_check=True would infer a second time
        proto = onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
        onnx.checker.check_model(proto)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise AlexNetError(f"ONNX's checker refused the exported network: {error}") from error
    return proto.SerializeToString()


def _name_as_the_app(model: onnx_ir.Model, names: Mapping[str, str]) -> None:
    """Rename each node and its output after the app's layer (``names``: module path -> layer name).

    A module that became several nodes names its last node and output after the layer and the
    earlier ones ``<layer>.1``, ``<layer>.2``... in order; graph inputs and outputs keep their names.
    """
    graph = model.graph
    by_module: dict[str, list[onnx_ir.Node]] = {}
    for node in graph:
        scopes = ast.literal_eval(node.metadata_props.get(_SCOPES, "[]"))
        module = scopes[-2] if len(scopes) >= 2 else ""
        by_module.setdefault(module, []).append(node)
        node.metadata_props.clear()  # stack traces with this machine's paths: not for a shared file
    for module, nodes in by_module.items():
        layer = names.get(module, module.replace(".", "_") or "graph")
        for index, node in enumerate(nodes, start=1):
            name = layer if index == len(nodes) else f"{layer}.{index}"
            node.name = name
            for number, value in enumerate(node.outputs):
                if not value.is_graph_output():
                    value.name = name if number == 0 else f"{name}:{number}"
    for value in (*graph.inputs, *graph.outputs, *graph.initializers.values()):
        value.metadata_props.clear()


def _flatten_as_flatten(graph: onnx.GraphProto) -> None:
    """Write ``Reshape(x, [-1, N])`` (how torch.export spells ``flatten(1)``) as ONNX's ``Flatten(axis=1)``.

    The same function, but shape inference cannot tell that -1 is the batch: after a Reshape the
    batch dimension became an unnamed one, while Flatten keeps it ("batch", N), as the app's table.
    """
    constants = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    shapes = {value.name: [d.dim_value for d in value.type.tensor_type.shape.dim] for value in graph.value_info}
    for node in graph.node:
        target = constants.get(node.input[1]) if node.op_type == "Reshape" and len(node.input) == 2 else None
        features = shapes.get(node.input[0], [])[1:]
        if target is None or list(target) != [-1, int(np.prod(features))] or not all(features):
            continue  # not a flatten of a map whose size the exporter wrote down
        del node.input[1], node.attribute[:]
        node.op_type = "Flatten"
        node.attribute.append(onnx.helper.make_attribute("axis", 1))
    used = {name for node in graph.node for name in node.input}
    for tensor in [t for t in graph.initializer if t.name not in used]:
        graph.initializer.remove(tensor)


def onnx_shapes(data: bytes) -> dict[str, tuple[int | str, ...]]:
    """Every named tensor's shape as the file states it: inputs, the layers' outputs and the output.

    A symbolic dimension is its name (``"batch"``); initialisers (weights) are left out.
    """
    graph = onnx.load_from_string(data).graph
    weights = {tensor.name for tensor in graph.initializer}
    return {
        value.name: tuple(dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim)
        for value in (*graph.input, *graph.value_info, *graph.output)
        if value.name not in weights
    }


def onnx_logits(data: bytes, images: torch.Tensor) -> np.ndarray:
    """ONNX Runtime's output for ``images`` (B, C, H, W): the file's logits, (B, classes), float32."""
    import onnxruntime  # only where a file is checked

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {INPUT_NAME: images.float().cpu().numpy()})
    return logits
