"""A balanced share of the training images: the same in every run, as many of each class, the
validation set whole; offered where a set is big enough, refused in plain words elsewhere; and an
experiment on Fashion-MNIST that trains every run on it."""

from __future__ import annotations

import json

import pytest
import torch

from alexnet.errors import AlexNetError
from alexnet.training import fashion_mnist
from alexnet.training.data import load_dataset
from alexnet.training.settings import TrainSettings
from alexnet.training.subset import balanced_indices, subset
from tests.fashion_support import write_tiny_fashion


@pytest.fixture
def garments(tmp_path, monkeypatch):
    """A data folder with 200 training garments (20 of each class, in label order 0..9 repeated) and 50 tests."""
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "no-package")
    fashion_mnist.load.cache_clear()
    written = write_tiny_fashion(fashion_mnist.raw_folder(tmp_path / "data"), train=200, test=50)
    yield tmp_path / "data", written
    fashion_mnist.load.cache_clear()


@pytest.mark.parametrize(("n", "per_class"), [(10, [1] * 10), (25, [3] * 5 + [2] * 5), (200, [20] * 10)])
def test_each_class_gives_its_share_and_the_first_ones_the_rest(n, per_class):
    labels = torch.arange(200) % 10
    index = balanced_indices(labels, n, 10)
    assert len(index) == n and len(set(index.tolist())) == n  # n different images
    assert index.tolist() == sorted(index.tolist()) and int(index.min()) >= 0 and int(index.max()) < 200
    assert torch.bincount(labels[index], minlength=10).tolist() == per_class


def test_the_share_is_the_same_whatever_the_runs_seed():
    labels = torch.arange(1000) % 10
    torch.manual_seed(1)
    first = balanced_indices(labels, 100, 10)
    torch.manual_seed(2)
    assert torch.equal(balanced_indices(labels, 100, 10), first)
    assert not torch.equal(balanced_indices(labels, 100, 10, seed=1), first)  # the seed is what picks them
    assert not torch.equal(first, torch.arange(100))  # drawn at random, not the first 100


def test_a_class_short_of_images_gives_all_it_has():
    labels = torch.tensor([0] * 2 + [1] * 10)
    assert torch.bincount(labels[balanced_indices(labels, 8, 2)]).tolist() == [2, 4]


def test_the_share_holds_the_very_images_and_labels_and_the_validation_set_stays_whole(garments):
    data_dir, written = garments
    whole = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=data_dir)
    share = subset(whole, 30)
    assert (len(share.train), len(share.val)) == (30, 50)
    assert share.describe() | {"train_images": 30, "train_images_of": 200} == share.describe()
    assert "train_images_of" not in whole.describe()
    _, labels = written["train"]
    chosen = balanced_indices(torch.from_numpy(labels).long(), 30, 10)
    for i, original in enumerate(chosen.tolist()):
        image, label = share.train[i]
        assert label == int(labels[original])
        assert torch.equal(image, whole.train[original][0])  # the same pixels, normalised the same way
    assert torch.bincount(share.train.labels).tolist() == [3] * 10
    assert subset(whole, 200) is whole  # all of them: nothing to cut


@pytest.mark.parametrize(("n", "words"), [(5, "between 10 (one of each class) and 200"), (201, "it has 200")])
def test_a_share_that_cannot_be_drawn_is_explained(garments, n, words):
    whole = load_dataset("fashion-mnist", input_size=28, channels=1, data_dir=garments[0])
    with pytest.raises(AlexNetError, match=r"cannot train on") as error:
        subset(whole, n)
    assert words in f"{error.value.message} {error.value.fix}"


def test_no_share_of_the_digits():
    with pytest.raises(AlexNetError, match="offered for fashion-mnist and cifar10 only"):
        subset(load_dataset("digits", input_size=8), 100)
    with pytest.raises(AlexNetError, match="offered for fashion-mnist and cifar10 only"):
        TrainSettings(dataset="digits", train_images=100).check()
    with pytest.raises(AlexNetError, match="at least one training image"):
        TrainSettings(dataset="fashion-mnist", train_images=0).check()
    TrainSettings(dataset="fashion-mnist", train_images=100).check()
    assert TrainSettings.from_dict({"dataset": "cifar10", "train_images": 500}).train_images == 500


def test_an_experiment_on_fashion_mnist_trains_every_run_on_the_same_share(garments, tmp_path, capsys):
    from alexnet.cli.experiment import main

    out = tmp_path / "result.json"
    argv = ["relu-vs-tanh", "--dataset", "fashion-mnist", "--data-dir", str(garments[0]), "--train-images", "40"]
    argv += ["--seeds", "2", "--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--no-progress", "--json", str(out)]
    assert main(argv) == 0
    configs = [json.loads(p.read_text()) for p in sorted((tmp_path / "runs").glob("*/config.json"))]
    assert len(configs) == 4
    for config in configs:
        assert config["network"]["input_size"] == 28  # the default network at the garments' own size
        assert config["dataset"] | {"train_images": 40, "train_images_of": 200, "val_images": 50} == config["dataset"]
        assert config["training"]["train_images"] == 40
        assert config["training"]["flip"] is True  # Fashion-MNIST's default, as for a run of its own
    metrics = [p.read_text().splitlines() for p in sorted((tmp_path / "runs").glob("*/metrics.jsonl"))]
    steps = [sum('"kind": "step"' in line for line in lines) for lines in metrics]
    assert steps == [1] * 4  # 40 images at Fashion-MNIST's batch of 64: one step each, not 200 images' four
    assert json.loads(out.read_text())
    assert "ReLU" in capsys.readouterr().out
