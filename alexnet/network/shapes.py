"""Pure arithmetic: every layer's output shape, cost and receptive field, without torch.

The one formula behind every convolution and max-pool (dilation 1, floor rounding):

    out = floor((W - K + 2P) / S) + 1

where W is the input width in pixels, K the kernel, P the padding on each side and S the
stride. ``(W - K + 2P) mod S`` input pixels at the far edge are never covered by a window:
the floor throws them away.

Receptive field r and jump j (the distance, in input pixels, between neighbouring output
pixels) grow layer by layer, starting from r = j = 1 at the image:

    r_out = r_in + (K - 1) * j_in        j_out = j_in * S
    start_out = start_in + ((K - 1) / 2 - P) * j_in

where start is the centre of output cell 0 in input pixels (the image's pixel 0 has start 0).
Output cell i of a layer then sees input pixels start + i * j - (r - 1) / 2 through
start + i * j + (r - 1) / 2; ``alexnet.network.receptive`` cuts that square where it runs into any
layer's padding.

``analyze`` walks the layers in the model's order, so its rows line up one for one with the
modules of ``alexnet.network.model.AlexNet`` (matched by ``LayerShape.module``).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from alexnet.errors import AlexNetError
from alexnet.network.checks import check_block, check_network, collapse_error
from alexnet.network.config import ACTIVATIONS, AlexNetConfig, Window
from alexnet.network.field import Field

# The 1-D arithmetic lives in alexnet.network.output_size; these names stay importable from here.
from alexnet.network.output_size import (  # noqa: F401
    MAX_INPUT_SIZE,
    conv_output_size,
    coverage,
    formula_text,
    smallest_working_input,
    spatial_size,
    working_input_sizes,
)

BYTES_PER_FLOAT = 4  # activations are float32


@dataclass(frozen=True)
class LayerShape:
    """One layer of the network, computed analytically."""

    name: str  # friendly name: conv1, relu1 (or tanh1), norm1, pool1, ..., avgpool, flatten, dropout6, fc6, ...
    kind: str  # conv, relu or tanh (the config's activation), norm, pool, avgpool, flatten, dropout, linear
    module: str  # the module's path inside AlexNet, e.g. "features.0.conv"
    block: int | None  # 1-based block number for feature layers
    in_shape: tuple[int, ...]  # (C, H, W), or (N,) after flatten
    out_shape: tuple[int, ...]
    formula: str  # the formula with this layer's numbers filled in ("" if the shape is unchanged)
    params: int  # learnable parameters (weights + biases)
    mult_adds: int  # multiply-accumulates for one image, biases counted as one each (torchinfo's rule)
    activation_bytes: int  # float32 output of one image, in bytes
    receptive_field: int | None  # input pixels one output pixel sees, per side; None after flatten
    jump: int | None  # input pixels between neighbouring output pixels; None after flatten
    dropped_pixels: int  # pixels of the input map after the last window: the floor cuts them (padding not counted)
    rf_start: float | None = None  # centre of output cell 0, in input pixels; None after flatten
    skipped_pixels: int = 0  # pixels of the input map between two windows (stride > kernel): never read
    # Exact (first, last) input pixel of each output cell along one axis, where the cells' windows
    # differ (an adaptive pool whose map does not divide evenly); None where r and j say it all.
    # receptive_field and jump are then the largest field and the largest step.
    cell_spans: tuple[tuple[int, int], ...] | None = None

    @property
    def place(self) -> str:
        """Where the layer sits, the same for relu1 and tanh1: its module path with a block's
        activation written as ``act`` (``features.0.act``). Compare layers of two networks by it."""
        if self.kind in ACTIVATIONS and self.block is not None:
            return self.module.rsplit(".", 1)[0] + ".act"
        return self.module

    @property
    def receptive_range(self) -> tuple[int, int] | None:
        """Smallest and largest receptive field of this layer's cells, in input pixels per side."""
        if self.receptive_field is None:
            return None
        if self.cell_spans is None:
            return self.receptive_field, self.receptive_field
        widths = [last - first + 1 for first, last in self.cell_spans]
        return min(widths), max(widths)

    @property
    def jump_range(self) -> tuple[int, int] | None:
        """Smallest and largest step between neighbouring cells' fields (first pixel to first pixel)."""
        if self.jump is None:
            return None
        if self.cell_spans is None or len(self.cell_spans) < 2:
            return self.jump, self.jump
        steps = [b[0] - a[0] for a, b in itertools.pairwise(self.cell_spans)]
        return min(steps), max(steps)


@dataclass(frozen=True)
class ShapeReport:
    """All layers that could be computed, and the error that stopped the walk, if any."""

    layers: tuple[LayerShape, ...]
    error: AlexNetError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def flatten_features(self) -> int | None:
        """Inputs of the first linear layer: C * H * W of the last feature map."""
        for layer in self.layers:
            if layer.kind == "flatten":
                return layer.out_shape[0]
        return None

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_mult_adds(self) -> int:
        return sum(layer.mult_adds for layer in self.layers)


@functools.lru_cache(maxsize=1024)
def analyze(config: AlexNetConfig) -> ShapeReport:
    """Every layer's shape, cost and receptive field; never raises for a bad configuration.

    The walk stops at the first layer that cannot work; ``ShapeReport.error`` explains it,
    and ``ShapeReport.layers`` holds the layers before it. The report is frozen and a pure
    function of the (frozen) configuration, so it is kept per configuration: the Architecture
    page asks for the same one about fifteen times a rerun (0.5 ms each for the paper's network).
    """
    rows: list[LayerShape] = []
    try:
        for row in _walk(config):
            rows.append(row)
    except AlexNetError as error:
        return ShapeReport(tuple(rows), error)
    return ShapeReport(tuple(rows), None)


def layer_table(config: AlexNetConfig) -> tuple[LayerShape, ...]:
    """Every layer's shape; raises ``AlexNetError`` for a configuration that cannot work."""
    report = analyze(config)
    if report.error is not None:
        raise report.error
    return report.layers


def flatten_features(config: AlexNetConfig) -> int:
    """Inputs of the classifier's first linear layer: C * H * W (9216 = 256*6*6 for the paper).

    Raises:
        AlexNetError: the configuration cannot work.
    """
    return next(row.out_shape[0] for row in layer_table(config) if row.kind == "flatten")


def _walk(config: AlexNetConfig) -> Iterator[LayerShape]:
    check_network(config)
    channels, size = config.in_channels, config.input_size
    field = Field()
    for index, block in enumerate(config.blocks):
        number = index + 1
        path = f"features.{index}"
        check_block(config, block, number, channels)

        conv = block.window("conv")
        out = conv_output_size(size, *conv)
        if out < 1:
            raise collapse_error(config, index, False, size)
        weights = block.out_channels * (channels // block.groups) * block.kernel_size**2
        field = field.grow(*conv)
        yield _window_layer(
            f"conv{number}",
            "conv",
            number,
            (channels, size, size),
            (block.out_channels, out, out),
            conv,
            field,
            params=weights + block.out_channels,
            mult_adds=(weights + block.out_channels) * out * out,
        )
        channels, size = block.out_channels, out

        same = (channels, size, size)
        act = config.activation  # its layers are named after it: relu1 or tanh1, features.0.relu or .tanh
        yield _unchanged(f"{act}{number}", act, f"{path}.{act}", number, same, field)
        if block.norm:
            yield _unchanged(f"norm{number}", "norm", f"{path}.norm", number, same, field)
        if block.pool:
            pool = block.window("pool")
            out = conv_output_size(size, *pool)
            if out < 1:
                raise collapse_error(config, index, True, size)
            field = field.grow(*pool)
            yield _window_layer(f"pool{number}", "pool", number, same, (channels, out, out), pool, field)
            size = out

    if config.adaptive_pool is not None:
        target = config.adaptive_pool
        field = field.adaptive(size, target)
        yield _parameter_free(
            "avgpool", "avgpool", "avgpool", (channels, size, size), (channels, target, target),
            f"adaptive average pool: {size}x{size} -> {target}x{target}", field,
        )  # fmt: skip
        size = target

    features = channels * size * size
    yield _parameter_free(
        "flatten", "flatten", "flatten", (channels, size, size), (features,),
        f"{channels} * {size} * {size} = {features}", field,
    )  # fmt: skip
    yield from _classifier(config, features)


def _window_layer(
    name: str,
    kind: str,
    number: int,
    in_shape: tuple[int, int, int],
    out_shape: tuple[int, int, int],
    window: Window,
    field: Field,
    *,
    params: int = 0,
    mult_adds: int = 0,
) -> LayerShape:
    """The row of a conv or max-pool layer: out = floor((W - K + 2P) / S) + 1 on each side."""
    size = in_shape[1]
    unread = coverage(size, *window)
    return LayerShape(
        name=name,
        kind=kind,
        module=f"features.{number - 1}.{kind}",
        block=number,
        in_shape=in_shape,
        out_shape=out_shape,
        formula=formula_text(size, *window),
        params=params,
        mult_adds=mult_adds,
        activation_bytes=out_shape[0] * out_shape[1] * out_shape[2] * BYTES_PER_FLOAT,
        receptive_field=field.size,
        jump=field.jump,
        dropped_pixels=unread.dropped_pixels,
        skipped_pixels=unread.skipped_pixels,
        rf_start=field.start,
    )


def layer_window(config: AlexNetConfig, layer: LayerShape) -> Window:
    """(K, S, P) of a conv or max-pool row of ``analyze(config)``."""
    if layer.block is None or layer.kind not in ("conv", "pool"):
        raise ValueError(f"{layer.name} is not a convolution or a max-pool")
    return config.blocks[layer.block - 1].window(layer.kind)


def _classifier(config: AlexNetConfig, features: int) -> Iterator[LayerShape]:
    # fc numbering follows the paper: after five conv layers come fc6, fc7 and fc8
    number = len(config.blocks) + 1
    index = 0
    width = features
    for hidden in config.hidden_sizes:
        yield _unchanged(f"dropout{number}", "dropout", f"classifier.{index}", None, (width,))
        yield _linear(f"fc{number}", f"classifier.{index + 1}", width, hidden)
        yield _unchanged(f"{config.activation}{number}", config.activation, f"classifier.{index + 2}", None, (hidden,))
        width, index, number = hidden, index + 3, number + 1
    yield _linear(f"fc{number}", f"classifier.{index}", width, config.num_classes)


def _linear(name: str, module: str, width: int, out: int) -> LayerShape:
    return LayerShape(
        name=name,
        kind="linear",
        module=module,
        block=None,
        in_shape=(width,),
        out_shape=(out,),
        formula=f"{width} inputs x {out} outputs + {out} biases",
        params=width * out + out,
        mult_adds=width * out + out,
        activation_bytes=out * BYTES_PER_FLOAT,
        receptive_field=None,
        jump=None,
        dropped_pixels=0,
    )


def _unchanged(
    name: str,
    kind: str,
    module: str,
    block: int | None,
    shape: tuple[int, ...],
    field: Field | None = None,
) -> LayerShape:
    """A layer that keeps its input's shape and receptive field (the activation, LRN, dropout)."""
    return _parameter_free(name, kind, module, shape, shape, "", field, block=block)


def _parameter_free(
    name: str,
    kind: str,
    module: str,
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    formula: str,
    field: Field | None,
    *,
    block: int | None = None,
) -> LayerShape:
    """A layer without weights or multiply-adds: the activation, LRN, dropout, the adaptive pool, flatten."""
    return LayerShape(
        name=name,
        kind=kind,
        module=module,
        block=block,
        in_shape=in_shape,
        out_shape=out_shape,
        formula=formula,
        params=0,
        mult_adds=0,
        activation_bytes=math.prod(out_shape) * BYTES_PER_FLOAT,
        receptive_field=field and field.size,
        jump=field and field.jump,
        dropped_pixels=0,
        rf_start=field and field.start,
        cell_spans=field and field.spans,
    )
