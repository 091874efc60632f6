"""Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): Zalando's 70,000 article photos, 28x28 grey, 10 classes.

The official split is 60,000 training images and 10,000 test images; this project trains on the
first and validates (and tests) on the second, as the dataset's own benchmark does.

Where the files are found, in this order (``find_or_fetch``):

1. ``<data_dir>/FashionMNIST/raw/``, torchvision's layout: the four uncompressed idx files
   (``train-images-idx3-ubyte`` ...), read by torchvision's own idx reader. ``data_dir`` is the
   user's ``--data-dir``, else ``<repo>/data``.
2. The same folder holding the ``.gz`` files only (as downloaded by hand), or Debian's package
   ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/*.gz``, 30 MB). torchvision reads
   no ``.gz``, so they are unpacked once (53 MB) into the folder of 1, each file written whole or
   not at all.
3. Downloaded by torchvision, only when asked (``download=True``).

Offline and absent, the error gives the command that installs Debian's package.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from alexnet.errors import AlexNetError, first_line
from alexnet.training.data_dir import DEFAULT_DATA_DIR

if TYPE_CHECKING:  # torch is imported where files are read: ``present`` is asked on a page's first paint
    import numpy as np
    import torch

NAME = "fashion-mnist"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
INSTALL_COMMAND = "sudo apt-get install dataset-fashion-mnist"
FOLDER = "FashionMNIST"  # torchvision's: <root>/FashionMNIST/raw/
TRAIN_IMAGES = 60_000
TEST_IMAGES = 10_000
SIDE = 28  # pixels
# torchvision.datasets.FashionMNIST.classes, in label order; kept here so that naming a class
# never imports torchvision
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# split -> (images file, labels file), as torchvision and the dataset's authors name them
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ALL_FILES = tuple(name for pair in FILES.values() for name in pair)


def raw_folder(data_dir: Path) -> Path:
    """``<data_dir>/FashionMNIST/raw``: where torchvision keeps (and this module unpacks) the idx files."""
    return data_dir / FOLDER / "raw"


def present(data_dir: Path) -> bool:
    """Whether Fashion-MNIST can be read without a download: unpacked, or as ``.gz`` here or in Debian's folder."""
    return _unpacked(raw_folder(data_dir)) or _gz_source(data_dir) is not None


def on_this_machine() -> bool:
    """``present`` in the default data folder: what the app offers without being told a folder."""
    return present(DEFAULT_DATA_DIR)


def find_or_fetch(data_dir: Path, *, download: bool = False) -> Path:
    """The folder holding the four uncompressed idx files, unpacking or downloading them if needed.

    Raises:
        AlexNetError: not found (with the command that installs it), a download that failed, a
            ``.gz`` file that cannot be unpacked, or a folder that cannot be written.
    """
    raw = raw_folder(data_dir)
    if _unpacked(raw):
        return raw
    source = _gz_source(data_dir)
    if source is not None:
        _unpack(source, raw)
        return raw
    if download:
        _download(data_dir)
        if _unpacked(raw):
            return raw
    raise AlexNetError(
        f"Fashion-MNIST is not on this machine (looked in {raw} and {SYSTEM_DIR}).",
        fix=f"install Debian's copy with `{INSTALL_COMMAND}` (30 MB, no other download), put the four idx files "
        f"in {raw}, or let the app download it (--download on the command line).",
    )


def load_split(raw: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``split``'s ("train" or "test") images ``(N, 1, 28, 28)`` uint8 and labels ``(N,)`` int64.

    Raises:
        AlexNetError: a file that is not an idx file of the right kind (wrong magic number, cut
            short, wrong sizes), or labels that do not match the images, naming the file.
    """
    images_file, labels_file = (raw / name for name in FILES[split])
    images = _read(images_file, dims=3)  # (N, 28, 28)
    labels = _read(labels_file, dims=1)  # (N,)
    if images.shape[1:] != (SIDE, SIDE):
        raise _damaged(images_file, f"its images are {images.shape[1]}x{images.shape[2]}, not {SIDE}x{SIDE} pixels")
    if len(labels) != len(images):
        raise _damaged(labels_file, f"it holds {len(labels):,} labels for {len(images):,} images")
    if len(labels) and not (int(labels.min()) >= 0 and int(labels.max()) < len(CLASSES)):
        raise _damaged(labels_file, f"its labels run from {int(labels.min())} to {int(labels.max())}, not 0 to 9")
    return images.unsqueeze(1).contiguous(), labels.long()


@functools.lru_cache(maxsize=2)
def load(raw: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Both splits of the folder ``raw`` (55 MB of uint8): read once per process, shared by every run and page."""
    return {split: load_split(raw, split) for split in FILES}


def _unpacked(raw: Path) -> bool:
    return all((raw / name).is_file() for name in ALL_FILES)


def _gz_source(data_dir: Path) -> Path | None:
    """A folder holding the four ``.gz`` files: the user's own first, then Debian's."""
    for folder in (raw_folder(data_dir), SYSTEM_DIR):
        if all((folder / f"{name}.gz").is_file() for name in ALL_FILES):
            return folder
    return None


def _unpack(source: Path, raw: Path) -> None:
    """Unpack ``source``'s four ``.gz`` files into ``raw``; each appears whole (written aside, then renamed)."""
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AlexNetError(
            f"Fashion-MNIST cannot be unpacked into {raw} ({first_line(exc)}).",
            fix="choose a folder you can write with --data-dir (53 MB are needed).",
        ) from None
    for name in ALL_FILES:
        target, packed = raw / name, source / f"{name}.gz"
        if target.is_file():
            continue
        handle, temporary = tempfile.mkstemp(dir=raw, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out, gzip.open(packed, "rb") as data:
                shutil.copyfileobj(data, out, length=1 << 20)
            os.chmod(temporary, 0o644)  # mkstemp makes it private: the dataset is not
            os.replace(temporary, target)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            Path(temporary).unlink(missing_ok=True)
            fix = (
                "reinstall it: `sudo apt-get install --reinstall dataset-fashion-mnist`."
                if source == SYSTEM_DIR
                else f"delete {packed} and fetch it again (or install Debian's copy: `{INSTALL_COMMAND}`)."
            )
            raise AlexNetError(f"{packed} cannot be unpacked ({first_line(exc)}).", fix=fix) from None


def _download(data_dir: Path) -> None:
    from torchvision.datasets import FashionMNIST

    try:
        for train in (True, False):
            FashionMNIST(str(data_dir), train=train, download=True)
    except Exception as exc:  # offline, proxy, disk full: all the same to the learner
        raise AlexNetError(
            f"Could not download Fashion-MNIST ({type(exc).__name__}: {first_line(exc)}).",
            fix=f"install Debian's copy with `{INSTALL_COMMAND}` (30 MB), or put the four idx files in "
            f"{raw_folder(data_dir)}.",
        ) from None


def _read(path: Path, *, dims: int) -> torch.Tensor:
    """An idx file read by torchvision's reader, its problems named with the file."""
    import torch
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    try:
        # strict: the header's sizes must match the bytes that follow (a file cut short fails here)
        tensor = read_sn3_pascalvincent_tensor(str(path), strict=True)
    except (AssertionError, KeyError, RuntimeError, ValueError, OSError) as exc:
        raise _damaged(path, f"it is not a readable idx file ({type(exc).__name__}: {first_line(exc)})") from None
    if tensor.dtype != torch.uint8 or tensor.dim() != dims:
        raise _damaged(path, f"it holds {tensor.dim()}-d {tensor.dtype} data, not {dims}-d uint8")
    return tensor


def _damaged(path: Path, why: str) -> AlexNetError:
    if _gz_source(path.parent.parent.parent) == SYSTEM_DIR:
        fix = f"delete {path.parent}: it is unpacked again from Debian's copy in {SYSTEM_DIR}."
    else:
        fix = f"delete {path.parent} and put the four files back, or install Debian's copy: `{INSTALL_COMMAND}`."
    return AlexNetError(f"The Fashion-MNIST file {path} is damaged: {why}.", fix=fix)


def picture(data_dir: Path, class_index: int, nth: int = 0) -> np.ndarray:
    """The ``nth`` test image of class ``class_index`` (0 = T-shirt/top ... 9 = Ankle boot) as a
    (28, 28, 3) uint8 picture: the grey photo copied into three channels, light garment on black.

    Raises:
        AlexNetError: Fashion-MNIST is not on this machine, or no such class or example.
    """
    import numpy as np
    import torch

    if not 0 <= class_index < len(CLASSES):
        raise AlexNetError(f"There is no class {class_index!r}.", fix=f"choose a class from 0 to {len(CLASSES) - 1}.")
    images, labels = load(find_or_fetch(data_dir))["test"]
    indices = torch.nonzero(labels == class_index).flatten()
    if not 0 <= nth < len(indices):
        raise AlexNetError(
            f"There are {len(indices)} test images of {CLASSES[class_index]}, numbered 0 to {len(indices) - 1}.",
            fix="choose an example in that range.",
        )
    grey = images[int(indices[nth]), 0].numpy()  # (28, 28)
    return np.repeat(grey[:, :, None], 3, axis=2)
