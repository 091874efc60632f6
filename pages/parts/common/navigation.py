"""The app's five pages and its page config, and the guard that gives a page run alone the app's frame.

A folder named ``pages/`` beside ``app.py`` puts Streamlit in its old multipage mode until the
first script of the server calls ``st.navigation``. So when a fresh server's first visitor comes
through a bookmark (``/training``), Streamlit runs that page script alone: without app.py's page
config and navigation, and with a sidebar built from the file names. ``through_app``, called
first by every page, notices that app.py is not running it and sets up what app.py would: the
page config and the app's own navigation, which also ends the old mode for the whole server, so
the next run goes through app.py. The page then draws as usual, in the same run: a rerun would
lose the click that started this one (Streamlit's AppTest, which resets the mode before every
run, sends every run of a page through here). The default page is the exception: app.py gives it
the address "" where the old mode uses its file name, so its widgets would change identity
between the two; it reruns at once, through app.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
    PageEntry("pages/experiments.py", "Experiments", ":material/science:"),
)
DEFAULT_PAGE = PAGES[0]
REPO_ROOT = Path(__file__).resolve().parents[3]
PAGE_CONFIG = {"page_title": "AlexNet Explorer", "page_icon": ":material/neurology:", "layout": "wide"}

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


def through_app(script: str) -> None:
    """First call of every page (``script`` is its ``__file__``): if Streamlit ran it without app.py,
    do app.py's part."""
    if getattr(_running, "active", False):
        return
    st.set_page_config(**PAGE_CONFIG)
    st.navigation(app_pages())  # the app's own sidebar; ends the old folder mode for every later run
    if Path(script).resolve() == (REPO_ROOT / DEFAULT_PAGE.script).resolve():
        st.rerun()
