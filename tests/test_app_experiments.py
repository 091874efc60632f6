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
from pages.parts.common import epoch_estimate


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    epoch_estimate._speeds().clear()  # shared by the server's sessions: other tests' timings are not this machine's
    yield tmp_path
    epoch_estimate._speeds().clear()
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
    unlike = next(c.value for c in at.caption if c.value.startswith("**Unlike the paper:**"))
    assert "AdamW, not SGD with momentum; the digits, not CIFAR-10 or ImageNet; 3 epochs, not the paper's 90" in unlike
    assert "Closer to it: the paper's recipe, Fashion-MNIST's real images, more epochs, more seeds" in unlike
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
    label = next(c.value for c in at.caption if c.value.startswith("On "))
    assert label == "On small AlexNet (cifar) at 16 px: the digits, 1 epoch, seeds 0, 1, today's default recipe."
    startup = runs.typical_startup(runs.list_runs(runs_dir))  # each launch recorded how long its start took
    assert startup is not None and startup[1] == 4 and startup[0] > 0
    assert any("the start is the median of the last 4 runs started here" in c.value for c in at.caption)
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


def test_a_fresh_visit_proposes_the_small_network_with_both_times(runs_dir, timing_by_size):
    """Issue 32, item 3: the sidebar's network is the paper's 227 px one, minutes an epoch on two modest cores."""
    at = experiments_page()
    choice = at.radio(key="exp_network")
    assert choice.value == "small"
    small, yours = choice.options
    assert small.startswith("The small network · small AlexNet, 32 px (cifar) · about ")
    assert yours.startswith("Yours (sidebar, Architecture page) · AlexNet, 227 px (paper) · about ")
    assert "**6 runs**" in " ".join(m.value for m in at.markdown)
    shown = [c.value for c in at.caption if "in all" in c.value]
    assert shown and "+ 6 s to start" in shown[0] and "assumed, as no run has started on this machine yet" in shown[0]
    assert not any("in all" in w.value for w in at.warning)  # the small network's time needs no warning
    choice.set_value("yours").run()
    warning = next((w.value for w in at.warning if "in all" in w.value), "")
    assert "The small network above runs it in a fraction of that" in warning, [w.value for w in at.warning]
    assert at.session_state["config"] == PRESETS["paper"]  # the learner's own network is never replaced


def test_an_experiment_on_fashion_mnist_trains_on_a_share_and_says_so(runs_dir, monkeypatch):
    from app_support import stand_in_timing

    stand_in_timing(monkeypatch, lambda config: 0.001)  # 1 ms an image, 10 ms a step
    at = experiments_page()
    small_network(at)
    assert "exp_images_digits" not in [s.key for s in at.selectbox]  # 1,437 digits: no share to offer
    at.selectbox(key="exp_dataset").set_value("fashion-mnist").run()
    share = at.selectbox(key="exp_images_fashion-mnist")
    assert share.value == 10_000 and share.options[0] == "all 60,000" and "10,000 of 60,000" in share.options
    text = " ".join(m.value for m in at.markdown)
    assert "3 epochs of 10,000 training images of Fashion-MNIST at batch 64" in text
    # at Fashion-MNIST's batch of 64: 157 steps x 10 ms + 10,000 images x 1 ms + 10,000 test images x 1/3 ms = 14.9 s
    shown = [c.value for c in at.caption]
    assert any("6 runs × (3 epochs × 15 s + 6 s to start)" in text for text in shown), shown
    share.select_index(0).run()  # all of them
    # 938 steps x 10 ms + 60,000 x 1 ms + 3.3 s = 1 min 13 s an epoch
    shown = [c.value for c in at.caption] + [w.value for w in at.warning]  # 22 min in all: a warning
    assert any("6 runs × (3 epochs × 1 min 13 s" in text for text in shown), shown
    assert "3 epochs of Fashion-MNIST at batch" in " ".join(m.value for m in at.markdown)
