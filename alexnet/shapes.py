"""Pure arithmetic: every layer's output shape, cost and receptive field, without torch.

The one formula behind every convolution and max-pool (dilation 1, floor rounding):

    out = floor((W - K + 2P) / S) + 1

where W is the input width in pixels, K the kernel, P the padding on each side and S the
stride. ``(W - K + 2P) mod S`` input pixels at the far edge are never covered by a window:
the floor throws them away.

Receptive field r and jump j (the distance, in input pixels, between neighbouring output
pixels) grow layer by layer, starting from r = j = 1 at the image:

    r_out = r_in + (K - 1) * j_in        j_out = j_in * S

``analyze`` walks the layers in the model's order, so its rows line up one for one with the
modules of ``alexnet.model.AlexNet`` (matched by ``LayerShape.module``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from alexnet.config import AlexNetConfig, BlockConfig
from alexnet.errors import AlexNetError

BYTES_PER_FLOAT = 4  # activations are float32
MAX_INPUT_SIZE = 2048  # input sizes searched when proposing fixes and listing working ranges


@dataclass(frozen=True)
class LayerShape:
    """One layer of the network, computed analytically."""

    name: str  # friendly name: conv1, relu1, norm1, pool1, ..., avgpool, flatten, dropout6, fc6, ...
    kind: str  # conv, relu, norm, pool, avgpool, flatten, dropout, linear
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
    dropped_pixels: int  # (W - K + 2P) mod S: input pixels the floor never covers


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

    @property
    def total_activation_bytes(self) -> int:
        return sum(layer.activation_bytes for layer in self.layers)


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """out = floor((W - K + 2P) / S) + 1, for convolutions and max-pools alike."""
    return (size - kernel + 2 * padding) // stride + 1


def formula_text(size: int, kernel: int, stride: int, padding: int) -> str:
    """The formula with its numbers, e.g. ``floor((227 - 11 + 2*0) / 4) + 1 = 55``."""
    out = conv_output_size(size, kernel, stride, padding)
    return f"floor(({size} - {kernel} + 2*{padding}) / {stride}) + 1 = {out}"


def analyze(config: AlexNetConfig) -> ShapeReport:
    """Every layer's shape, cost and receptive field; never raises for a bad configuration.

    The walk stops at the first layer that cannot work; ``ShapeReport.error`` explains it,
    and ``ShapeReport.layers`` holds the layers before it.
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


def spatial_size(config: AlexNetConfig, input_size: int) -> int | None:
    """Side of the last feature map for a given input size, or None if some map collapses.

    Only the spatial arithmetic is done (channels are ignored), so this is cheap enough to
    scan thousands of input sizes.
    """
    size = input_size
    for block in config.blocks:
        size = conv_output_size(size, block.kernel_size, block.stride, block.padding)
        if size < 1:
            return None
        if block.pool:
            size = conv_output_size(size, block.pool_kernel, block.pool_stride, block.pool_padding)
            if size < 1:
                return None
    return config.adaptive_pool or size


def working_input_sizes(config: AlexNetConfig, limit: int = MAX_INPUT_SIZE) -> list[tuple[int, int]]:
    """Input sizes a model built for ``config.input_size`` accepts, as inclusive ranges.

    The classifier's first linear layer is built for one flattened size, so an input works
    when no map collapses and the last map has the same side as at ``config.input_size``.
    For the paper's network that is 227..258; with an adaptive pool, every size that does not
    collapse. Sizes are searched from 1 to ``limit``.
    """
    target = spatial_size(config, config.input_size)
    if target is None:
        return []
    ranges: list[tuple[int, int]] = []
    for size in range(1, limit + 1):
        if spatial_size(config, size) == target:
            if ranges and ranges[-1][1] == size - 1:
                ranges[-1] = (ranges[-1][0], size)
            else:
                ranges.append((size, size))
    return ranges


def smallest_working_input(config: AlexNetConfig, limit: int = MAX_INPUT_SIZE) -> int | None:
    """The smallest input size at which no feature map collapses, or None up to ``limit``."""
    return next((size for size in range(1, limit + 1) if spatial_size(config, size) is not None), None)


def _walk(config: AlexNetConfig) -> Iterator[LayerShape]:
    _check_network(config)
    channels, size = config.in_channels, config.input_size
    rf, jump = 1, 1
    for index, block in enumerate(config.blocks):
        number = index + 1
        path = f"features.{index}"
        _check_block(config, block, number, channels)

        out = conv_output_size(size, block.kernel_size, block.stride, block.padding)
        if out < 1:
            raise _collapse_error(config, index, False, size)
        weights = block.out_channels * (channels // block.groups) * block.kernel_size**2
        yield LayerShape(
            name=f"conv{number}",
            kind="conv",
            module=f"{path}.conv",
            block=number,
            in_shape=(channels, size, size),
            out_shape=(block.out_channels, out, out),
            formula=formula_text(size, block.kernel_size, block.stride, block.padding),
            params=weights + block.out_channels,
            mult_adds=(weights + block.out_channels) * out * out,
            activation_bytes=block.out_channels * out * out * BYTES_PER_FLOAT,
            receptive_field=rf + (block.kernel_size - 1) * jump,
            jump=jump * block.stride,
            dropped_pixels=(size - block.kernel_size + 2 * block.padding) % block.stride,
        )
        rf, jump = rf + (block.kernel_size - 1) * jump, jump * block.stride
        channels, size = block.out_channels, out

        same = (channels, size, size)
        yield _unchanged(f"relu{number}", "relu", f"{path}.relu", number, same, rf, jump)
        if block.norm:
            yield _unchanged(f"norm{number}", "norm", f"{path}.norm", number, same, rf, jump)
        if block.pool:
            out = conv_output_size(size, block.pool_kernel, block.pool_stride, block.pool_padding)
            if out < 1:
                raise _collapse_error(config, index, True, size)
            yield LayerShape(
                name=f"pool{number}",
                kind="pool",
                module=f"{path}.pool",
                block=number,
                in_shape=same,
                out_shape=(channels, out, out),
                formula=formula_text(size, block.pool_kernel, block.pool_stride, block.pool_padding),
                params=0,
                mult_adds=0,
                activation_bytes=channels * out * out * BYTES_PER_FLOAT,
                receptive_field=rf + (block.pool_kernel - 1) * jump,
                jump=jump * block.pool_stride,
                dropped_pixels=(size - block.pool_kernel + 2 * block.pool_padding) % block.pool_stride,
            )
            rf, jump = rf + (block.pool_kernel - 1) * jump, jump * block.pool_stride
            size = out

    if config.adaptive_pool is not None:
        target = config.adaptive_pool
        # Adaptive pooling picks windows of ceil(W / target) pixels about W / target apart;
        # exact for divisible sizes, a bound otherwise.
        window, step = math.ceil(size / target), max(1, size // target)
        yield LayerShape(
            name="avgpool",
            kind="avgpool",
            module="avgpool",
            block=None,
            in_shape=(channels, size, size),
            out_shape=(channels, target, target),
            formula=f"adaptive average pool: {size}x{size} -> {target}x{target}",
            params=0,
            mult_adds=0,
            activation_bytes=channels * target * target * BYTES_PER_FLOAT,
            receptive_field=rf + (window - 1) * jump,
            jump=jump * step,
            dropped_pixels=0,
        )
        rf, jump, size = rf + (window - 1) * jump, jump * step, target

    features = channels * size * size
    yield LayerShape(
        name="flatten",
        kind="flatten",
        module="flatten",
        block=None,
        in_shape=(channels, size, size),
        out_shape=(features,),
        formula=f"{channels} * {size} * {size} = {features}",
        params=0,
        mult_adds=0,
        activation_bytes=features * BYTES_PER_FLOAT,
        receptive_field=rf,
        jump=jump,
        dropped_pixels=0,
    )
    yield from _classifier(config, features)


def _classifier(config: AlexNetConfig, features: int) -> Iterator[LayerShape]:
    # fc numbering follows the paper: after five conv layers come fc6, fc7 and fc8
    number = len(config.blocks) + 1
    index = 0
    width = features
    for hidden in config.hidden_sizes:
        yield _unchanged(f"dropout{number}", "dropout", f"classifier.{index}", None, (width,), None, None)
        yield _linear(f"fc{number}", f"classifier.{index + 1}", width, hidden)
        yield _unchanged(f"relu{number}", "relu", f"classifier.{index + 2}", None, (hidden,), None, None)
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
    rf: int | None,
    jump: int | None,
) -> LayerShape:
    """A layer that keeps its input's shape (ReLU, LRN, dropout)."""
    elements = math.prod(shape)
    return LayerShape(name, kind, module, block, shape, shape, "", 0, 0, elements * BYTES_PER_FLOAT, rf, jump, 0)


def _check_network(config: AlexNetConfig) -> None:
    if config.input_size < 1:
        raise AlexNetError(
            f"the input size must be at least 1 pixel, not {config.input_size}.",
            layer="input",
            fix=f"use an input size such as {config.input_size if config.input_size > 0 else 227}.",
        )
    if config.in_channels < 1:
        raise AlexNetError(
            f"an image needs at least one channel, not {config.in_channels}.",
            layer="input",
            fix="use 3 for colour images or 1 for greyscale.",
        )
    if not config.blocks:
        raise AlexNetError("the network has no convolutional blocks.", layer="features", fix="add at least one block.")
    if config.num_classes < 1:
        raise AlexNetError(
            f"the classifier needs at least one class, not {config.num_classes}.",
            layer="classifier",
            fix="use 10 for CIFAR-10 or the digits, 1000 for ImageNet.",
        )
    for i, hidden in enumerate(config.hidden_sizes):
        if hidden < 1:
            raise AlexNetError(
                f"hidden layer {i + 1} of the classifier has {hidden} units; a linear layer needs at least 1.",
                layer=f"fc{len(config.blocks) + 1 + i}",
                fix="use 4096 as in the paper, or a smaller size such as 256.",
            )
    if not 0.0 <= config.dropout <= 1.0:
        raise AlexNetError(
            f"dropout is a probability, so it must lie between 0 and 1, not {config.dropout}.",
            layer="classifier",
            fix="use 0.5 as in the paper.",
        )
    if config.adaptive_pool is not None and config.adaptive_pool < 1:
        raise AlexNetError(
            f"the adaptive pool's output size must be at least 1, not {config.adaptive_pool}.",
            layer="avgpool",
            fix="use 6 as torchvision does, or turn the adaptive pool off.",
        )
    if any(block.norm for block in config.blocks) and config.lrn.size < 1:
        raise AlexNetError(
            f"local response norm sums over at least 1 channel, not {config.lrn.size}.",
            layer="norm",
            fix="use size 5 as in the paper.",
        )


def _check_block(config: AlexNetConfig, block: BlockConfig, number: int, in_channels: int) -> None:
    conv, pool = f"conv{number}", f"pool{number}"
    for value, what, layer, fix in (
        (block.out_channels, "output channels", conv, "use at least 1 channel"),
        (block.kernel_size, "kernel size", conv, "use a kernel of at least 1 pixel, such as 3"),
        (block.stride, "stride", conv, "use a stride of at least 1"),
        (block.groups, "groups", conv, "use 1 group (an ordinary convolution)"),
    ):
        if value < 1:
            raise AlexNetError(f"its {what} is {value}, but it must be at least 1.", layer=layer, fix=f"{fix}.")
    if block.padding < 0:
        raise AlexNetError(
            f"its padding is {block.padding}, but padding adds pixels and cannot be negative.",
            layer=conv,
            fix="use padding 0 or more.",
        )
    if in_channels % block.groups or block.out_channels % block.groups:
        common = math.gcd(in_channels, block.out_channels)
        nearest = max(block.groups, round(block.out_channels / block.groups) * block.groups)
        raise AlexNetError(
            f"with {block.groups} groups, both its {in_channels} input channels and its "
            f"{block.out_channels} output channels must divide into {block.groups} equal parts.",
            layer=conv,
            fix=(
                f"use groups = {_largest_divisor_at_most(common, block.groups)}"
                + ("" if block.out_channels % block.groups == 0 else f", or {nearest} output channels")
                + "."
            ),
        )
    if block.pool:
        for value, what in ((block.pool_kernel, "kernel"), (block.pool_stride, "stride")):
            if value < 1:
                raise AlexNetError(
                    f"its pool {what} is {value}, but it must be at least 1.",
                    layer=pool,
                    fix="use the paper's overlapping pool: kernel 3, stride 2.",
                )
        if block.pool_padding < 0 or block.pool_padding > block.pool_kernel // 2:
            raise AlexNetError(
                f"its padding is {block.pool_padding}, but a max-pool's padding must lie between 0 and "
                f"half its kernel ({block.pool_kernel} // 2 = {block.pool_kernel // 2}); otherwise some "
                "windows would hold nothing but padding.",
                layer=pool,
                fix=f"use pool padding {min(max(block.pool_padding, 0), block.pool_kernel // 2)}.",
            )


def _largest_divisor_at_most(number: int, ceiling: int) -> int:
    return max(d for d in range(1, min(number, ceiling) + 1) if number % d == 0)


def _collapse_error(config: AlexNetConfig, index: int, pool: bool, size: int) -> AlexNetError:
    """Explain a window that no longer fits its padded input, with fixes checked on the whole network."""
    block = config.blocks[index]
    layer = f"{'pool' if pool else 'conv'}{index + 1}"
    if pool:
        kernel, stride, padding = block.pool_kernel, block.pool_stride, block.pool_padding
        candidates = {f"a pool kernel of {size + 2 * padding}": {"pool_kernel": size + 2 * padding}}
    else:
        kernel, stride, padding = block.kernel_size, block.stride, block.padding
        needed = math.ceil((kernel - size) / 2)
        candidates = {
            f"a kernel of {size + 2 * padding}": {"kernel_size": size + 2 * padding},
            f"padding of {needed}": {"padding": needed},
        }
    # Only propose changes that make every later layer work too.
    fixes = [
        text
        for text, change in candidates.items()
        if spatial_size(config.with_block(index, **change), config.input_size)
    ]
    smallest = smallest_working_input(config)
    if smallest is not None:
        fixes.append(f"an input of at least {smallest}x{smallest} pixels")
    else:
        fixes.append("smaller kernels or strides in the earlier layers")
    out = conv_output_size(size, kernel, stride, padding)
    kind = "max-pool" if pool else "convolution"
    padded = f" ({size + 2 * padding}x{size + 2 * padding} with padding)" if padding else ""
    return AlexNetError(
        f"its {kernel}x{kernel} {kind} window no longer fits: the map arriving here is only "
        f"{size}x{size} pixels{padded}, so the output would have {out} pixels per side.",
        layer=layer,
        formula=formula_text(size, kernel, stride, padding),
        fix="use " + ", or ".join(fixes) + ".",
    )
