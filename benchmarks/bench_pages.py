"""How long the app makes a new user wait, from headless Chromium: a benchmark, not a test.

Starts the app on a free port (as the browser tests do), then measures:

- first page: from launching the server until the Architecture page's first run has finished,
  nothing is stale and no spinner or skeleton placeholder is left;
- page switches: after ``--think`` seconds on the first page (a user reading it), a click on each
  page's sidebar link until that page's run is done and the page has settled, twice round (the
  first visit to a page pays for its first build, the second shows what the caches give).

Run from the repository root: ``python -m benchmarks.bench_pages [--rounds 2] [--think 8]``.
Targets (issue 8): first page under 5 s, every switch under 1 s. Timings on a shared machine are noisy; the load
average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.browser_support import App, chromium_browser, find_chromium, streamlit_server  # noqa: E402

PAGES = ("Summary", "Activations", "Training", "Architecture")
# A new user reads the first page before switching; the server warms the other pages meanwhile
# (alexnet.warmup, from 3 s after the first page's script). --think 0 measures a user who does not.
THINK_S = 8.0
PLACEHOLDERS = '[data-testid="stSpinner"], [data-testid="stSkeleton"]'


def settle(app: App) -> None:
    """Wait until no spinner or skeleton is on the page (the page is complete)."""
    app.page.wait_for_function(f"() => !document.querySelector('{PLACEHOLDERS}')", timeout=app.timeout_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="times round all pages (default 2)")
    parser.add_argument(
        "--think",
        type=float,
        default=THINK_S,
        help=f"seconds spent reading the first page before the first switch (default {THINK_S:g}; 0: switch at once)",
    )
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium found (see README: make chromium)", file=sys.stderr)
        return 1
    switches: dict[str, list[float]] = {page: [] for page in PAGES}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as runs_dir, chromium_browser(chromium) as browser:
        started = time.monotonic()
        with streamlit_server(Path(runs_dir)) as server:
            healthy = time.monotonic() - started
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            app = App(page, server)
            app.open()
            settle(app)
            first = time.monotonic() - started
            page.wait_for_timeout(args.think * 1000)
            for _ in range(args.rounds):
                for title in PAGES:
                    start = time.monotonic()
                    app.go_to(title)
                    settle(app)
                    switches[title].append(time.monotonic() - start)
            errors = app.exceptions()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"server answering its health check   {healthy:6.2f} s")
    print(f"first complete page (Architecture)  {first:6.2f} s   target < 5 s")
    print(f"then {args.think:g} s on the first page before switching")
    for title, times in switches.items():
        shown = "  ".join(f"{t:5.2f}" for t in times)
        print(f"switch to {title:<26} {shown} s   (median {statistics.median(times):.2f} s; target < 1 s)")
    if errors:
        print(f"exceptions on the pages: {errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
