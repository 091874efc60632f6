"""What would each value of one block hyperparameter give? Pure arithmetic, no forward pass.

For every candidate value of one field of one block (conv1's stride 1..8, say), the whole
network is re-analysed with ``alexnet.network.shapes.analyze`` and three numbers are kept: the side
of the last feature map (the last block's output), the parameters and the mult-adds. A value
the network cannot use keeps the layer that fails and why, so a chart can mark it.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexnet.network.config import AlexNetConfig
from alexnet.network.edit import LIMITS
from alexnet.network.shapes import analyze

# Block fields a learner can sweep, with the label a chart shows.
SWEEPABLE: dict[str, str] = {
    "kernel_size": "kernel K",
    "stride": "stride S",
    "padding": "padding P",
    "out_channels": "channels",
    "groups": "groups",
}
# Channels and groups span up to 1024 and 64: sweep sensible values, not every one.
CHANNEL_VALUES = (1, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
GROUP_VALUES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class WhatIf:
    """The network with one value changed."""

    value: int
    last_side: int | None  # side of the last block's output map; None if the network fails
    params: int | None
    mult_adds: int | None
    failed_layer: str | None  # the layer that cannot work with this value
    reason: str | None  # alexnet.network.shapes' plain-language explanation


def sweep_values(field: str, current: int) -> list[int]:
    """The values a chart tries for ``field``: its whole range in ``LIMITS``, or a sensible subset, plus ``current``."""
    if field not in SWEEPABLE:
        raise ValueError(f"cannot sweep {field!r}; choose one of {', '.join(SWEEPABLE)}")
    if field == "out_channels":
        values = set(CHANNEL_VALUES)
    elif field == "groups":
        values = set(GROUP_VALUES)
    else:
        low, high = LIMITS[field]
        values = set(range(low, high + 1))
    return sorted(values | {current})


def sweep(config: AlexNetConfig, block: int, field: str, values: list[int] | None = None) -> list[WhatIf]:
    """Re-analyse ``config`` with block ``block`` (0-based) given each value of ``field``.

    Args:
        values: the candidates; ``sweep_values(field, current)`` if None.
    """
    current = getattr(config.blocks[block], field)
    results = []
    for value in values if values is not None else sweep_values(field, current):
        report = analyze(config.with_block(block, **{field: value}))
        if report.error is not None:
            results.append(WhatIf(value, None, None, None, report.error.layer, report.error.message))
            continue
        last = [layer for layer in report.layers if layer.block is not None][-1]
        results.append(WhatIf(value, last.out_shape[1], report.total_params, report.total_mult_adds, None, None))
    return results
