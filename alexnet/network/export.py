"""A stand-alone PyTorch file that rebuilds a configured network with plain ``torch.nn`` (and the
size limit of the other export, ONNX, which needs no torch to know).

The generated module needs only ``torch``: no import of this package. Its modules carry the
same names as ``alexnet.network.model.AlexNet`` (``features.0.conv``, ``classifier.1``...), so a
state dict saved from the app loads into it unchanged. Run as a script, it pushes one random
image through the network and prints the output shape.
"""

from __future__ import annotations

from alexnet.network.config import ACTIVATIONS, AlexNetConfig, BlockConfig
from alexnet.network.memory import estimate_memory
from alexnet.network.shapes import layer_table
from alexnet.units import format_bytes

# bytes: one .onnx file is one protobuf message, which must stay under 2 GiB. Here, not in
# alexnet.network.onnx_export (which imports torch), so that a page can disable its button before torch loads.
ONNX_LIMIT = 2**31

# The source of each activation's module, as alexnet.network.model.activation_layer builds it.
_ACTIVATION_SOURCE = {"relu": "nn.ReLU(inplace=True)", "tanh": "nn.Tanh()"}

_HEADER = '''"""AlexNet rebuilt with plain torch.nn, exported by AlexNet Explorer.

Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NeurIPS 2012. Every convolution and max-pool follows

    out = floor((W - K + 2P) / S) + 1

Layer by layer (one {c}x{s}x{s} image):
{shapes}

One forward pass of one image needs about {memory} of memory (weights and the largest
layer's input and output, float32).
"""

from collections import OrderedDict

import torch
from torch import nn

INPUT_SHAPE = ({c}, {s}, {s})  # (channels, height, width) of one image
NUM_CLASSES = {classes}


def block(layers: list[tuple[str, nn.Module]]) -> nn.Sequential:
    """Conv2d -> {activation} [-> LocalResponseNorm] [-> MaxPool2d], with named layers."""
    return nn.Sequential(OrderedDict(layers))
'''

_FOOTER = '''

def build(num_classes: int = NUM_CLASSES) -> AlexNet:
    """The network, with PyTorch's default random initialisation."""
    return AlexNet(num_classes)


if __name__ == "__main__":
    model = build().eval()
    images = torch.randn(1, *INPUT_SHAPE)  # (B, C, H, W)
    with torch.no_grad():
        logits = model(images)
    print(f"input {{tuple(images.shape)}} -> output {{tuple(logits.shape)}}")
    print(f"{{sum(p.numel() for p in model.parameters()):,}} parameters")
'''


def to_pytorch_source(config: AlexNetConfig) -> str:
    """Python source of a module defining ``AlexNet``, ``build()`` and a ``__main__`` check.

    Raises:
        AlexNetError: the configuration cannot work (nothing sensible to export).
    """
    layers = layer_table(config)  # validates first; its shapes become the comments
    flatten = next(layer for layer in layers if layer.kind == "flatten")
    c, h, w = flatten.in_shape
    shapes = "\n".join(
        f"    {layer.name:<9} {_dims(layer.in_shape):>12} -> {_dims(layer.out_shape):<12} {layer.formula}"
        for layer in layers
        if layer.kind not in (*ACTIVATIONS, "dropout")
    )
    lines = [
        _HEADER.format(
            c=config.in_channels,
            s=config.input_size,
            classes=config.num_classes,
            shapes=shapes,
            memory=format_bytes(estimate_memory(config).total),
            activation=_ACTIVATION_SOURCE[config.activation].split("(")[0].removeprefix("nn."),
        ),
        "",
        "class AlexNet(nn.Module):",
        "    def __init__(self, num_classes: int = NUM_CLASSES) -> None:",
        "        super().__init__()",
        "        self.features = nn.Sequential(",
    ]
    channels = config.in_channels
    for number, block in enumerate(config.blocks, start=1):
        out = next(layer.out_shape for layer in reversed(layers) if layer.block == number)
        lines.append(f"            block(  # block{number}: -> {_dims(out)}")
        lines.append("                [")
        lines += [f"                    {item}," for item in _block_layers(config, block, channels)]
        lines.append("                ]")
        lines.append("            ),")
        channels = block.out_channels
    lines.append("        )")
    if config.adaptive_pool:
        n = config.adaptive_pool
        lines.append(f"        self.avgpool = nn.AdaptiveAvgPool2d({n})  # any map -> {n}x{n}")
    else:
        lines.append("        self.avgpool = nn.Identity()  # no adaptive pool: the map keeps its size")
    lines.append("        self.flatten = nn.Flatten(1)")
    lines.append(
        f"        in_features = {c} * {h} * {w}  # channels x height x width of the last map = {flatten.out_shape[0]}"
    )
    lines.append("        self.classifier = nn.Sequential(")
    width = "in_features"
    for hidden in config.hidden_sizes:
        lines.append(f"            nn.Dropout(p={config.dropout}),")
        lines.append(f"            nn.Linear({width}, {hidden}),")
        lines.append(f"            {_ACTIVATION_SOURCE[config.activation]},")
        width = str(hidden)
    lines.append(f"            nn.Linear({width}, num_classes),")
    lines.append("        )")
    lines += [
        "",
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:",
        f"        x = self.features(x)  # (B, {c}, {h}, {w}) for {config.input_size}x{config.input_size} inputs",
        "        x = self.avgpool(x)",
        f"        x = self.flatten(x)  # (B, {flatten.out_shape[0]})",
        "        return self.classifier(x)  # (B, num_classes)",
    ]
    source = "\n".join(lines) + "\n" + _FOOTER.format()
    return "\n".join(line.rstrip() for line in source.splitlines()) + "\n"


def _dims(shape: tuple[int, ...]) -> str:
    """(96, 55, 55) -> "96x55x55" (ASCII, so the file is plain text anywhere)."""
    return "x".join(str(n) for n in shape)


def _block_layers(config: AlexNetConfig, block: BlockConfig, in_channels: int) -> list[str]:
    groups = f", groups={block.groups}" if block.groups != 1 else ""
    conv = (
        f"nn.Conv2d({in_channels}, {block.out_channels}, kernel_size={block.kernel_size}, "
        f"stride={block.stride}, padding={block.padding}{groups})"
    )
    activation = config.activation
    items = [f'("conv", {conv})', f'("{activation}", {_ACTIVATION_SOURCE[activation]})']
    if block.norm:
        lrn = config.lrn
        items.append(f'("norm", nn.LocalResponseNorm({lrn.size}, alpha={lrn.alpha!r}, beta={lrn.beta!r}, k={lrn.k!r}))')
    if block.pool:
        pool = (
            f"nn.MaxPool2d(kernel_size={block.pool_kernel}, stride={block.pool_stride}, padding={block.pool_padding})"
        )
        items.append(f'("pool", {pool})')
    return items
