"""Editing a configuration the way the Architecture page does: bounded values, added blocks, imports.

The editor's widgets accept any value inside ``LIMITS``, even values the network cannot use
(an 11x11 kernel on a 6x6 map), so that learners discover the errors ``alexnet.network.shapes``
explains. The limits only keep the widgets sane and the app's memory use bounded; a file or
link that steps outside them is refused with a plain message rather than crashing a widget.
"""

from __future__ import annotations

from dataclasses import replace

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig, BlockConfig

# (lowest, highest) value each editor widget accepts, inclusive.
LIMITS: dict[str, tuple[int, int]] = {
    "input_size": (1, 1024),  # pixels per side
    "in_channels": (1, 16),
    "num_classes": (1, 10_000),
    "blocks": (1, 8),  # convolutional blocks
    "out_channels": (1, 1024),
    "kernel_size": (1, 15),
    "stride": (1, 8),
    "padding": (0, 10),
    "groups": (1, 64),
    "pool_kernel": (1, 7),
    "pool_stride": (1, 4),
    "pool_padding": (0, 3),
    "hidden_layers": (0, 4),  # hidden linear layers in the classifier
    "hidden_size": (1, 8192),
    "adaptive_pool": (1, 32),
}

# A block appended by "more blocks": a 3x3 "same" convolution keeps the map's size, so adding
# one never breaks a working network.
NEW_BLOCK = BlockConfig(out_channels=256, kernel_size=3, stride=1, padding=1)
NEW_HIDDEN_SIZE = 4096


def with_block_count(config: AlexNetConfig, count: int) -> AlexNetConfig:
    """Drop blocks from the end, or append 3x3 "same" blocks with the last block's channels."""
    if count <= len(config.blocks):
        return replace(config, blocks=config.blocks[:count])
    last = config.blocks[-1].out_channels if config.blocks else NEW_BLOCK.out_channels
    extra = (replace(NEW_BLOCK, out_channels=last),) * (count - len(config.blocks))
    return replace(config, blocks=config.blocks + extra)


def with_hidden_count(config: AlexNetConfig, count: int) -> AlexNetConfig:
    """Drop hidden layers from the end, or append layers as wide as the last one (4096 if none)."""
    hidden = config.hidden_sizes
    if count <= len(hidden):
        return replace(config, hidden_sizes=hidden[:count])
    width = hidden[-1] if hidden else NEW_HIDDEN_SIZE
    return replace(config, hidden_sizes=hidden + (width,) * (count - len(hidden)))


def check_limits(config: AlexNetConfig) -> None:
    """Refuse a configuration the editor could not show.

    Raises:
        AlexNetError: naming the first value outside ``LIMITS``.
    """
    values: list[tuple[str, str, int]] = [
        ("the input size", "input_size", config.input_size),
        ("the input channels", "in_channels", config.in_channels),
        ("the number of classes", "num_classes", config.num_classes),
        ("the number of blocks", "blocks", len(config.blocks)),
        ("the number of hidden layers", "hidden_layers", len(config.hidden_sizes)),
    ]
    for number, block in enumerate(config.blocks, start=1):
        for name in ("out_channels", "kernel_size", "stride", "padding", "groups"):
            values.append((f"block {number}'s {name}", name, getattr(block, name)))
        for name in ("pool_kernel", "pool_stride", "pool_padding"):
            values.append((f"block {number}'s {name}", name, getattr(block, name)))
    for number, width in enumerate(config.hidden_sizes, start=1):
        values.append((f"hidden layer {number}'s size", "hidden_size", width))
    if config.adaptive_pool is not None:
        values.append(("the adaptive pool's size", "adaptive_pool", config.adaptive_pool))
    for what, limit, value in values:
        low, high = LIMITS[limit]
        if not low <= value <= high:
            raise AlexNetError(
                f"{what} is {value}, outside the range this app can show ({low} to {high}).",
                fix=f"change it to a value between {low} and {high}.",
            )
    if not 0.0 <= config.dropout <= 1.0:
        raise AlexNetError(
            f"dropout is {config.dropout}, but it is a probability between 0 and 1.", fix="use 0.5 as in the paper."
        )


def import_config(data: bytes | str) -> AlexNetConfig:
    """Read an uploaded configuration file (the JSON the export button writes).

    Raises:
        AlexNetError: not JSON, not a configuration, or values outside the editor's ``LIMITS``.
    """
    config = AlexNetConfig.from_json(data)
    check_limits(config)
    return config
