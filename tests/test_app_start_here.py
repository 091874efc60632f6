"""The Start-here box of a first visit, in Streamlit's AppTest: its four steps open the right page
with the right thing picked, and a dismissed box stays away for the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet.network.config import PRESETS
from alexnet.training import fashion_mnist

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def runs_dir(tmp_path, monkeypatch, no_garments):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def no_garments(tmp_path, monkeypatch):
    """Fashion-MNIST as if absent, whatever this machine has: the steps take the bundled digits."""
    monkeypatch.setattr(fashion_mnist, "DEFAULT_DATA_DIR", tmp_path / "no-data")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "no-package")


def steps(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("start_here_") and b.key[-1].isdigit()]


def test_the_box_shows_four_steps_and_stays_dismissed_across_pages(runs_dir):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert steps(at) == ["Architecture", "Activations", "Training", "Activations"]
    assert any("Start here" in m.value for m in at.markdown)
    at.button(key="start_here_dismiss").click().run()
    assert steps(at) == [] and not any("Start here" in m.value for m in at.markdown)
    at.switch_page("pages/summary.py").run()
    assert not at.exception and steps(at) == []


def test_step_three_picks_the_small_network_on_the_digits_with_the_command_lines_rate(runs_dir):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.button(key="start_here_3").click().run()
    assert not at.exception
    # AppTest does not follow a script's st.switch_page (the browser test does): open the page here
    at.switch_page("pages/training.py").run()
    assert at.session_state["config"] == PRESETS["cifar"]
    assert at.selectbox(key="train_dataset").value == "digits"
    assert at.number_input(key="train_lr").value == pytest.approx(2e-3)
    assert any(b.key == "train_start" for b in at.button)  # the Training page is open
    assert any(":material/check_circle:" in m.value and "Train the small network" in m.value for m in at.markdown)


def test_step_four_opens_activations_with_a_digit_and_the_newest_digits_run(digits_run, monkeypatch, no_garments):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(digits_run.parent))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.button(key="start_here_4").click().run()
    assert not at.exception
    at.switch_page("pages/activations.py").run()
    assert at.radio(key="act_source").value == "Digit"
    assert at.selectbox(key="act_weights").value == f"run:{digits_run.name}"
