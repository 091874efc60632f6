"""AlexNet Explorer: build AlexNet, watch its shapes, look inside it, train it.

Run with ``streamlit run app.py``. This entry script sets up the page and the navigation;
each view lives in ``pages/`` and starts with the shared sidebar (``pages.shared.sidebar``).
The sidebar is drawn by the pages, not here, because Streamlit's AppTest drops the entry
script's own elements from its tree after the first run.
"""

import streamlit as st

st.set_page_config(page_title="AlexNet Explorer", page_icon=":material/neurology:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/architecture.py", title="Architecture", icon=":material/account_tree:", default=True),
        st.Page("pages/summary.py", title="Summary", icon=":material/table_chart:"),
        st.Page("pages/activations.py", title="Activations", icon=":material/image_search:"),
        st.Page("pages/training.py", title="Training", icon=":material/monitoring:"),
    ]
)
navigation.run()


@st.cache_resource(show_spinner=False)
def _warm_up_once() -> object:
    """Once per server process (cache_resource is shared by all sessions), after the first page:
    the modules every page needs, then the Activations page's default view into its caches."""
    from alexnet.warmup import start_warm_up

    return start_warm_up(then=_warm_activations)


def _warm_activations() -> None:
    """In the warm-up thread: imported there, so the first page's script does not wait for it."""
    from pages.activation_data import warm_default_view

    warm_default_view()


_warm_up_once()
