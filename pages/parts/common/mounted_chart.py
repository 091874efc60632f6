"""A plotly chart that stays mounted and is updated in place: ``mounted_chart(figure, key=...)``.

Why not ``st.plotly_chart``: Streamlit 1.67 counts the figure's JSON in that element's id, so every
changed figure is a new element, and its chart is drawn from nothing (``Plotly.newPlot``) after the
old one is torn down. On the Architecture page every slider step changes all three figures, and
a learner's browser paid for three new charts per step (``benchmarks/profile_browser_step``: 3 of 3
charts new DOM nodes after every step; ``benchmarks/bench_figure_redraw``: a new plot costs 1.59x
an update in place on a Zen 3). This is an ``st.components.v2`` component with a key: a keyed
component keeps its id whatever its data, so it stays mounted, and its script updates the same
chart with ``Plotly.react``.

- **plotly.js** is the one the ``plotly`` package ships (``package_data/plotly.min.js``), copied
  once into the app's ``static/`` folder (served at ``app/static/`` because
  ``.streamlit/config.toml`` sets ``server.enableStaticServing``) and loaded once per page.
- **The look** is Streamlit's: ``st.plotly_chart`` replaces a figure's plotly template with
  Streamlit's own (fonts, greys, colour scales) and bolds its title. ``streamlit_plotly_theme.json``
  is that template as Streamlit 1.67 applies it to plotly's default one, in the app's light theme;
  ``tests/test_browser.py`` (``test_the_architecture_charts_stay_mounted_and_look_like_streamlits``)
  checks it against a live ``st.plotly_chart`` in Chromium, and ``tests/test_mounted_chart.py``
  checks what ``themed`` makes of a figure. A copy, because Streamlit applies its template in the
  browser and has no Python API for it; it is kept because the component it dresses saves the
  learner's browser 1.59x per redraw (above), and that test finds it equal to the live template.
- **The figure** goes as JSON bytes, serialised once per figure (the figures are cached per
  configuration, so a configuration seen before costs the server a dictionary lookup).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import plotly
import streamlit as st
from cachetools import LRUCache

from alexnet.plots.spec import FigureSpec

REPO_ROOT = Path(__file__).resolve().parents[3]
STATIC_DIR = REPO_ROOT / "static"  # next to app.py: Streamlit serves it at app/static/
THEME = json.loads(Path(__file__).with_name("streamlit_plotly_theme.json").read_text())
_LOG = logging.getLogger(__name__)
PAYLOADS_KEPT = 256  # figures' JSON held at once (each cached figure is one entry)


def plotly_js_name() -> str:
    """The static file's name, versioned so a browser never runs an older plotly.js from its cache."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def ensure_plotly_js(static_dir: Path = STATIC_DIR) -> Path:
    """Copy the plotly package's plotly.js into ``static_dir`` unless it is there (atomic: a file
    is either whole or absent, whichever process copies it), and remove other versions' copies."""
    target = static_dir / plotly_js_name()
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return target
    static_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=static_dir, suffix=".part")
    os.close(handle)
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
    for stale in static_dir.glob("plotly-*.min.js"):  # another plotly's copy: nothing loads it now
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def themed(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` as ``st.plotly_chart`` would hand it to plotly.js: Streamlit's template, a bold title."""
    layout = {**spec.get("layout", {}), "template": THEME}
    title = layout.get("title")
    if title is not None:
        title = {"text": title} if isinstance(title, str) else dict(title)
        title["text"] = f"<b>{title.get('text', '')}</b>"
        layout["title"] = title
    return {**spec, "layout": layout}


class _Payloads:
    """Each figure's JSON bytes, made once: keyed by the figure object, which the entry keeps alive
    (an id alone could be reused by a later figure). Figures are read-only (``FigureSpec``)."""

    def __init__(self, size: int) -> None:
        self._entries: LRUCache[int, tuple[FigureSpec, bytes]] = LRUCache(maxsize=size)  # least recently used dropped
        self._lock = threading.Lock()  # every session's script thread shares this

    def get(self, figure: FigureSpec, config: dict[str, Any]) -> bytes:
        with self._lock:
            entry = self._entries.get(id(figure))
        if entry is not None and entry[0] is figure:
            return entry[1]
        payload = json.dumps({"figure": themed(figure.to_dict()), "config": config}).encode()
        with self._lock:
            self._entries[id(figure)] = (figure, payload)
        return payload


_PAYLOADS = _Payloads(PAYLOADS_KEPT)
_SCRIPT = Path(__file__).with_name("mounted_chart.js").read_text()
_SCRIPT = _SCRIPT.replace("__PLOTLY_SRC__", f"app/static/{plotly_js_name()}")
# no shadow root: plotly.js styles its charts (hover labels, sliders) with one stylesheet in <head>
_COMPONENT = st.components.v2.component("alexnet_mounted_chart", js=_SCRIPT, isolate_styles=False)
try:
    ensure_plotly_js()
except OSError as error:  # a read-only checkout: each chart says it could not load plotly.js
    _LOG.error("could not copy plotly.js into %s (%s); the Architecture page's charts will not draw", STATIC_DIR, error)


def mounted_chart(figure: FigureSpec, *, key: str, config: dict[str, Any] | None = None) -> None:
    """Draw ``figure`` where ``st.plotly_chart`` would; under the same ``key`` later, update it in place.

    The configuration (``config``) is the same as ``st.plotly_chart``'s; the figure and its
    configuration must not change while cached (the payload is made once per figure object)."""
    _COMPONENT(data=_PAYLOADS.get(figure, config or {}), key=key)
