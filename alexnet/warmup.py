"""Warm what every page shares, once per server, after the first page is drawn.

A Streamlit server imports a page's modules the first time someone opens that page, so the
first switch to Summary, Activations or Training pays for torchinfo, captum, scikit-learn, the
run machinery and the datasets (seconds on two shared cores). ``start_warm_up`` imports them,
loads the bundled digits and runs one meta-device probe, in a daemon thread that starts a few
seconds after the first page's script has run: nothing here delays the first paint, and a page
that needs a module before the thread got to it simply imports it itself.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import pickle
import threading
import time
from collections.abc import Callable

# Seconds between the end of the first page's script and the warm-up. The browser is still drawing
# that page for a second or two after the script ends, on the same two cores, and the server's
# event loop forwards its last messages meanwhile: warming at once (imports hold Python's GIL)
# made the first page complete 2 s later (9.1 s instead of 7.0 s from the server's start).
WARM_UP_DELAY_S = 3.0

# what the pages import beyond the Architecture page's own modules, heaviest last. The Activations
# page's first visit imported 1,120 modules in 2.8 s before this list had captum (which brings
# matplotlib) and scikit-learn; tests/test_warmup.py checks that no page's first visit imports
# anything heavy after warm_up().
WARM_MODULES = (
    "alexnet.model",
    "alexnet.probe",
    "alexnet.summary",
    "alexnet.tables",
    "alexnet.runs",
    "alexnet.train_settings",
    "alexnet.data",
    "alexnet.images",
    "alexnet.explain",
    "alexnet.pretrained",
    "alexnet.receptive",
    "alexnet.results",
    "alexnet.smoothing",
    "alexnet.plots.activations",
    "alexnet.plots.explain",
    "alexnet.plots.receptive",
    "alexnet.plots.results",
    "alexnet.plots.training",
    "plotly.express",
    "skimage.data",  # the bundled photos
    "sklearn.datasets",  # the bundled digits
    "captum.attr",  # Grad-CAM and saliency; imports matplotlib
)


def warm_up() -> None:
    """Import ``WARM_MODULES``, run one meta-device probe of the paper network (the first
    meta-device call imports torch._dynamo and sympy: about 2 s), load the bundled digits and
    the default photo, and draw one tiny plotly express image."""
    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # a module another page no longer has: nothing to warm
            importlib.import_module(name)
    import plotly.express as px
    import torch

    from alexnet.config import preset
    from alexnet.images import SAMPLE_PHOTOS, digit_counts, sample_photo
    from alexnet.probe import probe_shapes

    probe_shapes(preset("paper"), device="meta")  # imports torch._dynamo and sympy: later probes take meta
    digit_counts()  # reads scikit-learn's bundled digits once per process (cached)
    photo = sample_photo(next(iter(SAMPLE_PHOTOS)))  # the Activations page's default: imports imageio's readers
    px.imshow(photo[:8, :8], binary_string=True)  # plotly express's first image imports narwhals
    # st.cache_data hands a cached image back by unpickling its tensor (torch.load), whose first
    # use imports torch's serialization settings
    pickle.loads(pickle.dumps(torch.zeros(1)))


def start_warm_up(delay_s: float = WARM_UP_DELAY_S, then: Callable[[], object] | None = None) -> threading.Thread:
    """Start a daemon thread (it never keeps the server from exiting) that runs ``warm_up`` and
    ``then()`` (the app's own warming: a first visit's view into its caches) ``delay_s`` seconds
    from now, and finally ``gc.freeze()``: everything alive then lives as long as the server, and
    out of the collector's sight Streamlit's full collection after every script run takes
    milliseconds instead of 0.2-0.7 s.

    Called at the end of the first page's script, it also freezes what that page loaded (torch,
    pandas, plotly...), so the collection right after that script does not hold the GIL for half
    a second while the page's last messages go out.
    """
    gc.freeze()
    thread = threading.Thread(target=_warm_up_later, args=(delay_s, then), name="alexnet-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_later(delay_s: float, then: Callable[[], object] | None) -> None:
    time.sleep(delay_s)
    warm_up()
    if then is not None:
        then()
    gc.freeze()
