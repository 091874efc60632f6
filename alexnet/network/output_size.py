"""One spatial axis, one window: the output-size formula and the input sizes a network accepts.

Every convolution and max-pool (dilation 1, floor rounding) follows

    out = floor((W - K + 2P) / S) + 1

where W is the input width in pixels, K the kernel, P the padding on each side and S the
stride. Only sides are computed here (channels are ignored), so scanning thousands of input
sizes stays cheap. ``alexnet.network.shapes`` builds the full per-layer table on top of this.
"""

from __future__ import annotations

from alexnet.network.config import AlexNetConfig

MAX_INPUT_SIZE = 2048  # input sizes searched when proposing fixes and listing working ranges


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """out = floor((W - K + 2P) / S) + 1, for convolutions and max-pools alike."""
    return (size - kernel + 2 * padding) // stride + 1


def adaptive_windows(size: int, target: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows along one side: cell i averages input cells
    floor(i * W / t) .. ceil((i + 1) * W / t) - 1 (inclusive). Sizes and steps vary unless t divides W."""
    return [((i * size) // target, -((-(i + 1) * size) // target) - 1) for i in range(target)]


def formula_text(size: int, kernel: int, stride: int, padding: int) -> str:
    """The formula with its numbers, e.g. ``floor((227 - 11 + 2*0) / 4) + 1 = 55``."""
    out = conv_output_size(size, kernel, stride, padding)
    return f"floor(({size} - {kernel} + 2*{padding}) / {stride}) + 1 = {out}"


def spatial_size(config: AlexNetConfig, input_size: int) -> int | None:
    """Side of the last feature map for a given input size, or None if some map collapses."""
    size = input_size
    for block in config.blocks:
        for _, window in block.windows():
            size = conv_output_size(size, *window)
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
