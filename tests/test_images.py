"""Images: bundled photos and digits load offline, preprocessing has the stated shape and formula,
and uploads are decoded safely (hostile or broken files become an AlexNetError)."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from alexnet.errors import AlexNetError
from alexnet.inspect import images
from alexnet.network.config import PRESETS, preset

CONFIGS = [
    preset("paper"),  # 227 x 227 RGB
    preset("cifar"),  # 32 x 32
    replace(preset("cifar"), in_channels=1),  # greyscale network
    replace(preset("torchvision"), input_size=100),
]


def encode(array: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(height: int = 40, width: int = 60) -> np.ndarray:
    """(H, W, 3) uint8 with a different ramp in each channel, so orientation errors show."""
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([cols * 255 // (width - 1), rows * 255 // (height - 1), np.full_like(rows, 90)], -1).astype(
        np.uint8
    )


@pytest.mark.parametrize("name", list(images.SAMPLE_PHOTOS))
def test_every_bundled_photo_loads_offline(name, monkeypatch):
    # no network: a photo that needed a download (scikit-image fetches some with pooch) fails here
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError(f"{name} tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    photo = images.sample_photo(name)
    assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
    assert min(photo.shape[:2]) >= 64
    assert photo.std() > 5  # a real picture, not a blank


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.input_size}px-{c.in_channels}ch")
@pytest.mark.parametrize("name", ["chelsea", "astronaut", "hubble"])
def test_photos_preprocess_to_the_network_input(name, config):
    image = images.preprocess(images.sample_photo(name), config)
    size, channels = config.input_size, config.in_channels
    assert image.normalized.shape == (channels, size, size)
    assert image.batch.shape == (1, channels, size, size)
    assert image.resized.shape == (size, size, channels)
    assert image.normalized.dtype == torch.float32
    # x' = (x - mean) / std, channel by channel, with x = pixel / 255
    mean = torch.tensor(image.mean).view(-1, 1, 1)
    std = torch.tensor(image.std).view(-1, 1, 1)
    expected = (torch.from_numpy(image.resized).permute(2, 0, 1).float() / 255 - mean) / std
    torch.testing.assert_close(image.normalized, expected)
    assert image.mean == (images.IMAGENET_MEAN if channels == 3 else images.GREY_MEAN)


def test_digit_sample_is_grey_and_preprocesses():
    digit = images.digit_sample(3, 5)
    assert digit.shape == (8, 8, 3) and digit.dtype == np.uint8
    assert (digit[..., 0] == digit[..., 1]).all() and (digit[..., 1] == digit[..., 2]).all()
    assert digit.max() > 200 and digit.min() == 0  # white ink on black
    assert images.preprocess(digit, PRESETS["cifar"]).normalized.shape == (3, 32, 32)
    assert sum(images.digit_counts().values()) == 1797
    with pytest.raises(AlexNetError):
        images.digit_sample(10)
    with pytest.raises(AlexNetError):
        images.digit_sample(1, 10_000)


def test_wrong_channel_count_is_a_clear_error():
    with pytest.raises(AlexNetError, match="1 \\(grey\\) or 3"):
        images.preprocess(gradient(), replace(preset("cifar"), in_channels=2))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_decode_good_upload(fmt):
    original = gradient()
    decoded, notes = images.decode_upload(encode(original, fmt, **({"quality": 95} if fmt == "JPEG" else {})))
    assert decoded.shape == original.shape and decoded.dtype == np.uint8
    tolerance = 0 if fmt == "PNG" else 12  # JPEG is lossy
    assert np.abs(decoded.astype(int) - original.astype(int)).max() <= tolerance
    assert notes == []


def test_decode_transparent_png_lays_it_on_white():
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    decoded, notes = images.decode_upload(encode(rgba, "PNG"))
    assert (decoded == 255).all()
    assert any("transparent" in note for note in notes)


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR for a huge image, followed by almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")
    )


HOSTILE = {
    "empty": b"",
    "garbage": bytes(range(256)) * 40,
    "text": b"<html><body>not an image</body></html>",
    "truncated png": encode(gradient(200, 200), "PNG")[:600],
    "truncated jpeg": encode(gradient(200, 200), "JPEG")[:400],
    "huge png header": png_claiming(100_000, 100_000),
    "just over the limit": png_claiming(8000, 5001),
}


@pytest.mark.parametrize("data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_uploads_raise_alexnet_error(data):
    with pytest.raises(AlexNetError) as caught:
        images.decode_upload(data)
    assert caught.value.message  # a plain-language message the page can show
    assert "Traceback" not in caught.value.message


def test_huge_header_is_refused_before_decoding():
    with pytest.raises(AlexNetError, match="megapixels"):
        images.decode_upload(png_claiming(100_000, 100_000))


def test_large_photo_is_kept_small_for_display():
    image = images.preprocess(np.zeros((1200, 3000, 3), np.uint8), PRESETS["cifar"])
    assert max(image.original.shape[:2]) <= images.DISPLAY_SIDE
    assert image.original_size == (1200, 3000)
