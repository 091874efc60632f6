"""The server's safe defaults (README "Security"): read from .streamlit/config.toml, and as Streamlit
itself resolves them when started from the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / ".streamlit" / "config.toml"
MAX_UPLOAD_MB = 20  # photos and configuration files; alexnet.inspect.images refuses more than 40 megapixels anyway


def test_config_file_binds_loopback_caps_uploads_keeps_xsrf_and_sends_no_statistics():
    config = tomllib.loads(CONFIG.read_text())
    server, browser = config["server"], config["browser"]
    assert server["address"] == "127.0.0.1"  # not 0.0.0.0: nobody else on the network reaches it
    assert server["headless"] is True
    assert 0 < server["maxUploadSize"] <= MAX_UPLOAD_MB
    assert server["enableXsrfProtection"] is True  # written out, not left to a default that could change
    assert server.get("enableCORS", True) is True
    assert browser["gatherUsageStats"] is False
    assert browser["serverAddress"] == "127.0.0.1"
    # no recursive inotify watch over .venv (docs/performance.md says how to turn it back on)
    assert server["fileWatcherType"] == "none"


def test_the_static_folder_serves_plotly_js_and_nothing_else():
    """``server.enableStaticServing`` publishes ``static/`` (next to app.py) to whoever reaches the app:
    it holds the plotly.js that pages/parts/common/mounted_chart.py copies there, and git keeps it at that."""
    assert tomllib.loads(CONFIG.read_text())["server"]["enableStaticServing"] is True
    from pages.parts.common.mounted_chart import STATIC_DIR, ensure_plotly_js, plotly_js_name

    assert STATIC_DIR == REPO / "static" and ensure_plotly_js() == STATIC_DIR / plotly_js_name()
    assert sorted(path.name for path in STATIC_DIR.iterdir()) == sorted([".gitignore", plotly_js_name()])
    assert (STATIC_DIR / ".gitignore").read_text().splitlines()[-2:] == ["*", "!.gitignore"]


def test_streamlit_resolves_the_same_values_from_the_repository():
    """The file is the one Streamlit reads (right folder, right names), not just a file that says so."""
    names = [
        "server.address",
        "server.maxUploadSize",
        "server.enableXsrfProtection",
        "server.enableCORS",
        "browser.gatherUsageStats",
        "server.headless",
        "server.fileWatcherType",
        "runner.postScriptGC",
    ]
    script = (
        "import json; from streamlit import config; config.get_config_options(force_reparse=True); "
        f"print(json.dumps({{n: config.get_option(n) for n in {names!r}}}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}  # the file alone decides
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    options = json.loads(done.stdout.strip().splitlines()[-1])
    assert options == {
        "server.address": "127.0.0.1",
        "server.maxUploadSize": MAX_UPLOAD_MB,
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
        "browser.gatherUsageStats": False,
        "server.headless": True,
        "server.fileWatcherType": "none",
        # no full collection after every run: with a class's configurations in the caches it was most of
        # a rerun's server time (docs/performance.md "Load", benchmarks/bench_load.py --explored)
        "runner.postScriptGC": False,
    }
