"""``python -m alexnet presets``: every named network with its size and cost."""

from __future__ import annotations

import argparse

from alexnet.network.config import PRESETS
from alexnet.network.shapes import analyze


def run(args: argparse.Namespace) -> int:
    for name, config in PRESETS.items():
        report = analyze(config)
        print(
            f"{name:12} input {config.in_channels}x{config.input_size}x{config.input_size}, "
            f"{len(config.blocks)} blocks, {config.num_classes} classes, "
            f"{report.total_params:,} parameters, {report.total_mult_adds / 1e9:.2f} G mult-adds"
        )
    return 0
