"""``python -m alexnet experiment NAME``: one of the paper's claims, tested on a network here.

python -m alexnet experiment relu-vs-tanh --seeds 2 --epochs 1 --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alexnet.errors import AlexNetError
from alexnet.experiments.claims import CLAIMS
from alexnet.experiments.foreground import run_in_foreground
from alexnet.experiments.report import format_table
from alexnet.experiments.results import experiment_result
from alexnet.experiments.store import DEFAULT_SEEDS, plan
from alexnet.network.config import PRESETS, AlexNetConfig, preset
from alexnet.network.memory import apply_memory_budget
from alexnet.training import run_folder
from alexnet.training.data import DATASETS, default_network
from alexnet.training.settings import RECIPES, recipe_settings

DEFAULT_EPOCHS = 3  # the cifar preset on the digits: 15-40 s a run on two cores


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alexnet experiment",
        description="Test one of the paper's claims: train the two variants of a network with several seeds, "
        "then print each variant's measure (mean ± sd), the paper's figure and a verdict from the data.",
    )
    parser.add_argument("name", metavar="NAME", choices=list(CLAIMS), help=", ".join(CLAIMS))
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help=f"runs per variant (default {DEFAULT_SEEDS})")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"per run (default {DEFAULT_EPOCHS})")
    parser.add_argument("--dataset", choices=DATASETS, default="digits", help="default: digits (bundled, offline)")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="cifar10, fashion-mnist: the folder holding cifar-10-batches-py, FashionMNIST"
    )
    parser.add_argument(
        "--train-images",
        type=int,
        metavar="N",
        help="cifar10, fashion-mnist: N of the training images in every run, the same balanced share (default: all)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--preset",
        choices=list(PRESETS),
        help="the base network (default: cifar, at the images' own 28 px for fashion-mnist)",
    )
    which.add_argument("--config", type=Path, metavar="FILE", help="the base network, saved as JSON")
    parser.add_argument(
        "--recipe", choices=list(RECIPES), default="default", help="; ".join(f"{k}: {v}" for k, v in RECIPES.items())
    )
    parser.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    parser.add_argument("--seed", type=int, default=0, help="the first seed (then +1, +2, ...)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write per-seed measures, means, spreads, verdicts")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help=f"default: ${run_folder.RUNS_DIR_ENV} or runs/")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--memory-budget", metavar="SIZE", help='refuse a network over this size, e.g. "8GB"')
    return parser


def main(argv: list[str]) -> int:
    """Run the experiment in the foreground; print the table; 0 when every run ended, 1 if stopped."""
    args = build_parser().parse_args(argv)
    apply_memory_budget(args.memory_budget)
    if args.config:
        network = AlexNetConfig.load(args.config)
    else:  # as python -m alexnet train: the cifar preset at the images' own size when none is named
        network = preset(args.preset) if args.preset else default_network(args.dataset)
    changes = {"epochs": args.epochs, "dataset": args.dataset, "seed": args.seed}
    if args.data_dir:
        changes["data_dir"] = args.data_dir
    if args.batch_size:
        changes["batch_size"] = args.batch_size
    if args.train_images:
        changes["train_images"] = args.train_images
    settings = recipe_settings(network, args.recipe, **changes)
    experiment = plan(args.name, network, settings, args.seeds)
    if args.json and not args.json.parent.is_dir():
        raise AlexNetError(f"There is no folder {args.json.parent} to write {args.json.name} in.")
    print(f"{experiment.title}: {experiment.runs_count} runs of {settings.epochs} epochs", file=sys.stderr)
    experiment, complete = run_in_foreground(experiment, args.runs_dir, progress=not args.no_progress)
    result = experiment_result(experiment, args.runs_dir)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    if not complete:
        incomplete = f"stopped: the experiment {experiment.id} is incomplete; the table counts finished runs."
        print(incomplete, file=sys.stderr)
    return 0 if complete else 1
