"""Where datasets live unless the user names a folder: ``<repo>/data`` (ignored by git).

A module of its own, without torch, so that a page's first paint can ask whether a dataset is on
this machine (``alexnet.training.fashion_mnist.present``) without importing the data pipeline.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
