"""The Training page in Streamlit's AppTest: start a real run, watch it appear, stop it."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.config import PRESETS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    yield tmp_path
    for info in runs.list_runs(tmp_path):  # never leave a trainer behind
        runs.stop_run(info.path)


def training_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/training.py")
    at.run()
    return at


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def rerun_until(at: AppTest, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, at.exception
        if condition(at):
            return
        assert time.monotonic() < deadline, [m.value for m in at.markdown]
        time.sleep(0.5)


def test_start_watch_and_stop_a_run(runs_dir):
    at = training_page()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)
    assert any("paper" not in w.value and "cifar" in w.value for w in at.warning)  # the paper net is slow here
    at.selectbox(key="preset").set_value("cifar").run()  # as a user would: the sidebar's preset ...
    at.number_input(key="edit_input_size").set_value(16).run()  # ... at 16x16, for fast steps
    assert at.session_state["config"] == replace(PRESETS["cifar"], input_size=16)
    at.number_input(key="train_epochs").set_value(50)
    at.button(key="train_start").click().run()
    assert not at.error, [e.value for e in at.error]
    (info,) = runs.list_runs(runs_dir)
    assert info.state == "running"
    assert any("running" in b for b in badges(at))

    rerun_until(at, lambda at: len(at.get("plotly_chart")) >= 1)  # the loss curve is drawn
    assert any(p.label == "Loss (last step)" and p.value != "-" for p in at.metric)

    at.button(key="train_start").click().run()  # a second start is refused while one is going
    assert any("already going" in e.value for e in at.error)

    at.button(key="train_stop").click().run()
    rerun_until(at, lambda at: any("stopped" in b for b in badges(at)))
    stopped = runs.get_run(info.path)
    assert stopped.state == "stopped" and stopped.has_checkpoint
    assert at.button(key="train_resume").label == "Resume"


def test_switching_optimizer_brings_its_defaults(runs_dir):
    at = training_page()
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    assert at.number_input(key="train_lr").value == pytest.approx(0.01)
    assert at.number_input(key="train_momentum").value == pytest.approx(0.9)
    assert not at.number_input(key="train_momentum").disabled
    at.button(key="train_use_fast").click().run()  # the warning's button switches to the cifar preset
    assert at.session_state["config"] == PRESETS["cifar"]
    assert at.number_input(key="edit_input_size").value == 32  # the sidebar shows it too
    assert not any("cifar" in w.value for w in at.warning)
