"""Experiments in a real browser, from a fresh server and an empty runs folder: pick "ReLU vs tanh",
press Run, and a minute later see both variants' curves with their bands, the measures table with
the paper's figure beside ours, and the verdict with its rule. Screenshots land in
``test-artifacts/experiments-*.png``.
"""

from __future__ import annotations

import time

import pytest
from browser_support import CUT_BUTTONS, App, chromium_browser, explain_failure, served

from alexnet.experiments import store
from alexnet.experiments.verdict import HOLDS, REVERSED, SPREAD
from alexnet.network.config import PRESET_LABELS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

RUNS_TIMEOUT_S = 480  # four runs of one epoch: about a minute on two cores, more when the machine is busy


def test_a_learner_runs_relu_against_tanh(chromium, tmp_path_factory) -> None:
    runs_dir = tmp_path_factory.mktemp("runs")
    with (
        served(runs_dir, log_dir=tmp_path_factory.mktemp("server")) as server,
        chromium_browser(chromium) as browser,
    ):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        app = App(page, server)
        app.open()
        with explain_failure(app, "experiments"):
            app.go_to("Experiments")
            app.choose("preset", PRESET_LABELS["cifar"])
            assert "6 runs" in app.main_text()  # 2 variants x 3 seeds by default
            assert "six times faster" in app.main_text()  # the paper's claim, before anything runs
            app.set_number("exp_seeds", 2)
            app.set_number("exp_epochs", 1)
            assert "4 runs" in app.main_text()
            app.screenshot("experiments-plan")
            app.click("exp_run")
            deadline = time.monotonic() + RUNS_TIMEOUT_S
            while "4 of 4 runs finished" not in app.main_text():
                assert time.monotonic() < deadline, app.main_text()[-2000:]
                assert not app.exceptions(), app.exceptions()
                page.wait_for_timeout(2000)
            page.wait_for_timeout(1500)  # the still view's first draw after the last run
            (experiment,) = store.list_experiments(runs_dir)
            assert experiment.claim == "relu-vs-tanh" and len(experiment.seeds) == 2

            chart = app.widget("exp_curves").locator(".js-plotly-plot")
            chart.wait_for(timeout=app.timeout_ms)
            traces = page.evaluate(
                "() => document.querySelector('.st-key-exp_curves .js-plotly-plot').data"
                ".map(t => ({fill: t.fill || '', name: t.name, n: (t.x || []).length}))"
            )
            bands = [t for t in traces if t["fill"] == "tonexty"]
            assert len(bands) == 6 and all(t["n"] > 0 for t in bands), traces  # 2 variants x 3 panels
            text = app.main_text()
            assert "Steps to 25 % training error" in text and "tanh needs 6x the steps" in text
            assert any(label in text for label in (HOLDS, REVERSED, SPREAD)), text[-2000:]
            assert "Welch" in text
            table = page.locator("table").filter(has_text="Measure")
            assert table.count() == 1
            box, main = table.bounding_box(), page.locator('[data-testid="stMain"]').bounding_box()
            assert box["x"] + box["width"] <= main["x"] + main["width"] + 1, "the table stays inside the page"
            app.screenshot("experiments-result")
            page.set_viewport_size({"width": 1024, "height": 900})  # beside the sidebar, the narrowest page
            page.wait_for_timeout(500)
            assert page.evaluate(CUT_BUTTONS) == []  # Stop and Resume keep their whole labels
