"""What did my network learn, in a real browser: the Grad-CAM section of the Activations page and the
Training page's results section, for a run trained on the bundled digits before the server starts.

The oracle is the library: the heat share the page prints, the confusion matrix and the frames it
draws are recomputed from the run's checkpoint and files with ``alexnet.inspect.gradcam`` and
``alexnet.training.run_folder.results``. Screenshots at 1024 and 1400 px land in ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from browser_support import (
    ARTIFACTS_DIR,
    App,
    StreamlitServer,
    chromium_browser,
    explain_failure,
    served,
)

from alexnet import runs
from alexnet.inspect import gradcam, images
from alexnet.network.config import PRESET_LABELS
from alexnet.training.run_folder import results

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]

WIDTHS = (1024, 1400)  # the narrow and the wide layout
DIGIT, EXAMPLE = 3, 0  # the digit the Grad-CAM test explains


@pytest.fixture(scope="module")
def trained_run(digits_run: Path) -> Path:
    """The cifar preset after two epochs on the digits (tests/conftest.py trains it once per session)."""
    return digits_run


@pytest.fixture(scope="module")
def server(trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    with served(trained_run.parent, log_dir=tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    with chromium_browser(chromium) as launched:
        yield launched


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def app(request, browser, server: StreamlitServer) -> Iterator[App]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    try:
        yield App(context.new_page(), server)
    finally:
        context.close()


def image_source(app: App, key: str) -> str:
    """The picture a plotly image chart shows now (its data URI), read from plotly's own state."""
    return app.page.evaluate(
        """key => {
            const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return plot.data[0].source;
        }""",
        key,
    )


def chart_title(app: App, key: str) -> str:
    """The title of the plotly chart with ``key``, as plotly holds it (without the bold tags Streamlit adds)."""
    title = app.page.evaluate("key => document.querySelector(`.st-key-${key} .js-plotly-plot`).layout.title.text", key)
    return re.sub(r"<[^>]+>", "", title)


def metric(app: App, label: str) -> str:
    """The value shown by the st.metric whose label starts with ``label``."""
    box = app.page.locator('[data-testid="stMetric"]').filter(
        has=app.page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def section_shot(app: App, first: str, last: str, name: str) -> Path:
    """A screenshot from the top of element ``first`` to the bottom of ``last`` (CSS selectors), full width."""
    height = app.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    viewport = app.page.viewport_size
    app.page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 12_000)})
    app.page.mouse.move(1, 1)
    app.page.wait_for_timeout(1000)  # charts re-lay out at the new size
    try:
        top = app.page.locator(first).first.bounding_box()
        bottom = app.page.locator(last).first.bounding_box()
        main = app.page.locator('[data-testid="stMain"]').bounding_box()
        clip = {
            "x": main["x"],
            "y": top["y"] - 8,
            "width": main["width"],
            "height": bottom["y"] + bottom["height"] - top["y"] + 16,
        }
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS_DIR / f"{name}.png"
        app.page.screenshot(path=str(path), clip=clip)
    finally:
        app.page.set_viewport_size(viewport)
    return path


def assert_no_exception(app: App) -> None:
    assert app.exceptions() == [], "\n".join(app.exceptions())


def test_grad_cam_of_a_trained_run_sits_on_the_digit(app: App, trained_run: Path) -> None:
    """Pick the run's weights and a digit: the heat map, its share inside the digit's box, another layer, a
    class by name, the opacity slider, then random weights with their warning."""
    width = app.page.viewport_size["width"]
    run_id = trained_run.name
    model = runs.load_run_model(trained_run)
    config = runs.run_config(trained_run)
    digit = images.digit_sample(DIGIT, EXAMPLE)
    prepared = images.preprocess(digit, config)
    expected = gradcam.explain(model, prepared.batch)  # the page's default: top class, last conv layer
    share, chance = gradcam.heat_against_chance(expected.heatmap, gradcam.ink_box(digit, config.input_size))

    with explain_failure(app, f"gradcam-{width}"):
        app.open()
        app.go_to("Activations")
        app.choose("act_weights", f"Trained run {run_id}")
        app.pick("act_source", "Digit")
        app.choose("act_digit", str(DIGIT))
        overlay = app.widget("cam_overlay").locator(".js-plotly-plot")
        overlay.wait_for(timeout=app.timeout_ms)
        assert_no_exception(app)
        text = app.main_text()
        assert "Where the network looks (Grad-CAM)" in text
        top = f"digit {expected.top}"  # the page names a digits run's classes so
        assert chart_title(app, "cam_overlay") == f"Grad-CAM of {top} at conv5"  # the top class, the last conv
        assert f"Heat on the digit's box: {share:.0%}, against {chance:.0%} by chance" in text
        assert metric(app, f"Score of {top}") == f"{expected.score:.3f}"
        assert "Random weights" not in text
        app.widget("cam_overlay").scroll_into_view_if_needed()
        if width == WIDTHS[-1]:
            section_shot(
                app,
                'h3:has-text("Where the network looks")',
                '[data-testid="stCaptionContainer"]:has-text("Selvaraju")',
                "gradcam",
            )
        app.screenshot(f"gradcam-page-{width}")

        before = image_source(app, "cam_overlay")
        app.rerun_after(lambda: app.widget("cam_opacity").locator('input[type="range"]').first.press("Home"))
        assert image_source(app, "cam_overlay") != before  # opacity 0: the digit alone
        plain = image_source(app, "cam_saliency")

        app.choose("cam_layer", "conv3")
        assert chart_title(app, "cam_overlay") == f"Grad-CAM of {top} at conv3"
        other = (expected.top + 1) % 10
        app.choose("cam_class", f"digit {other}")
        by_name = gradcam.explain(model, prepared.batch, layer="conv3", target=other)
        text = app.main_text()
        assert chart_title(app, "cam_overlay") == f"Grad-CAM of digit {other} at conv3"
        assert metric(app, f"Score of digit {other}") == f"{by_name.score:.3f}"
        assert f"top prediction is {top}" in text
        assert image_source(app, "cam_saliency") != plain  # another class, another gradient

        app.choose("act_weights", "Random (untrained)")
        app.widget("cam_overlay").locator(".js-plotly-plot").wait_for(timeout=app.timeout_ms)
        assert "Random weights: this heat map explains noise" in app.main_text()
        assert_no_exception(app)


def test_training_results_show_the_runs_confusion_matrix_and_filters(
    app: App, trained_run: Path, digits_run_epochs: int
) -> None:
    """The Training page's results: the matrix drawn is the run's own, and the epoch slider walks conv1's
    filters from initialisation (epoch 0) to the last epoch, by click and by the play button."""
    width = app.page.viewport_size["width"]
    predictions = results.latest_predictions(trained_run)
    matrix = results.confusion_matrix(predictions, 10)

    with explain_failure(app, f"results-{width}"):
        app.open()
        app.go_to("Training")
        if app.selected("train_watch") != trained_run.name:  # another test may have started a newer run
            app.choose("train_watch", trained_run.name)
        filters = app.widget("results_filters").locator(".js-plotly-plot")
        filters.wait_for(timeout=app.timeout_ms)
        assert_no_exception(app)
        text = app.main_text()
        assert "What the network learned" in text
        assert f"{predictions.accuracy:.1%} right" in text
        drawn = app.page.evaluate(
            # plotly's full data holds the matrix decoded from the typed array Streamlit sends
            """() => Array.from(
                document.querySelector('.st-key-results_confusion .js-plotly-plot')._fullData[0].z,
                row => Array.from(row)
            )"""
        )
        np.testing.assert_array_equal(np.array(drawn), matrix)
        wrong = app.page.locator(".st-key-results_wrong .js-plotly-plot .annotation-text").all_text_contents()
        assert len(wrong) == min(12, int((predictions.label != predictions.predicted).sum()))
        assert all(t.startswith("true ") and ", said " in t for t in wrong)

        filters.scroll_into_view_if_needed()
        current = app.widget("results_filters").locator(".slider-container .slider-label").first
        assert current.text_content().strip() == f"epoch {digits_run_epochs}"  # it opens on the last epoch
        last = image_source(app, "results_filters")
        # click the slider's left end: the initial filters
        rail = app.widget("results_filters").locator(".slider-rail-touch-rect").first.bounding_box()
        app.page.mouse.click(rail["x"] + 2, rail["y"] + rail["height"] / 2)
        app.page.wait_for_function(
            """() => document.querySelector('.st-key-results_filters .slider-container .slider-label')
                .textContent.trim() === 'epoch 0'""",
            timeout=app.timeout_ms,
        )
        # the slider's label moves before plotly swaps the frame's picture in: wait for the picture
        # (it stays the last epoch's, and this times out, if training had not changed the filters)
        app.page.wait_for_function(
            """last => document.querySelector('.st-key-results_filters .js-plotly-plot').data[0].source !== last""",
            arg=last,
            timeout=app.timeout_ms,
        )
        first = image_source(app, "results_filters")
        assert first != last  # training changed the filters
        if width == WIDTHS[-1]:
            app.page.mouse.click(rail["x"] + rail["width"] - 2, rail["y"] + rail["height"] / 2)
            app.page.wait_for_timeout(500)
            section_shot(app, 'h3:has-text("What the network learned")', ".st-key-results_filters", "training-results")
        # play runs through every epoch and stops on the last
        app.widget("results_filters").locator(".updatemenu-button").first.click()
        app.page.wait_for_function(
            f"""() => document.querySelector('.st-key-results_filters .slider-container .slider-label')
                .textContent.trim() === 'epoch {digits_run_epochs}'""",
            timeout=app.timeout_ms,
        )
        app.page.wait_for_timeout(600)
        assert image_source(app, "results_filters") == last
        app.screenshot(f"training-results-page-{width}")
        assert_no_exception(app)


@pytest.fixture
def wide_app(browser, server: StreamlitServer) -> Iterator[App]:
    context = browser.new_context(viewport={"width": WIDTHS[-1], "height": 900})
    try:
        yield App(context.new_page(), server)
    finally:
        context.close()


def test_results_appear_while_a_run_trains(wide_app: App) -> None:
    """Start a small run and touch nothing: when its first epoch ends, the page shows its confusion matrix."""
    app = wide_app
    with explain_failure(app, "results-live"):
        app.open()
        app.go_to("Training")
        app.choose("preset", PRESET_LABELS["cifar"])
        app.set_number("edit_input_size", 16)  # 16 x 16 digits: an epoch takes seconds
        app.set_number("train_epochs", 20)  # still going when the first epoch's results show
        app.click("train_start")
        app.widget("train_stop").wait_for(timeout=app.timeout_ms)
        # the live view polls the run directory and reruns the page when an epoch's files appear
        app.widget("results_confusion").locator(".js-plotly-plot").wait_for(timeout=240_000)
        assert app.widget("train_stop").count() == 1  # shown during the run, not by the rerun at its end
        assert re.search(r"after epoch \d+ \(step \d+\)", app.main_text())
        assert_no_exception(app)
        app.click("train_stop")
