"""The Activations page's choices by name: its weights' kinds and its image sources.

A leaf module of constants, so that Start here (drawn on every page) can pick them without
importing the page's data part, which imports the sidebar's, which draws Start here: a circle.
"""

from __future__ import annotations

RANDOM, IMAGENET, RUN = "random", "imagenet", "run"  # the Weights box's kinds: "<kind>:<seed or run id>"
FILE = "file"  # an uploaded .safetensors file: "file:<Streamlit's id of the upload>"
PHOTO, DIGIT, GARMENT, UPLOAD = "Sample photo", "Digit", "Garment", "Upload"  # GARMENT: a Fashion-MNIST test image
