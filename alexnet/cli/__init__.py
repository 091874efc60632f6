"""``python -m alexnet``: presets, shape tables, summaries and training from the command line.

Every mistake a user can make ends with exit code 2 and a plain-language message on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig, preset
from alexnet.network.shapes import analyze, working_input_sizes
from alexnet.units import shape_text

EXIT_USER_ERROR = 2  # argparse's own code for bad arguments


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["train"]:
            return _train(argv[1:])
        if argv[:1] == ["bench"]:
            return _bench(argv[1:])
        if argv[:1] == ["explain"]:
            return _explain(argv[1:])
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except AlexNetError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_USER_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alexnet",
        description="AlexNet Explorer: build AlexNet from a configuration, check its shapes, train it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("presets", help="list the named presets")
    listing.set_defaults(handler=_presets)

    shapes = commands.add_parser("shapes", help="every layer's shape: the formula beside a real forward pass")
    _add_config_arguments(shapes)
    shapes.add_argument("--json", action="store_true", help="print JSON instead of a table")
    shapes.set_defaults(handler=_shapes)

    summary = commands.add_parser("summary", help="torchinfo's layer summary")
    _add_config_arguments(summary)
    summary.add_argument("--json", action="store_true", help="print JSON instead of torchinfo's table")
    summary.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help='refuse a network whose estimated peak memory is larger, e.g. "8GB" '
        "(default: $ALEXNET_MEMORY_BUDGET, else half the available memory)",
    )
    summary.set_defaults(handler=_summary)

    # The trainer's own parser is built only when it runs: importing it (torchvision, the
    # datasets) costs seconds that `presets` and `shapes` should not pay.
    commands.add_parser("train", help="train the configured network and write a run directory (train --help)")
    commands.add_parser("bench", help="the trainer against a plain PyTorch loop, side by side (bench --help)")
    commands.add_parser("explain", help="a run's Grad-CAM of one image, written as a PNG (explain --help)")
    return parser


def _train(argv: list[str]) -> int:
    from alexnet.training import stop_signal

    stop_signal.install(ctrl_c=False)  # before torch is imported: a Stop during start-up is not lost
    from alexnet.cli import train as train_cli

    parser = argparse.ArgumentParser(prog="python -m alexnet train", description="Train the configured network.")
    train_cli.add_train_arguments(parser)
    return train_cli.run_from_args(parser.parse_args(argv))


def _explain(argv: list[str]) -> int:
    from alexnet.cli import explain as explain_cli  # torch, torchvision and Captum: only when explaining

    parser = argparse.ArgumentParser(
        prog="python -m alexnet explain",
        description="Where a trained run looks in an image: its Grad-CAM laid over the image, as a PNG.",
    )
    explain_cli.add_arguments(parser)
    return explain_cli.run_from_args(parser.parse_args(argv))


def _bench(argv: list[str]) -> int:
    from alexnet import bench

    parser = argparse.ArgumentParser(
        prog="python -m alexnet bench",
        description="Images/s of a plain PyTorch loop, the trainer's default mode and its fp32 mode, taking turns; "
        "the machine's ceiling in the default mode's precision; the app's probe times.",
    )
    bench.add_arguments(parser)
    return bench.run_from_args(parser.parse_args(argv))


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=list(PRESETS), default="paper", help="a named network (default: paper)")
    source.add_argument("--config", metavar="FILE.json", help="a configuration file (see README)")
    parser.add_argument("--input-size", type=int, metavar="N", help="override the input size in pixels")
    parser.add_argument("--num-classes", type=int, metavar="N", help="override the number of classes")


def load_config(args: argparse.Namespace) -> AlexNetConfig:
    """The configuration that ``--preset``/``--config`` and the overrides describe."""
    config = AlexNetConfig.load(args.config) if args.config else preset(args.preset)
    if args.input_size is not None:
        config = replace(config, input_size=args.input_size)
    if args.num_classes is not None:
        config = replace(config, num_classes=args.num_classes)
    return config


def _presets(args: argparse.Namespace) -> int:
    for name, config in PRESETS.items():
        report = analyze(config)
        print(
            f"{name:12} input {config.in_channels}x{config.input_size}x{config.input_size}, "
            f"{len(config.blocks)} blocks, {config.num_classes} classes, "
            f"{report.total_params:,} parameters, {report.total_mult_adds / 1e9:.2f} G mult-adds"
        )
    return 0


def _shapes(args: argparse.Namespace) -> int:
    from alexnet.inspect.probe import probe_shapes

    config = load_config(args)
    report = analyze(config)
    real = probe_shapes(config) if report.ok else {}
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


def _shapes_json(report, real: dict[str, tuple[int, ...]]) -> dict:
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
                "receptive_field": layer.receptive_field,
                "jump": layer.jump,
                "dropped_pixels": layer.dropped_pixels,
            }
            for layer in report.layers
        ],
        "flatten_features": report.flatten_features,
        "total_params": report.total_params,
        "total_mult_adds": report.total_mult_adds,
    }


def _shapes_table(config: AlexNetConfig, report, real: dict[str, tuple[int, ...]]) -> str:
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
                str(layer.receptive_field or ""),
                f"{layer.params:,}" if layer.params else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"input {config.in_channels}x{config.input_size}x{config.input_size}"]
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
    return "\n".join(lines)


def _summary(args: argparse.Namespace) -> int:
    from alexnet.inspect.summary import summarize
    from alexnet.network.memory import apply_memory_budget

    apply_memory_budget(args.memory_budget)
    config = load_config(args)
    try:
        summary = summarize(config)
    except AlexNetError as error:
        if "memory budget" in error.reason:  # the arithmetic still works: say where to find it
            error.fix = f"{error.fix} `python -m alexnet shapes` prints every layer's shape without a real pass."
        raise
    if not args.json:
        print(summary.text)
        return 0
    data = {
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "total_mult_adds": summary.total_mult_adds,
        "input_bytes": summary.input_bytes,
        "forward_backward_bytes": summary.forward_backward_bytes,
        "param_bytes": summary.param_bytes,
        "layers": [
            {
                "name": row.name,
                "module": row.module,
                "type": row.layer_type,
                "depth": row.depth,
                "output_shape": list(row.output_shape),
                "params": row.params,
                "mult_adds": row.mult_adds,
                "trainable": row.trainable,
            }
            for row in summary.rows
        ],
    }
    print(json.dumps(data, indent=2))
    return 0
