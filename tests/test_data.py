"""Datasets: the bundled digits, CIFAR-10 read from a folder in its real pickle format, image folders."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from alexnet.errors import AlexNetError
from alexnet.inspect.images import normalization
from alexnet.training import data
from alexnet.training.data import CIFAR_FOLDER, load_dataset, split_indices, train_images


def unnormalize(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) network input back to pixels in [0, 1], with the constants the app uses."""
    mean, std = normalization(image.shape[0])
    return image * torch.tensor(std).view(-1, 1, 1) + torch.tensor(mean).view(-1, 1, 1)


def test_digits_resized_once_to_the_input_size_with_grey_on_every_channel():
    split = load_dataset("digits", input_size=20, channels=3)
    assert (len(split.train), len(split.val)) == (1438, 359)
    assert split.num_classes == 10
    stored = split.train.dataset.images
    assert stored.dtype == torch.uint8 and stored.shape == (1797, 1, 20, 20)  # resized once, kept small
    image, label = split.train[0]
    assert image.shape == (3, 20, 20) and 0 <= label < 10
    pixels = unnormalize(image)
    assert torch.allclose(pixels[0], pixels[1], atol=1e-5) and torch.allclose(pixels[0], pixels[2], atol=1e-5)
    assert pixels.min() >= -1e-5 and pixels.max() <= 1 + 1e-5
    assert load_dataset("digits", input_size=20, channels=1).train.dataset.images is stored  # cached


def test_digits_pixels_match_scikit_learn():
    from sklearn.datasets import load_digits

    split = load_dataset("digits", input_size=8, channels=1)  # no resize: the pixels themselves
    full = split.train.dataset
    raw = load_digits()
    index = split.train.indices[5]
    image, label = full[index]
    assert label == raw.target[index]
    expected = torch.from_numpy(raw.images[index]).float() / 16
    assert torch.allclose(unnormalize(image)[0], expected, atol=1 / 255)


def test_split_is_fixed_disjoint_and_complete():
    train, val = split_indices(100)
    assert (train, val) == split_indices(100)
    assert len(val) == 20 and not set(train) & set(val) and sorted(train + val) == list(range(100))
    assert train_images("digits") == len(load_dataset("digits", input_size=8).train)


def write_tiny_cifar(root: Path, per_batch: int = 4, test: int = 3) -> dict[str, np.ndarray]:
    """CIFAR-10's real layout: pickled dicts with b"data" (N, 3072) uint8 rows (R plane, G, B) and labels."""
    folder = root / CIFAR_FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = test if name == "test_batch" else per_batch
        rows = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        with open(folder / name, "wb") as f:
            pickle.dump(
                {"batch_label": name, "labels": labels, "data": rows, "filenames": [f"{i}.png" for i in range(n)]}, f
            )
        written[name] = rows
        written[name + "_labels"] = np.array(labels)
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"num_cases_per_batch": per_batch, "label_names": classes, "num_vis": 3072}, f)
    return written


def test_cifar10_from_a_folder_in_the_real_pickle_format(tmp_path):
    written = write_tiny_cifar(tmp_path)
    split = load_dataset("cifar10", input_size=32, channels=3, data_dir=tmp_path)
    assert (len(split.train), len(split.val)) == (20, 3)  # five training batches; the test batch validates
    assert split.classes[0] == "airplane" and split.num_classes == 10
    image, label = split.train[0]
    assert image.shape == (3, 32, 32) and label == written["data_batch_1_labels"][0]
    expected = torch.from_numpy(written["data_batch_1"][0].reshape(3, 32, 32)).float() / 255  # row = R, G, B planes
    assert torch.allclose(unnormalize(image), expected, atol=1e-5)
    _, val_label = split.val[2]
    assert val_label == written["test_batch_labels"][2]


def test_cifar10_resized_and_grey(tmp_path):
    write_tiny_cifar(tmp_path)
    split = load_dataset("cifar10", input_size=16, channels=1, data_dir=tmp_path)
    image, _ = split.val[0]
    assert image.shape == (1, 16, 16)


def test_cifar10_missing_says_where_to_put_the_files(tmp_path):
    with pytest.raises(AlexNetError) as info:
        load_dataset("cifar10", input_size=32, data_dir=tmp_path)
    message = info.value.message
    assert str(tmp_path / CIFAR_FOLDER) in message and "data_batch_1" in message and "--download" in message


def test_cifar10_download_failure_is_explained(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as cifar

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(cifar, "download_and_extract_archive", offline)
    with pytest.raises(AlexNetError) as info:
        load_dataset("cifar10", input_size=32, data_dir=tmp_path, download=True)
    assert "Could not download CIFAR-10" in info.value.message and "Network is unreachable" in info.value.message
    assert data.CIFAR_URL in info.value.message


def test_cifar10_corrupt_file_is_explained(tmp_path):
    write_tiny_cifar(tmp_path)
    (tmp_path / CIFAR_FOLDER / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(AlexNetError, match="cannot be read"):
        load_dataset("cifar10", input_size=32, data_dir=tmp_path)


def test_image_folder(tmp_path):
    for cls, value in (("cats", 30), ("dogs", 220)):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.fromarray(np.full((12, 20, 3), value, dtype=np.uint8)).save(tmp_path / cls / f"{i}.png")
    split = load_dataset("folder", input_size=16, channels=3, data_dir=tmp_path)
    assert split.classes == ("cats", "dogs") and len(split.train) + len(split.val) == 10 and len(split.val) == 2
    image, label = split.train[0]
    assert image.shape == (3, 16, 16)
    assert torch.allclose(unnormalize(image), torch.full((3, 16, 16), (30, 220)[label] / 255), atol=1e-5)


@pytest.mark.parametrize(
    ("name", "kwargs", "words"),
    [
        ("imagenet", {}, "no dataset called"),
        ("digits", {"channels": 2}, "1 (grey) or 3 (RGB)"),
        ("folder", {}, "needs a path"),
        ("folder", {"data_dir": "/nonexistent/images"}, "does not exist"),
    ],
)
def test_unusable_requests_are_explained(name, kwargs, words):
    with pytest.raises(AlexNetError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(name, input_size=16, **kwargs)


def test_one_class_folder_is_refused(tmp_path):
    (tmp_path / "only").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "only" / "a.png")
    with pytest.raises(AlexNetError, match="only one class"):
        load_dataset("folder", input_size=8, data_dir=tmp_path)
