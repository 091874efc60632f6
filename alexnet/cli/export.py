"""``python -m alexnet export``: the network as an ONNX file, weights inside, for Netron and ONNX Runtime.

python -m alexnet export --onnx alexnet.onnx                      # the paper network, random weights (seed 0)
python -m alexnet export --onnx cifar.onnx --preset cifar --seed 3
python -m alexnet export --onnx mine.onnx --run 20261207-090202-digits   # a run's network and checkpoint
python -m alexnet export --onnx imagenet.onnx --imagenet          # torchvision's weights, if downloaded

The file is checked before it is written: ``onnx.checker`` over the whole model, and ONNX
Runtime's output against PyTorch's on the same four images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from alexnet import runs
from alexnet.cli.options import add_config_arguments, load_config
from alexnet.errors import AlexNetError
from alexnet.inspect import pretrained
from alexnet.network.model import build_model
from alexnet.network.onnx_export import export_onnx, onnx_logits
from alexnet.network.weights_choice import IMAGENET, RANDOM, RUN, WeightsChoice
from alexnet.units import format_bytes

TOLERANCE = 1e-4  # ONNX Runtime against PyTorch: at most this times the largest logit (float32, other kernels)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--onnx", required=True, type=Path, metavar="FILE.onnx", help="where to write the file")
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument(
        "--run", metavar="RUN_ID", help="a run's own network and last checkpoint (the network options are ignored)"
    )
    weights.add_argument(
        "--imagenet", action="store_true", help="torchvision's ImageNet weights (downloaded on the Activations page)"
    )
    weights.add_argument("--seed", type=int, default=0, help="random weights from this seed (default 0)")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="default: $ALEXNET_RUNS_DIR or runs/")
    add_config_arguments(parser)


def run_from_args(args: argparse.Namespace) -> int:
    """Export, check and write the file, then print what it holds.

    Raises:
        AlexNetError: an unknown run, weights not downloaded, a network that cannot work, an unwritable file.
    """
    if args.onnx.suffix.lower() != ".onnx":
        raise AlexNetError(f"--onnx {args.onnx} does not end in .onnx.", fix=f"use e.g. --onnx {args.onnx.stem}.onnx.")
    if not args.onnx.parent.is_dir():
        raise AlexNetError(f"The folder {args.onnx.parent} does not exist.", fix="create it, or write elsewhere.")
    if args.run:
        model, chosen = runs.load_run_model(args.run, directory=args.runs_dir), WeightsChoice(RUN, args.run)
    elif args.imagenet:
        model, chosen = pretrained.load_pretrained(), WeightsChoice(IMAGENET, "")
    else:
        model, chosen = build_model(load_config(args), seed=args.seed), WeightsChoice(RANDOM, str(args.seed))
    data = export_onnx(model, weights=chosen.description)
    config = model.config
    side, seeded = config.input_size, torch.Generator().manual_seed(0)
    images = torch.randn(4, config.in_channels, side, side, generator=seeded)
    with torch.no_grad():
        logits = model.float().eval()(images).numpy()
    difference, scale = float(abs(onnx_logits(data, images) - logits).max()), float(abs(logits).max())
    if difference > TOLERANCE * max(scale, 1.0):
        raise AlexNetError(
            f"ONNX Runtime's output differs from PyTorch's by {difference:.3g} (largest logit {scale:.3g}).",
            fix="report it; the JSON and PyTorch exports on the Architecture page still work.",
        )
    try:
        args.onnx.write_bytes(data)
    except OSError as exc:
        raise AlexNetError(f"{args.onnx} cannot be written ({exc.strerror or exc}).") from None
    print(
        f"{args.onnx}: {format_bytes(len(data))}, a {config.input_size}x{config.input_size} AlexNet "
        f"with {chosen.description}; "
        f"ONNX Runtime matches PyTorch within {difference:.2g} on 4 images. Open it in Netron to see every shape."
    )
    return 0


def main(argv: list[str]) -> int:
    """``python -m alexnet export ARGS``."""
    parser = argparse.ArgumentParser(prog="python -m alexnet export", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
