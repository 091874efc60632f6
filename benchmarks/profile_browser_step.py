"""Where a learner's browser spends a slider step: Chrome's CPU profile of the Architecture page.

One server of the app (127.0.0.1, a free port) and one headless Chromium tab (1400x900) on the
Architecture page. After the PyTorch column is filled and two unmeasured steps, it starts the
page's JavaScript sampling profiler (Chrome DevTools' ``Profiler`` domain, a sample every
``SAMPLE_US``) and the main thread's counters (``Performance.getMetrics``), presses the
input-size slider's arrow keys ``--steps`` times (right, left, ...), each time waiting for the
run to finish, the page to go idle and then ``SETTLE_S`` more, and stops.

Printed per step: how many of the page's plotly charts were drawn as new DOM nodes (an
``st.plotly_chart`` whose figure changed is a new element to Streamlit, mounted afresh; the
Architecture page's charts are ``pages.parts.common.mounted_chart``'s, updated in place); the main
thread's busy time (``TaskDuration``) and the part of it that was
script, layout and style; the profile's samples by script file (Streamlit's frontend is split into
chunks named after what they hold: ``PlotlyChart``, ``react-dom``, ``emotion-styled`` ...), and the
functions that took the most time themselves. ``(program)`` is the browser's own native work
outside script (painting, compositing, parsing); ``(idle)`` is waiting. The profiler slows the page
down; compare its shares, not its times, with ``bench_load``'s settle times.

    python -m benchmarks.profile_browser_step [--steps 4] [--json FILE]   (from the repository root)
"""

from __future__ import annotations

import argparse
import collections
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.browser_timing import SLIDER_KEY, VIEWPORT, environment, load_average, machine_line, write_record
from tests.browser_support import App, chromium_browser, find_chromium, streamlit_server

SAMPLE_US = 200  # the profiler's sampling interval
SETTLE_S = 1.2  # after the page went idle: plotly.js and the grid finish drawing
MAX_STEPS = 20
# every plotly chart's node marked before a step; after it, the charts without the mark are new nodes
MARK_CHARTS_JS = """() => { const charts = document.querySelectorAll('.js-plotly-plot');
    charts.forEach(chart => { chart.dataset.seen = '1'; }); return charts.length; }"""
NEW_CHARTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(c => !c.dataset.seen).length"""
COUNTERS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def profile(steps: int) -> tuple[dict, list[dict[str, float]]]:
    """The CPU profile of ``steps`` slider steps and each step's main-thread counters (ms)."""
    executable = find_chromium()
    if executable is None:
        raise SystemExit("Chromium is not installed (make chromium)")
    with (
        tempfile.TemporaryDirectory(prefix="alexnet-profile-") as runs,
        streamlit_server(Path(runs)) as server,
        chromium_browser(executable) as browser,
    ):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        app = App(page, server)
        app.open()
        app.wait_for_pytorch_column()

        def step(index: int) -> dict[str, int]:
            """One slider step; the page's plotly charts before it, and how many are new nodes after it."""
            charts = page.evaluate(MARK_CHARTS_JS)
            key = "ArrowRight" if index % 2 == 0 else "ArrowLeft"
            app.rerun_after(lambda: app.slider_thumb(SLIDER_KEY).press(key))
            page.wait_for_timeout(SETTLE_S * 1000)
            return {"charts": charts, "charts_replaced": page.evaluate(NEW_CHARTS_JS)}

        for index in range(2):  # unmeasured: the first steps compile what later ones reuse
            step(index)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": SAMPLE_US})

        def counters() -> dict[str, float]:
            return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

        cdp.send("Profiler.start")
        per_step = []
        for index in range(steps):
            before, started = counters(), time.monotonic()
            charts = step(index)
            after = counters()
            per_step.append(
                {name: 1000 * (after[name] - before[name]) for name in COUNTERS}
                | {"wall_ms": 1000 * (time.monotonic() - started)}
                | charts
            )
        return cdp.send("Profiler.stop")["profile"], per_step


def self_times(cpu_profile: dict) -> tuple[collections.Counter, collections.Counter]:
    """Microseconds of samples by script file and by function (file:line), each node's own time."""
    nodes = {node["id"]: node["callFrame"] for node in cpu_profile["nodes"]}
    by_file: collections.Counter = collections.Counter()
    by_function: collections.Counter = collections.Counter()
    for node_id, delta in zip(cpu_profile["samples"], cpu_profile["timeDeltas"], strict=True):
        frame = nodes[node_id]
        file = frame["url"].rsplit("/", 1)[-1]
        by_file[file or frame["functionName"]] += delta
        by_function[f"{frame['functionName'] or '(anonymous)'} {file}:{frame['lineNumber']}"] += delta
    return by_file, by_function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4, help=f"profiled slider steps (1 to {MAX_STEPS}; default 4)")
    parser.add_argument("--json", type=Path, help="write the per-step counters and the shares to this file")
    args = parser.parse_args()
    args.steps = max(1, min(args.steps, MAX_STEPS))
    machine, start_load = environment(), load_average()
    print(machine_line(machine))
    cpu_profile, per_step = profile(args.steps)
    medians = {name: statistics.median(step[name] for step in per_step) for name in (*COUNTERS, "wall_ms")}
    print(
        f"per step (median of {args.steps}, profiler on): main thread busy {medians['TaskDuration']:.0f} ms, of it "
        f"script {medians['ScriptDuration']:.0f}, layout {medians['LayoutDuration']:.0f}, "
        f"style {medians['RecalcStyleDuration']:.0f}; key to idle plus {SETTLE_S} s: {medians['wall_ms']:.0f} ms"
    )
    replaced = [step["charts_replaced"] for step in per_step]
    print(
        f"plotly charts on the page: {per_step[0]['charts']}; drawn as new nodes in a step: "
        f"{min(replaced)}-{max(replaced)} (st.plotly_chart mounts a changed figure afresh; "
        "pages.parts.common.mounted_chart updates it in place)"
    )
    by_file, by_function = self_times(cpu_profile)
    busy = sum(us for name, us in by_file.items() if name != "(idle)")
    print(f"\n{'script file (self time)':<48}{'ms/step':>9}{'share of busy':>15}")
    for name, us in by_file.most_common(14):
        if name != "(idle)":
            print(f"{name:<48}{us / 1000 / args.steps:>9.1f}{us / busy:>15.0%}")
    print(f"\n{'function (self time)':<64}{'ms/step':>9}")
    for name, us in by_function.most_common(16):
        if not name.startswith("(idle)"):
            print(f"{name[:63]:<64}{us / 1000 / args.steps:>9.1f}")
    if args.json:
        shares = {name: us / busy for name, us in by_file.most_common(30) if name != "(idle)"}
        write_record(args.json, machine, (start_load, load_average()), args, per_step=per_step, shares=shares)


if __name__ == "__main__":
    main()
