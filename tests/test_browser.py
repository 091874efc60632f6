"""The real app in a real browser: Streamlit in a subprocess, driven by headless Debian Chromium.

What a learner does: open the app, drag a block's slider on the Architecture page with the
arrow keys and see the shape table, the drawing and the arithmetic figure follow, visit every
page through the sidebar, click a feature-map cell on the Activations page and see its
receptive field on the image, and watch a tiny training run's loss curve grow. Full-page
screenshots land in ``test-artifacts/`` (git-ignored).

These tests skip, saying why, only where Chromium is missing and ``CI`` is unset; in CI a
missing browser is a failure. The expected shapes come from ``alexnet.network.shapes`` (the library is
the oracle; it is checked against real PyTorch forward passes elsewhere).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from browser_support import (
    PAGES,
    App,
    StreamlitServer,
    chromium_browser,
    explain_failure,
    served,
)

from alexnet.inspect.tables import PENDING_CHECK
from alexnet.network.config import PRESET_LABELS, PRESETS
from alexnet.network.receptive import receptive_rect
from alexnet.network.shapes import analyze
from alexnet.network.window import axis_geometry
from alexnet.plots.receptive import ANALYTIC_SHAPE, FIELD_SHAPE
from alexnet.training.data import DATASET_LABELS
from alexnet.units import format_mult_adds, shape_text

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

VIEWPORT = {"width": 1400, "height": 900}
# What each page draws once it is done, by widget key (Streamlit's ``st-key-<key>`` class).
PAGE_CONTENT = {
    "Architecture": ".st-key-network_drawing .js-plotly-plot",
    "Summary": ".st-key-cost_chart .js-plotly-plot",
    "Activations": ".st-key-act_grid .js-plotly-plot",
    "Training": ".st-key-train_start button",
    "Experiments": ".st-key-exp_claim",
}
TRAIN_EPOCHS = 20  # more than the test waits for: the run must still be going when Stop is pressed
TRAIN_BATCH = 16  # small batches: many short steps, so the curve grows between two looks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    with served(tmp_path_factory.mktemp("runs"), log_dir=tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    with chromium_browser(chromium) as launched:
        yield launched


@pytest.fixture
def app(browser, server: StreamlitServer) -> Iterator[App]:
    """A fresh tab in a fresh browser context: a new Streamlit session every test."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield App(context.new_page(), server)
    finally:
        context.close()


def assert_healthy_page(app: App, title: str) -> None:
    """The page is shown, drew its content, finished running and raised nothing."""
    assert app.nav_link(title).get_attribute("aria-current") == "page"
    heading = app.page.locator('[data-testid="stMain"] h1').first
    assert title in heading.inner_text(), f"{title}: title not drawn"
    app.page.locator(PAGE_CONTENT[title]).first.wait_for(timeout=app.timeout_ms)
    assert app.exceptions() == [], f"{title} page raised:\n" + "\n".join(app.exceptions())
    status = app.page.locator('[data-testid="stStatusWidget"]')
    assert status.count() == 0 or "Running" not in status.inner_text(), f"{title} is still running"


def wait_for_table_text(app: App, row_start: str, text: str) -> None:
    """Wait until a table row starting with ``row_start`` contains ``text``."""
    app.page.wait_for_function(
        """([start, text]) => [...document.querySelectorAll('[data-testid="stTable"] table tr')]
            .map(row => [...row.children].map(cell => cell.textContent.trim()).join(' | '))
            .some(line => line.startsWith(start) && line.includes(text))""",
        arg=[row_start, text],
        timeout=app.timeout_ms,
    )


def plot_data(app: App, key: str) -> dict:
    """The data and layout plotly holds for the chart with ``key``, read from the DOM."""
    return app.page.evaluate(
        """key => {
            const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return {data: plot.data.map(t => ({name: t.name, type: t.type})), layout: plot.layout};
        }""",
        key,
    )


def test_edit_architecture_then_visit_every_page(app: App) -> None:
    """Set conv1's stride from 4 to 2: the table and drawing follow; then every page draws without an exception."""
    paper = PRESETS["paper"]
    old_shape = shape_text(analyze(paper).layers[0].out_shape)
    new_shape = shape_text(analyze(paper.with_block(0, stride=2)).layers[0].out_shape)
    assert new_shape != old_shape  # the oracle agrees the change is visible

    with explain_failure(app, "architecture-edit"):
        print(f"first view: {app.open():.1f} s")
        print(f"then its PyTorch column: {app.wait_for_pytorch_column():.1f} s")
        assert_healthy_page(app, "Architecture")
        wait_for_table_text(app, "conv1 | ", old_shape)
        drawing = app.widget("network_drawing")
        drawing.locator("svg").first.wait_for(timeout=app.timeout_ms)
        before = drawing.inner_html()

        seconds = app.set_slider("edit_block1_stride", 2)  # two presses of the left arrow key

        wait_for_table_text(app, "conv1 | ", new_shape)
        app.wait_for_idle()
        app.see_chart("network_drawing")
        assert drawing.inner_html() != before, "the network drawing did not change"
        # the arithmetic figure shows conv1 (the picked block) with the new stride and output size
        app.see_chart("arith_figure")
        title = plot_data(app, "arith_figure")["layout"]["title"]["text"]
        side = analyze(paper.with_block(0, stride=2)).layers[0].out_shape[1]
        assert f"/ 2) + 1 = {side}" in title, title
        # and the costs: the overview's mult-adds metric shows the new total
        mult_adds = format_mult_adds(analyze(paper.with_block(0, stride=2)).total_mult_adds)
        assert mult_adds in app.main_text(), f"mult-adds {mult_adds} not shown"
        assert_healthy_page(app, "Architecture")
        app.screenshot("architecture-conv1-stride2")
        print(f"Architecture: stride change drawn in {seconds:.1f} s")

    with explain_failure(app, "every-page"):
        for title in PAGES:
            seconds = app.go_to(title)
            assert_healthy_page(app, title)
            path = app.screenshot(f"page-{title.lower()}")
            assert path.stat().st_size > 10_000, f"{path} looks empty"
            print(f"{title}: drawn in {seconds:.1f} s")


# Watches every animation frame of a page from its first, while it says "Checking with PyTorch":
# whether the check column's placeholder (…) was on screen, and the most elements seen faded
# (greyed out as stale) while only the page's looks for torch ran, and during the whole-page run
# that fills the column in (a run marks most of the page stale: "whole").
WATCH_PENDING_JS = """
window.__pending = {caption: false, row: false, faded: 0, fadedInFill: 0};
const look = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (main && main.innerText.includes('Checking with PyTorch')) {
        const p = window.__pending;
        p.caption = true;
        p.row = p.row || [...document.querySelectorAll('[data-testid="stTable"] table tr')]
            .some(row => row.textContent.includes('%s'));
        // on screen only: elements in a hidden tab jump to their faded end state at once
        const faded = [...main.querySelectorAll('[data-testid="stElementContainer"]')]
            .filter(e => e.checkVisibility() && parseFloat(getComputedStyle(e).opacity) < 0.9).length;
        const whole = main.querySelectorAll('[data-stale="true"]').length > 3;
        if (whole) p.fadedInFill = Math.max(p.fadedInFill, faded);
        else p.faded = Math.max(p.faded, faded);
    }
    requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


def test_a_servers_first_page_draws_before_pytorch_and_fills_in_by_itself(
    browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A fresh server's first page says it is checking with PyTorch while torch loads, never
    greyed out, then fills in its check column without a click, and its polling stops.

    (That everything analytic is drawn without torch is tests/test_app_architecture.py's: here the
    browser may still be drawing the figures when torch is there.)"""
    paper = analyze(PRESETS["paper"])
    conv1 = paper.layers[0]
    with served(tmp_path_factory.mktemp("runs")) as server:
        context = browser.new_context(viewport=VIEWPORT)
        context.add_init_script(WATCH_PENDING_JS % PENDING_CHECK)
        app = App(context.new_page(), server)
        with explain_failure(app, "first-page-before-pytorch"):
            started = time.monotonic()
            app.page.goto(server.url, wait_until="commit")
            app.page.get_by_text("Checking with PyTorch…").wait_for(timeout=app.timeout_ms)
            shown = time.monotonic() - started
            seconds = app.wait_for_pytorch_column()  # no click: the page's fragment looks again
            wait_for_table_text(app, "conv1 | ", f"✓ | {shape_text(conv1.out_shape)}")  # Agree after Layer
            assert f"agrees with the formula on all {len(paper.layers)} layers" in app.main_text()
            assert PENDING_CHECK not in app.table_text()
            for key in ("network_drawing", "arith_figure", "whatif_chart"):
                app.widget(key).locator(".js-plotly-plot").wait_for(timeout=app.timeout_ms)
            assert_healthy_page(app, "Architecture")
            pending = app.page.evaluate("() => window.__pending")
            assert pending["caption"] and pending["faded"] == 0, pending
            polls = app.fragment_runs
            app.page.wait_for_timeout(2000)
            assert app.fragment_runs == polls, "the page still polls for PyTorch after filling in"
            print(
                f"'Checking with PyTorch…' {shown:.1f} s after opening, filled {seconds:.1f} s later "
                f"(placeholder rows seen: {pending['row']}, {polls} looks, "
                f"most elements faded while it filled in: {pending['fadedInFill']})"
            )
        context.close()


def test_a_page_that_needs_pytorch_opened_first_through_a_link(browser, tmp_path_factory) -> None:
    """A fresh server's first page is Summary, through its link: it is never blank (the navigation,
    then "Loading PyTorch…" while the warm-up imports torch) and then draws in full."""
    with served(tmp_path_factory.mktemp("runs")) as server:
        context = browser.new_context(viewport=VIEWPORT)
        app = App(context.new_page(), server)
        with explain_failure(app, "summary-first"):
            app.page.goto(f"{server.url}/summary", wait_until="commit")
            app.page.locator('[data-testid="stSidebarNavLink"]').first.wait_for(timeout=app.timeout_ms)
            app.page.wait_for_function(
                """() => document.querySelector('[data-testid="stMain"]').innerText.includes('Loading PyTorch')
                    || !!document.querySelector('.st-key-cost_chart .js-plotly-plot')""",
                timeout=app.timeout_ms,
            )
            app.wait_for_runs(0)
            app.wait_for_idle()
            assert_healthy_page(app, "Summary")
            assert "Loading PyTorch" not in app.main_text()
        context.close()


MOUNTED_CHARTS = ("arith_figure", "whatif_chart", "network_drawing")
THEME_PATH = Path(__file__).resolve().parents[1] / "pages" / "parts" / "common" / "streamlit_plotly_theme.json"


def test_the_architecture_charts_stay_mounted_and_look_like_streamlits(app: App) -> None:
    """A slider step updates the Architecture page's three charts in place (the same DOM nodes, the
    new figures): at once where the learner looks, and for a chart off screen when it is scrolled to.
    They wear the template ``st.plotly_chart`` gives a chart on another page."""
    size = PRESETS["paper"].input_size + 1
    block = PRESETS["paper"].blocks[0]
    conv1 = analyze(replace(PRESETS["paper"], input_size=size)).layers[0]
    frames = len(axis_geometry(size, block.kernel_size, block.stride, block.padding).frames())
    read_charts = """keys => Object.fromEntries(keys.map(k => {
        const plots = document.querySelectorAll(`.st-key-${k} .js-plotly-plot`);
        const plot = plots[0];
        return [k, {count: plots.length, kept: plot.__before === true, template: plot.layout.template,
                    title: (plot.layout.title || {}).text || '', drawn: Number(plot.dataset.drawn),
                    hovers: plot.data.flatMap(t => t.hovertext || []),
                    frames: ((plot._transitionData || {})._frames || []).length}];
    }))"""
    with explain_failure(app, "mounted-charts"):
        app.open()
        app.wait_for_pytorch_column()
        for key in MOUNTED_CHARTS:
            app.widget(key).locator(".js-plotly-plot .main-svg").first.wait_for(timeout=app.timeout_ms)
        app.page.evaluate("() => window.scrollTo(0, 0)")
        app.page.evaluate(
            "keys => keys.forEach(k => { document.querySelector(`.st-key-${k} .js-plotly-plot`).__before = true; })",
            list(MOUNTED_CHARTS),
        )
        before = app.page.evaluate(read_charts, list(MOUNTED_CHARTS))
        app.set_slider("edit_input_size", size)  # the sidebar's slider: the page stays at its top
        app.page.wait_for_function(
            "() => document.querySelector('.st-key-whatif_chart .mounted-chart').dataset.pending === 'false'"
        )
        waiting = app.page.evaluate(read_charts, list(MOUNTED_CHARTS))
        # in view: the what-if chart drew the new figure; far below the fold (over 1,000 px): the
        # network drawing still shows the old one, its new one waiting
        assert waiting["whatif_chart"]["drawn"] == before["whatif_chart"]["drawn"] + 1, waiting["whatif_chart"]
        assert waiting["network_drawing"]["hovers"] == before["network_drawing"]["hovers"]
        assert app.widget("network_drawing").locator(".mounted-chart").get_attribute("data-pending") == "true"
        for key in MOUNTED_CHARTS:
            app.see_chart(key)
        charts = app.page.evaluate(read_charts, list(MOUNTED_CHARTS))
        for key, chart in charts.items():
            assert chart["count"] == 1 and chart["kept"], f"{key} was drawn anew, not updated in place: {chart}"
        assert f"({size} − " in charts["arith_figure"]["title"]
        assert any(f"→ {shape_text(conv1.out_shape)}" in text for text in charts["network_drawing"]["hovers"])
        assert charts["arith_figure"]["frames"] == frames  # the play control's frames came with the update
        theme = json.loads(THEME_PATH.read_text())
        app.go_to("Summary")
        app.widget("cost_chart").locator(".js-plotly-plot").wait_for(timeout=app.timeout_ms)
        streamlits = app.page.evaluate(
            "() => document.querySelector('.st-key-cost_chart .js-plotly-plot').layout.template"
        )
        assert streamlits == theme, (
            "st.plotly_chart's template is no longer pages/parts/common/streamlit_plotly_theme.json"
        )
        for key, chart in charts.items():
            assert chart["template"] == theme, f"{key} does not wear Streamlit's template"


def test_preset_change_after_page_switch(app: App) -> None:
    """Pick cifar on one page, go to another and pick paper again: the whole sidebar follows.

    A keyed selectbox drawn by every page used to ignore the first pick of its first option after a
    page switch (the box showed "paper", the network stayed cifar).
    """
    cifar, paper = PRESETS["cifar"], PRESETS["paper"]
    with explain_failure(app, "preset-after-page-switch"):
        app.open()
        app.wait_for_pytorch_column()
        app.choose("preset", PRESET_LABELS["cifar"])
        assert app.widget("edit_input_size").locator("input").input_value() == str(cifar.input_size)
        app.go_to("Summary")
        assert app.selected("preset") == PRESET_LABELS["cifar"]
        app.choose("preset", PRESET_LABELS["paper"])
        assert app.selected("preset") == PRESET_LABELS["paper"]
        assert app.widget("edit_input_size").locator("input").input_value() == str(paper.input_size)
        assert app.widget("edit_num_classes").locator("input").input_value() == str(paper.num_classes)
        assert_healthy_page(app, "Summary")


def progress_steps(app: App) -> tuple[int, int]:
    """The live view's (step, total steps) from "step 12 of 2020 · ...", waiting for the progress bar."""
    bar = app.page.locator('[data-testid="stMain"] [data-testid="stProgress"]').first
    bar.wait_for(timeout=app.timeout_ms)
    match = re.search(r"step (\d+) of (\d+)", bar.inner_text())
    assert match, f"progress text without a step count: {bar.inner_text()!r}"
    return int(match.group(1)), int(match.group(2))


def loss_points(app: App) -> int:
    """How many points the raw loss trace of the live loss chart holds (0 before it is drawn)."""
    return app.page.evaluate(
        """() => {
            const plot = document.querySelector('.st-key-train_loss_chart .js-plotly-plot');
            return plot && plot.data && plot.data.length ? plot.data[0].x.length : 0;
        }"""
    )


def wait_for_growth(app: App, before_step: int, before_points: int, timeout_s: float = 60.0) -> tuple[int, int]:
    """Wait until both the step count and the loss curve have grown; returns the new (step, points)."""
    deadline = time.monotonic() + timeout_s
    while True:
        step, points = progress_steps(app)[0], loss_points(app)
        if step > before_step and points > before_points:
            return step, points
        assert time.monotonic() < deadline, (
            f"the run did not grow in {timeout_s:.0f} s: "
            f"step {before_step} -> {step}, points {before_points} -> {points}"
        )
        app.page.wait_for_timeout(500)


def test_train_watch_and_stop(app: App) -> None:
    """Switch to the cifar preset, start a run on the bundled digits, watch the loss curve grow, stop it."""
    with explain_failure(app, "training"):
        app.open()
        app.go_to("Training")
        assert_healthy_page(app, "Training")

        fast = app.widget("train_use_fast")
        if fast.count():  # the page offers the fast preset when an epoch of this net would be slow
            app.click("train_use_fast")
        else:
            app.choose("preset", PRESET_LABELS["cifar"])
        assert app.selected("preset") == PRESET_LABELS["cifar"], "the sidebar did not switch to cifar"
        assert app.selected("train_dataset") == DATASET_LABELS["digits"]  # the box shows names, not keys
        app.set_number("train_epochs", TRAIN_EPOCHS)
        app.set_number("train_batch_size", TRAIN_BATCH)

        started = time.monotonic()
        app.click("train_start")
        assert_healthy_page(app, "Training")
        app.widget("train_stop").wait_for(timeout=app.timeout_ms)
        # the trainer is a fresh process (imports torch): allow it time for its first steps
        first = wait_for_growth(app, 0, 0, timeout_s=120)
        print(f"first step seen {time.monotonic() - started:.1f} s after Start: step {first[0]}, {first[1]} points")
        second = wait_for_growth(app, *first)
        print(f"then step {second[0]}, {second[1]} points")
        app.screenshot("training-running")

        # An epoch's results appearing at the moment of the click: the live view then reruns the
        # whole page. CI once lost the click that way (the run trained on for a minute), so make
        # it happen on purpose: one more results file, as the trainer writes at an epoch's end.
        (run_dir,) = [path.parent for path in app.server.runs_dir.glob("*/status.json")]
        first_filters = sorted((run_dir / "results").glob("filters-*.npz"))[0]
        shutil.copy(first_filters, first_filters.with_name(first_filters.stem + "b.npz"))
        app.widget("train_stop").locator("button").first.click()
        # the state badge in the live view's markdown (the runs table below says "stopped" too)
        badge = app.page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"]')
        badge = badge.get_by_text("stopped", exact=True).first
        badge.wait_for(timeout=app.timeout_ms)
        app.wait_for_idle()
        assert app.widget("train_stop").count() == 0, "Stop is still offered after the run stopped"
        step, total = progress_steps(app)
        assert second[0] <= step < total, f"stopped at step {step} of {total}: it should stop mid-run"
        assert_healthy_page(app, "Training")
        app.screenshot("training-stopped")
        print(f"stopped; whole run {time.monotonic() - started:.1f} s")


def test_click_a_feature_map_cell_to_see_its_receptive_field(app: App) -> None:
    """Click the top-right cell of conv2's map: the sliders and the image's rectangle follow, cut at the padding."""
    paper = PRESETS["paper"]
    conv2 = next(layer for layer in analyze(paper).layers if layer.name == "conv2")
    row, col = 0, conv2.out_shape[2] - 1
    rect = receptive_rect(paper, conv2, row, col)
    assert rect.clipped  # the oracle agrees this cell's field runs into the padding

    with explain_failure(app, "receptive-field-click"):
        app.open()
        app.go_to("Activations")
        assert_healthy_page(app, "Activations")
        cell_map = app.widget("rf_map").locator(".js-plotly-plot")
        cell_map.wait_for(timeout=app.timeout_ms)
        assert app.selected("rf_layer") == "conv2"
        cell_map.scroll_into_view_if_needed()
        # where plotly draws the cell's centre, in page pixels
        x, y = app.page.evaluate(
            """([row, col]) => {
                const plot = document.querySelector('.st-key-rf_map .js-plotly-plot');
                const xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
                const box = plot.getBoundingClientRect();
                return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
            }""",
            [row, col],
        )
        seconds = app.rerun_after(lambda: app.page.mouse.click(x, y))
        assert (app.slider_value("rf_row"), app.slider_value("rf_col")) == (row, col)
        shapes = {shape["name"]: shape for shape in plot_data(app, "rf_image")["layout"]["shapes"]}
        drawn = shapes[FIELD_SHAPE]
        assert (drawn["x0"], drawn["x1"], drawn["y0"], drawn["y1"]) == (
            rect.clipped_cols[0] - 0.5,
            rect.clipped_cols[1] + 0.5,
            rect.clipped_rows[0] - 0.5,
            rect.clipped_rows[1] + 0.5,
        )
        analytic = shapes[ANALYTIC_SHAPE]
        assert (analytic["y0"], analytic["x1"]) == (rect.rows[0] - 0.5, rect.cols[1] + 0.5)
        assert f"Receptive field {conv2.receptive_field} × {conv2.receptive_field} px" in app.main_text()
        assert_healthy_page(app, "Activations")
        print(f"receptive field of conv2 cell ({row}, {col}) drawn {seconds:.1f} s after the click")


def test_the_onnx_button_downloads_the_network_on_the_page(app: App, tmp_path: Path) -> None:
    """Pick the small network, widen conv1's kernel, press ONNX on the Export tab: the browser saves
    a file whose every tensor has the shape the page's table gives (the file is built on the press)."""
    from alexnet.network.onnx_export import OUTPUT_NAME, onnx_shapes

    edited = PRESETS["cifar"].with_block(0, kernel_size=5)
    with explain_failure(app, "onnx-download"):
        app.open()
        app.wait_for_pytorch_column()
        app.choose("preset", PRESET_LABELS["cifar"])
        app.set_slider("edit_block1_kernel_size", 5)
        app.page.get_by_role("tab", name="Export / import").click()
        button = app.widget("download_onnx").locator("button").first
        assert "ONNX" in button.inner_text() and button.is_enabled()
        with app.page.expect_download(timeout=app.timeout_ms) as started:
            button.click()
        download = started.value
        assert download.suggested_filename == "alexnet_32px_random0.onnx"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
    shapes = onnx_shapes(saved.read_bytes())
    for layer in analyze(edited).layers[:-1]:
        if layer.kind != "dropout":
            assert shapes[layer.name] == ("batch", *layer.out_shape), layer.name
    assert shapes["conv1"] == ("batch", 32, 30, 30) and shapes[OUTPUT_NAME] == ("batch", edited.num_classes)
