"""Pictures of an explanation: the Grad-CAM heat map laid over the image, and the saliency map.

Pure functions: arrays in, an RGB array or a plotly figure out. The overlay is blended in NumPy,

    pixel = (1 - opacity * h) * image + opacity * h * colour(h)        h = heat in [0, 1]

so cold places keep the photo and hot ones take the colour map's colour; the same array is
shown on the page and written as a PNG by ``python -m alexnet explain``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale, unlabel_rgb

HEAT_SCALE = "Turbo"  # a perceptually smoother jet: blue (cold) -> red (hot), the usual Grad-CAM look
DISPLAY_SIDE = 256  # pixels: small inputs (32 x 32) are enlarged to this for the page and the PNG


@lru_cache(maxsize=4)
def _lut(scale: str) -> np.ndarray:
    """(256, 3) uint8: the plotly colour scale sampled at 256 levels."""
    colours = sample_colorscale(scale, np.linspace(0, 1, 256).tolist(), colortype="rgb")
    return np.array([unlabel_rgb(c) for c in colours], dtype=np.float64).round().astype(np.uint8)


def colorize(values: np.ndarray, scale: str = HEAT_SCALE) -> np.ndarray:
    """Values in [0, 1], (H, W), to (H, W, 3) uint8 colours of ``scale``."""
    return _lut(scale)[np.clip(np.rint(np.asarray(values) * 255), 0, 255).astype(np.uint8)]


def enlarge(picture: np.ndarray, side: int, *, smooth: bool) -> np.ndarray:
    """A square (S, S) or (S, S, 3) array resized to (side, side): bilinear if ``smooth``, else nearest."""
    if picture.shape[0] == side:
        return picture
    resample = Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST
    if picture.dtype == np.uint8:
        return np.asarray(Image.fromarray(picture).resize((side, side), resample))
    floats = Image.fromarray(np.asarray(picture, dtype=np.float32), mode="F")
    return np.asarray(floats.resize((side, side), resample))


def overlay(picture: np.ndarray, heat: np.ndarray, opacity: float, *, side: int | None = None) -> np.ndarray:
    """The heat map (S, S) in [0, 1] over the picture (S, S, 3) or (S, S, 1) uint8, as (side, side, 3) uint8.

    Args:
        opacity: 0 shows the picture alone, 1 the colour at full strength where the map is hottest.
        side: output size in pixels; default the larger of S and ``DISPLAY_SIDE``.
    """
    side = side or max(picture.shape[0], DISPLAY_SIDE)
    rgb = picture if picture.shape[-1] == 3 else np.repeat(picture[..., :1], 3, axis=-1)
    base = enlarge(np.ascontiguousarray(rgb), side, smooth=True).astype(np.float64)
    heat = np.clip(enlarge(heat.astype(np.float32), side, smooth=True), 0, 1)
    weight = (opacity * heat)[..., None]  # (side, side, 1)
    blended = (1 - weight) * base + weight * colorize(heat).astype(np.float64)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def overlay_figure(blended: np.ndarray, *, title: str, height: int = 340) -> go.Figure:
    """An overlay from ``overlay`` (side, side, 3) uint8 as a figure, sent as one PNG."""
    return _layout(px.imshow(blended, binary_string=True), title, height)


def saliency_figure(saliency: np.ndarray, *, title: str, height: int = 340) -> go.Figure:
    """The saliency map (S, S) in [0, 1] in grey, enlarged like the overlay (nearest: one square per input pixel).

    Bright = nudging this pixel changes the class's score most; black = the score ignores it.
    """
    side = max(saliency.shape[0], DISPLAY_SIDE)
    grey = np.rint(255 * np.clip(enlarge(saliency.astype(np.float32), side, smooth=False), 0, 1))
    figure = px.imshow(grey.astype(np.uint8), binary_string=True)
    return _layout(figure, title, height)


def _layout(figure: go.Figure, title: str, height: int) -> go.Figure:
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 0, "r": 0, "t": 36, "b": 0},
        dragmode=False,
    )
    figure.update_xaxes(visible=False)
    # a square picture in a wider or taller box: keep it under its title (plotly centres it otherwise)
    figure.update_yaxes(visible=False, scaleanchor="x", constrain="domain", constraintoward="top")
    return figure
