"""The Activations page's cached work, shared by every session: the network with its weights,
the prepared image, every layer's output for it and its Grad-CAM explanation.

A module of its own, not part of the page script, so that the server can compute a new user's
first view before they ask for it: ``app.py``'s warm-up thread calls ``warm_default_view`` a few
seconds after the first page, and the first visit to Activations then finds every value below
in the cache (measured in Chromium: 1.9-3.3 s -> 1.3-1.6 s for that visit; most of what is left
is the browser drawing the page's charts).

The model comes from ONE cached function, ``load_model(config, weights, stamp)``: random
initialisations ("random:<seed>"), torchvision's ImageNet weights ("imagenet") and trained runs
("run:<run_id>").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
import streamlit as st
from cachetools import LRUCache

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect import gradcam, images, pretrained
from alexnet.inspect.preparation import one_colour_note
from alexnet.inspect.probe import check_probe_memory
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.model import AlexNet, build_model
from alexnet.network.safetensors_file import file_config, file_metadata, from_safetensors
from alexnet.network.weights_choice import FILE, IMAGENET, RANDOM, RUN, WeightsChoice
from alexnet.training import fashion_mnist
from alexnet.training.data import DEFAULT_DATA_DIR
from pages.parts.common.image_sources import DIGIT, GARMENT, PHOTO, UPLOAD
from pages.parts.common.sidebar import DEFAULT_PRESET

DEFAULT_WEIGHTS = f"{RANDOM}:0"  # the Weights box's first entry with its seed box's default
DEFAULT_PHOTO = next(iter(images.SAMPLE_PHOTOS))  # the Photo box's first entry


# Uploaded weights files by their upload's id, the newest few, for every session of this server:
# the cached functions below take the weights as a string, and a file's bytes are found here by it.
_FILES: LRUCache[str, bytes] = LRUCache(maxsize=4)  # the least recently used dropped
_FILES_LOCK = threading.Lock()


def remember_weights_file(upload_id: str, read: Callable[[], bytes]) -> str:
    """The weights string ("file:<upload id>") of an uploaded safetensors file, kept for ``weights_file``.

    ``read`` is called only the first time an upload is seen: every rerun of the page passes the
    same upload, and copying (up to 300 MB) and checking it again would cost each of them.

    Raises:
        AlexNetError: the file is not a safetensors file with a network this app can build.
    """
    with _FILES_LOCK:
        known = _FILES.get(upload_id) is not None  # a look-up: the most recently used now
    if not known:
        data = read()
        file_config(data)  # its header, checked now: the box says what is wrong before anything is drawn
        with _FILES_LOCK:
            _FILES[upload_id] = data
    return f"{FILE}:{upload_id}"


def weights_file(upload_id: str) -> bytes:
    with _FILES_LOCK:
        data = _FILES.get(upload_id)
    if data is None:
        raise AlexNetError("The uploaded weights file is no longer on the server.", fix="upload it again.")
    return data


def view_config(config: AlexNetConfig, weights: str) -> AlexNetConfig:
    """The network these weights belong to: the sidebar's for random weights, else the weights' own."""
    choice = WeightsChoice.parse(weights)
    if choice.kind == FILE:
        return file_config(weights_file(choice.value))
    if choice.kind == IMAGENET:
        return pretrained.PRETRAINED_CONFIG
    if choice.kind == RUN:
        return runs.run_config(choice.value)
    return config


def trained_on(weights: str) -> str | None:
    """The dataset a run's weights ("run:<id>") or a weights file were trained on; ``None`` for random or
    ImageNet weights, and for a file that does not say."""
    choice = WeightsChoice.parse(weights)
    if choice.kind == FILE:
        return file_metadata(weights_file(choice.value)).get("dataset") or None
    return runs.get_run(choice.value).dataset if choice.kind == RUN else None


@st.cache_resource(max_entries=4, show_spinner="Loading the network…")
def load_model(config: AlexNetConfig, weights: str, stamp: int = 0) -> AlexNet:
    """The network with its weights.

    ``weights``: "random:<seed>", "imagenet" (cached torchvision file, never downloaded here) or
    "file:<upload id>" (an uploaded safetensors file, ``remember_weights_file``) or
    "run:<run_id>" (its latest checkpoint; ``stamp`` = ``runs.checkpoint_stamp`` so newer weights
    of a run still training replace the cached ones). ``config`` must be ``view_config(...)``.
    """
    choice = WeightsChoice.parse(weights)  # an unknown string: a plain message, before any work
    device = images.default_device()
    if choice.kind == RANDOM:
        return build_model(config, seed=int(choice.value), device=device)
    if choice.kind == IMAGENET:
        return pretrained.load_pretrained(config, download=False, device=device)
    if choice.kind == RUN:
        return runs.load_run_model(choice.value, device=str(device))
    return from_safetensors(weights_file(choice.value), device=device)


@st.cache_resource
def model_lock() -> threading.Lock:
    """probe() hooks the shared model for one forward pass: one session at a time."""
    return threading.Lock()


@st.cache_resource(max_entries=6, show_spinner="Running the image through the network…")
def run_image(
    config: AlexNetConfig, weights: str, stamp: int, image_key: str, _image: images.Preprocessed
) -> images.ImageRun:
    """Every layer's output for one image, cached per (config, weights, stamp, image) so switching layers is instant."""
    check_probe_memory(config)  # over the memory budget: refused before a single weight is allocated
    model = load_model(config, weights, stamp)
    with model_lock():
        return images.run_image(model, _image)


@st.cache_data(max_entries=8, show_spinner=False)
def prepare(
    source: str, choice: str, upload: bytes | None, config: AlexNetConfig
) -> tuple[images.Preprocessed, list[str]]:
    """The chosen image, decoded and preprocessed for ``config``, and notes about its conversion."""
    if source == UPLOAD:
        picture, notes = images.decode_upload(upload or b"")
        notes += [note] if (note := one_colour_note(picture)) else []
    elif source == DIGIT:
        digit, example = (int(part) for part in choice.split(":"))
        picture, notes = images.digit_sample(digit, example), []
    elif source == GARMENT:
        picture, notes = garment(choice), []
    else:
        picture, notes = images.sample_photo(choice), []
    return images.preprocess(picture, config), notes


def garment(choice: str) -> np.ndarray:
    """The Fashion-MNIST test image a Garment choice "<class>:<example>" names, (28, 28, 3) uint8."""
    class_index, example = (int(part) for part in choice.split(":"))
    return fashion_mnist.picture(DEFAULT_DATA_DIR, class_index, example)


@st.cache_data(max_entries=16, show_spinner="Computing Grad-CAM…")
def explanation(
    config: AlexNetConfig,
    weights: str,
    stamp: int,
    image_key: str,
    layer: str,
    target: int | None,
    _model: AlexNet,
    _image: images.Preprocessed,
    _lock: threading.Lock,
) -> gradcam.Explanation:
    """One explanation, cached per (network, weights, checkpoint stamp, image, layer, class)."""
    with _lock:  # Captum hooks the shared model for one forward and backward pass: one session at a time
        return gradcam.explain(_model, _image.batch, layer=layer, target=target)


def warm_default_view(preset: str = DEFAULT_PRESET) -> None:
    """Compute what a first visit to Activations shows for ``preset``, into the caches above.

    The same calls with the same arguments as the page's defaults: the sidebar's network, random
    weights of seed 0, the first sample photo, Grad-CAM of the last conv layer for the top class.
    Meant for a background thread: Streamlit's "missing ScriptRunContext" warnings, which a cached
    function gives outside a script run, are filtered for this thread only.
    """
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_NotThisThread())
    config = view_config(PRESETS[preset], DEFAULT_WEIGHTS)
    try:
        image, _ = prepare(PHOTO, DEFAULT_PHOTO, None, config)
        run_image(config, DEFAULT_WEIGHTS, 0, image.key, image)
        model = load_model(config, DEFAULT_WEIGHTS, 0)
        layer = list(gradcam.conv_layers(model))[-1]
        explanation(config, DEFAULT_WEIGHTS, 0, image.key, layer, None, model, image, model_lock())
    except AlexNetError:  # over this machine's memory budget: the page explains it when visited
        pass


class _NotThisThread(logging.Filter):
    """Drops log records made by the thread that created it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread
