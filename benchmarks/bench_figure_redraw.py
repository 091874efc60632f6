"""What one slider step costs the learner's browser, figure by figure: the Architecture page's three
plotly figures redrawn in headless Chromium, the network drawing beside the form it had before.

A step of the input-size slider (227 -> 228 px on the paper network) changes all three figures:
the convolution arithmetic of conv1 (``sliding_window_figure``), the network drawing (``drawing``)
and the what-if chart of conv1's stride (``sweep_figure``). This benchmark builds each for both
sizes with the same builders the page uses and redraws one from the other in two ways:

- **new plot**, what ``st.plotly_chart`` does in Streamlit 1.67: the figure's JSON is part of the
  element's id, so a changed figure is a new element and its chart is mounted afresh (the old
  plot purged and removed, ``Plotly.newPlot`` into a new ``div``; ``profile_browser_step`` counts
  the page's charts replaced by new nodes in a step);
- **react**: ``Plotly.react`` on the same ``div``, the update in place a chart that stayed mounted
  would get.

Side by side, in the same browser and run, the network drawing is also drawn in its earlier form,
rebuilt from today's by a transformation that changes nothing else: **one trace per face**, every
face polygon a trace of its own with its box's hover text (``hoveron="fills"``), and each conv's
window and its dotted lines two traces of their own, as the drawing was built before they were
merged by colour (49 traces for the paper network instead of 18). (Thinning the arithmetic
figure's 55 play-slider labels to round numbers was tried the same way and measured no faster:
it was left as it is.)

Per figure, form and way it prints the median wall time of one redraw (until the next
animation frame after it has run, ``--redraws`` of them alternating between the two sizes, in ``ROUNDS``
turns with the other forms after one unmeasured pass) and the median over the turns of the
main thread's busy time per redraw (Chrome's ``TaskDuration``: script, style, layout and paint),
and the ratio of the earlier form to today's. plotly.js here is the copy in the ``plotly`` Python
package (Streamlit's frontend bundles its own build, so absolute times on the page differ; the
ratios are what this measures). Only a local page is opened: nothing is fetched.

    python -m benchmarks.bench_figure_redraw [--redraws 8] [--json FILE]   (from the repository root)
"""

from __future__ import annotations

import argparse
import copy
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import plotly

from alexnet.network.config import PRESETS
from alexnet.network.shapes import analyze
from alexnet.network.whatif import SWEEPABLE, sweep
from alexnet.network.window import axis_geometry
from alexnet.plots.architecture import network_figure
from alexnet.plots.arithmetic import arithmetic_figure, formula_caption
from alexnet.plots.whatif import whatif_figure
from benchmarks.browser_timing import VIEWPORT, environment, load_average, machine_line, write_record
from tests.browser_support import CHROMIUM_ARGS, find_chromium

Spec = dict[str, Any]
SIZES = (227, 228)  # one step of the input-size slider on the paper network
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ROUNDS = 5  # each form measured this many times, in turn with the others
CHART_WIDTH_PX = 1000  # about the page's main column at a 1400 px window

# one redraw (a new plot in a new div, or Plotly.react on the same one), then wait for the next
# animation frame to have run (style, layout, paint)
REDRAWS_JS = """async ([first, second, count, fresh]) => {
    const box = document.getElementById('charts');
    let element = box.firstElementChild;
    Plotly.purge(element);
    const draw = async spec => {
        const started = performance.now();
        const figure = {data: spec.data, layout: spec.layout, frames: spec.frames || [],
                        config: {displayModeBar: false}};
        if (fresh) {  // as st.plotly_chart does: the old chart unmounted, a new one drawn from nothing
            Plotly.purge(element);
            element.remove();
            element = box.appendChild(document.createElement('div'));
            await Plotly.newPlot(element, figure);
        } else {
            await Plotly.react(element, figure);  // the same chart, updated in place
        }
        await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return performance.now() - started;
    };
    await draw(first); await draw(second);  // the first draws build what later redraws reuse
    const times = [];
    for (let i = 0; i < count; i++) times.push(await draw(i % 2 ? second : first));
    return times;
}"""


def figures(size: int) -> dict[str, Spec]:
    """The three figures of the Architecture page for the paper network at ``size`` px, as sent."""
    config = replace(PRESETS["paper"], input_size=size)
    block = config.blocks[0]
    geometry = axis_geometry(size, block.kernel_size, block.stride, block.padding)
    report = analyze(config)
    return {
        "arithmetic (conv1)": arithmetic_figure(geometry, title=formula_caption(geometry)).to_dict(),
        "network drawing": network_figure(report.layers).to_dict(),
        "what-if (conv1 stride)": whatif_figure(
            sweep(config, 0, "stride"), SWEEPABLE["stride"], block.stride
        ).to_dict(),
    }


def _polygons(trace: Spec) -> list[tuple[list[float], list[float]]]:
    """A merged trace's polygons (``None`` between them), each as (xs, ys)."""
    polygons, xs, ys = [], [], []
    for x, y in zip(trace["x"], trace["y"], strict=True):
        if x is None:
            polygons.append((xs, ys))
            xs, ys = [], []
        else:
            xs.append(x)
            ys.append(y)
    return polygons


def one_trace_per_face(spec: Spec) -> Spec:
    """The network drawing as it was: each face polygon its own trace, hovering its box's text.

    The merged face traces of one kind (one ``legendgroup``: front, top and side colours) hold one
    polygon per box of that kind, in the same order; a front face is centred on its box's hover
    point, which names the box.
    """
    spec = copy.deepcopy(spec)
    (hover,) = [trace for trace in spec["data"] if trace.get("mode") == "markers"]
    points = zip(hover["x"], hover["y"], hover["hovertext"], strict=True)
    texts = {(round(x, 6), round(y, 6)): text for x, y, text in points}
    faces = [t for t in spec["data"] if t.get("fill") == "toself" and not t["fillcolor"].startswith("rgba")]
    box_texts: dict[str, list[str]] = {}
    for trace in faces:
        centres = [(round(sum(xs[:4]) / 4, 6), round(sum(ys[:4]) / 4, 6)) for xs, ys in _polygons(trace)]
        if all(centre in texts for centre in centres):  # the kind's front faces
            box_texts[trace["legendgroup"]] = [texts[centre] for centre in centres]
    traces = []
    for trace in spec["data"]:
        if trace is hover:
            continue
        if trace in faces:
            names = box_texts[trace["legendgroup"]]
            traces += [
                {**trace, "x": xs, "y": ys, "showlegend": trace["showlegend"] and i == 0,
                 "hoveron": "fills", "text": names[i], "hoverinfo": "text"}
                for i, (xs, ys) in enumerate(_polygons(trace))
            ]  # fmt: skip
        elif trace.get("fill") == "toself":  # the convs' windows: a trace each before
            traces += [{**trace, "x": xs, "y": ys} for xs, ys in _polygons(trace)]
        else:  # each conv's four dotted lines: a trace each before, (corner, target, None) four times
            xs, ys = trace["x"], trace["y"]
            traces += [{**trace, "x": xs[i : i + 12], "y": ys[i : i + 12]} for i in range(0, len(xs), 12)]
    spec["data"] = traces
    return spec


EARLIER = {"network drawing": ("one trace per face", one_trace_per_face)}
# how a changed figure is redrawn: "new plot" is what st.plotly_chart does (the figure is part of the
# element's id, so a changed figure is a new element, mounted afresh); "react" updates one plot in place
METHODS = {"new plot": True, "react": False}


def measure(redraws: int) -> list[dict[str, Any]]:
    """Every figure and form: median ms per redraw and main-thread busy ms per redraw."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("Chromium is not installed (make chromium)")
    first, second = figures(SIZES[0]), figures(SIZES[1])
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.set_content(f"<div id='charts' style='width:{CHART_WIDTH_PX}px'><div></div></div>")
            page.add_script_tag(path=str(PLOTLY_JS))
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")

            def busy_s() -> float:
                metrics = cdp.send("Performance.getMetrics")["metrics"]
                return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

            # every figure and form is drawn ``ROUNDS`` times in turn (a, b, a, b, ...), after one
            # unmeasured pass over all of them: the first drawings pay for plotly.js's compilation
            forms = {
                name: [("as sent", first[name], second[name])]
                + ([(EARLIER[name][0], EARLIER[name][1](first[name]), EARLIER[name][1](second[name]))]
                   if name in EARLIER else [])
                for name in first
            }  # fmt: skip
            for variants in forms.values():
                for _, a, b in variants:
                    for fresh in (True, False):
                        page.evaluate(REDRAWS_JS, [a, b, 2, fresh])
            measured: dict[tuple[str, str, str], tuple[list[float], list[float]]] = {}
            for _ in range(ROUNDS):
                for name, variants in forms.items():
                    for form, a, b in variants:
                        for method, fresh in METHODS.items():
                            times, busy = measured.setdefault((name, form, method), ([], []))
                            before = busy_s()
                            times += page.evaluate(REDRAWS_JS, [a, b, redraws, fresh])
                            busy.append((busy_s() - before) * 1000 / (redraws + 2))
            for (name, form, method), (times, busy) in measured.items():
                traces = len(next(b for f, _, b in forms[name] if f == form)["data"])
                rows.append({
                    "figure": name, "form": form, "method": method, "traces": traces,
                    "median_ms": statistics.median(times), "busy_ms": statistics.median(busy),
                })  # fmt: skip
        finally:
            browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redraws", type=int, default=8, help="redraws per figure, form and turn (default 8)")
    parser.add_argument("--json", type=Path, help="write every number to this file")
    args = parser.parse_args()
    args.redraws = max(2, min(args.redraws, 200))
    machine, start_load = environment(), load_average()
    print(machine_line(machine))
    print(f"load average at start: {' '.join(map(str, start_load))}")
    print(f"plotly.js {plotly.__version__} (the plotly package's copy), chart {CHART_WIDTH_PX} px wide, "
          f"paper network {SIZES[0]} -> {SIZES[1]} px, {args.redraws} redraws each")  # fmt: skip
    rows = measure(args.redraws)
    print(f"\n{'figure':<24}{'form':<22}{'traces':>7}{'redrawn by':>12}{'median ms':>11}{'busy ms':>9}{'x today':>9}")
    print("-" * 94)
    today = {(row["figure"], row["method"]): row for row in rows if row["form"] == "as sent"}
    for row in rows:
        ratio = row["busy_ms"] / today[row["figure"], row["method"]]["busy_ms"]
        row["busy_vs_today"] = ratio
        print(f"{row['figure']:<24}{row['form']:<22}{row['traces']:>7}{row['method']:>12}{row['median_ms']:>11.1f}"
              f"{row['busy_ms']:>9.1f}{ratio:>9.2f}")  # fmt: skip
    print()
    totals = {}
    for method in METHODS:
        now = sum(row["busy_ms"] for (_, m), row in today.items() if m == method)
        before = sum(
            next((r for r in rows if r["figure"] == name and r["method"] == method and r["form"] != "as sent"),
                 today[name, method])["busy_ms"]
            for name, m in today if m == method
        )  # fmt: skip
        totals[method] = now
        print(f"all three figures, {method}: busy {now:.0f} ms per slider step today, "
              f"{before:.0f} with the earlier drawing ({before / now:.2f}x)")  # fmt: skip
    ratio = totals["new plot"] / totals["react"]
    print(f"a new plot (st.plotly_chart) / an update in place (Plotly.react): {ratio:.2f}x")
    end_load = load_average()
    print(f"load average at end: {' '.join(map(str, end_load))}")
    if args.json:
        write_record(args.json, machine, (start_load, end_load), args, rows=rows)


if __name__ == "__main__":
    main()
