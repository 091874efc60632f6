"""Helpers for the real-browser tests: a Streamlit server in a subprocess and headless Chromium.

Used by ``tests/test_browser.py``. Debian's Chromium drives the pages through Playwright's sync API;
Playwright's own browser download is never used (``playwright install`` is not needed).

Streamlit facts these helpers rely on (Streamlit 1.67):
- the app root ``[data-testid="stApp"]`` carries ``data-test-script-state`` (``initial``,
  ``running``, ``notRunning``, ``rerunRequested``...) and ``data-test-connection-state``;
- a widget created with ``key="k"`` sits inside an element with the CSS class ``st-key-k``;
- sidebar navigation links are ``[data-testid="stSidebarNavLink"]``;
- a page that raised shows ``[data-testid="stException"]``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
CHROMIUM_ENV = "ALEXNET_CHROMIUM"  # overrides the browser path
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",  # small /dev/shm in containers makes Chromium crash on big pages
]
SERVER_START_TIMEOUT_S = 60.0
SLIDER_THUMB = 'input[type="range"], [role="slider"]'  # what takes a slider's arrow keys
RUN_TIMEOUT_MS = 60_000  # one script run on a busy 2-core machine; generous but bounded

PAGES = ("Architecture", "Summary", "Activations", "Training", "Experiments")


def find_chromium() -> str | None:
    """The Chromium executable: ``$ALEXNET_CHROMIUM``, Debian's paths, or ``chromium`` on PATH."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return override if Path(override).exists() else None
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it when binding to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Buttons whose label is cut ("Archit…"): the label's text is wider than the room it has.
CUT_BUTTONS = """() => [...document.querySelectorAll('[data-testid="stMain"] button')]
    .filter(b => b.getBoundingClientRect().width > 0)
    .flatMap(b => [...b.querySelectorAll('p, span')].filter(t => t.scrollWidth > t.clientWidth + 1)
        .map(() => b.innerText.trim()))"""


class ServerDied(RuntimeError):
    """The Streamlit server exited or never became healthy; the message holds its output."""


@dataclass
class StreamlitServer:
    """A running ``streamlit run app.py``: its URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    runs_dir: Path

    def log(self, tail_chars: int = 6000) -> str:
        """The last part of the server's stdout and stderr (where tracebacks land)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no server log>"
        return text[-tail_chars:]

    def runs_report(self) -> str:
        """Each training run's status.json and the end of its train.log (what the Training page reads)."""
        parts = []
        for run in sorted(self.runs_dir.glob("*/status.json")):
            log = run.with_name("train.log")
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else "<no train.log>"
            parts.append(f"{run.parent.name}: {run.read_text(errors='replace')}{tail}")
        return "\n".join(parts) or "<no runs>"

    def check_alive(self) -> None:
        """Raise ``ServerDied`` with the server's output if the process has exited."""
        code = self.process.poll()
        if code is not None:
            raise ServerDied(f"Streamlit server exited with code {code}. Its output:\n{self.log()}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (a training run, say): the whole process group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _stop_trainers(runs_dir: Path) -> None:
    """Kill every trainer still running from ``runs_dir``.

    A trainer runs in its own session (so that it outlives a page reload), which puts it outside
    the server's process group: a test that failed mid-run would otherwise leave it training.
    """
    from alexnet import runs

    for info in runs.list_runs(runs_dir):
        if not (info.active and info.pid):  # ``active`` also checks the pid is still a trainer
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, sig)  # its own session: pid == process group id
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and runs.get_run(info.run_id, runs_dir).active:
                time.sleep(0.2)
            if not runs.get_run(info.run_id, runs_dir).active:
                break


def server_command(port: int) -> list[str]:
    """How the app is started for a browser (the tests and ``benchmarks.bench_pages``): ``app.py``
    in the working directory, headless on 127.0.0.1, no usage statistics, no file watcher."""
    return [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip


@contextlib.contextmanager
def streamlit_server(runs_dir: Path, log_dir: Path | None = None) -> Iterator[StreamlitServer]:
    """Run the app on 127.0.0.1 and a free port until the block ends, then kill its process group.

    ``ALEXNET_RUNS_DIR`` points at ``runs_dir`` so training runs never touch the repository's
    ``runs/``. Raises ``ServerDied`` (with the server's output) if it does not answer its
    health endpoint within ``SERVER_START_TIMEOUT_S``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_dir = log_dir or runs_dir
    log_path = log_dir / "streamlit-server.log"
    env = dict(os.environ, ALEXNET_RUNS_DIR=str(runs_dir), PYTHONUNBUFFERED="1")
    command = server_command(port)
    # A log file, not a pipe: a pipe nobody reads fills up and blocks the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = StreamlitServer(url=url, process=process, log_path=log_path, runs_dir=runs_dir)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            server.check_alive()
            if time.monotonic() > deadline:
                raise ServerDied(f"Streamlit did not answer {url}/_stcore/health in time. Its output:\n{server.log()}")
            time.sleep(0.25)
        yield server
    finally:
        _kill_group(process)
        _stop_trainers(runs_dir)


@contextlib.contextmanager
def served(runs_dir: Path, log_dir: Path | None = None) -> Iterator[StreamlitServer]:
    """``streamlit_server`` for a test or fixture: a server that dies or never answers fails the test
    with its output (``pytest.fail``), not with a traceback through this module."""
    import pytest  # only the tests need it; the walk-through scripts that import this module do not

    try:
        with streamlit_server(runs_dir, log_dir=log_dir) as running:
            yield running
    except ServerDied as died:
        pytest.fail(str(died), pytrace=False)


@contextlib.contextmanager
def chromium_browser(executable: str) -> Iterator[object]:
    """Headless Debian Chromium through Playwright (a fresh profile; closed afterwards)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# --- driving the app ---------------------------------------------------------------------------


# every row of an st.table and of an st.dataframe's accessible copy of its grid
TABLE_ROWS = '[data-testid="stTable"] table tr, [data-testid="stDataFrame"] table tr'


class App:
    """One browser tab on the app, with a count of the script runs the server reported finished.

    React may batch a short run's "running" and "notRunning" states into one render, so the DOM
    alone cannot tell whether a rerun happened. The server's websocket messages can: every run
    ends with a ``script_finished`` ForwardMsg, which this class decodes and counts.
    """

    def __init__(self, page, server: StreamlitServer, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
        self.page = page
        self.server = server
        self.url = server.url
        self.timeout_ms = timeout_ms
        self.runs_finished = 0  # whole-script runs that ended normally (not fragment runs)
        self.fragment_runs = 0
        self.page.set_default_timeout(timeout_ms)
        self.page.on("websocket", self._on_websocket)

    def _on_websocket(self, websocket) -> None:
        websocket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        if not isinstance(payload, bytes):
            return
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            message = ForwardMsg.FromString(payload)
        except Exception:  # not a ForwardMsg; nothing to count
            return
        if message.WhichOneof("type") != "script_finished":
            return
        if message.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.fragment_runs += 1
        elif message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.runs_finished += 1

    # -- waiting

    def wait_for_idle(self) -> float:
        """Wait until no run is in progress, the app is connected and nothing is greyed out; seconds."""
        start = time.monotonic()
        self.page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]',
            timeout=self.timeout_ms,
        )
        # Elements of the previous run are marked stale until the new run redraws them.
        self.page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=self.timeout_ms)
        return time.monotonic() - start

    def wait_for_runs(self, before: int, fragment: bool = False) -> None:
        """Poll (pumping Playwright's events) until a run finished after the count ``before``."""
        deadline = time.monotonic() + self.timeout_ms / 1000
        while (self.fragment_runs if fragment else self.runs_finished) <= before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no script run finished within {self.timeout_ms} ms")
            self.page.wait_for_timeout(50)

    def rerun_after(self, action, fragment: bool = False) -> float:
        """Do ``action()``, wait for the run it causes to finish and the page to settle; seconds."""
        before = self.fragment_runs if fragment else self.runs_finished
        start = time.monotonic()
        action()
        self.wait_for_runs(before, fragment)
        self.wait_for_idle()
        return time.monotonic() - start

    # -- navigation

    def open(self) -> float:
        """Load the app and wait for its first run to finish; returns seconds."""
        start = time.monotonic()
        self.page.goto(self.url, wait_until="domcontentloaded", timeout=self.timeout_ms)
        self.wait_for_runs(0)
        self.page.wait_for_selector('[data-testid="stSidebarNavLink"]', timeout=self.timeout_ms)
        self.wait_for_idle()
        return time.monotonic() - start

    def wait_for_pytorch_column(self) -> float:
        """Wait until the Architecture page's PyTorch column is filled in and the page is idle; seconds.

        On a server's first page it says "Checking with PyTorch…" while torch loads in the
        background, then fills in by itself and asks for one whole-page run: an action taken
        before that could have its run mistaken for that one.
        """
        start = time.monotonic()
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stMain\"]').innerText.includes('Checking with PyTorch')",
            timeout=self.timeout_ms,
        )
        self.wait_for_idle()
        return time.monotonic() - start

    def nav_link(self, title: str):
        """The sidebar navigation link of the page called ``title``."""
        return self.page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).first

    def go_to(self, title: str) -> float:
        """Click the page's sidebar link and wait until that page's run is done; returns seconds."""
        seconds = self.rerun_after(self.nav_link(title).click)
        self.page.wait_for_function(
            """title => [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')]
                .some(a => a.innerText.includes(title) && a.getAttribute('aria-current') === 'page')""",
            arg=title,
            timeout=self.timeout_ms,
        )
        return seconds

    # -- widgets

    def widget(self, key: str):
        """The element wrapping the widget created with ``key=key`` (Streamlit's ``st-key-<key>`` class)."""
        return self.page.locator(f".st-key-{key}").first

    def see_chart(self, key: str):
        """Scroll the mounted chart with ``key`` (``pages.parts.common.mounted_chart``) into view, as a learner
        would, and wait until it shows its newest figure (one off screen waits for this); its element."""
        chart = self.widget(key).locator(".mounted-chart").first
        chart.wait_for(state="attached", timeout=self.timeout_ms)
        chart.scroll_into_view_if_needed(timeout=self.timeout_ms)
        self.page.wait_for_function(
            "key => document.querySelector(`.st-key-${key} .mounted-chart`).dataset.pending === 'false'",
            arg=key,
            timeout=self.timeout_ms,
        )
        return chart

    def set_number(self, key: str, value: float | int | str) -> float:
        """Type ``value`` into the number or text input with ``key``, commit it with Enter; seconds."""
        box = self.widget(key).locator("input").first

        def act() -> None:
            box.fill(str(value))
            box.press("Enter")

        return self.rerun_after(act)

    def choose(self, key: str, option: str) -> float:
        """Pick ``option`` in the selectbox with ``key``; returns seconds."""

        def act() -> None:
            box = self.widget(key).locator('input[role="combobox"]').first
            box.click()
            # The option list is virtualised (only the rows in view exist): typing filters it first.
            box.press_sequentially(option)
            self.page.get_by_role("option", name=option, exact=True).first.click()

        return self.rerun_after(act)

    def pick(self, key: str, option: str) -> float:
        """Pick ``option`` in the radio group (or segmented control) with ``key``; returns seconds."""
        return self.rerun_after(self.widget(key).get_by_text(option, exact=True).first.click)

    def slider_thumb(self, key: str):
        """The focusable thumb of the slider with ``key``, once it is drawn.

        Streamlit 1.67 draws ``st.slider`` with React Aria: the thumb is a visually hidden
        ``<input type="range">`` that takes the focus and the arrow keys (older versions drew a
        ``[role="slider"]`` div; both are accepted). Until the slider is drawn, the widget's
        container holds a skeleton.
        """
        thumb = self.widget(key).locator(SLIDER_THUMB).first
        thumb.wait_for(state="attached", timeout=self.timeout_ms)
        return thumb

    def slider_value(self, key: str) -> int:
        """The value the slider with ``key`` shows now."""
        return int(float(self.slider_thumb(key).evaluate("t => t.value ?? t.getAttribute('aria-valuenow')")))

    def set_slider(self, key: str, value: int) -> float:
        """Move the slider with ``key`` to ``value`` with the arrow keys, as a keyboard user would.

        Every key press is one step and commits at once (Streamlit reruns for each); returns seconds
        until the last run finished.
        """
        start = time.monotonic()
        current = self.slider_value(key)
        key_name = "ArrowRight" if value > current else "ArrowLeft"
        for _ in range(abs(value - current)):
            # the thumb is looked up afresh each time: a rerun may have redrawn it
            self.rerun_after(lambda: self.slider_thumb(key).press(key_name))
        shown = self.slider_value(key)
        assert shown == value, f"slider {key} shows {shown} after the arrow keys, not {value}"
        return time.monotonic() - start

    def set_value(self, key: str, value: int) -> float:
        """Set the slider or number input with ``key`` to ``value``, whichever the page drew; seconds.

        The widget's container first holds a skeleton: wait until a slider thumb or an input is drawn.
        """
        self.widget(key).locator("input").first.wait_for(state="attached", timeout=self.timeout_ms)
        if self.widget(key).locator(SLIDER_THUMB).count():
            return self.set_slider(key, value)
        return self.set_number(key, value)

    def click(self, key: str) -> float:
        """Click the button with ``key``; returns seconds."""
        return self.rerun_after(self.widget(key).locator("button").first.click)

    # -- reading

    def selected(self, key: str) -> str:
        """The option the selectbox with ``key`` shows (the value of its combobox input)."""
        return self.widget(key).locator('input[role="combobox"]').first.input_value()

    def exceptions(self) -> list[str]:
        """The text of every exception box on the page (a page that crashed shows one)."""
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def main_text(self) -> str:
        """All text in the main area (not the sidebar)."""
        return self.page.locator('[data-testid="stMain"]').inner_text()

    def table_text(self) -> str:
        """Text of every st.table and st.dataframe on the page, a line per row, cells joined by " | ".

        An st.dataframe's grid is a canvas (glide-data-grid), but it keeps an accessible ``<table>``
        of the rows it draws beside it; that is what this reads there (rows scrolled far out of
        view may be missing).
        """
        return self.page.evaluate(
            """selector => [...document.querySelectorAll(selector)]
                .map(row => [...row.children].map(cell => cell.textContent.trim()).join(' | '))
                .join('\\n')""",
            TABLE_ROWS,
        )

    def screenshot(self, name: str, directory: Path = ARTIFACTS_DIR) -> Path:
        """Save a full-page PNG of the app as ``directory/name.png``.

        Streamlit scrolls inside its own container, so a plain full-page screenshot stops at the
        viewport; the page is grown to the main area's full height for the shot, then restored.
        """
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        viewport = self.page.viewport_size
        height = self.page.evaluate(
            """() => {
                const main = document.querySelector('[data-testid="stMain"]');
                return main ? main.scrollHeight : document.body.scrollHeight;
            }"""
        )
        self.page.mouse.move(1, 1)  # no hover tooltip left over from the last click in the picture
        try:
            if viewport and height > viewport["height"]:
                self.page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 16_000)})
                self.page.wait_for_timeout(1000)  # let charts re-lay out at the new size
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            if viewport:
                self.page.set_viewport_size(viewport)
        return path


@contextlib.contextmanager
def explain_failure(app: App, name: str) -> Iterator[None]:
    """Re-raise any failure inside the block with a screenshot's path and the server's output."""
    try:
        yield
    except Exception as error:
        try:
            shot = str(app.screenshot(f"FAILED-{name}"))
        except Exception as shot_error:  # the browser may be what broke
            shot = f"<none: {shot_error}>"
        process = app.server.process
        alive = "running" if process.poll() is None else f"exited with code {process.returncode}"
        raise AssertionError(
            f"{type(error).__name__}: {error}\nscreenshot: {shot}\nserver {alive}; its output:\n{app.server.log()}\n"
            f"training runs:\n{app.server.runs_report()}"
        ) from error


def make_runs_dir() -> Path:
    """A fresh temporary runs directory."""
    return Path(tempfile.mkdtemp(prefix="alexnet-browser-runs-"))
