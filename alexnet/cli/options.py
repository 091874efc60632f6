"""Options shared by the subcommands that take a network: ``--preset``/``--config`` and overrides."""

from __future__ import annotations

import argparse
from dataclasses import replace

from alexnet.network.config import ACTIVATIONS, PRESETS, AlexNetConfig, preset

EXIT_USER_ERROR = 2  # argparse's own code for bad arguments
ACTIVATION_HELP = "override the activation after every conv and hidden linear layer (every preset: relu)"


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--preset", choices=list(PRESETS), default="paper", help="a named network (default: paper)")
    source.add_argument("--config", metavar="FILE.json", help="a configuration file (see README)")
    parser.add_argument("--input-size", type=int, metavar="N", help="override the input size in pixels")
    parser.add_argument("--num-classes", type=int, metavar="N", help="override the number of classes")
    parser.add_argument("--activation", choices=ACTIVATIONS, help=ACTIVATION_HELP)


def load_config(args: argparse.Namespace) -> AlexNetConfig:
    """The configuration that ``--preset``/``--config`` and the overrides describe."""
    config = AlexNetConfig.load(args.config) if args.config else preset(args.preset)
    if args.input_size is not None:
        config = replace(config, input_size=args.input_size)
    if args.num_classes is not None:
        config = replace(config, num_classes=args.num_classes)
    if args.activation is not None:
        config = replace(config, activation=args.activation)
    return config
