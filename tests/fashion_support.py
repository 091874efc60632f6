"""Tiny Fashion-MNIST folders in the real idx format, for tests that must not depend on the 30 MB package."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from alexnet.training import fashion_mnist


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8) as an idx file: magic 0x0000 08 <dims>, big-endian int32 sizes, then the bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_tiny_fashion(folder: Path, *, train: int = 20, test: int = 10, gz: bool = False, seed: int = 0) -> dict:
    """Write the four idx files (``.gz`` if ``gz``) into ``folder``; returns the arrays written, by split."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, count in (("train", train), ("test", test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        images_file, labels_file = fashion_mnist.FILES[split]
        for name, array in ((images_file, images), (labels_file, labels)):
            data = idx_bytes(array)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
        written[split] = (images, labels)
    return written
