"""Images to look at: bundled photos, the digits sample, safe upload decoding and preprocessing.

Everything here works offline. The photos are the real RGB photos shipped inside the
scikit-image wheel (no pooch download), the digits come with scikit-learn, and uploads are
decoded by Pillow under limits, so a hostile file becomes a plain ``AlexNetError``.

Preprocessing follows the ImageNet recipe (torchvision.transforms.v2):

    centre-crop to a square -> resize to S x S -> [greyscale] -> x = pixel / 255 -> x' = (x - mean) / std

Cropping before resizing keeps the work bounded: a 40000 x 1 panorama is cut to 1 x 1 before
it is ever scaled, instead of being blown up to millions of pixels along its long side.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.transforms import v2

from alexnet.errors import AlexNetError, first_line
from alexnet.inspect.probe import probe
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import AlexNet

# ImageNet's per-channel statistics of x = pixel / 255 (R, G, B), used by the paper's successors
# and by torchvision's pretrained AlexNet; a greyscale network uses their averages.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
GREY_MEAN = (0.449,)
GREY_STD = (0.226,)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # same limit as the server's maxUploadSize
MAX_UPLOAD_PIXELS = 40_000_000  # 40 megapixels: checked from the header, before any pixel is decoded
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")  # Pillow decoders an upload may use, no others
UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif")  # file name endings offered by the uploader
DISPLAY_SIDE = 512  # pixels: the longest side of an original kept for display


@dataclass(frozen=True)
class SamplePhoto:
    """A real photo bundled with scikit-image."""

    title: str
    loader: str  # name of the skimage.data function
    credit: str


# Only images shipped inside the scikit-image wheel: others (skin, lily, ...) need a download.
SAMPLE_PHOTOS: dict[str, SamplePhoto] = {
    "chelsea": SamplePhoto("Chelsea the cat", "chelsea", "Stefan van der Walt, CC0"),
    "astronaut": SamplePhoto("Astronaut Eileen Collins", "astronaut", "NASA, public domain"),
    "coffee": SamplePhoto("A cup of coffee", "coffee", "Rachel Michetti, CC0"),
    "rocket": SamplePhoto("A Falcon 9 rocket lifting off", "rocket", "SpaceX, public domain"),
    "hubble": SamplePhoto("Hubble eXtreme Deep Field", "hubble_deep_field", "NASA, public domain"),
    "retina": SamplePhoto("A human retina", "retina", "Mikael Häggström, CC0"),
    "tissue": SamplePhoto("Stained colon tissue (microscope)", "immunohistochemistry", "CMMI, no known restrictions"),
}


def default_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def sample_photo(name: str) -> np.ndarray:
    """A bundled photo as an (H, W, 3) uint8 RGB array.

    Raises:
        AlexNetError: no such photo.
    """
    import skimage.data  # imported here: it takes a moment and only this function needs it

    if name not in SAMPLE_PHOTOS:
        raise AlexNetError(
            f"There is no sample photo called {name!r}.", fix=f"choose one of {', '.join(SAMPLE_PHOTOS)}."
        )
    image = getattr(skimage.data, SAMPLE_PHOTOS[name].loader)()
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)


@lru_cache(maxsize=1)
def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits, read once per process (no download).

    Returns:
        images (1797, 8, 8) float64 with values 0..16, and labels (1797,) int 0..9. The one loader
        of the digits: the Activations page's samples and the training dataset both read it.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def digit_counts() -> dict[int, int]:
    """How many examples of each digit 0..9 scikit-learn's bundled set holds (about 180 each)."""
    _, labels = digits_arrays()
    return {int(d): int((labels == d).sum()) for d in range(10)}


def digit_sample(digit: int, nth: int = 0) -> np.ndarray:
    """The ``nth`` example of ``digit`` as an (8, 8, 3) uint8 image: white ink on black.

    The 8 x 8 greyscale values 0..16 are scaled to 0..255 and copied into three channels,
    so the RGB networks see a grey image.

    Raises:
        AlexNetError: no such digit or example.
    """
    images, labels = digits_arrays()
    indices = np.flatnonzero(labels == digit)
    if len(indices) == 0:
        raise AlexNetError(f"There is no digit {digit!r}.", fix="choose a digit from 0 to 9.")
    if not 0 <= nth < len(indices):
        raise AlexNetError(
            f"There are {len(indices)} examples of the digit {digit}, numbered 0 to {len(indices) - 1}.",
            fix=f"choose an example from 0 to {len(indices) - 1}.",
        )
    grey = np.rint(images[indices[nth]] * (255 / 16)).astype(np.uint8)  # (8, 8)
    return np.repeat(grey[:, :, None], 3, axis=2)  # (8, 8, 3)


def decode_upload(data: bytes) -> tuple[np.ndarray, list[str]]:
    """Decode an uploaded file into an (H, W, 3) uint8 RGB array, safely.

    The size is checked from the header before decoding (at most ``MAX_UPLOAD_PIXELS``), only
    the PNG, JPEG, WebP, BMP and GIF decoders are allowed, and any other mode is converted to
    RGB: palette, greyscale, 16-bit (scaled, not clipped), CMYK, and transparency (laid on
    white). An animated image gives its first frame; the EXIF orientation is applied.

    Returns:
        The image, and notes for the user about what was converted.

    Raises:
        AlexNetError: empty, too large, not an image, truncated or otherwise undecodable.
    """
    if not data:
        raise AlexNetError("The file is empty.", fix="upload a PNG, JPEG, WebP, BMP or GIF photo.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise AlexNetError(
            f"The file is {len(data) / 2**20:.1f} MB; at most {MAX_UPLOAD_BYTES // 2**20} MB are accepted.",
            fix="upload a smaller image.",
        )
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it: make that an error too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=UPLOAD_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_UPLOAD_PIXELS:
                    raise _too_large(width, height)
                if getattr(image, "is_animated", False):
                    notes.append("This is an animated image: its first frame is used.")
                image.seek(0)
                image.load()  # the actual decode: truncated or corrupt data fails here
                return _to_rgb(image, notes), notes
    except AlexNetError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AlexNetError(
            f"The image claims to be larger than {MAX_UPLOAD_PIXELS // 1_000_000} megapixels "
            "(a 'decompression bomb'), so it was not decoded.",
            fix="upload a smaller image.",
        ) from None
    except UnidentifiedImageError:
        raise AlexNetError(
            "This file is not an image this app can read.",
            fix="upload a PNG, JPEG, WebP, BMP or GIF photo.",
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        # truncated or corrupt data: Pillow raises OSError ("image file is truncated"),
        # SyntaxError (broken headers) or ValueError, depending on the format
        raise AlexNetError(
            f"This image file is damaged or incomplete and cannot be decoded ({first_line(exc)}).",
            fix="save the image again, or upload another one.",
        ) from None


def _too_large(width: int, height: int) -> AlexNetError:
    return AlexNetError(
        f"The image is {width} x {height} = {width * height / 1e6:.0f} megapixels; "
        f"at most {MAX_UPLOAD_PIXELS // 1_000_000} megapixels are accepted.",
        fix="shrink the image before uploading it.",
    )


def _to_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Any Pillow mode to (H, W, 3) uint8 RGB."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode.startswith("I;16"):
        # 16-bit greyscale: Pillow's own convert would clip at 255 and turn most pixels white;
        # 65535 / 257 = 255 keeps the picture's brightness
        grey = np.asarray(image, dtype=np.float64) / 257
        notes.append("This 16-bit image was reduced to 8 bits per channel.")
        return np.repeat(np.rint(grey).astype(np.uint8)[:, :, None], 3, axis=2)
    if image.mode in ("I", "F"):
        # 32-bit integer or float pixels have no fixed range: stretch min..max to 0..255
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        grey = np.zeros(values.shape) if high == low else (values - low) * (255 / (high - low))
        notes.append("This 32-bit image was stretched to 8 bits per channel.")
        return np.repeat(np.rint(grey).astype(np.uint8)[:, :, None], 3, axis=2)
    if image.mode == "P":
        image = image.convert("RGBA")  # a palette may carry transparency
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notes.append("The transparent parts were laid on a white background.")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def thumbnail(image: np.ndarray, max_side: int = DISPLAY_SIDE) -> np.ndarray:
    """A copy at most ``max_side`` pixels on its longer side, for display (never sent full size)."""
    height, width = image.shape[:2]
    if max(height, width) <= max_side:
        return image
    picture = Image.fromarray(image)
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(picture)


@dataclass(frozen=True)
class Preprocessed:
    """Every stage of turning an image into the network's input.

    Attributes:
        original: (h, w, 3) uint8, the input shrunk to at most ``DISPLAY_SIDE`` pixels for display
            (a 40-megapixel upload is not kept, nor sent to the browser).
        original_size: (H, W) of the input as given.
        resized: (S, S, C) uint8: centre-cropped to a square and resized (greyscale if C = 1).
        scaled: (C, S, S) float32 in 0..1: x = pixel / 255.
        normalized: (C, S, S) float32: x' = (x - mean) / std, the network's input.
        mean, std: the per-channel constants used.
        key: a fingerprint of the input tensor, to cache results per image.
    """

    original: np.ndarray
    original_size: tuple[int, int]
    resized: np.ndarray
    scaled: torch.Tensor
    normalized: torch.Tensor
    mean: tuple[float, ...]
    std: tuple[float, ...]
    key: str

    @property
    def batch(self) -> torch.Tensor:
        """The input as a batch of one, (1, C, S, S)."""
        return self.normalized.unsqueeze(0)


def normalization(in_channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) per channel: ImageNet's for RGB, their averages for one channel.

    Raises:
        AlexNetError: a channel count other than 1 or 3.
    """
    if in_channels == 3:
        return IMAGENET_MEAN, IMAGENET_STD
    if in_channels == 1:
        return GREY_MEAN, GREY_STD
    raise AlexNetError(
        f"Images have 1 (grey) or 3 (RGB) channels, but this network expects {in_channels}.",
        fix="set the input channels to 1 or 3.",
    )


def preprocess(image: np.ndarray, config: AlexNetConfig) -> Preprocessed:
    """Crop, resize, scale and normalise an (H, W, 3) uint8 image for ``config``.

    Uses torchvision.transforms.v2 on the uint8 tensor (antialiased bilinear resize), so a
    tiny 8 x 8 digit is scaled up smoothly and a large photo down without aliasing.

    Raises:
        AlexNetError: the network's channel count is not 1 or 3.
    """
    mean, std = normalization(config.in_channels)
    size = config.input_size
    picture = v2.ToImage()(image)  # (3, H, W) uint8
    crop = v2.CenterCrop(min(picture.shape[-2:]))
    resize = v2.Resize((size, size), interpolation=v2.InterpolationMode.BILINEAR, antialias=True)
    resized = resize(crop(picture))  # (3, S, S) uint8
    if config.in_channels == 1:
        resized = v2.Grayscale(num_output_channels=1)(resized)  # (1, S, S)
    scaled = v2.ToDtype(torch.float32, scale=True)(resized)  # x = pixel / 255, (C, S, S)
    normalized = v2.Normalize(mean=list(mean), std=list(std))(scaled)  # x' = (x - mean) / std
    normalized = normalized.as_subclass(torch.Tensor).contiguous()
    return Preprocessed(
        original=thumbnail(image, DISPLAY_SIDE),
        original_size=(int(image.shape[0]), int(image.shape[1])),
        resized=resized.permute(1, 2, 0).numpy().copy(),  # (S, S, C)
        scaled=scaled.as_subclass(torch.Tensor),
        normalized=normalized,
        mean=mean,
        std=std,
        key=hashlib.sha1(normalized.numpy().tobytes()).hexdigest(),
    )


@dataclass(frozen=True)
class ImageRun:
    """One image through the network, as NumPy arrays ready to draw."""

    maps: dict[str, np.ndarray]  # module path -> (C, H, W), every layer whose output is a feature map
    logits: np.ndarray  # (num_classes,), before the softmax
    filters: np.ndarray  # conv1's weights (out_channels, in_channels, K, K)


def run_image(model: AlexNet, image: Preprocessed) -> ImageRun:
    """A real forward pass of one preprocessed image, on the model's device, keeping every layer.

    ``alexnet.inspect.probe.probe`` clones each output as it is produced, so a convolution's map keeps
    its negative values although the in-place ReLU after it overwrites the tensor.

    Raises:
        AlexNetError: the forward pass failed (the message names the layer).
    """
    device = next(model.parameters()).device
    result = probe(model, image.batch.to(device), keep=True)
    assert result.output is not None
    maps = {path: out[0].numpy() for path, out in result.activations.items() if out.dim() == 4}  # (1, C, H, W)
    filters = model.features[0].conv.weight.detach().cpu().numpy()
    return ImageRun(maps=maps, logits=result.output[0].detach().float().cpu().numpy(), filters=filters)


def class_names(num_classes: int) -> list[str] | None:
    """Names for the network's outputs: ImageNet's 1000 categories (shipped with torchvision), else None."""
    if num_classes != 1000:
        return None
    from torchvision.models import AlexNet_Weights  # the list is in the package: nothing is downloaded

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])
