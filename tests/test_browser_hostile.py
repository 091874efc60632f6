"""A hostile learner in a real browser: two hostile images uploaded on the Activations page and a
hostile run id opened through the Training page's link. Each gets its plain message, no page
shows an exception, and each page still works afterwards.

Streamlit runs in a subprocess, driven by headless Debian Chromium (``browser_support``); the
runs directory is a temporary folder whose parent looks like a run, which is what an escaping
run id would find.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from browser_support import App, StreamlitServer, chromium_browser, explain_failure, served
from PIL import Image

from alexnet.inspect.images import MAX_UPLOAD_PIXELS
from alexnet.training import run_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

VIEWPORT = {"width": 1400, "height": 900}
RUN_ID = "20250101-120000-digits"
HOSTILE_LINK = "../../etc"


def text_as_png() -> bytes:
    return b"#!/bin/sh\necho this is not a picture\n"


def decompression_bomb() -> bytes:
    """A 1-bit PNG of 8000 x 6000 = 48 megapixels: a few kB on the wire, 144 MB once decoded as RGB."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, format="PNG", optimize=True)
    assert MAX_UPLOAD_PIXELS < 8000 * 6000 and buffer.tell() < 100_000
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    parent = tmp_path_factory.mktemp("hostile")
    run_folder.write_json(parent / run_folder.STATUS, {"state": "running", "pid": None, "updated_at": 0})  # bait
    runs_dir = parent / "runs"
    (runs_dir / RUN_ID).mkdir(parents=True)
    run_folder.write_json(
        runs_dir / RUN_ID / run_folder.STATUS, {"state": "finished", "pid": None, "updated_at": time.time()}
    )
    run_folder.write_json(
        runs_dir / RUN_ID / run_folder.CONFIG, {"created_at": time.time(), "training": {}, "network": {}}
    )
    with served(runs_dir, log_dir=tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def app(chromium: str, server: StreamlitServer) -> Iterator[App]:
    with chromium_browser(chromium) as browser:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            yield App(context.new_page(), server)
        finally:
            context.close()


def errors(app: App) -> list[str]:
    return app.page.locator('[data-testid="stAlertContentError"]').all_inner_texts()


def upload(app: App, name: str, data: bytes) -> None:
    box = app.widget("act_upload").locator('input[type="file"]').first
    app.rerun_after(lambda: box.set_input_files(files=[{"name": name, "mimeType": "image/png", "buffer": data}]))


def test_hostile_uploads_and_a_hostile_run_link(app: App) -> None:
    with explain_failure(app, "hostile"):
        app.open()
        app.go_to("Activations")
        app.pick("act_source", "Upload")

        upload(app, "photo.png", text_as_png())
        app.page.wait_for_function(
            "() => document.body.innerText.includes('not an image this app can read')", timeout=app.timeout_ms
        )
        assert app.exceptions() == []

        upload(app, "bomb.png", decompression_bomb())
        # the error itself: the upload box's own label says "at most 40 megapixels" from the start
        app.page.locator('[data-testid="stAlertContentError"]').filter(has_text="megapixels").first.wait_for(
            timeout=app.timeout_ms
        )
        (message,) = errors(app)
        assert "8000 x 6000" in message and "Fix:" in message, message
        assert app.exceptions() == []
        app.screenshot("hostile-upload")

        # a 1 x 1 PNG is accepted, said to be upscaled (not "cropped"), and its one colour warned about
        dot = io.BytesIO()
        Image.new("RGB", (1, 1), (255, 0, 0)).save(dot, format="PNG")
        upload(app, "dot.png", dot.getvalue())
        app.page.get_by_text("one colour only (RGB 255, 0, 0)").first.wait_for(timeout=app.timeout_ms)
        app.page.get_by_text("Upscaled from 1 x 1 to 227 x 227 RGB").first.wait_for(timeout=app.timeout_ms)
        assert app.exceptions() == []
        app.screenshot("hostile-one-pixel")

        # still usable: a sample photo goes through the network and its feature maps are drawn
        app.pick("act_source", "Sample photo")
        app.page.locator(".st-key-act_grid .js-plotly-plot").first.wait_for(timeout=app.timeout_ms)
        assert errors(app) == [] and app.exceptions() == []

        # a link that tries to leave the runs directory
        before = app.runs_finished
        app.page.goto(f"{app.url}/training?run={quote(HOSTILE_LINK, safe='')}", wait_until="domcontentloaded")
        app.wait_for_runs(before)
        app.wait_for_idle()
        app.page.locator(".st-key-train_start button").first.wait_for(timeout=app.timeout_ms)
        (message,) = errors(app)
        assert "not a run id" in message and "20250101-120000-digits" in message, message
        assert app.exceptions() == []
        assert app.selected("train_watch") == RUN_ID  # the real run, not the folder above the runs directory
        assert "interrupted" not in app.main_text()  # the bait folder was never described as a run
        app.screenshot("hostile-link")

        # still usable: a widget answers, and the message stays while the link does
        app.set_number("train_epochs", 3)
        assert app.exceptions() == []
        assert app.widget("train_epochs").locator("input").first.input_value() == "3"
