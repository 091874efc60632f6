"""``python -m alexnet shapes``: every layer's shape, the formula beside a real forward pass."""

from __future__ import annotations

import argparse
import json

from alexnet.cli.options import load_config
from alexnet.network.config import AlexNetConfig
from alexnet.network.receptive import uneven_pool_note
from alexnet.network.shapes import ShapeReport, working_input_sizes
from alexnet.units import range_text, shape_text


def run(args: argparse.Namespace) -> int:
    from alexnet.inspect.probe import analyze_and_probe

    config = load_config(args)
    report, real = analyze_and_probe(config)
    if args.json:
        if report.error:
            raise report.error
        print(json.dumps(_shapes_json(report, real), indent=2))
        return 0
    if report.layers:
        print(_shapes_table(config, report, real))
    if report.error:
        raise report.error
    return 0


def _shapes_json(report: ShapeReport, real: dict[str, tuple[int, ...]]) -> dict:
    return {
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "module": layer.module,
                "analytic": list(layer.out_shape),
                "real": list(real[layer.module]),
                "formula": layer.formula,
                "params": layer.params,
                "mult_adds": layer.mult_adds,
                "receptive_field": layer.receptive_field,  # the widest, where an adaptive pool's cells differ
                "receptive_field_range": list(layer.receptive_range) if layer.receptive_range else None,
                "jump": layer.jump,
                "jump_range": list(layer.jump_range) if layer.jump_range else None,
                "dropped_pixels": layer.dropped_pixels,
            }
            for layer in report.layers
        ],
        "flatten_features": report.flatten_features,
        "total_params": report.total_params,
        "total_mult_adds": report.total_mult_adds,
    }


def _shapes_table(config: AlexNetConfig, report: ShapeReport, real: dict[str, tuple[int, ...]]) -> str:
    header = ("layer", "analytic", "real", "", "out = floor((W - K + 2P) / S) + 1", "dropped", "RF", "params")
    rows = [header]
    for layer in report.layers:
        actual = real.get(layer.module)
        mark = "" if actual is None else ("ok" if tuple(actual) == layer.out_shape else "DIFFERS")
        rows.append(
            (
                layer.name,
                shape_text(layer.out_shape),
                shape_text(actual),
                mark,
                layer.formula,
                str(layer.dropped_pixels) if layer.dropped_pixels else "",
                range_text(*layer.receptive_range) if layer.receptive_range else "",
                f"{layer.params:,}" if layer.params else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"input {shape_text((config.in_channels, config.input_size, config.input_size))}"]
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    if report.ok:
        ranges = ", ".join(f"{lo}..{hi}" for lo, hi in working_input_sizes(config))
        lines.append("")
        lines.append(
            f"classifier input: {report.flatten_features:,} features; "
            f"{report.total_params:,} parameters; {report.total_mult_adds / 1e9:.2f} G mult-adds per image"
        )
        lines.append(f"this network accepts input sizes {ranges} px")
    note = uneven_pool_note(report.layers)
    if note:
        lines.append(f"RF and jump ranges: {note}")
    return "\n".join(lines)
