"""A bookmark opened on a freshly started server: the app's own page, sidebar and layout.

A folder named ``pages/`` puts Streamlit in its old multipage mode until the server's first script
calls ``st.navigation``; a first request that goes straight to a page would then run that script
alone, list the folder's files as pages and lose the wide layout. Each address here gets a server
of its own, so its request really is the first (``pages/parts/common/navigation.py`` is the fix).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_support import PAGES, App, chromium_browser, explain_failure, served

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

VIEWPORT = {"width": 1280, "height": 900}
# address -> the page title it must open (a part's or an unknown address opens the default page)
ADDRESSES = {
    "training": "Training",
    "summary": "Summary",
    "activations": "Activations",
    "sidebar": "Architecture",  # a module of pages/parts/common/: never a page
    "no_such_page": "Architecture",
}


@pytest.fixture
def fresh_app(chromium: str, tmp_path) -> Iterator[App]:
    with served(tmp_path, log_dir=tmp_path) as server, chromium_browser(chromium) as browser:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            yield App(context.new_page(), server)
        finally:
            context.close()


@pytest.mark.parametrize("address", list(ADDRESSES))
def test_a_bookmark_on_a_fresh_server_opens_the_apps_own_page(fresh_app: App, address: str) -> None:
    app = fresh_app
    with explain_failure(app, f"bookmark-{address}"):
        app.page.goto(f"{app.url}/{address}")
        title = ADDRESSES[address]
        app.page.locator("h1", has_text=title).first.wait_for(timeout=120_000)
        app.wait_for_idle()
        links = app.page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
        assert links.all_inner_texts() and [t.splitlines()[-1].strip() for t in links.all_inner_texts()] == list(PAGES)
        icons = app.page.locator('[data-testid="stSidebarNav"] [data-testid="stIconMaterial"]')
        assert icons.count() == len(PAGES), "every page has its icon"
        # the wide layout of app.py's page config, not the narrow default of a page run alone
        width = app.page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
        assert width > 900, width
        assert not app.page.locator('[data-testid="stException"]').count()
