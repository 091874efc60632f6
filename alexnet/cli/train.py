"""``python -m alexnet train``: its options and its entry point.

python -m alexnet train --preset cifar --dataset digits --epochs 10
python -m alexnet train --preset cifar --recipe paper --epochs 3 --batch-size 64
torchrun --nproc_per_node=2 -m alexnet train --preset cifar --dataset digits
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

from alexnet.cli.options import ACTIVATION_HELP
from alexnet.errors import AlexNetError
from alexnet.network.config import ACTIVATIONS, PRESETS, AlexNetConfig, preset
from alexnet.network.memory import BUDGET_ENV, apply_memory_budget
from alexnet.network.shapes import layer_table
from alexnet.runs import advance_queue, get_run, run_standing
from alexnet.training import environment, published, run_folder
from alexnet.training.data import DATASETS, default_network
from alexnet.training.distributed import Distributed
from alexnet.training.run import train_run
from alexnet.training.run_folder import resolve_run_dir
from alexnet.training.settings import (
    DEVICES,
    INITS,
    OPTIMIZERS,
    PRECISIONS,
    RECIPES,
    SCHEDULES,
    TrainSettings,
    recipe_settings,
)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m alexnet train``. Training options default to ``None`` so that
    ``--resume`` can tell which ones the user gave (those override the run's saved settings)."""
    net = parser.add_argument_group("network")
    which = net.add_mutually_exclusive_group()
    which.add_argument(
        "--preset",
        choices=list(PRESETS),
        help="a named network (default: cifar, fast on a CPU; at 28 px for fashion-mnist, its images' size)",
    )
    which.add_argument("--config", type=Path, metavar="FILE", help="a network saved as JSON")
    net.add_argument("--input-size", type=int, metavar="S", help="override the network's input size")
    net.add_argument("--num-classes", type=int, metavar="N", help="override (default: the dataset's class count)")
    net.add_argument("--activation", choices=ACTIVATIONS, help=ACTIVATION_HELP)

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, help="default: digits (bundled, offline)")
    data.add_argument(
        "--data-dir",
        metavar="DIR",
        help="cifar10, fashion-mnist: the folder holding cifar-10-batches-py or FashionMNIST/raw (default: data/); "
        "folder: the images",
    )
    data.add_argument(
        "--download", action="store_true", default=None, help="cifar10, fashion-mnist: download it if missing"
    )
    data.add_argument(
        "--flip",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="cifar10, fashion-mnist: mirror each training image left-right with probability 1/2",
    )
    data.add_argument(
        "--train-images",
        type=int,
        metavar="N",
        help="cifar10, fashion-mnist: train on N of the training images, the same balanced share every run "
        "(default: all); the validation set stays whole",
    )

    train = parser.add_argument_group(
        "training", "the defaults named are today's recipe's; --recipe paper changes them"
    )
    train.add_argument(
        "--recipe",
        choices=list(RECIPES),
        help="where the settings start: "
        + "; ".join(f"{name}: {text}" for name, text in RECIPES.items())
        + ". The options below override it. Default: default",
    )
    train.add_argument("--epochs", type=int, help="default: 10")
    train.add_argument("--batch-size", type=int, help="default: 32")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help="default: adamw")
    train.add_argument(
        "--lr", type=float, help="peak rate; default: adamw 2e-3 under 10 M parameters (cifar), else 3e-4; sgd 0.01"
    )
    train.add_argument("--momentum", type=float, help="sgd only; default 0.9")
    train.add_argument("--weight-decay", type=float, help="default: 0.01 (adamw), 5e-4 (sgd)")
    train.add_argument("--precision", choices=PRECISIONS, help="default: auto (bf16 where native, else fp32)")
    train.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning rate after warm-up; default: cosine; plateau: divided by 10 when the validation error "
        "stops improving (the paper's)",
    )
    train.add_argument(
        "--plateau-patience", type=int, metavar="EPOCHS", help="plateau: epochs without improvement first; default 1"
    )
    train.add_argument("--warmup-steps", type=int, help="steps of linear lr warm-up; default: 5")
    train.add_argument("--device", choices=DEVICES, help="default: auto (cuda if available)")
    train.add_argument(
        "--init", choices=INITS, help="weight initialisation; default: kaiming; paper: N(0, 0.01^2), some biases 1"
    )
    train.add_argument("--seed", type=int, help="default: 0")
    train.add_argument("--max-steps", type=int, help="stop after this many steps in all")
    train.add_argument("--log-every", type=int, help="steps between metrics lines; default 1")
    train.add_argument("--checkpoint-every", type=int, help="steps between checkpoints; default 200")

    runs = parser.add_argument_group("runs")
    runs.add_argument("--runs-dir", type=Path, metavar="DIR", help=f"default: ${run_folder.RUNS_DIR_ENV} or runs/")
    runs.add_argument("--resume", metavar="RUN_ID", help="continue this run from its checkpoint")
    runs.add_argument("--run-id", help=argparse.SUPPRESS)  # alexnet.runs names the run it starts
    runs.add_argument("--no-progress", action="store_true", help="no progress bar")
    runs.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help=f'refuse a run whose estimated peak memory is larger, e.g. "8GB" (default: ${BUDGET_ENV}, '
        "else half the available memory)",
    )


# "recipe" is no override: it picks the defaults (a resumed run keeps the recipe it started from)
_SETTING_FLAGS = tuple(f.name for f in fields(TrainSettings) if f.name != "recipe")


def network_and_settings(args: argparse.Namespace) -> tuple[AlexNetConfig, TrainSettings]:
    """The network and settings a new run of ``python -m alexnet train`` gets from ``args``: the
    options given, and ``recipe_settings`` of ``--recipe`` (as on the Training page) for the rest.

    Raises:
        AlexNetError: a network that cannot work, explained before a run directory exists.
    """
    if args.config:
        config = AlexNetConfig.load(args.config)
    else:  # none named: the cifar preset at the images' own size
        config = preset(args.preset) if args.preset else default_network(args.dataset)
    if args.input_size:
        config = replace(config, input_size=args.input_size)
    if args.num_classes:
        config = replace(config, num_classes=args.num_classes)
    if args.activation:
        config = replace(config, activation=args.activation)
    layer_table(config)
    given = {name: getattr(args, name) for name in _SETTING_FLAGS if getattr(args, name, None) is not None}
    return config, recipe_settings(config, args.recipe or "default", **given)


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``python -m alexnet train``; returns the exit status (0 finished or stopped, 1 otherwise).

    However it ends (finished, stopped, failed, diverged, an error), the trainer then starts the
    next queued run of its runs folder (``alexnet.runs.advance_queue``), on rank 0 only.
    """
    ended: list[Path] = []  # the run directory, once train_run has said which
    try:
        return _train(args, ended)
    finally:
        _advance_queue(args, ended)


def _train(args: argparse.Namespace, ended: list[Path]) -> int:
    environment.tune_this_process()  # the allocator settings alexnet.runs gives its children, here too
    given = {name: getattr(args, name) for name in _SETTING_FLAGS if getattr(args, name, None) is not None}
    try:
        apply_memory_budget(getattr(args, "memory_budget", None))
        if args.resume:
            config, settings = PRESETS["cifar"], TrainSettings()  # replaced by the run's own
        else:
            config, settings = network_and_settings(args)
        state, run_dir = train_run(
            config,
            settings,
            runs_dir=args.runs_dir,
            run_id=args.run_id,
            resume=args.resume,
            overrides=given,
            progress=not args.no_progress,
        )
    except AlexNetError as exc:
        _mark_failed(args, exc.message)
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:
        _mark_failed(args, f"{type(exc).__name__}: {exc}")
        raise
    if run_dir is not None:
        ended.append(run_dir)
        status = run_folder.read_json(run_dir / run_folder.STATUS) or {}
        print(f"{state}: {status.get('message', '')} Run directory: {run_dir}", file=sys.stderr)
        standing = run_standing(get_run(run_dir)) if Distributed.from_env().rank == 0 else None
        if standing:  # a test set with a published table: where this run stands in it
            print(f"{standing}\nPublished rows: {published.SOURCE}.", file=sys.stderr)
    return 0 if state in ("finished", "stopped") else 1


def _mark_failed(args: argparse.Namespace, message: str) -> None:
    """A run named by ``alexnet.runs`` that fails before training says why in its status."""
    name = args.run_id or args.resume
    try:  # never write a status.json outside the runs directory, whatever --resume says
        path = resolve_run_dir(name, args.runs_dir or run_folder.default_runs_dir()) if name else None
    except AlexNetError:
        return
    if path is not None and path.is_dir() and Distributed.from_env().rank == 0:
        old = run_folder.read_json(path / run_folder.STATUS) or {}
        run_folder.write_json(
            path / run_folder.STATUS,
            old | {"state": "failed", "pid": os.getpid(), "message": message, "updated_at": time.time()},
        )


def _advance_queue(args: argparse.Namespace, ended: list[Path]) -> None:
    """Start the run waiting next, now that this one is over: its status is final (or failed) by
    now, and its run id is passed as ``ending`` so that a status this trainer could not finish
    writing never holds up the queue. A problem here is said, never raised: the run itself ended."""
    if Distributed.from_env().rank != 0:
        return
    ending = ended[0].name if ended else args.run_id or args.resume
    try:
        for started in advance_queue(args.runs_dir, ending=ending):
            print(f"started the next queued run: {started.run_id}", file=sys.stderr)
    except Exception as exc:  # the trainer's exit status is its run's, not the queue's
        print(f"warning: the next queued run was not started: {exc}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m alexnet train``."""
    parser = argparse.ArgumentParser(prog="python -m alexnet train", description="Train the configured network.")
    add_train_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    """``python -m alexnet train ARGS``."""
    return run_from_args(build_parser().parse_args(argv))
