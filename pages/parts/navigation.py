"""The app's four pages, and the guard that makes every page open through ``app.py``.

A folder named ``pages/`` beside ``app.py`` puts Streamlit in its old multipage mode until the
first script of the server calls ``st.navigation``. So when a fresh server's first visitor comes
through a bookmark (``/training``), Streamlit runs that page script alone: without app.py's page
config, warm-up and navigation, and with a sidebar built from the file names. ``through_app``,
called first by every page, notices that app.py is not running it, installs the app's own
navigation (which ends the old mode for the whole server) and reruns, so app.py takes over and
opens the same page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import streamlit as st


class PageEntry(NamedTuple):
    script: str  # path from the repository root
    title: str
    icon: str


PAGES = (
    PageEntry("pages/architecture.py", "Architecture", ":material/account_tree:"),
    PageEntry("pages/summary.py", "Summary", ":material/table_chart:"),
    PageEntry("pages/activations.py", "Activations", ":material/image_search:"),
    PageEntry("pages/training.py", "Training", ":material/monitoring:"),
)
DEFAULT_PAGE = PAGES[0]

_running = threading.local()  # set while app.py runs a page, in the script thread of that session


def app_pages() -> list[st.Page]:
    """The pages as ``st.navigation`` takes them, the first one the default."""
    return [st.Page(page.script, title=page.title, icon=page.icon, default=page is DEFAULT_PAGE) for page in PAGES]


@contextmanager
def running_app() -> Iterator[None]:
    """app.py runs the picked page inside this: ``through_app`` then knows the page came through it."""
    _running.active = True
    try:
        yield
    finally:
        _running.active = False


def through_app() -> None:
    """First call of every page: if Streamlit ran this page script without app.py, hand over to app.py."""
    if getattr(_running, "active", False):
        return
    st.navigation(app_pages())  # the app's own navigation: ends the old folder mode for every session
    st.rerun()  # the rerun runs app.py, which opens the same page by its address
