"""What the browser benchmarks share: the Streamlit server they start, the probe that times a page
in headless Chromium, and the machine they ran on.

``benchmarks.bench_pages`` (one learner: opening, switching, a slider step) and
``benchmarks.bench_load`` (many learners on one server) both time the Architecture page with
``PROBE_JS``: its ``quiet()`` is what "the page is done" means in both.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.browser_support import (  # noqa: E402
    ServerDied,
    StreamlitServer,
    _healthy,
    _kill_group,
    free_port,
    server_command,
)

OPEN_TIMEOUT_S = 180.0  # one cold start on a busy 2-core machine took 42 s; generous but bounded
STEP_TIMEOUT_S = 60.0  # one switch or slider step
SLIDER_KEY = "edit_input_size"
CHECKING_TEXT = "checking with pytorch"  # matched in lower case: the PyTorch column is still pending
VIEWPORT = {"width": 1400, "height": 900}

# (name, CSS selector, least number visible): what "every analytic element drawn" means on the
# Architecture page as it renders with the paper preset (checked against a DOM dump and a screenshot).
ARCHITECTURE_ELEMENTS = (
    ("metrics", '[data-testid="stMetric"]', 5),
    ("sliders", '[data-testid="stSlider"]', 9),  # input size + the picked block's eight
    ("block table", '[data-testid="stMarkdownContainer"] table', 1),
    ("layer table", '[data-testid="stTable"] table', 1),
    ("what-if chart", ".st-key-whatif_chart .js-plotly-plot .main-svg", 1),
    ("arithmetic figure", ".st-key-arith_figure .js-plotly-plot .main-svg", 1),
    ("network drawing", ".st-key-network_drawing .js-plotly-plot .main-svg", 1),
)

# Installed in every new document before its own scripts. Once per animation frame it records when
# each element first became visible, when all had ("drawn") and when the page was also quiet
# ("settled"), then stops. ``window.__bench.quiet()`` is the same predicate for the switches.
PROBE_JS = """
(config => {
  const marks = {elements: {}};
  const contains = node => (node.textContent || "").toLowerCase().includes(config.checking);
  const checkingShown = () => {
    if (!document.body || !contains(document.body)) return false;
    const stack = [document.body];  // down to the innermost elements that hold the words
    while (stack.length) {
      const element = stack.pop();
      const inner = [...element.children].filter(contains);
      if (inner.length) stack.push(...inner);
      else if (element.checkVisibility()) return true;
    }
    return false;
  };
  const quiet = (checking = checkingShown()) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const status = document.querySelector('[data-testid="stStatusWidget"]');
    return !!app && app.getAttribute("data-test-script-state") === "notRunning"
      && app.getAttribute("data-test-connection-state") === "CONNECTED"
      && (!status || status.classList.contains("StatusWidget-exit"))  // fading out counts as gone
      && !document.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]')
      && !checking;
  };
  const visible = selector => [...document.querySelectorAll(selector)].filter(e => e.checkVisibility()).length;
  const counts = () => Object.fromEntries(config.elements.map(([name, selector]) => [name, visible(selector)]));
  const tick = () => {
    const now = performance.now();
    let drawn = true;
    for (const [name, selector, least] of config.elements) {
      if (visible(selector) >= least) marks.elements[name] ??= now;
      else drawn = false;
    }
    const checking = checkingShown();
    if (checking) { marks.checking_first ??= now; marks.checking_last = now; }
    if (drawn) marks.drawn ??= now;
    if (drawn && quiet(checking)) marks.settled = now;
    else requestAnimationFrame(tick);
  };
  window.__bench = {marks, quiet, counts};
  requestAnimationFrame(tick);
})
"""

SETTLED_JS = "() => window.__bench?.marks.settled !== undefined"  # the probe saw the page drawn and quiet
# what a page that did not settle was doing: for the error message
STATE_JS = """() => ({marks: window.__bench?.marks, visible: window.__bench?.counts(), quiet: window.__bench?.quiet(),
    script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')})"""
# the value the slider with the key ``key`` shows (React Aria's range input, or an older slider's div)
SLIDER_VALUE_JS = """key => {
    const thumb = document.querySelector(`.st-key-${key} input[type="range"], .st-key-${key} [role="slider"]`);
    return thumb ? Number(thumb.value ?? thumb.getAttribute('aria-valuenow')) : null;
}"""


def probe_script(elements: tuple[tuple[str, str, int], ...]) -> str:
    """The init script that times the page's elements (``PROBE_JS`` applied to its settings)."""
    config = {"elements": [list(element) for element in elements], "checking": CHECKING_TEXT}
    return f"{PROBE_JS.strip()}({json.dumps(config)});"


def cpu_model(cpuinfo: str) -> str:
    """The first "model name" in /proc/cpuinfo's text ("unknown" if there is none)."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return "unknown"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "-"}[met]


@contextlib.contextmanager
def serve(directory: Path, runs_dir: Path) -> Iterator[tuple[StreamlitServer, float]]:
    """``streamlit run app.py`` in ``directory`` on 127.0.0.1 and a free port, until the block ends.

    Yields the server and its launch time (``time.monotonic()``) once its health check answers;
    its process group is killed afterwards.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = runs_dir / f"server-{port}.log"
    env = dict(os.environ, ALEXNET_RUNS_DIR=str(runs_dir), PYTHONUNBUFFERED="1")
    launched = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(port), cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = StreamlitServer(url=url, process=process, log_path=log_path, runs_dir=runs_dir)
    try:
        while not _healthy(url):
            server.check_alive()
            if time.monotonic() - launched > OPEN_TIMEOUT_S:
                raise ServerDied(f"{directory}: no answer on {url}/_stcore/health. Its output:\n{server.log()}")
            time.sleep(0.05)
        yield server, launched
    finally:
        _kill_group(process)


def environment() -> dict:
    """The machine: CPU model, torch's CPU capability (asked of a child: torch stays out of this
    process), cores and versions."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    ask = "import torch; print(torch.__version__, torch.backends.cpu.get_cpu_capability())"
    try:
        answer = subprocess.run([sys.executable, "-c", ask], capture_output=True, text=True, timeout=120, check=True)
        torch_version, capability = answer.stdout.split()
    except (OSError, subprocess.SubprocessError, ValueError):
        torch_version, capability = "unknown", "unknown"
    from importlib.metadata import version

    return {
        "cpu_model": cpu_model(cpuinfo) if cpuinfo else platform.processor() or "unknown",
        "cpu_capability": capability,
        "torch": torch_version,
        "streamlit": version("streamlit"),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
    }


def machine_line(machine: dict) -> str:
    """``environment()`` in one printed line."""
    return (
        f"CPU: {machine['cpu_model']} ({machine['usable_cores']} of {machine['cores']} cores usable), "
        f"torch {machine['torch']} CPU capability {machine['cpu_capability']}, streamlit {machine['streamlit']}"
    )


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def write_record(
    path: Path, machine: dict, load: tuple[list[float], list[float]], args: object, **measured: object
) -> None:
    """A benchmark's ``--json`` file: the machine, the load average at start and end, the arguments and
    what was measured (each keyword a top-level key)."""
    record = {
        "machine": machine,
        "load_average": {"start": load[0], "end": load[1]},
        "args": dict(vars(args), json=str(path)),
        **measured,
    }
    path.write_text(json.dumps(record, indent=2))
