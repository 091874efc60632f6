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
    assert 3 not in ticked(at)  # pressed, but nothing trained yet
    # it says which network it replaced, and puts it back on request
    assert any("in place of yours: AlexNet, 227 px (paper)." in c.value for c in at.caption)
    at.button(key="start_here_restore").click().run()
    assert at.session_state["config"] == PRESETS["paper"] and at.session_state["preset"] == "paper"
    assert not any(b.key == "start_here_restore" for b in at.button)


def ticked(at: AppTest) -> set[int]:
    """The steps the box shows ticked."""
    words = ("Slide a stride", "Click a feature-map cell", "Train the small", "See where")
    return {
        number
        for number, text in enumerate(words, 1)
        if any(":material/check_circle:" in m.value and text in m.value for m in at.markdown)
    }


def test_steps_are_ticked_when_their_outcome_happens(digits_run, monkeypatch, no_garments):
    """Issue 32, item 4: a stride slid, a run finished, a Grad-CAM drawn with trained weights (the cell
    click of step 2 is a plotly selection: tests/test_browser_first_minutes.py clicks one)."""
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(digits_run.parent))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert ticked(at) == set()
    at.button(key="start_here_1").click().run()
    assert ticked(at) == set()  # pressing is not doing
    at.slider(key="edit_block1_stride").set_value(3).run()
    assert ticked(at) == {1}
    at.switch_page("pages/training.py").run()  # the finished digits run is the one it shows
    assert not at.exception and ticked(at) == {1, 3}
    at = AppTest.from_file(APP, default_timeout=90).run()  # a fresh session (see the test below)
    at.button(key="start_here_4").click().run()
    at.switch_page("pages/activations.py").run()
    assert not at.exception and ticked(at) == {4}
    assert "start_here_land" not in at.session_state  # the page scrolled to Grad-CAM: asked once, done


def test_step_four_opens_activations_with_a_digit_and_the_newest_digits_run(digits_run, monkeypatch, no_garments):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(digits_run.parent))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.button(key="start_here_4").click().run()
    assert not at.exception
    at.switch_page("pages/activations.py").run()
    assert at.radio(key="act_source").value == "Digit"
    assert at.selectbox(key="act_weights").value == f"run:{digits_run.name}"
