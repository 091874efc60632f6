"""``python -m alexnet explain``: a run's Grad-CAM of one image, written as a PNG.

python -m alexnet explain --run 20250101-120000-digits --image seven.png --out heatmap.png
python -m alexnet explain --run RUN_ID --image cat.jpg --layer conv3 --class cat --out cat-conv3.png

The picture is the one the Activations page shows: the image as the network sees it (cropped
to a square and resized to its input size), enlarged to at least 256 px, with the heat map
blended over it (``alexnet.plots.gradcam.overlay``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect import gradcam, images
from alexnet.plots.gradcam import overlay

DEFAULT_OPACITY = 0.6  # as on the Activations page


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, metavar="RUN_ID", help="a run with a checkpoint (see the runs table)")
    parser.add_argument("--image", required=True, type=Path, metavar="FILE", help="a PNG, JPEG, WebP, BMP or GIF")
    parser.add_argument("--layer", metavar="convN", help="the conv layer to explain (default: the last)")
    parser.add_argument(
        "--class", dest="class_name", metavar="NAME", help="class name or number (default: the top prediction)"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.png", help="where to write the overlay")
    parser.add_argument(
        "--opacity", type=float, default=DEFAULT_OPACITY, help=f"of the heat map, 0..1 (default {DEFAULT_OPACITY})"
    )
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="default: $ALEXNET_RUNS_DIR or runs/")


def run_from_args(args: argparse.Namespace) -> int:
    """Explain the image, write the PNG and print one line about it.

    Raises:
        AlexNetError: an unknown run, layer or class, an unreadable image, an unwritable output.
    """
    if not 0 <= args.opacity <= 1:
        raise AlexNetError(f"--opacity {args.opacity} is outside 0..1.", fix="use e.g. --opacity 0.6.")
    if args.out.suffix.lower() != ".png":
        raise AlexNetError(f"--out {args.out} does not end in .png; the overlay is written as a PNG.")
    if not args.out.parent.is_dir():
        raise AlexNetError(f"The folder {args.out.parent} does not exist.", fix="create it, or write elsewhere.")
    try:
        data = args.image.read_bytes()
    except OSError as exc:
        raise AlexNetError(f"The image {args.image} cannot be read ({exc.strerror}).") from None
    picture, notes = images.decode_upload(data)
    config = runs.run_config(args.run, args.runs_dir)
    model = runs.load_run_model(args.run, directory=args.runs_dir, device=str(images.default_device()))
    names = runs.run_classes(args.run, args.runs_dir)
    target = gradcam.resolve_class(args.class_name, names, config.num_classes)
    prepared = images.preprocess(picture, config)
    result = gradcam.explain(model, prepared.batch, layer=args.layer, target=target)
    blended = overlay(prepared.resized, result.heatmap, args.opacity)  # (side, side, 3) uint8
    try:
        Image.fromarray(blended).save(args.out, format="PNG")
    except OSError as exc:
        raise AlexNetError(f"{args.out} cannot be written ({exc.strerror or exc}).") from None
    labels = names or [str(i) for i in range(config.num_classes)]
    for note in notes:
        print(f"note: {note}")
    print(
        f"Grad-CAM of class {labels[result.target]!r} at {result.layer} "
        f"(score {result.score:.3f}, probability {result.probability:.1%}; "
        f"top prediction {labels[result.top]!r}) -> {args.out}"
    )
    return 0


def main(argv: list[str]) -> int:
    """``python -m alexnet explain ARGS``."""
    parser = argparse.ArgumentParser(
        prog="python -m alexnet explain",
        description="Where a trained run looks in an image: its Grad-CAM laid over the image, as a PNG.",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
