"""What preprocessing did, said in words: crop, then shrink or enlarge; and a one-colour upload warned about."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from alexnet.inspect.preparation import one_colour_note, resize_title
from alexnet.network.config import PRESETS


@pytest.mark.parametrize(
    ("height", "width", "size", "title"),
    [
        (1, 1, 125, "Upscaled from 1 x 1 to 125 x 125 RGB"),  # an upscale, not a crop
        (480, 640, 227, "Cropped to 480 x 480, downscaled to 227 x 227 RGB"),
        (200, 100, 125, "Cropped to 100 x 100, upscaled to 125 x 125 RGB"),
        (300, 300, 227, "Downscaled to 227 x 227 RGB"),
        (227, 227, 227, "Square, 227 x 227 RGB"),  # nothing to do
        (227, 300, 227, "Cropped to 227 x 227 RGB"),  # the crop alone makes the size
    ],
)
def test_the_title_says_each_step_that_happened(height, width, size, title):
    assert resize_title(height, width, size, "RGB") == title


def test_two_steps_can_go_on_two_lines_of_a_narrow_column():
    assert resize_title(480, 640, 227, "RGB", separator="<br>") == "Cropped to 480 x 480<br>downscaled to 227 x 227 RGB"
    assert resize_title(1, 1, 125, "RGB", separator="<br>") == "Upscaled from 1 x 1 to 125 x 125 RGB"  # one step


def test_one_colour_is_warned_about_and_two_are_not():
    red = np.zeros((1, 1, 3), np.uint8)
    red[..., 0] = 255
    assert "one colour only (RGB 255, 0, 0)" in one_colour_note(red)
    flat = np.full((64, 48, 3), 128, np.uint8)
    assert "RGB 128, 128, 128" in one_colour_note(flat)
    flat[10, 20, 2] = 129  # one pixel off by one level
    assert one_colour_note(flat) is None


def test_an_uploaded_one_pixel_png_is_said_to_be_upscaled_and_one_colour():
    from pages.parts.activations.activation_data import prepare
    from pages.parts.common.image_sources import UPLOAD

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 0, 0)).save(buffer, format="PNG")
    config = PRESETS["cifar"]
    image, notes = prepare(UPLOAD, "", buffer.getvalue(), config)
    assert image.original_size == (1, 1) and image.resized.shape[:2] == (32, 32)
    assert any("one colour only (RGB 255, 0, 0)" in note for note in notes)
    assert resize_title(*image.original_size, config.input_size, "RGB") == "Upscaled from 1 x 1 to 32 x 32 RGB"
