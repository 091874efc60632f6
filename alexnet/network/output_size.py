"""One spatial axis, one window: the output-size formula and the input sizes a network accepts.

Every convolution and max-pool (dilation 1, floor rounding) follows

    out = floor((W - K + 2P) / S) + 1

where W is the input width in pixels, K the kernel, P the padding on each side and S the
stride. Only sides are computed here (channels are ignored), so scanning thousands of input
sizes stays cheap. ``alexnet.network.shapes`` builds the full per-layer table on top of this.
"""

from __future__ import annotations

from typing import NamedTuple

from alexnet.network.config import AlexNetConfig

MAX_INPUT_SIZE = 2048  # input sizes searched when proposing fixes and listing working ranges


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """out = floor((W - K + 2P) / S) + 1, for convolutions and max-pools alike."""
    return (size - kernel + 2 * padding) // stride + 1


class Coverage(NamedTuple):
    """What the windows of one layer leave unread along one axis (input coordinates -P .. W + P - 1)."""

    dropped_pixels: int  # pixels of the map after the last window: the floor cuts them, they are lost
    dropped_padding: int  # padding cells after the last window: cut too, but they held only zeros
    skipped_pixels: int  # pixels of the map between two windows (stride > kernel): never read either


def coverage(size: int, kernel: int, stride: int, padding: int) -> Coverage:
    """Count what no window reads. The last window ends at e = (out - 1) * S - P + K - 1; the
    (W - K + 2P) mod S cells after it are cut, of which max(0, W - 1 - e) are pixels of the map.
    Windows o and o + 1 leave the cells o * S - P + K .. (o + 1) * S - P - 1 between them when S > K."""
    out = conv_output_size(size, kernel, stride, padding)
    if out < 1:
        return Coverage(0, 0, 0)
    end = (out - 1) * stride - padding + kernel - 1
    dropped = max(0, size - 1 - max(end, -1))  # a window that ends in the left padding leaves all W
    cut = (size - kernel + 2 * padding) % stride
    skipped = 0
    if stride > kernel:
        for o in range(out - 1):
            first, last = o * stride - padding + kernel, (o + 1) * stride - padding - 1
            skipped += max(0, min(last, size - 1) - max(first, 0) + 1)
    return Coverage(dropped, cut - dropped, skipped)


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


def working_input_sizes(
    config: AlexNetConfig, limit: int = MAX_INPUT_SIZE, *, last_side: int | None = None
) -> list[tuple[int, int]]:
    """Input sizes a model built for ``config.input_size`` accepts, as inclusive ranges.

    The classifier's first linear layer is built for one flattened size, so an input works
    when no map collapses and the last map has the same side as at ``config.input_size``.
    For the paper's network that is 227..258; with an adaptive pool, every size that does not
    collapse. Sizes are searched from 1 to ``limit``. ``last_side`` names that side instead
    (``spatial_size(config, config.input_size)``): then ``config.input_size`` is not read, and a
    caller can keep one answer for every input size that gives the same side.
    """
    target = spatial_size(config, config.input_size) if last_side is None else last_side
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
