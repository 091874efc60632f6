"""Fashion-MNIST through the app: a run's garment classes on Activations (top 5, Grad-CAM's box,
right or wrong), its test accuracy among the published rows on Training, and the command line's
last lines. A tiny folder in the real idx format stands in for the 30 MB package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.network.config import PRESETS
from alexnet.training import fashion_mnist
from alexnet.training.run import train_run
from alexnet.training.settings import default_settings
from tests.fashion_support import write_tiny_fashion

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory) -> tuple[Path, Path, str]:
    """(data folder, runs folder, run id) of a one-epoch run on 40 tiny garments."""
    data_dir, runs_dir = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("runs")
    write_tiny_fashion(fashion_mnist.raw_folder(data_dir), train=40, test=20)
    settings = default_settings(PRESETS["cifar"], dataset="fashion-mnist", data_dir=str(data_dir), epochs=1)
    state, run_dir = train_run(PRESETS["cifar"], settings, runs_dir=runs_dir, run_id="garments", progress=False)
    assert state == "finished"
    return data_dir, runs_dir, run_dir.name


def test_a_garment_through_a_network_trained_on_fashion_mnist(fashion_run, monkeypatch):
    from pages.parts.activations import activation_data

    data_dir, runs_dir, run_id = fashion_run
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(runs_dir))
    monkeypatch.setattr(activation_data, "DEFAULT_DATA_DIR", data_dir)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/activations.py").run()
    assert "Garment" in at.radio(key="act_source").options
    at.selectbox(key="act_weights").set_value(f"run:{run_id}").run()
    at.radio(key="act_source").set_value("Garment").run()
    at.selectbox(key="act_garment").set_value(6).run()  # Shirt
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    top5 = next(c.proto.spec for c in at.get("plotly_chart") if "Top 5 classes" in c.proto.spec)
    assert "Ankle boot" in top5 or "T-shirt/top" in top5 or "Shirt" in top5  # garment names, not "class 6"
    assert "class 6" not in top5
    text = " ".join(m.value for m in at.markdown)
    assert "Heat on the garment's box" in text
    assert "garment's grey value is copied into all three channels" in text
    # the true class is known: the top answer is marked right, or wrong naming the shirt
    assert "is the true class" in text or "is not the true class, Shirt" in text


def test_without_the_dataset_there_is_no_garment_source(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DATA_DIR", tmp_path / "nothing")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "no-package")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/activations.py").run()
    assert not at.exception
    assert "Garment" not in at.radio(key="act_source").options


def test_the_training_page_places_the_run_among_the_published_rows(fashion_run, monkeypatch):
    _, runs_dir, run_id = fashion_run
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(runs_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/training.py").run()
    assert not at.exception, [e.value for e in at.exception]
    (standing,) = [i.value for i in at.info if i.value.startswith("Your network")]
    accuracy = runs.read_metrics(runs_dir / run_id).epochs[-1]["val_accuracy"]
    assert f"{accuracy:.1%} on the 20 test images" in standing
    text = " ".join(m.value for m in at.markdown)
    assert "**20 test images**" in text
    titles = {json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")}
    assert {"Test accuracy", "Confusion matrix (test set)"} <= titles  # the official test set, named so
    assert not any("alidation" in t for t in titles), titles


def test_the_command_line_ends_with_the_runs_place_in_the_table(tmp_path):
    write_tiny_fashion(fashion_mnist.raw_folder(tmp_path / "data"), train=30, test=10)
    command = [
        sys.executable,
        "-m",
        "alexnet",
        "train",
        "--dataset",
        "fashion-mnist",
        "--data-dir",
        str(tmp_path / "data"),
    ]
    command += ["--epochs", "1", "--runs-dir", str(tmp_path / "runs"), "--no-progress"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-2:]
    assert last[0].startswith("Your network (0.") and "on the 10 test images" in last[0]
    assert last[1].startswith("Published rows: Fashion-MNIST's README")


def test_choosing_fashion_mnist_brings_its_epochs_its_flips_and_where_it_comes_from(tmp_path, monkeypatch):
    from app_support import stand_in_timing

    from alexnet.cli.train import build_parser, network_and_settings
    from pages.parts.common import epoch_estimate

    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "no-package")
    stand_in_timing(monkeypatch, lambda config: 0.001)
    epoch_estimate._speeds().clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/training.py").run()
    at.selectbox(key="preset").set_value("cifar").run()
    assert "train_flip" not in [c.key for c in at.checkbox]  # a mirrored digit is no digit
    at.selectbox(key="train_dataset").set_value("fashion-mnist").run()
    assert not at.exception
    _, cli = network_and_settings(build_parser().parse_args(["--preset", "cifar", "--dataset", "fashion-mnist"]))
    assert at.number_input(key="train_epochs").value == cli.epochs
    assert at.checkbox(key="train_flip").value is cli.flip is True  # on by default: a mirrored shoe is a shoe
    # nothing in the data folder and no package: the page says how to get it, and offers the download
    at.text_input(key="train_fashion_dir").set_value(str(tmp_path / "empty")).run()
    assert any("apt-get install dataset-fashion-mnist" in w.value for w in at.warning)
    assert "train_download" in [c.key for c in at.checkbox]
    # the data folder holds it: found, no download offered
    write_tiny_fashion(fashion_mnist.raw_folder(tmp_path / "data"))
    at.text_input(key="train_fashion_dir").set_value(str(tmp_path / "data")).run()
    assert any("Found on this machine" in c.value for c in at.caption)
    assert "train_download" not in [c.key for c in at.checkbox]
    assert any("One epoch of Fashion-MNIST (60,000 images, then 10,000 to validate)" in c.value for c in at.caption)
    epoch_estimate._speeds().clear()


def test_start_here_trains_on_garments_and_explains_a_test_garment_where_they_are_here(fashion_run, monkeypatch):
    from dataclasses import replace

    from pages.parts.activations import activation_data
    from pages.parts.common.start_here import GARMENT_EPOCHS

    data_dir, runs_dir, run_id = fashion_run
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(runs_dir))
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DATA_DIR", data_dir)  # the garments are here
    monkeypatch.setattr(activation_data, "DEFAULT_DATA_DIR", data_dir)
    at = AppTest.from_file(APP, default_timeout=120).run()
    text = " ".join(m.value for m in at.markdown)
    assert "on Fashion-MNIST's 60,000 photos of clothes at their own 28 px: 2 epochs" in text
    assert "Grad-CAM on a test sneaker your run never saw" in text and "on the bundled digits" not in text
    at.button(key="start_here_3").click().run()
    at.switch_page("pages/training.py").run()
    assert not at.exception
    assert at.session_state["config"] == replace(PRESETS["cifar"], input_size=28)  # the garments' own size
    assert at.number_input(key="edit_input_size").value == 28  # and the sidebar shows it
    assert at.selectbox(key="train_dataset").value == "fashion-mnist"
    assert at.number_input(key="train_epochs").value == GARMENT_EPOCHS == 2
    at = AppTest.from_file(APP, default_timeout=120).run()  # (pressed on Training, AppTest loses the pick)
    at.button(key="start_here_4").click().run()
    at.switch_page("pages/activations.py").run()
    assert not at.exception
    assert at.radio(key="act_source").value == "Garment"
    assert fashion_mnist.CLASSES[at.selectbox(key="act_garment").value] == "Sneaker"
    assert at.selectbox(key="act_weights").value == f"run:{run_id}"  # the newest Fashion-MNIST run
    assert any("Heat on the garment's box" in m.value for m in at.markdown)
    # the page's try-next line: the weights are picked, so not "pick its weights"
    (last,) = [c.value for c in at.caption if c.value.startswith("**Try next:**")]
    assert last.startswith("**Try next:** see how these weights learned") and "pick its weights" not in last
    assert any(c.value.startswith(f"{run_id}: finished, best ") for c in at.sidebar.caption)  # the run in full


def test_the_small_network_at_28_px_is_not_told_to_use_itself_at_32(tmp_path, monkeypatch):
    from app_support import stand_in_timing

    from pages.parts.common import epoch_estimate

    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path / "runs"))
    write_tiny_fashion(fashion_mnist.raw_folder(tmp_path / "data"))
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DATA_DIR", tmp_path / "data")
    stand_in_timing(monkeypatch, lambda config: 2.5e-6 * config.input_size**2)  # 2 ms an image at 28 px
    epoch_estimate._speeds().clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.button(key="start_here_3").click().run()  # the small network at 28 px, on garments
    at.switch_page("pages/training.py").run()
    assert not at.exception
    # 938 steps x 10 ms + 60,000 x 1.96 ms + 10,000 / 3 x 1.96 ms = 133.5 s: slow, but the 32 px
    # preset would take 171.5 s (2.56 ms an image), so nothing faster is offered
    advice = next(c.value for c in at.caption if c.value.startswith("One epoch of Fashion-MNIST"))
    assert "about **2 min 14 s**" in advice, advice
    assert "train_use_fast" not in [b.key for b in at.button]
    assert not any("preset does one in" in w.value for w in at.warning)
    epoch_estimate._speeds().clear()
