"""Warm what every page shares, once per server, after the first page is drawn.

A Streamlit server imports a page's modules the first time someone opens that page, so the
first switch to Summary or Training pays for torchinfo, the run machinery and the datasets
(seconds on two shared cores). ``start_warm_up`` imports them, and runs one meta-device probe
(the first torch calls set up its dispatcher and thread pool), in a daemon thread started after
the first page's script has run: nothing here delays the first paint, and a page that needs a
module before the thread got to it simply imports it itself.
"""

from __future__ import annotations

import contextlib
import importlib
import threading

# what the pages import beyond the Architecture page's own modules
WARM_MODULES = (
    "alexnet.model",
    "alexnet.probe",
    "alexnet.summary",
    "alexnet.tables",
    "alexnet.runs",
    "alexnet.train_settings",
    "alexnet.data",
    "alexnet.plots.training",
    "plotly.express",
)


def warm_up() -> None:
    """Import ``WARM_MODULES`` and run one meta-device probe of the paper network (~10 ms)."""
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # a module another page no longer has: nothing to warm
            importlib.import_module(name)
    from alexnet.config import preset
    from alexnet.probe import probe_shapes

    probe_shapes(preset("paper"))


def start_warm_up() -> threading.Thread:
    """Start ``warm_up`` in a daemon thread (it never keeps the server from exiting)."""
    thread = threading.Thread(target=warm_up, name="alexnet-warm-up", daemon=True)
    thread.start()
    return thread
