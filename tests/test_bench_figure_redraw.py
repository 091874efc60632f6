"""The figure-redraw benchmark's earlier form of the network drawing is the drawing as it was built
before its faces were merged: a trace per face polygon, each hovering its own box's text (no browser;
the timings belong to ``python -m benchmarks.bench_figure_redraw``)."""

from __future__ import annotations

import pytest

from benchmarks.bench_figure_redraw import figures, one_trace_per_face


@pytest.mark.parametrize("size", [227, 228])
def test_one_trace_per_face_is_the_earlier_drawing(size):
    spec = figures(size)["network drawing"]
    earlier = one_trace_per_face(spec)
    faces = [t for t in earlier["data"] if t.get("hoveron") == "fills"]
    windows = [t for t in earlier["data"] if t.get("fill") == "toself" and "hoveron" not in t]
    lines = [t for t in earlier["data"] if t.get("fill") is None]
    boxes = len(next(t for t in spec["data"] if t.get("mode") == "markers")["hovertext"])
    # the paper network: input, 5 convs, 3 pools, flatten and 3 linear layers; 5 convs with a window
    assert (boxes, len(faces), len(windows), len(lines)) == (13, 39, 5, 5)
    assert len(earlier["data"]) == 49  # what the drawing sent before its faces were merged
    assert all(None not in t["x"] and len(t["x"]) == 5 for t in faces + windows)
    assert all(len(t["x"]) == 12 for t in lines)  # four corner-to-output lines each
    # each box's three faces carry that box's hover text; the legend keeps one entry per kind
    texts = [t["text"] for t in faces]
    assert all(texts.count(text) == 3 for text in texts) and len(set(texts)) == boxes
    # a face hovers the box it belongs to: the side face of a box starts where its front face ends
    fronts = {t["text"]: t for t in faces if t["y"][0] == 0 and t["y"][1] == 0}
    for face in faces:
        front = fronts[face["text"]]
        assert face["x"][0] in (front["x"][0], front["x"][1])
    assert sorted(t["name"] for t in faces if t["showlegend"]) == sorted(
        t["name"] for t in spec["data"] if t.get("showlegend")
    )


def test_the_browser_profile_counts_each_node_s_own_samples():
    """profile_browser_step adds up the sampling profiler's time deltas by script file and function."""
    from benchmarks.profile_browser_step import self_times

    def frame(name: str, url: str, line: int) -> dict:
        return {"functionName": name, "url": url, "lineNumber": line}

    cpu_profile = {
        "nodes": [
            {"id": 1, "callFrame": frame("(root)", "", -1)},
            {"id": 2, "callFrame": frame("react", "http://127.0.0.1/static/js/PlotlyChart.abc.js", 8)},
            {"id": 3, "callFrame": frame("(idle)", "", -1)},
        ],
        "samples": [2, 3, 2, 2],
        "timeDeltas": [100, 900, 200, 300],
    }
    by_file, by_function = self_times(cpu_profile)
    assert by_file == {"PlotlyChart.abc.js": 600, "(idle)": 900}
    assert by_function["react PlotlyChart.abc.js:8"] == 600
