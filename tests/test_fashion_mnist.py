"""Fashion-MNIST: found in torchvision's layout or Debian's package, unpacked once, read by
torchvision's idx reader, damaged files named, and batches resized a batch at a time."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from alexnet.errors import AlexNetError
from alexnet.training import fashion_mnist
from alexnet.training.data import ImageTensors, load_dataset
from tests.fashion_support import idx_bytes, write_tiny_fashion
from tests.test_data import unnormalize


@pytest.fixture
def no_system_copy(tmp_path, monkeypatch):
    """Debian's folder as if the package were not installed, whatever this machine has."""
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "no-package")
    fashion_mnist.load.cache_clear()
    yield
    fashion_mnist.load.cache_clear()


def test_read_from_torchvisions_layout_with_the_official_split_and_class_names(tmp_path, no_system_copy):
    written = write_tiny_fashion(fashion_mnist.raw_folder(tmp_path), train=20, test=10)
    split = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=tmp_path)
    assert (len(split.train), len(split.val)) == (20, 10)  # the test images validate
    assert split.classes[0] == "T-shirt/top" and split.classes[9] == "Ankle boot" and split.num_classes == 10
    assert split.describe() | {"classes": None} == {
        "name": "fashion-mnist",
        "classes": None,
        "train_images": 20,
        "val_images": 10,
        "val_set": "test",
    }
    image, label = split.val[3]
    assert image.shape == (1, 28, 28) and label == 3
    pixels = unnormalize(image)[0].mul(255).round().to(torch.uint8).numpy()
    np.testing.assert_array_equal(pixels, written["test"][0][3])


def test_gz_files_in_the_data_folder_are_unpacked_once_and_read(tmp_path, no_system_copy):
    raw = fashion_mnist.raw_folder(tmp_path)
    written = write_tiny_fashion(raw, gz=True)
    assert fashion_mnist.present(tmp_path)
    split = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=tmp_path)
    assert all((raw / name).is_file() for name in fashion_mnist.ALL_FILES)
    assert not list(raw.glob(".*part"))  # no half-written file left behind
    pixels = unnormalize(split.train[5][0])[0].mul(255).round().to(torch.uint8).numpy()
    np.testing.assert_array_equal(pixels, written["train"][0][5])


def test_debians_copy_is_unpacked_into_the_data_folder(tmp_path, monkeypatch):
    system = tmp_path / "usr-share-datasets"
    written = write_tiny_fashion(system, gz=True, seed=3)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", system)
    fashion_mnist.load.cache_clear()
    data_dir = tmp_path / "data"
    split = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=data_dir)
    raw = fashion_mnist.raw_folder(data_dir)
    assert (raw / "train-images-idx3-ubyte").read_bytes() == idx_bytes(written["train"][0])
    assert [split.train[i][1] for i in range(12)] == [i % 10 for i in range(12)]
    assert oct((raw / "train-labels-idx1-ubyte").stat().st_mode & 0o777) == oct(0o644)


def test_absent_and_offline_gives_the_command_that_installs_it(tmp_path, no_system_copy):
    assert not fashion_mnist.present(tmp_path)
    with pytest.raises(AlexNetError) as caught:
        load_dataset("fashion-mnist", input_size=28, data_dir=tmp_path)
    assert "apt-get install dataset-fashion-mnist" in caught.value.message
    assert str(fashion_mnist.raw_folder(tmp_path)) in caught.value.message and "--download" in caught.value.message


def test_a_failed_download_is_explained(tmp_path, no_system_copy, monkeypatch):
    import torchvision.datasets.mnist as mnist

    def offline(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist, "download_and_extract_archive", offline)
    with pytest.raises(AlexNetError, match="Could not download Fashion-MNIST") as caught:
        load_dataset("fashion-mnist", input_size=28, data_dir=tmp_path, download=True)
    assert "name resolution" in caught.value.message and "apt-get install" in caught.value.message


def _damage(raw, name, data):
    (raw / name).write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "file", "words"),
    [
        ("cut short", "train-images-idx3-ubyte", "not a readable idx file"),
        ("wrong magic", "t10k-images-idx3-ubyte", "not a readable idx file"),
        ("labels as images", "train-images-idx3-ubyte", "1-d"),
        ("too few labels", "t10k-labels-idx1-ubyte", "9 labels for 10 images"),
        ("label 12", "train-labels-idx1-ubyte", "run from 0 to 12"),
        ("wrong size", "t10k-images-idx3-ubyte", "27x28"),
        ("empty", "train-labels-idx1-ubyte", "not a readable idx file"),
    ],
)
def test_a_damaged_file_is_named_never_a_traceback(tmp_path, no_system_copy, damage, file, words):
    raw = fashion_mnist.raw_folder(tmp_path)
    write_tiny_fashion(raw, train=20, test=10)
    good = (raw / file).read_bytes()
    broken = {
        "cut short": good[: len(good) // 2],
        "wrong magic": b"\x00\x00\x0d\x03" + good[4:],  # 0x0d: float32, not uint8
        "labels as images": idx_bytes(np.zeros(20, np.uint8)),
        "too few labels": idx_bytes(np.zeros(9, np.uint8)),
        "label 12": idx_bytes(np.r_[np.zeros(19), 12].astype(np.uint8)),
        "wrong size": idx_bytes(np.zeros((10, 27, 28), np.uint8)),
        "empty": b"",
    }[damage]
    _damage(raw, file, broken)
    with pytest.raises(AlexNetError) as caught:
        load_dataset("fashion-mnist", input_size=28, data_dir=tmp_path)
    assert str(raw / file) in caught.value.message and words in caught.value.message
    assert "delete" in caught.value.message


def test_a_truncated_gz_is_named_and_leaves_nothing_half_unpacked(tmp_path, no_system_copy):
    raw = fashion_mnist.raw_folder(tmp_path)
    write_tiny_fashion(raw, gz=True)
    packed = raw / "train-images-idx3-ubyte.gz"
    packed.write_bytes(packed.read_bytes()[:-40])
    with pytest.raises(AlexNetError) as caught:
        load_dataset("fashion-mnist", input_size=28, data_dir=tmp_path)
    assert str(packed) in caught.value.message and "cannot be unpacked" in caught.value.message
    assert not (raw / "train-images-idx3-ubyte").exists() and not list(raw.glob(".*part"))


def test_a_batch_is_resized_at_once_as_each_image_would_be():
    images = torch.randint(0, 256, (6, 1, 28, 28), dtype=torch.uint8)
    dataset = ImageTensors(images, torch.arange(6), size=227, channels=3)
    batch = dataset.__getitems__([4, 0, 5])
    assert [label for _, label in batch] == [4, 0, 5]
    for (image, _), i in zip(batch, [4, 0, 5], strict=True):
        alone = F.interpolate(images[i : i + 1].float() / 255, size=(227, 227), mode="bilinear", align_corners=False)
        assert image.shape == (3, 227, 227)
        torch.testing.assert_close(unnormalize(image), alone[0].expand(3, -1, -1), atol=1e-5, rtol=0)
        torch.testing.assert_close(image, dataset[i][0])
    loaded, labels = next(iter(DataLoader(dataset, batch_size=4)))
    assert loaded.shape == (4, 3, 227, 227) and labels.tolist() == [0, 1, 2, 3]


def test_the_dataloader_asks_for_whole_batches(monkeypatch):
    dataset = ImageTensors(torch.zeros(10, 1, 28, 28, dtype=torch.uint8), torch.arange(10), size=32, channels=1)
    asked = []
    real = ImageTensors.__getitems__
    monkeypatch.setattr(ImageTensors, "__getitems__", lambda self, idx: asked.append(list(idx)) or real(self, idx))
    assert sum(len(labels) for _, labels in DataLoader(dataset, batch_size=4)) == 10
    assert asked == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.skipif(
    not all((fashion_mnist.SYSTEM_DIR / f"{name}.gz").is_file() for name in fashion_mnist.ALL_FILES),
    reason="Debian's dataset-fashion-mnist is not installed (make test installs it where it can)",
)
def test_debians_package_holds_the_official_sets(tmp_path):
    fashion_mnist.load.cache_clear()
    split = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=tmp_path)
    train_labels, test_labels = split.train.labels.numpy(), split.val.labels.numpy()
    assert (len(train_labels), len(test_labels)) == (60_000, 10_000)
    assert np.bincount(train_labels).tolist() == [6000] * 10 and np.bincount(test_labels).tolist() == [1000] * 10
    assert split.train[0][1] == 9  # the first training image is an ankle boot
    packed = gzip.decompress((fashion_mnist.SYSTEM_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert struct.unpack(">i", packed[4:8])[0] == 10_000


def test_flips_mirror_about_half_the_training_images_and_never_a_validation_image(tmp_path, no_system_copy):
    write_tiny_fashion(fashion_mnist.raw_folder(tmp_path), train=200, test=50)
    plain = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=tmp_path)
    flipped = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=tmp_path, flip=True)
    torch.manual_seed(0)
    batch = flipped.train.__getitems__(list(range(200)))
    mirrored = 0
    for i, (image, label) in enumerate(batch):
        original = plain.train[i][0]
        assert label == plain.train[i][1]
        if torch.equal(image, original.flip(-1)):
            mirrored += 1
        else:
            assert torch.equal(image, original)
    assert 70 < mirrored < 130  # 100 expected; 1/2 each
    assert all(torch.equal(flipped.val[i][0], plain.val[i][0]) for i in range(50))


def test_flips_are_refused_where_they_would_change_the_class():
    from alexnet.training.settings import TrainSettings

    with pytest.raises(AlexNetError, match="mirrored digit is no digit"):
        TrainSettings(dataset="digits", flip=True).check()
    with pytest.raises(AlexNetError, match="offered for fashion-mnist and cifar10 only"):
        load_dataset("digits", input_size=8, flip=True)
    TrainSettings(dataset="fashion-mnist", flip=True).check()


def test_the_command_lines_defaults_for_fashion_mnist_are_its_own_and_give_way_to_the_users():
    from alexnet.cli.train import build_parser, network_and_settings
    from alexnet.network.config import PRESETS
    from alexnet.training.settings import DATASET_CHANGES

    def given(*words):
        return network_and_settings(build_parser().parse_args(["--dataset", "fashion-mnist", *words]))

    config, settings = given()
    assert config.input_size == 28 and config.blocks == PRESETS["cifar"].blocks  # the small network at 28 px
    assert (settings.epochs, settings.flip, settings.batch_size) == (8, True, 64)  # 3 seeds over 91.6 % in 4 min
    assert settings.weight_decay == 0.05  # AdamW's, for garments
    _, sgd = given("--optimizer", "sgd")
    assert sgd.weight_decay == 5e-4  # SGD keeps its own scale
    config, settings = given("--preset", "cifar", "--epochs", "3", "--no-flip")
    assert (config.input_size, settings.epochs, settings.flip) == (32, 3, False)  # what the user named
    _, paper = given("--recipe", "paper")
    assert (paper.batch_size, paper.optimizer, paper.epochs) == (128, "sgd", DATASET_CHANGES["fashion-mnist"]["epochs"])
    _, digits = network_and_settings(build_parser().parse_args([]))
    assert (digits.dataset, digits.epochs, digits.flip) == ("digits", 10, False)
