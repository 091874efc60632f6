"""CIFAR-10 (Krizhevsky 2009), the article's dataset: 60,000 photos, 32x32 RGB, 10 classes.

torchvision's reader takes the python version's pickled batches from
``<data_dir>/cifar-10-batches-py`` (``data_batch_1`` ... ``data_batch_5``, ``test_batch``,
``batches.meta``): 50,000 training images and 10,000 test images, the official test batch
validating. Nothing is downloaded unless asked (``download=True``, 163 MB); offline and absent,
the error says where to put the files.
"""

from __future__ import annotations

import functools
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alexnet.errors import AlexNetError

NAME = "cifar10"
FOLDER = "cifar-10-batches-py"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
TRAIN_IMAGES = 50_000
TEST_IMAGES = 10_000


def load(root: Path, download: bool) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor]], tuple[str, ...]]:
    """({"train": (images, labels), "test": (images, labels)}, class names) from ``root / FOLDER``:
    images ``(N, 3, 32, 32)`` uint8, labels ``(N,)`` int64.

    Raises:
        AlexNetError: missing (with where to put it), unreadable, or a failed download.
    """
    folder = root / FOLDER
    if download and not _cifar_class().present(root):
        try:
            _cifar_class()(str(root), train=True, download=True)
        except Exception as exc:  # offline, proxy, disk full: all the same to the learner
            raise AlexNetError(
                f"Could not download CIFAR-10 ({type(exc).__name__}: {exc}).",
                fix=f"download {URL} yourself and unpack it in {root}, so that {folder} "
                "holds data_batch_1 ... data_batch_5, test_batch and batches.meta.",
            ) from None
    if not _cifar_class().present(root):
        raise AlexNetError(
            f"CIFAR-10 is not in {folder}.",
            fix=f"unpack {URL} in {root} (it creates the folder {FOLDER} with data_batch_1 ... "
            "data_batch_5, test_batch and batches.meta), choose another folder with --data-dir, or let the app "
            "download it (--download on the command line).",
        )
    try:
        train, test = _cifar_class()(str(root), train=True), _cifar_class()(str(root), train=False)
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, OSError) as exc:
        raise AlexNetError(
            f"The CIFAR-10 files in {folder} cannot be read ({type(exc).__name__}: {exc}).",
            fix=f"delete {folder} and unpack {URL} again.",
        ) from None

    def tensors(ds: Any) -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2)  # (N, 32, 32, 3) -> (N, 3, 32, 32)
        return images, torch.tensor(ds.targets, dtype=torch.long)

    return {"train": tensors(train), "test": tensors(test)}, tuple(train.classes)


@functools.cache
def _cifar_class() -> Any:
    """torchvision's CIFAR10, trusting files already present (no MD5 pass over 170 MB).

    Built on first use: importing torchvision costs a second and a half that ``digits`` never needs.
    """
    from torchvision.datasets import CIFAR10

    class LocalCIFAR10(CIFAR10):
        files = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")

        @classmethod
        def present(cls, root: Path) -> bool:
            return all(os.path.isfile(root / FOLDER / name) for name in cls.files)

        def _check_integrity(self) -> bool:
            return self.present(Path(self.root))

        def _load_meta(self) -> None:
            with open(os.path.join(self.root, self.base_folder, self.meta["filename"]), "rb") as infile:
                self.classes = pickle.load(infile, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    return LocalCIFAR10
