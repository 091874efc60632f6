"""The server's warm-up: PyTorch first, for the pages that wait for it; what it loads is what the
pages need; it keeps out of the way of a page that runs; and the Activations page's first visit
finds its default view already computed."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

import alexnet.inspect.gradcam
import alexnet.inspect.images
from pages.parts.activations import activation_data
from pages.parts.common import warmup

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

# Page modules may import these (light, or loaded by the page's own first run); anything else
# that a first visit imports after warm_up() is work the warm-up missed.
ALLOWED_NEW = ("pages", "narwhals", "plotly", "streamlit", "pyarrow", "PIL")


# an AppTest run that has not ended by then is hung, not slow. With two whole suites side by side on
# two cores this test failed once under the earlier limits (120 s per run, 240 s for the warm-up); the
# child's stderr was not kept, so which one it hit is not known: the limits are now hang guards only,
# and a failure shows what the child said
HANG_S = 500


def test_after_the_warm_up_no_page_imports_anything_heavy():
    """In a fresh process: the first page, then the app's own warm-up thread to its end, then
    every other page's first visit."""
    code = f"""
import sys, threading
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({APP!r}, default_timeout=HANG_S)
at.run()
(warming,) = [t for t in threading.enumerate() if t.name == "alexnet-warm-up"]  # app.py started it
warming.join()  # to its end, however long this machine takes: only a hang is caught (pytest-timeout)
assert "torch" in sys.modules, "the warm-up thread ended without importing torch (its error is above)"
for page in ("pages/summary.py", "pages/activations.py", "pages/training.py", "pages/experiments.py"):
    before = set(sys.modules)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    new = sorted({{m.split(".")[0] for m in set(sys.modules) - before}})
    print(page, " ".join(new) or "-")
"""
    done = subprocess.run([sys.executable, "-c", code.replace("HANG_S", str(HANG_S))], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]  # what went wrong in the child, not just its exit code
    out = done.stdout
    lines = [line.split() for line in out.splitlines() if line.startswith("pages/")]
    assert len(lines) == 4, out
    for page, *new in lines:
        heavy = [name for name in new if name != "-" and not name.startswith(ALLOWED_NEW)]
        assert not heavy, f"{page}'s first visit imported {heavy} after the warm-up"


def test_the_first_activations_visit_finds_the_warmed_view(monkeypatch):
    """warm_default_view computes exactly the page's defaults: the visit builds, probes and explains nothing."""
    activation_data.warm_default_view()

    def refuse(*args, **kwargs):
        raise AssertionError("the first visit computed something the warm-up had computed")

    monkeypatch.setattr(activation_data, "build_model", refuse)
    monkeypatch.setattr(alexnet.inspect.images, "run_image", refuse)
    monkeypatch.setattr(alexnet.inspect.gradcam, "explain", refuse)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/activations.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Grad-CAM" in s.value for s in at.subheader)
    assert len(at.get("plotly_chart")) >= 6  # preprocessing, maps, filters, top 5, Grad-CAM, receptive field


def test_the_later_steps_wait_while_a_page_runs_and_a_quiet_moment_after():
    """wait_for_quiet (between two imports of the warm-up) returns only once no page script has run for quiet_s."""
    returned = threading.Event()
    with warmup.foreground():
        waiter = threading.Thread(target=lambda: (warmup.wait_for_quiet(0.3), returned.set()), daemon=True)
        waiter.start()
        time.sleep(0.5)
        assert not returned.is_set(), "the warm-up went on while a page was running"
        ended = time.monotonic()
    assert returned.wait(10)
    assert time.monotonic() - ended >= 0.3 - 0.01, "the warm-up went on before the page had been quiet for 0.3 s"
    waiter.join(10)


def test_after_torch_loads_the_warm_up_waits_for_a_page_that_asked_for_it_too_early(monkeypatch):
    """A page that drew a placeholder gets its next run before the warm-up's later imports start."""
    asked = threading.Event()
    asked.set()
    monkeypatch.setattr(warmup, "_asked", asked)
    ready_at = time.monotonic()
    returned = threading.Event()
    waiter = threading.Thread(
        target=lambda: (warmup.wait_for_pages_that_asked(ready_at, 10), returned.set()), daemon=True
    )
    waiter.start()
    time.sleep(0.5)
    assert not returned.is_set(), "the warm-up went on before the waiting page had run"
    with warmup.foreground():  # the page's next look, which fills its column
        pass
    assert returned.wait(5)
    # a page that never comes back holds it up for timeout_s at most
    started = time.monotonic()
    warmup.wait_for_pages_that_asked(time.monotonic(), 0.3)
    assert 0.25 < time.monotonic() - started < 5


# A fresh process: a link straight to Summary, the server's very first page.
SUMMARY_FIRST = f"""
import sys
from streamlit.testing.v1 import AppTest
from pages.parts.common import warmup
at = AppTest.from_file({APP!r}, default_timeout=120)
at.switch_page("pages/summary.py")
at.run()
assert warmup.torch_ready()
assert not at.exception, [e.value for e in at.exception]
print("titles", [title.value for title in at.title])
print("tables", len(at.dataframe), "charts", len(at.get("plotly_chart")))
"""


def test_a_page_that_needs_torch_opened_first_waits_for_the_warm_up_and_draws():
    """Summary through a link, before anything has loaded torch: the app waits for the warm-up's
    import (under "Loading PyTorch…") and the page draws in full, with torchinfo's table."""
    out = subprocess.run(
        [sys.executable, "-c", SUMMARY_FIRST], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout
    assert "titles ['Summary']" in out, out
    assert "tables 2 charts 2" in out, out
