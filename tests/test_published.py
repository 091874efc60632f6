"""A run among the published Fashion-MNIST results: the neighbouring rows, both ends, and a real run's sentence."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from alexnet import runs
from alexnet.network.config import PRESETS
from alexnet.training import published, run_folder
from alexnet.training.published import FASHION_MNIST, neighbours, placement
from alexnet.training.settings import TrainSettings


def test_rows_are_the_readmes_numbers_lowest_first():
    accuracies = [row.accuracy for row in FASHION_MNIST]
    assert accuracies == sorted(accuracies)
    by_method = {row.method: row.accuracy for row in FASHION_MNIST}
    assert by_method["2 Conv+pooling, TensorFlow's tutorial"] == 0.916 and by_method["VGG16, 26 M parameters"] == 0.935
    assert by_method["MLP 256-128-100"] == 0.8833 and by_method["people without fashion expertise"] == 0.835


@pytest.mark.parametrize(
    ("accuracy", "below", "above"),
    [
        (0.914, "AlexNet with triplet loss", "2 Conv+pooling, TensorFlow's tutorial"),
        (0.916, "2 Conv+pooling, TensorFlow's tutorial", "3 Conv+pooling+2 FC+dropout"),  # a tie counts as reached
        (0.80, None, "people without fashion expertise"),
        (0.99, "WRN-28-10", None),
    ],
)
def test_neighbours(accuracy, below, above):
    low, high = neighbours(accuracy, FASHION_MNIST)
    assert (low.method if low else None, high.method if high else None) == (below, above)


def test_the_sentence_names_the_network_its_time_and_both_neighbours():
    text = placement("fashion-mnist", 0.9143, test_images=10_000, parameters=431_242, epochs=5, seconds=124)
    assert text == (
        "Your network (0.43 M parameters, 5 epochs, 2 min 4 s): 91.4% on the 10,000 test images, "
        "above AlexNet with triplet loss (89.9%) and below 2 Conv+pooling, TensorFlow's tutorial (91.6%)."
    )
    top = placement("fashion-mnist", 0.97, test_images=10_000, parameters=1, epochs=1, seconds=1)
    assert top.endswith("above WRN-28-10 (95.9%).") and "below" not in top
    assert placement("digits", 0.97, test_images=359, parameters=1, epochs=1, seconds=1) is None


def _fake_run(tmp_path, *, dataset="fashion-mnist", val_set="test", epochs=(0.85, 0.9), train_images=None):
    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    config = {
        "network": PRESETS["cifar"].to_dict(),
        "training": asdict(TrainSettings(dataset=dataset, epochs=2, train_images=train_images)),
        "dataset": {"name": dataset, "classes": [str(i) for i in range(10)], "val_images": 10_000, "val_set": val_set},
        "total_steps": 10,
    }
    (run_dir / run_folder.CONFIG).write_text(json.dumps(config))
    lines = [
        {"kind": "epoch", "step": 5 * (i + 1), "epoch": i + 1, "train_loss": 0.5, "val_loss": 0.4,
         "val_accuracy": a, "elapsed": 60.0 * (i + 1)}
        for i, a in enumerate(epochs)
    ]  # fmt: skip
    (run_dir / run_folder.METRICS).write_text("".join(json.dumps(line) + "\n" for line in lines))
    (run_dir / run_folder.STATUS).write_text(
        json.dumps({"state": "finished", "pid": None, "message": "Finished.", "updated_at": 1.0, "step": 10,
                    "total_steps": 10, "epoch": 2.0})
    )  # fmt: skip
    return runs.get_run(run_dir)


def test_a_run_stands_by_its_last_epoch_not_its_best(tmp_path):
    info = _fake_run(tmp_path, epochs=(0.93, 0.92))
    text = runs.run_standing(info)
    assert text is not None and ": 92.0% on the 10,000 test images" in text and "2 epochs, 2 min 0 s" in text
    assert published.SOURCE.startswith("Fashion-MNIST's README")


def test_a_run_on_a_share_of_the_images_says_so_beside_rows_that_trained_on_all():
    share = placement("fashion-mnist", 0.88, test_images=10_000, parameters=431_242, epochs=3, seconds=30,
                      train_share=(10_000, 60_000))  # fmt: skip
    assert share.startswith("Your network (0.43 M parameters, 3 epochs, 10,000 of the 60,000 training images, 30 s):")


def test_a_runs_standing_names_its_share(tmp_path):
    text = runs.run_standing(_fake_run(tmp_path, train_images=10_000))
    assert text is not None and "2 epochs, 10,000 of the 60,000 training images, 2 min 0 s" in text


@pytest.mark.parametrize("change", [{"val_set": "held out"}, {"dataset": "digits"}, {"epochs": ()}])
def test_no_standing_without_a_published_test_set_or_an_epoch(tmp_path, change):
    assert runs.run_standing(_fake_run(tmp_path, **change)) is None


def test_the_table_places_the_run_by_accuracy_and_marks_it():
    rows = published.rows_with("fashion-mnist", 0.92)
    assert len(rows) == len(FASHION_MNIST) + 1
    (mine,) = [i for i, row in enumerate(rows) if row["yours"]]
    assert rows[mine - 1]["method"] == "3 Conv+pooling+2 FC+dropout" and rows[mine + 1]["method"].startswith("2 Conv")
    assert rows[mine]["test accuracy"] == "92.0%" and rows[0]["method"] == "WRN-28-10"
