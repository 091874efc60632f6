"""``python -m alexnet``: the dispatcher. Each subcommand lives in its own module of ``alexnet.cli``.

Every mistake a user can make ends with exit code 2 and a plain-language message on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from alexnet.cli import presets, shapes, summary
from alexnet.cli.options import EXIT_USER_ERROR, add_config_arguments
from alexnet.errors import AlexNetError


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        # train, bench and explain import torch: only when they run, with their own parsers
        if argv[:1] == ["train"]:
            from alexnet.training import stop_signal

            stop_signal.install(ctrl_c=False)  # before torch is imported: a Stop during start-up is not lost
            from alexnet.cli import train

            return train.main(argv[1:])
        if argv[:1] == ["bench"]:
            from alexnet.cli import bench

            return bench.main(argv[1:])
        if argv[:1] == ["experiment"]:
            from alexnet.cli import experiment  # trains: torch, only when it runs

            return experiment.main(argv[1:])
        if argv[:1] == ["runs"]:
            from alexnet.cli import runs  # reads the runs folder: torch comes with alexnet.runs

            return runs.main(argv[1:])
        if argv[:1] == ["export"]:
            from alexnet.cli import export  # torch, onnx and ONNX Runtime: only when exporting

            return export.main(argv[1:])
        if argv[:1] == ["explain"]:
            from alexnet.cli import explain  # torch, torchvision and Captum: only when explaining

            return explain.main(argv[1:])
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
    listing.set_defaults(handler=presets.run)

    shape_table = commands.add_parser("shapes", help="every layer's shape: the formula beside a real forward pass")
    add_config_arguments(shape_table)
    shape_table.add_argument("--json", action="store_true", help="print JSON instead of a table")
    shape_table.set_defaults(handler=shapes.run)

    torchinfo = commands.add_parser("summary", help="torchinfo's layer summary")
    add_config_arguments(torchinfo)
    torchinfo.add_argument("--json", action="store_true", help="print JSON instead of torchinfo's table")
    torchinfo.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help='refuse a network whose estimated peak memory is larger, e.g. "8GB" '
        "(default: $ALEXNET_MEMORY_BUDGET, else half the available memory)",
    )
    torchinfo.set_defaults(handler=summary.run)

    # The trainer's own parser is built only when it runs: importing it (torchvision, the
    # datasets) costs seconds that `presets` and `shapes` should not pay.
    commands.add_parser("train", help="train the configured network and write a run directory (train --help)")
    commands.add_parser("bench", help="the trainer against a plain PyTorch loop, side by side (bench --help)")
    commands.add_parser(
        "experiment", help="test one of the paper's claims over several seeds, with a verdict (experiment --help)"
    )
    commands.add_parser("explain", help="a run's Grad-CAM of one image, written as a PNG (explain --help)")
    commands.add_parser("runs", help="the runs folder as a table, or every run's records as one CSV (runs --help)")
    commands.add_parser(
        "export", help="the network with its weights as an ONNX file, every shape inside, for Netron (export --help)"
    )
    return parser
