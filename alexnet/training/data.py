"""Datasets to train on: the bundled digits, CIFAR-10 from a local folder, any image folder.

Every dataset yields ``(image, label)`` with ``image`` a float tensor ``(C, S, S)``, where S is
the configured input size and C its channel count, normalised per channel:

    x = (pixel / 255 - mean[c]) / std[c]

with ImageNet's mean and standard deviation, the statistics torchvision's pretrained AlexNet
expects; one-channel networks use their averages (0.449, 0.226). The constants come from
``alexnet.inspect.images.normalization``, which also prepares the Activations page's images, so a
trained network sees the same kind of numbers there as in training.

- ``digits`` (default, offline): scikit-learn's 1,797 handwritten digits, 8x8 grey pixels with
  values 0..16, 10 classes. Resized once to S x S (bilinear) and kept as uint8 tensors, so an
  epoch never touches PIL; a grey digit is repeated on each of the C channels.
- ``fashion-mnist``: Zalando's 70,000 article photos, 28x28 grey, 10 classes, found on this
  machine (Debian's ``dataset-fashion-mnist``, or torchvision's layout under ``data_dir``; see
  ``alexnet.training.fashion_mnist``) or downloaded when asked. The official 60,000 training
  images train; the 10,000 test images validate.
- ``cifar10``: torchvision's CIFAR-10 (50,000 training and 10,000 test images, 32x32 RGB) read
  from ``<data_dir>/cifar-10-batches-py``; downloaded only when asked (``alexnet.training.cifar10``).
  Its official test batch is the validation set.
- ``folder``: torchvision's ImageFolder (one sub-folder per class) at a path.

Images held in memory (digits, Fashion-MNIST, CIFAR-10) are resized a batch at a time when the
DataLoader asks for one (``ImageTensors.__getitems__``): one bilinear resize of B images, never a
resized copy of the whole set (Fashion-MNIST at the paper's 227 px would take 3.1 GB).

``digits`` and ``folder`` are split into training and validation sets with a fixed seed, so the
same images are held out in every run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

from alexnet.errors import AlexNetError
from alexnet.inspect.images import digits_arrays, normalization
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.training import cifar10, fashion_mnist
from alexnet.training.data_dir import DEFAULT_DATA_DIR

DATASETS = ("digits", fashion_mnist.NAME, "cifar10", "folder")
# The command line's default network (cifar preset) at a dataset's own size when none is given:
# at 32 px a garment is upscaled and an epoch takes 1.5x as long, for no accuracy (README).
DEFAULT_INPUT_SIZES = {fashion_mnist.NAME: fashion_mnist.SIDE}
FLIPPABLE = (fashion_mnist.NAME, "cifar10")  # a mirrored garment or photo shows the same class
SUBSETTABLE = (fashion_mnist.NAME, "cifar10")  # tens of thousands of images: a share still trains (subset.py)
# each dataset as a learner reads its name
DATASET_LABELS = {
    "digits": "Digits (bundled, 8x8)",
    fashion_mnist.NAME: "Fashion-MNIST (28x28 clothes)",
    "cifar10": "CIFAR-10 (32x32 photos)",
    "folder": "Your image folder",
}
# ... and inside a sentence ("one epoch of the digits")
DATASET_NAMES = {
    "digits": "the digits",
    fashion_mnist.NAME: "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "folder": "your images",
}
CIFAR_FOLDER = cifar10.FOLDER
CIFAR_URL = cifar10.URL
DIGITS_IMAGES = 1797
VAL_FRACTION = 0.2  # share of digits / folder images held out for validation
SPLIT_SEED = 0  # the held-out images are the same in every run
# Resize the whole digits set once up to this many stored pixels (uint8 bytes); above that
# (input sizes over ~450) each image is resized when it is read, to keep memory small.
PRERESIZE_LIMIT_BYTES = 400_000_000


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1], ``(..., C, H, W)``, to the network's input: ``(x - mean[c]) / std[c]``."""
    mean, std = normalization(images.shape[-3])
    mean_t = torch.tensor(mean, dtype=images.dtype, device=images.device).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=images.dtype, device=images.device).view(-1, 1, 1)
    return (images - mean_t) / std_t


class ImageTensors(Dataset):
    """Images kept in memory as uint8 ``(N, c, h, w)``; items come out normalised ``(C, S, S)``.

    ``c`` may be 1 (grey) or 3; a grey image is repeated on every channel, an RGB one is
    averaged to grey for a one-channel network. Images not already S x S are resized when read
    (bilinear, on tensors: no PIL).
    """

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor, *, size: int, channels: int, flip: bool = False
    ) -> None:
        self.images = images  # (N, c, h, w) uint8
        self.labels = labels  # (N,) int64
        self.size = size
        self.channels = channels
        # mirror each image left-right with probability 1/2, drawn from torch's global generator
        # (which a checkpoint saves, so a resumed run flips the images it would have flipped)
        self.flip = flip
        mean, std = normalization(channels)
        self.mean = torch.tensor(mean).view(-1, 1, 1)  # (C, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.__getitems__([index])[0]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, int]]:
        """The images at ``indices`` as one batch: one resize and one normalisation for all B of
        them. torch's DataLoader calls this, when a dataset has it, instead of B ``__getitem__``."""
        index = torch.as_tensor(indices, dtype=torch.long)
        images = self.images[index].float().div_(255)  # (B, c, h, w) in [0, 1]
        if self.flip:
            mirrored = torch.rand(len(index)) < 0.5  # (B,)
            images[mirrored] = images[mirrored].flip(-1)
        if images.shape[-1] != self.size or images.shape[-2] != self.size:
            images = _resize(images, self.size)  # (B, c, S, S)
        images = (_to_channels(images, self.channels) - self.mean) / self.std  # (B, C, S, S)
        return list(zip(images.unbind(0), self.labels[index].tolist(), strict=True))


@dataclass(frozen=True)
class DataSplit:
    """A dataset ready to train on: training and validation sets and the class names."""

    name: str  # one of DATASETS
    train: Dataset
    val: Dataset
    classes: tuple[str, ...]
    val_set: str = "held out"  # what validates: "held out" (a fixed share of one set) or "test" (the official test set)
    train_of: int | None = None  # the whole training set's size, when ``train`` is a share of it (``subset``)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def describe(self) -> dict[str, Any]:
        """Plain facts for the run's config.json."""
        return {
            "name": self.name,
            "classes": list(self.classes),
            "train_images": len(self.train),  # type: ignore[arg-type]
            "val_images": len(self.val),  # type: ignore[arg-type]
            "val_set": self.val_set,
        } | ({"train_images_of": self.train_of} if self.train_of else {})


def load_dataset(
    name: str,
    *,
    input_size: int,
    channels: int = 3,
    data_dir: str | Path | None = None,
    download: bool = False,
    flip: bool = False,
) -> DataSplit:
    """The named dataset, resized to ``input_size`` x ``input_size`` with ``channels`` channels.

    Args:
        name: one of ``DATASETS``.
        input_size: S, the network's input width and height in pixels.
        channels: the network's input channels (1 or 3).
        data_dir: for ``cifar10`` the folder holding ``cifar-10-batches-py``, for ``fashion-mnist``
            the one holding ``FashionMNIST/raw`` (default ``<repo>/data``); for ``folder`` the image
            folder itself.
        download: ``cifar10`` and ``fashion-mnist`` only: fetch the files (163 MB, 30 MB) if missing.
        flip: ``cifar10`` and ``fashion-mnist`` only: mirror each training image left-right with
            probability 1/2 (validation images never). A mirrored shoe is a shoe; a mirrored 3 is no digit.

    Raises:
        AlexNetError: unknown name, missing files, or an unusable folder.
    """
    if channels not in (1, 3):
        raise AlexNetError(
            f"Training needs images with 1 (grey) or 3 (RGB) channels, not {channels}.",
            fix="set the network's input channels to 1 or 3.",
        )
    if flip and name not in FLIPPABLE:
        raise AlexNetError(
            f"Flipping the training images is offered for {' and '.join(FLIPPABLE)} only, not {name}.",
            fix="turn flips off: a mirrored digit is no digit, and an image folder's classes may not survive it.",
        )
    if name == "digits":
        return _digits(input_size, channels)
    if name == fashion_mnist.NAME:
        return _fashion_mnist(Path(data_dir) if data_dir else DEFAULT_DATA_DIR, input_size, channels, download, flip)
    if name == "cifar10":
        return _cifar10(Path(data_dir) if data_dir else DEFAULT_DATA_DIR, input_size, channels, download, flip)
    if name == "folder":
        if not data_dir:
            raise AlexNetError("The folder dataset needs a path.", fix="give --data-dir with one sub-folder per class.")
        return _folder(Path(data_dir), input_size, channels)
    raise AlexNetError(f"There is no dataset called {name!r}.", fix=f"choose one of {', '.join(DATASETS)}.")


def default_network(dataset: str | None) -> AlexNetConfig:
    """The network a command trains when it is named none: the cifar preset, at the images' own
    size where that differs (``DEFAULT_INPUT_SIZES``)."""
    network = PRESETS["cifar"]
    size = DEFAULT_INPUT_SIZES.get(dataset or "")
    return replace(network, input_size=size) if size else network


def train_images(name: str) -> int | None:
    """Images in one training epoch of a bundled or known dataset (``None`` for ``folder``)."""
    if name == "digits":
        return DIGITS_IMAGES - len(split_indices(DIGITS_IMAGES)[1])
    return {fashion_mnist.NAME: fashion_mnist.TRAIN_IMAGES, "cifar10": cifar10.TRAIN_IMAGES}.get(name)


def val_images(name: str) -> int | None:
    """Images in one validation pass of a bundled or known dataset (``None`` for ``folder``)."""
    if name == "digits":
        return len(split_indices(DIGITS_IMAGES)[1])
    return {fashion_mnist.NAME: fashion_mnist.TEST_IMAGES, "cifar10": cifar10.TEST_IMAGES}.get(name)


def split_indices(n: int, val_fraction: float = VAL_FRACTION, seed: int = SPLIT_SEED) -> tuple[list[int], list[int]]:
    """A fixed random split of ``range(n)`` into (train, validation) index lists."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = max(1, round(n * val_fraction)) if n > 1 else 0
    return sorted(order[n_val:]), sorted(order[:n_val])


# The digits never change, so one resize per input size serves every run in a process. A few
# sizes at most: at 227 px the resized set is 93 MB, and the app's server lives for days.
@functools.lru_cache(maxsize=2)
def _digits_at(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(1797, 1, S, S) uint8 images (pre-resized when small enough) and (1797,) int64 labels."""
    images, labels = digits_arrays()
    pixels = torch.from_numpy(images).float().div(16).unsqueeze(1)  # (1797, 1, 8, 8) in [0, 1]
    if len(pixels) * size * size <= PRERESIZE_LIMIT_BYTES:
        pixels = _resize(pixels, size)  # (1797, 1, S, S): once, not every epoch
    return pixels.mul(255).round().to(torch.uint8), torch.from_numpy(labels).long()


def _digits(size: int, channels: int) -> DataSplit:
    images, labels = _digits_at(size)
    full = ImageTensors(images, labels, size=size, channels=channels)
    train, val = split_indices(len(full))
    return DataSplit("digits", Subset(full, train), Subset(full, val), tuple(str(d) for d in range(10)))


def _fashion_mnist(root: Path, size: int, channels: int, download: bool, flip: bool) -> DataSplit:
    splits = fashion_mnist.load(fashion_mnist.find_or_fetch(root, download=download))
    train = ImageTensors(*splits["train"], size=size, channels=channels, flip=flip)
    test = ImageTensors(*splits["test"], size=size, channels=channels)
    return DataSplit(fashion_mnist.NAME, train, test, fashion_mnist.CLASSES, val_set="test")


def _cifar10(root: Path, size: int, channels: int, download: bool, flip: bool) -> DataSplit:
    splits, classes = cifar10.load(root, download)
    train = ImageTensors(*splits["train"], size=size, channels=channels, flip=flip)
    test = ImageTensors(*splits["test"], size=size, channels=channels)
    return DataSplit(cifar10.NAME, train, test, classes, val_set="test")


def _folder(path: Path, size: int, channels: int) -> DataSplit:
    from torchvision import datasets, transforms

    if not path.is_dir():
        raise AlexNetError(f"The image folder {path} does not exist.", fix="give a folder with a sub-folder per class.")
    transform = transforms.Compose(
        [
            transforms.Resize((size, size)),
            transforms.Grayscale(1) if channels == 1 else transforms.Lambda(lambda im: im.convert("RGB")),
            transforms.ToTensor(),  # (C, S, S) in [0, 1]
            transforms.Lambda(normalize),
        ]
    )
    try:
        full = datasets.ImageFolder(str(path), transform=transform)
    except (FileNotFoundError, OSError) as exc:
        raise AlexNetError(
            f"{path} cannot be used as an image folder ({exc}).",
            fix="put the images in one sub-folder per class, e.g. cats/1.jpg and dogs/2.jpg.",
        ) from None
    if len(full.classes) < 2:
        raise AlexNetError(f"{path} has only one class folder.", fix="add a sub-folder for each class (at least two).")
    train, val = split_indices(len(full))
    return DataSplit("folder", Subset(full, train), Subset(full, val), tuple(full.classes))


def _resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of ``(N, C, h, w)`` floats to ``(N, C, size, size)``; antialiased when shrinking."""
    shrinking = size < images.shape[-1]
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=shrinking)


def _to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """``(B, c, S, S)`` with c in {1, 3} to ``(B, channels, S, S)``: repeat grey, or average RGB."""
    if images.shape[1] == channels:
        return images
    if images.shape[1] == 1:
        return images.expand(-1, channels, -1, -1)
    return images.mean(1, keepdim=True)
