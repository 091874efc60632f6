"""``python -m alexnet bench``: the trainer against a plain PyTorch loop, side by side (``alexnet.bench``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alexnet.bench import format_table, probe_rows, run_bench
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, preset


def main(argv: list[str]) -> int:
    """``python -m alexnet bench ARGS``: print the table, optionally write the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m alexnet bench",
        description="Images/s of a plain PyTorch loop, the trainer's default mode and its fp32 mode, taking turns; "
        "the machine's ceiling in the default mode's precision; the app's probe times.",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m alexnet bench``."""
    parser.add_argument("--preset", choices=list(PRESETS), default="paper", help="the network (default: paper)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default: 64)")
    parser.add_argument("--steps", type=int, default=3, help="steps per variant in each round (default: 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the round-robin (default: 3)")
    parser.add_argument("--warmup-steps", type=int, default=1, help="steps each variant runs first, untimed")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE as JSON")
    parser.add_argument("--no-probes", action="store_true", help="leave out the (e) rows")


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``python -m alexnet bench``: print the table, optionally write the JSON."""
    if min(args.batch_size, args.steps, args.rounds) < 1 or args.warmup_steps < 0:
        raise AlexNetError("--batch-size, --steps and --rounds must be at least 1 (--warmup-steps at least 0).")
    config = preset(args.preset)
    result = run_bench(
        config,
        batch_size=args.batch_size,
        steps=args.steps,
        rounds=args.rounds,
        warmup_steps=args.warmup_steps,
        say=lambda text: print(text, file=sys.stderr, flush=True),
    )
    result["preset"] = args.preset
    result["probes"] = [] if args.no_probes else probe_rows(config)
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0
