"""The server's warm-up: what it loads is what the pages need, and the Activations page's first
visit finds its default view already computed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

import alexnet.explain
import alexnet.images
from pages import activation_data

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

# Page modules may import these (light, or loaded by the page's own first run); anything else
# that a first visit imports after warm_up() is work the warm-up missed.
ALLOWED_NEW = ("pages", "narwhals", "plotly", "streamlit", "pyarrow", "PIL")


def test_after_the_warm_up_no_page_imports_anything_heavy():
    """In a fresh process: the first page, then the app's own warm-up thread to its end, then
    every other page's first visit."""
    code = f"""
import sys, threading
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({APP!r}, default_timeout=120)
at.run()
(warming,) = [t for t in threading.enumerate() if t.name == "alexnet-warm-up"]  # app.py started it
warming.join(timeout=240)
assert not warming.is_alive()
for page in ("pages/summary.py", "pages/activations.py", "pages/training.py"):
    before = set(sys.modules)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    new = sorted({{m.split(".")[0] for m in set(sys.modules) - before}})
    print(page, " ".join(new) or "-")
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=400, check=True
    ).stdout
    lines = [line.split() for line in out.splitlines() if line.startswith("pages/")]
    assert len(lines) == 3, out
    for page, *new in lines:
        heavy = [name for name in new if name != "-" and not name.startswith(ALLOWED_NEW)]
        assert not heavy, f"{page}'s first visit imported {heavy} after the warm-up"


def test_the_first_activations_visit_finds_the_warmed_view(monkeypatch):
    """warm_default_view computes exactly the page's defaults: the visit builds, probes and explains nothing."""
    activation_data.warm_default_view()

    def refuse(*args, **kwargs):
        raise AssertionError("the first visit computed something the warm-up had computed")

    monkeypatch.setattr(activation_data, "build_model", refuse)
    monkeypatch.setattr(alexnet.images, "run_image", refuse)
    monkeypatch.setattr(alexnet.explain, "explain", refuse)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/activations.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Grad-CAM" in s.value for s in at.subheader)
    assert len(at.get("plotly_chart")) >= 6  # preprocessing, maps, filters, top 5, Grad-CAM, receptive field
