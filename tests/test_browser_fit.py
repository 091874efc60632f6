"""The Architecture and Training pages fit a 1024 px and a 1400 px window with the sidebar open (issue 18).

A learner at 1024 px saw the layer table hide Agree, Dropped px and Params behind a sideways
scroll nothing hinted at, and the drawing's labels run together ("96×27×27256×21×21"). Here
the browser measures what was drawn: no table or figure is wider than the column it sits in,
no table scrolls sideways (so every column header, Agree included, lies inside the table's
visible box), Agree is the column right after the layer's name, and no two labels of the
network drawing overlap or leave the figure. One server for both widths.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from browser_support import CUT_BUTTONS, App, StreamlitServer, chromium_browser, explain_failure, served

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SLACK_PX = 1  # sub-pixel rounding between a box and its parent's

# Every table and figure in the main area that is shown (one in a closed tab has no size): its box,
# its column's box (the vertical block it sits in) and, for a data grid or an st.table, how wide its
# content is and its column headers in order.
MEASURE = """() => {
    const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width});
    const main = document.querySelector('[data-testid="stMain"]');
    const items = [
        ...[...main.querySelectorAll('[data-testid="stDataFrame"]')].map(e => ['dataframe', e]),
        ...[...main.querySelectorAll('[data-testid="stTable"], [data-testid="stMarkdownContainer"] table')]
            .map(e => ['table', e]),
        ...[...main.querySelectorAll('.js-plotly-plot')].map(e => ['figure', e]),
    ];
    return items
        .filter(([, e]) => e.getBoundingClientRect().width > 0)
        .map(([kind, e]) => {
            const scroller = e.querySelector('.dvn-scroller');
            const inner = e.matches('[data-testid="stTable"]') ? e.querySelector('table') : null;
            // a grid's accessible table holds the columns in view, each with its place; a plain table, all
            const grid = [...e.querySelectorAll('table[role="grid"] th')]
                .map(th => [th.textContent.trim(), Number(th.getAttribute('aria-colindex'))]);
            const plain = [...(inner?.querySelectorAll('thead th') ?? [])]
                .map((th, i) => [th.textContent.trim(), i + 1]);
            return {
                kind,
                key: [...(e.closest('[class*="st-key-"]')?.classList || [])].find(c => c.startsWith('st-key-')) || '',
                box: box(e.getBoundingClientRect()),
                column: box(e.parentElement.closest('[data-testid="stVerticalBlock"]').getBoundingClientRect()),
                content: scroller ? {scroll: scroller.scrollWidth, client: scroller.clientWidth}
                    : inner ? {scroll: Math.round(inner.getBoundingClientRect().width),
                               client: Math.round(e.clientWidth)}
                    : null,
                headers: grid.length ? grid : plain,
            };
        });
}"""

AGREE_IN_VIEW = """() => [...document.querySelectorAll('[data-testid="stTable"] thead th')]
    .some(th => th.textContent.trim() === 'Agree')"""
AGREE_WAIT_MS = 15_000

# The network drawing's labels (plotly annotations) and the figure's box.
LABELS = """() => {
    const plot = document.querySelector('.st-key-network_drawing .js-plotly-plot');
    const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    return {
        figure: box(plot.getBoundingClientRect()),
        labels: [...plot.querySelectorAll('g.annotation-text-g text')]
            .map(t => ({text: t.textContent, ...box(t.getBoundingClientRect())})),
    };
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    with served(tmp_path_factory.mktemp("runs"), log_dir=tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[object]:
    with chromium_browser(chromium) as launched:
        yield launched


def overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"] - SLACK_PX
        and b["left"] < a["right"] - SLACK_PX
        and (a["top"] < b["bottom"] - SLACK_PX and b["top"] < a["bottom"] - SLACK_PX)
    )


def assert_within_columns(items: list[dict], width: int) -> None:
    """Every table and figure inside its column, and no table's content wider than its box."""
    for item in items:
        box, column = item["box"], item["column"]
        where = f"{item['kind']} {item['key']} at {width} px: {box} in its column {column}"
        assert box["left"] >= column["left"] - SLACK_PX and box["right"] <= column["right"] + SLACK_PX, where
        if item["content"]:
            content = item["content"]
            assert content["scroll"] <= content["client"] + SLACK_PX, (
                f"{where}: its columns are {content['scroll']} px wide, {content['client']} px show"
            )


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_training_page_with_a_run_fits_the_window(browser, server, digits_run, width: int) -> None:
    """The Start-here box's buttons keep their whole labels, and the All-runs table shows every column."""
    if not (server.runs_dir / digits_run.name).exists():
        shutil.copytree(digits_run, server.runs_dir / digits_run.name)
    context = browser.new_context(viewport={"width": width, "height": 1100})
    app = App(context.new_page(), server)
    try:
        with explain_failure(app, f"fit-training-{width}"):
            app.open()
            app.go_to("Training")
            app.page.locator(".st-key-train_table [data-testid='stDataFrame']").first.wait_for()
            app.page.wait_for_function(
                """() => [...document.querySelectorAll('.st-key-train_table table[role="grid"] th')]
                    .some(th => th.textContent.trim() === 'optimizer')""",
                timeout=AGREE_WAIT_MS,
            )  # the grid's last column, in view
            assert app.page.evaluate(CUT_BUTTONS) == []
            assert_within_columns(app.page.evaluate(MEASURE), width)
    finally:
        context.close()


@pytest.mark.parametrize("width", [1024, 1400])
def test_the_architecture_page_fits_the_window(browser, server: StreamlitServer, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 1100})
    app = App(context.new_page(), server)
    try:
        with explain_failure(app, f"fit-{width}"):
            app.open()
            app.wait_for_pytorch_column()
            app.page.locator(".st-key-network_drawing .js-plotly-plot g.annotation").first.wait_for()
            app.page.wait_for_function(AGREE_IN_VIEW, timeout=AGREE_WAIT_MS)  # the layer table's check column
            assert app.page.locator('[data-testid="stSidebar"]').first.bounding_box()["width"] > 200, "sidebar shut"
            items = app.page.evaluate(MEASURE)
            kinds = [item["kind"] for item in items]
            assert kinds.count("figure") >= 3 and kinds.count("table") >= 2, kinds  # the block summary, the layers
            assert app.page.evaluate(CUT_BUTTONS) == []  # the Start-here box's among them

            assert_within_columns(items, width)

            layer_table = next(item for item in items if any(name == "Agree" for name, _ in item["headers"]))
            # in view (no table is wider than its box: checked above) and right after the layer's name
            assert [name for name, _ in sorted(layer_table["headers"], key=lambda h: h[1])][:2] == ["Layer", "Agree"]

            drawing = app.page.evaluate(LABELS)
            labels, figure = drawing["labels"], drawing["figure"]
            assert len(labels) >= 10, labels
            for label in labels:
                inside = figure["left"] <= label["left"] and label["right"] <= figure["right"]
                assert inside, f"label {label['text']!r} leaves the drawing at {width} px: {label} vs {figure}"
            clashes = [(a["text"], b["text"]) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlap(a, b)]
            assert not clashes, f"drawing labels overlap at {width} px: {clashes}"
    finally:
        context.close()
