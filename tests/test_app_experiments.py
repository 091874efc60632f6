"""The Experiments page in Streamlit's AppTest: plan, run, watch the bands and the verdict, stop and resume."""

from __future__ import annotations

import json

import pytest
from app_support import open_page, rerun_until
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.experiments import store
from alexnet.experiments.verdict import HOLDS, REVERSED, SPREAD
from alexnet.network.config import PRESETS
from pages.parts import training_controls


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    training_controls._speeds().clear()  # shared by the server's sessions: other tests' timings are not this machine's
    yield tmp_path
    training_controls._speeds().clear()
    for experiment in store.list_experiments(tmp_path):
        store.stop(experiment, tmp_path)
    for info in runs.list_runs(tmp_path):  # never leave a trainer behind
        runs.stop_run(info.path)


def experiments_page() -> AppTest:
    at = open_page("pages/experiments.py", timeout=90)
    assert not at.exception, at.exception
    return at


def small_network(at: AppTest) -> None:
    at.selectbox(key="preset").set_value("cifar").run()
    at.number_input(key="edit_input_size").set_value(16).run()  # fast steps


def test_the_plan_says_how_many_runs_and_what_changes(runs_dir):
    at = experiments_page()
    small_network(at)
    text = " ".join(m.value for m in at.markdown)
    assert "**6 runs**" in text and "A = *ReLU* and B = *tanh*" in text  # 2 variants x 3 seeds by default
    assert any("six times faster" in i.value for i in at.info)  # the paper's claim, in its words
    at.selectbox(key="exp_claim").set_value("groups").run()
    assert "A = *groups = 2* and B = *groups = 1*" in " ".join(m.value for m in at.markdown)
    at.number_input(key="exp_seeds").set_value(2).run()
    assert "**4 runs**" in " ".join(m.value for m in at.markdown)
    assert any("No experiments yet" in i.value for i in at.info)


def test_an_impossible_variant_is_explained_not_raised(runs_dir):
    at = experiments_page()
    at.session_state["config"] = PRESETS["cifar"].with_block(1, out_channels=63)  # as the Architecture page would
    at.selectbox(key="exp_claim").set_value("groups").run()
    assert not at.exception
    assert any("cannot be split in two groups" in e.value and "odd" in e.value for e in at.error)
    assert not any(b.key == "exp_run" for b in at.button)  # nothing to run


def test_run_an_experiment_and_see_bands_table_and_verdict(runs_dir):
    at = experiments_page()
    small_network(at)
    at.number_input(key="exp_seeds").set_value(2).run()
    at.number_input(key="exp_epochs").set_value(1).run()
    at.button(key="exp_run").click().run()
    assert not at.error, [e.value for e in at.error]
    (experiment,) = store.list_experiments(runs_dir)
    ids = [run_id for variant in experiment.run_ids for run_id in variant]
    assert len(ids) == 4 and all(ids)
    states = sorted(runs.get_run(run_id, runs_dir).state for run_id in ids)
    assert states.count("queued") >= 2 and "running" in states  # one trains, the rest wait in the queue

    def finished(at: AppTest) -> bool:
        return any("4 of 4 runs finished" in (p.proto.text or "") for p in at.get("progress"))

    rerun_until(at, finished, timeout=300)
    (chart,) = [c for c in at.get("plotly_chart") if "exp_curves" in c.proto.id]
    figure = json.loads(chart.proto.spec)
    bands = [t for t in figure["data"] if t.get("fill") == "tonexty"]
    assert len(bands) >= 4  # both variants, loss and training error at least, each a filled min-max band
    names = {t["name"] for t in figure["data"] if t.get("showlegend")}
    assert names == {"ReLU (mean of 2, band: min-max)", "tanh (mean of 2, band: min-max)"}
    table = next(m.value for m in at.markdown if "| Measure |" in m.value)
    assert "Steps to 25 % training error" in table and "tanh needs 6x the steps" in table
    assert any(label in table for label in (HOLDS, REVERSED, SPREAD))
    assert any("Welch" in c.value for c in at.caption)


def test_a_long_experiment_offers_the_small_network(runs_dir, timing_by_size):
    at = experiments_page()  # the paper's 227 px network: minutes per epoch on two modest cores
    warning = next((w.value for w in at.warning if "in all" in w.value), "")
    assert "small AlexNet, 32 px (cifar)" in warning, [w.value for w in at.warning] + [c.value for c in at.caption]
    at.button(key="exp_use_fast").click().run()
    assert at.session_state["config"] == PRESETS["cifar"]
    assert not any("in all" in w.value for w in at.warning)  # its own estimate is a caption: no warning
