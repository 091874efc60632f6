"""AlexNet Explorer: build AlexNet, watch its shapes, look inside it, train it.

Run with ``streamlit run app.py``. This entry script sets up the page and the navigation;
each view lives in ``pages/`` and starts with the shared sidebar (``pages.parts.common.sidebar.sidebar``).
The sidebar is drawn by the pages, not here, because Streamlit's AppTest drops the entry
script's own elements from its tree after the first run.
"""

import streamlit as st

from pages.parts.common import warmup
from pages.parts.common.navigation import PAGE_CONFIG, app_pages, running_app

st.set_page_config(**PAGE_CONFIG)


def _warm_activations() -> None:
    """In the warm-up thread: imported there, so the first page's script does not wait for it."""
    from pages.parts.activations.activation_data import warm_default_view

    warm_default_view()


@st.cache_resource(show_spinner=False)
def _warm_up_once() -> object:
    """Once per server process (cache_resource is shared by all sessions): PyTorch, then the
    modules every page needs, then the Activations page's default view into its caches
    (pages/parts/common/warmup.py)."""
    return warmup.start_warm_up(then=_warm_activations)


pages = app_pages()
navigation = st.navigation(pages)
if navigation is not pages[0]:  # the Architecture page
    # These pages import torch before they draw: start loading it now, and wait for the warm-up
    # thread under a spinner rather than import it a second time beside it (or look blank).
    _warm_up_once()
    if not warmup.torch_ready():
        with st.spinner("Loading PyTorch…"):
            warmup.wait_for_torch()
try:
    with warmup.foreground(), running_app():  # the warm-up's later steps wait while a page runs
        navigation.run()
finally:
    # The Architecture page needs no torch to draw: it loads after this first script, so that the
    # script and the sending of its page have the server's GIL to themselves (pages/parts/common/warmup.py).
    _warm_up_once()
