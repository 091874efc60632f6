"""The chart that stays mounted (pages/parts/common/mounted_chart.py), without a browser: what it sends and
the plotly.js it serves. tests/test_browser.py drives it in Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import plotly.io as pio

from alexnet.plots.spec import FigureSpec
from pages.parts.common import mounted_chart
from pages.parts.common.mounted_chart import THEME, _Payloads, ensure_plotly_js, plotly_js_name, themed

STREAMLIT_TEMPLATE = json.loads((Path(mounted_chart.__file__).parent / "streamlit_plotly_theme.json").read_text())


def test_plotly_js_is_copied_once_under_its_version(tmp_path: Path) -> None:
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    copied = ensure_plotly_js(tmp_path)
    assert copied == tmp_path / plotly_js_name() and copied.read_bytes() == source.read_bytes()
    assert plotly_js_name().startswith("plotly-") and plotly_js_name().endswith(".min.js")
    stamp = copied.stat().st_mtime_ns
    assert ensure_plotly_js(tmp_path) == copied and copied.stat().st_mtime_ns == stamp  # not copied again
    (tmp_path / "plotly-0.1.0.min.js").write_bytes(b"an older plotly's")
    copied.write_bytes(b"cut short")  # a file of the wrong size is replaced, an older version removed
    assert ensure_plotly_js(tmp_path).read_bytes() == source.read_bytes()
    assert [path.name for path in tmp_path.iterdir()] == [plotly_js_name()]  # no partial files left


def test_the_page_script_loads_that_file_from_app_static() -> None:
    assert f'"app/static/{plotly_js_name()}"' in mounted_chart._SCRIPT
    assert "__PLOTLY_SRC__" not in mounted_chart._SCRIPT


def test_themed_swaps_the_template_and_bolds_the_title_only() -> None:
    spec = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"title": {"text": "out = 55"}, "height": 300}}
    looks = themed(spec)
    assert looks["layout"]["template"] is THEME and looks["layout"]["title"]["text"] == "<b>out = 55</b>"
    assert looks["data"] is spec["data"] and looks["layout"]["height"] == 300
    assert spec["layout"] == {"title": {"text": "out = 55"}, "height": 300}  # the cached figure is untouched
    assert themed({"data": [], "layout": {"title": "plain"}})["layout"]["title"] == {"text": "<b>plain</b>"}
    assert "title" not in themed({"data": [], "layout": {}})["layout"]
    # the rest is the figure as it was (valid: each builder's tests prove it); Streamlit's template is
    # plotly.js's to read ("transparent" colours, which plotly.py's validators refuse)
    pio.from_json(json.dumps({**looks, "layout": {k: v for k, v in looks["layout"].items() if k != "template"}}))


def test_a_figure_is_serialised_once_and_never_mistaken_for_another() -> None:
    payloads = _Payloads(size=2)
    first = FigureSpec({"data": [{"type": "bar", "y": [1]}], "layout": {}})
    sent = payloads.get(first, {"displayModeBar": False})
    # the figure as written above, with Streamlit's template (the JSON file THEME is read from) and no title
    assert json.loads(sent) == {
        "figure": {"data": [{"type": "bar", "y": [1]}], "layout": {"template": STREAMLIT_TEMPLATE}},
        "config": {"displayModeBar": False},
    }
    assert payloads.get(first, {"displayModeBar": False}) is sent
    others = [FigureSpec({"data": [{"type": "bar", "y": [n]}], "layout": {}}) for n in range(2, 5)]
    for other in others:
        assert json.loads(payloads.get(other, {}))["figure"]["data"] == other.to_dict()["data"]
    assert len(payloads._entries) == 2  # bounded: the oldest went
    assert json.loads(payloads.get(first, {}))["figure"]["data"] == [{"type": "bar", "y": [1]}]
