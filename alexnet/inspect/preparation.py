"""What preprocessing did to an image, in the words the Activations page shows above it.

``alexnet.inspect.images.preprocess`` centre-crops an H x W image to its shorter side m, then
resizes the m x m square to the network's S x S. Either step may do nothing, and the resize may
shrink or enlarge: a 1 x 1 upload becomes a 125 x 125 square by upscaling, not by cropping, and
the title says so.
"""

from __future__ import annotations

import numpy as np


def resize_title(height: int, width: int, size: int, colour: str, separator: str = ", ") -> str:
    """The preprocessed image's title: "Cropped to 480 x 480, downscaled to 227 x 227 RGB",
    "Upscaled from 1 x 1 to 125 x 125 RGB", "Square, 227 x 227 RGB" (nothing changed).
    ``separator`` joins the crop and the resize ("<br>" puts them on two lines of a plotly title)."""
    side = min(height, width)
    steps = [f"cropped to {side} x {side}"] if height != width else []
    if side > size:
        steps.append(f"downscaled to {size} x {size} {colour}")
    elif side < size:
        steps.append(f"upscaled {'' if steps else f'from {side} x {side} '}to {size} x {size} {colour}")
    elif steps:  # cropped to exactly the network's size
        steps[0] += f" {colour}"
    else:
        steps.append(f"square, {size} x {size} {colour}")
    text = separator.join(steps)
    return text[0].upper() + text[1:]


def one_colour_note(picture: np.ndarray) -> str | None:
    """A warning for an (H, W, 3) image whose pixels are all one colour, else None: every filter
    then answers the same at every position, and the feature maps are flat."""
    if picture.size and (picture == picture.reshape(-1, picture.shape[-1])[0]).all():
        red, green, blue = (int(v) for v in picture.reshape(-1, picture.shape[-1])[0][:3])
        return (
            f"This image is one colour only (RGB {red}, {green}, {blue}): every filter sees the same thing at "
            "every position, so each feature map is flat and Grad-CAM has nothing to point at. Try a photo."
        )
    return None
