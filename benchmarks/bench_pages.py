"""How long the app makes a new user wait, from headless Chromium, beside a blank Streamlit app.

The baseline is measured in the same run: a blank Streamlit app (``st.title`` and one
``st.write``) is written into a temporary folder with a copy of the repository's
``.streamlit/config.toml``, started with the same command and flags as the app and opened the same
way. Starts alternate, blank then app, ``--rounds`` times (default 3), each a fresh server and a
fresh browser context, so that other processes' noise falls on both alike; medians are printed,
and the app's load times as ratios to the blank app's.

What is timed (``performance.now()`` in the page counts from the navigation's start, that is from
opening the address):

- **first paint**: the first animation frame in which every analytic element of the Architecture
  page is drawn and visible (``ARCHITECTURE_ELEMENTS``: the metrics, the sliders, the block table,
  the layer-by-layer table and the what-if, convolution-arithmetic and network figures);
- **PyTorch filled**: the first frame in which those are drawn *and* the page is quiet
  (``quiet`` in ``PROBE_JS``): no visible element says "Checking with PyTorch" (any case; the page
  shows that while torch loads), the script is not running and the app connected, the status
  widget is gone, nothing is stale and no spinner or skeleton is left (a run that follows the
  text's going, such as a whole-page rerun, is waited for). A page that never shows the text is
  filled when its first run has finished. The last frame with the text is printed too;
- **blank app**: the same "filled" predicate, its elements being its title and its line;
- **page switches**: after ``--think`` seconds on the first page (a reader; the server warms the
  other pages meanwhile), a click on each page's sidebar link until the run it caused has finished
  (the server's ``script_finished`` message), the link is the current page and the page is quiet;
  ``--laps`` times round (the first lap pays each page's first build, later laps show the caches);
- **slider step**: back on Architecture, ArrowRight on the focused input-size slider (a new size
  each time, so nothing comes from a cache) until the run finished, the slider shows the new
  value, the main area's text changed and the page is quiet.

Each timing's median over the starts is judged against its target; "x blank" is the app's median
over the blank app's median "complete" time (each pair's ratio is in the JSON). Switches and slider
steps are timed from Python (10 ms polling and a round trip to the browser are in them).
Every wait has a timeout; the servers listen on 127.0.0.1 on free ports and are killed at the end.
Run from the repository root: ``python -m benchmarks.bench_pages [--rounds 3] [--think 8] [--json FILE]``.
Targets (issue 13): first paint at most 2x the blank app, PyTorch filled at most 3x, every page
switch under 1 s on a first visit and under 0.5 s on a later one, a slider step under 0.5 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.browser_timing import (
    ARCHITECTURE_ELEMENTS,
    OPEN_TIMEOUT_S,
    REPO_ROOT,
    SETTLED_JS,
    SLIDER_KEY,
    SLIDER_VALUE_JS,
    STATE_JS,
    STEP_TIMEOUT_S,
    VIEWPORT,
    cpu_model,
    environment,
    load_average,
    machine_line,
    probe_script,
    serve,
    verdict,
    write_record,
)
from tests.browser_support import App, chromium_browser, find_chromium, server_command

__all__ = ["cpu_model", "server_command"]  # kept here for tests/test_bench_pages.py

PAGES = ("Summary", "Activations", "Training", "Architecture")
THINK_S = 8.0  # a new user reads the first page before switching (pages.parts.common.warmup starts 3 s in)

BLANK_ELEMENTS = (
    ("title", '[data-testid="stHeading"] h1', 1),
    ("line", '[data-testid="stMarkdown"]', 1),
)
BLANK_APP = '''"""A blank Streamlit app: the page benchmark's baseline (benchmarks/bench_pages.py)."""

import streamlit as st

st.title("Blank")
st.write("One line of text, nothing else.")
'''


# --- pure parts (tests/test_bench_pages.py) -----------------------------------------------------


def write_blank_app(directory: Path) -> Path:
    """Write the blank app and a copy of the repository's Streamlit config into ``directory``."""
    (directory / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / ".streamlit" / "config.toml", directory / ".streamlit" / "config.toml")
    (directory / "app.py").write_text(BLANK_APP)
    return directory


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(starts: list[dict], think_s: float) -> dict:
    """Medians over the starts, the app's ratios to the blank app and each target's verdict.

    ``starts`` holds one dict per start: ``kind`` ("blank" or "app"), ``first_paint_s``,
    ``filled_s`` and, for the app, ``switches`` ({page: [seconds per lap]}) and ``slider_steps_s``.
    """
    blank = [s for s in starts if s["kind"] == "blank"]
    app = [s for s in starts if s["kind"] == "app"]
    blank_s = _median([s["filled_s"] for s in blank])
    first_paint = _median([s["first_paint_s"] for s in app])
    filled = _median([s["filled_s"] for s in app])

    def ratio(value: float | None) -> float | None:
        return value / blank_s if value is not None and blank_s else None

    pairs = [
        {"first_paint": a["first_paint_s"] / b["filled_s"], "filled": a["filled_s"] / b["filled_s"]}
        for b, a in zip(blank, app, strict=False)
    ]
    switches: dict[str, dict[str, list[float]]] = {}
    for start in app:
        for page, laps in start.get("switches", {}).items():
            visits = switches.setdefault(page, {"first": [], "again": []})
            visits["first"].extend(laps[:1])
            visits["again"].extend(laps[1:])
    steps = [t for start in app for t in start.get("slider_steps_s", [])]
    targets = [
        {"what": "first paint, x blank", "value": ratio(first_paint), "limit": 2.0},
        {"what": "PyTorch filled, x blank", "value": ratio(filled), "limit": 3.0},
    ]
    for page, visits in switches.items():
        targets.append({"what": f"switch to {page}, first visit (s)", "value": _median(visits["first"]), "limit": 1.0})
        targets.append({"what": f"switch to {page}, again (s)", "value": _median(visits["again"]), "limit": 0.5})
    targets.append({"what": "slider step (s)", "value": _median(steps), "limit": 0.5})
    for target in targets:
        target["met"] = None if target["value"] is None else target["value"] <= target["limit"]
    return {
        "think_s": think_s,
        "blank_filled_s": blank_s,
        "blank_first_paint_s": _median([s["first_paint_s"] for s in blank]),
        "app_first_paint_s": first_paint,
        "app_filled_s": filled,
        "first_paint_x_blank": ratio(first_paint),
        "filled_x_blank": ratio(filled),
        "pair_ratios": pairs,
        "server_health_s": {
            "blank": _median([s["server_s"] for s in blank]),
            "app": _median([s["server_s"] for s in app]),
        },
        "switches": switches,
        "slider_steps_s": steps,
        "targets": targets,
    }


def _ms_to_s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _seconds(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def format_table(starts: list[dict], summary: dict) -> str:
    """The printed result: one row per timing, its median, each start's value, ratio and target."""
    blank = [s for s in starts if s["kind"] == "blank"]
    app = [s for s in starts if s["kind"] == "app"]
    verdicts = {t["what"]: t["met"] for t in summary["targets"]}
    head = f"{'timing':<44} {'median':>8}  {'each start':<20} {'x blank':>7}  target"
    lines = [head, "-" * len(head)]

    def row(
        label: str,
        values: list[float],
        *,
        median: float | None = None,
        ratio: float | None = None,
        target: str = "",
        of: str = "",
    ) -> None:
        """One timing: the median of ``values`` (or ``median``), each value, and the verdict of the target ``of``."""
        median = _median(values) if median is None else median
        shown = "       -" if median is None else f"{median:6.2f} s"
        times = f"{ratio:7.2f}" if ratio is not None else " " * 7
        judged = f" {verdict(verdicts.get(of))}" if of else ""
        lines.append(f"{label:<44} {shown}  {_seconds(values):<20} {times}  {target}{judged}".rstrip())

    row("blank app: open -> title and line drawn", [s["first_paint_s"] for s in blank])
    row("blank app: open -> complete (the baseline)", [s["filled_s"] for s in blank], ratio=1.0)
    paints, fills = [s["first_paint_s"] for s in app], [s["filled_s"] for s in app]
    row("app: open -> first paint, analytic elements", paints, ratio=summary["first_paint_x_blank"], target="<= 2x",
        of="first paint, x blank")  # fmt: skip
    row("app: open -> PyTorch column filled", fills, ratio=summary["filled_x_blank"], target="<= 3x",
        of="PyTorch filled, x blank")  # fmt: skip
    row("blank app: server start -> health check", [s["server_s"] for s in blank])
    row("app: server start -> health check", [s["server_s"] for s in app])
    row("app: server start -> PyTorch column filled", [s["launch_to_filled_s"] for s in app])
    checking = [s["checking_last_s"] for s in app if s.get("checking_last_s") is not None]
    if checking:  # the frame before the text went; a whole-page run may follow before "filled"
        row("app: open -> last 'Checking with PyTorch'", checking)
    lines.append(f"('Checking with PyTorch' was on the page in {len(checking)} of {len(app)} app starts)")
    lines.append(
        f"then {summary['think_s']:g} s on the first page before switching "
        f"({PAGES[-1]} is that page: its first visit is a return to it)"
    )
    for page, visits in summary["switches"].items():
        row(f"switch to {page}, first visit", visits["first"], target="< 1 s", of=f"switch to {page}, first visit (s)")
        row(f"switch to {page}, again", visits["again"], target="< 0.5 s", of=f"switch to {page}, again (s)")
    # its median is every step's; "each start" shows each start's median step (the JSON has every step)
    steps = [statistics.median(s["slider_steps_s"]) for s in app if s.get("slider_steps_s")]
    row("slider step (input size, ArrowRight)", steps, median=_median(summary["slider_steps_s"]), target="< 0.5 s",
        of="slider step (s)")  # fmt: skip
    drawn = {
        name: _median([s["elements_s"][name] for s in app if name in s.get("elements_s", {})])
        for name, *_ in ARCHITECTURE_ELEMENTS
    }
    order = sorted((t, name) for name, t in drawn.items() if t is not None)
    if order:
        lines.append("app, each element first drawn (median s): " + ", ".join(f"{n} {t:.2f}" for t, n in order))
    return "\n".join(lines)


# --- the browser ----------------------------------------------------------------------------------


def open_timed(app: App, elements: tuple[tuple[str, str, int], ...], timeout_s: float) -> dict:
    """Open the app's address in its fresh tab and wait until the probe saw it settle; its marks (ms)."""
    page = app.page
    page.goto(app.url, wait_until="commit", timeout=timeout_s * 1000)
    try:
        page.wait_for_function(SETTLED_JS, polling=100, timeout=timeout_s * 1000)
    except Exception as error:
        state = page.evaluate(STATE_JS)
        wanted = {name: least for name, _, least in elements}
        raise RuntimeError(
            f"{app.url} did not settle in {timeout_s:g} s: {state} (wanted at least {wanted}); "
            f"exceptions: {app.exceptions()}\nserver output:\n{app.server.log()}"
        ) from error
    return page.evaluate("() => window.__bench.marks")


def timed_step(app: App, action, ready_js: str, arg: object = None) -> float:
    """Seconds from ``action()`` until a script run it caused has finished, the page is quiet and
    ``ready_js(arg)`` holds."""
    page = app.page
    before = app.runs_finished
    start = time.monotonic()
    action()
    while app.runs_finished <= before:  # counted from the server's script_finished messages
        if time.monotonic() - start > STEP_TIMEOUT_S:
            raise TimeoutError(f"no script run finished within {STEP_TIMEOUT_S:g} s")
        page.wait_for_timeout(10)
    page.wait_for_function(
        f"arg => window.__bench.quiet() && ({ready_js})(arg)", arg=arg, timeout=STEP_TIMEOUT_S * 1000
    )
    return time.monotonic() - start


CURRENT_PAGE_JS = """title => [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')]
    .some(a => a.innerText.includes(title) && a.getAttribute('aria-current') === 'page')"""
SLIDER_MOVED_JS = f"""([key, value, before]) => ({SLIDER_VALUE_JS})(key) === value
    && document.querySelector('[data-testid="stMain"]').textContent !== before"""
MAIN_TEXT_JS = "() => document.querySelector('[data-testid=\"stMain\"]').textContent"


def switch_pages(app: App, laps: int) -> dict[str, list[float]]:
    """Seconds for each page switch, ``laps`` times round the sidebar's pages."""
    times: dict[str, list[float]] = {title: [] for title in PAGES}
    for _ in range(laps):
        for title in PAGES:
            times[title].append(timed_step(app, app.nav_link(title).click, CURRENT_PAGE_JS, title))
    return times


def slider_steps(app: App, steps: int) -> list[float]:
    """Seconds for each ArrowRight on the input-size slider (each step a size not seen before)."""
    times = []
    for _ in range(steps):
        value = app.slider_value(SLIDER_KEY) + 1
        before = app.page.evaluate(MAIN_TEXT_JS)
        press = lambda: app.slider_thumb(SLIDER_KEY).press("ArrowRight")  # noqa: E731
        times.append(timed_step(app, press, SLIDER_MOVED_JS, [SLIDER_KEY, value, before]))
    return times


def one_start(browser, kind: str, directory: Path, runs_dir: Path, args: argparse.Namespace) -> dict:
    """Start one server, open it in a fresh browser context and time it (and for the app, use it)."""
    elements = ARCHITECTURE_ELEMENTS if kind == "app" else BLANK_ELEMENTS
    result: dict = {"kind": kind}
    with serve(directory, runs_dir) as (server, launched):
        server_s = time.monotonic() - launched
        context = browser.new_context(viewport=VIEWPORT)
        try:
            context.add_init_script(probe_script(elements))
            app = App(context.new_page(), server, timeout_ms=int(STEP_TIMEOUT_S * 1000))
            opened = time.monotonic()
            marks = open_timed(app, elements, args.timeout)
            result.update(
                server_s=server_s,
                first_paint_s=marks["drawn"] / 1000,
                filled_s=marks["settled"] / 1000,
                launch_to_filled_s=opened - launched + marks["settled"] / 1000,
                elements_s={name: ms / 1000 for name, ms in marks["elements"].items()},
                checking_first_s=_ms_to_s(marks.get("checking_first")),
                checking_last_s=_ms_to_s(marks.get("checking_last")),
            )
            if kind == "app":
                app.page.wait_for_timeout(args.think * 1000)
                result["switches"] = switch_pages(app, args.laps)
                result["slider_steps_s"] = slider_steps(app, args.steps)
            result["exceptions"] = app.exceptions()
        finally:
            context.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating starts of each app (default 3)")
    parser.add_argument("--laps", type=int, default=2, help="times round all pages per app start (default 2)")
    parser.add_argument("--steps", type=int, default=5, help="slider steps per app start (default 5)")
    parser.add_argument(
        "--think",
        type=float,
        default=THINK_S,
        help=f"seconds on the first page before the first switch (default {THINK_S:g}; 0: switch at once)",
    )
    parser.add_argument("--timeout", type=float, default=OPEN_TIMEOUT_S, help="seconds to wait for a page to open")
    parser.add_argument("--json", type=Path, help="write every number to this file")
    args = parser.parse_args(argv)
    if min(args.rounds, args.laps) < 1 or args.steps < 0 or args.think < 0:
        parser.error("--rounds and --laps must be at least 1, --steps and --think at least 0")
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium found (see README: make chromium)", file=sys.stderr)
        return 1
    machine = environment()
    load_start = load_average()
    print(machine_line(machine))
    print(f"load average at start: {' '.join(map(str, load_start))}", flush=True)
    starts: list[dict] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-pages-") as scratch,
        chromium_browser(chromium) as browser,
    ):
        blank_dir = write_blank_app(Path(scratch) / "blank")
        runs_dir = Path(scratch) / "runs"
        runs_dir.mkdir()
        machine["chromium"] = browser.version
        for round_number in range(1, args.rounds + 1):
            for kind, directory in (("blank", blank_dir), ("app", REPO_ROOT)):
                start = one_start(browser, kind, directory, runs_dir, args)
                starts.append(start)
                print(
                    f"round {round_number}, {kind}: first paint {start['first_paint_s']:.2f} s, "
                    f"complete {start['filled_s']:.2f} s",
                    flush=True,
                )
    load_end = load_average()
    summary = summarise(starts, args.think)
    print()
    print(format_table(starts, summary))
    print(f"load average at end: {' '.join(map(str, load_end))}")
    errors = [error for start in starts for error in start.get("exceptions", [])]
    if errors:
        print(f"exceptions on the pages: {errors}")
    if args.json:
        write_record(args.json, machine, (load_start, load_end), args, starts=starts, summary=summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
