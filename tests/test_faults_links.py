"""Hostile run ids in the Training page's link (``?run=...``), in Streamlit's AppTest: a message,
never a traceback, and the page stays usable; a good link opens its run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet.training import run_folder

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RUN_ID = "20250101-120000-digits"


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    (root / RUN_ID).mkdir(parents=True)
    run_folder.write_json(
        root / RUN_ID / run_folder.STATUS, {"state": "finished", "pid": None, "updated_at": time.time()}
    )
    run_folder.write_json(root / RUN_ID / run_folder.CONFIG, {"created_at": time.time(), "training": {}, "network": {}})
    # what an escape from the runs directory would find: a folder that looks like a run
    run_folder.write_json(tmp_path / run_folder.STATUS, {"state": "running", "pid": None, "updated_at": 0})
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(root))
    return root


def training_with_link(run: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/training.py")
    at.query_params["run"] = run
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("run", ["..", "../../etc", "/etc", ".", "a" * 300, "x/../..", ""], ids=repr)
def test_a_hostile_link_is_explained_and_the_page_still_works(runs_dir, run):
    at = training_with_link(run)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "run id" in errors[0] and "20250101-120000-digits" in errors[0], errors
    assert at.selectbox(key="train_watch").value == RUN_ID  # the real run, not the folder above
    at.number_input(key="train_epochs").set_value(3).run()  # still usable
    assert not at.exception


def test_a_link_to_a_missing_run_says_so(runs_dir):
    at = training_with_link("20250101-130000-digits")
    assert any("There is no run" in e.value for e in at.error)


def test_a_good_link_opens_its_run(runs_dir):
    other = "20250102-090000-digits"
    (runs_dir / other).mkdir()
    run_folder.write_json(runs_dir / other / run_folder.STATUS, {"state": "stopped", "pid": None, "updated_at": 1.0})
    at = training_with_link(other)
    assert not at.error
    assert at.selectbox(key="train_watch").value == other
