"""Load PyTorch in the background, then warm what every page shares: once per server.

Streamlit runs none of our code until the first browser connects, and ``import torch`` takes
2-3 s on two cores (with torchvision up to 6 s). A page that imported it before drawing stayed
blank that long. So ``app.py`` starts ``start_warm_up``, one daemon thread that

1. imports PyTorch and the shape probe and runs one small probe (``load_torch``); then
   ``torch_ready()`` turns true. The Architecture page draws without torch and fills in its
   PyTorch column once this is done; it starts the thread at the end of the server's first
   script, so that the script and the sending of its page have Python's GIL to themselves.
   The pages that need torch start it first and wait for it (``wait_for_torch``, under a
   spinner) instead of importing it a second time beside it;
2. imports what the other pages need (``WARM_MODULES``), then runs the app's own warming (the
   Activations page's default view into its caches).

Step 2 holds the GIL for seconds on the same two cores as the page a user is on, and a page's
script and the sending of its messages both wait while it does. So it waits until every page
that asked for torch too early has had a run since (``wait_for_pages_that_asked``), and then
imports one module at a time, each only once no page script (``foreground()``: ``app.py``
wraps every run in it) has run for ``QUIET_S``: a user's slider step waits at most for the
one import in progress.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator

# What the Architecture page's PyTorch column needs, in import order.
TORCH_MODULES = ("torch", "alexnet.network.model", "alexnet.inspect.probe")

# what the pages import beyond the first page's own modules, heaviest last. The Activations
# page's first visit imported 1,120 modules in 2.8 s before this list had captum (which brings
# matplotlib) and scikit-learn; tests/test_warmup.py checks that no page's first visit imports
# anything heavy after the warm-up.
WARM_MODULES = (
    "alexnet.inspect.summary",
    "alexnet.inspect.tables",
    "alexnet.runs",
    "alexnet.training.settings",
    "alexnet.training.run",  # the Training page: the optimizers, precisions and the device they resolve to
    "alexnet.training.speed",  # and the time an epoch takes
    "alexnet.training.learning_check",  # and whether a run learned
    "alexnet.experiments.store",  # the Experiments page: claims, runs, results and their table
    "alexnet.experiments.results",
    "alexnet.experiments.report",
    "alexnet.plots.experiment",
    "alexnet.training.data",
    "alexnet.inspect.images",
    "alexnet.inspect.gradcam",
    "alexnet.inspect.pretrained",
    "alexnet.network.receptive",
    "alexnet.runs.weights_meaning",  # the Activations page: what the picked weights mean for the view
    "alexnet.training.run_folder.results",
    "alexnet.plots.smoothing",
    "alexnet.plots.costs",  # the Summary page's charts
    "alexnet.plots.activations",
    "alexnet.plots.prediction",
    "alexnet.plots.gradcam",
    "alexnet.plots.receptive",
    "alexnet.plots.results",
    "alexnet.plots.training",
    "plotly.express",
    "skimage.data",  # the bundled photos
    "sklearn.datasets",  # the bundled digits
    "captum.attr",  # Grad-CAM and saliency; imports matplotlib
)

# Seconds without a page script running before the next step of the warm-up. A script's end
# is not the page's: the browser draws it for a while longer on the same cores, and fetches the
# code of widgets it has not drawn before from this server (measured on the first page: 0.5-1 s).
QUIET_S = 1.0
# Longest wait of step 2 for a page that showed a placeholder to fill it in (such a page looks
# every half second, later while its browser is busy drawing; it may also have been closed).
FILL_WAIT_S = 10.0

_torch_ready = threading.Event()
_started = threading.Event()  # start_warm_up was called: from then on its thread alone sets _torch_ready
_asked = threading.Event()  # a page asked for torch before it was ready (and shows a placeholder)
_state = threading.Condition()
_running_pages = 0  # page scripts running now (foreground())
_last_page_end = 0.0  # time.monotonic() when the last one ended
_ready_at = 0.0  # time.monotonic() when load_torch finished
_thread: threading.Thread | None = None  # the warm-up thread, once start_warm_up has run


def warming_up() -> bool:
    """Whether the warm-up thread is still at work: a timing taken now shares the cores with it."""
    return _thread is not None and _thread.is_alive()


def torch_ready() -> bool:
    """Whether PyTorch and the shape probe are imported, so that using them costs no import.

    Also true where torch was imported before the warm-up started (a test process, say: then a
    page never shows a placeholder for what it can have now), and once the warm-up's import has
    failed (a page that then imports torch shows the error itself).
    """
    if _adopt_imported_torch():
        return True
    _asked.set()
    return False


def _adopt_imported_torch() -> bool:
    """``_torch_ready``, set first if torch was imported by someone else before the warm-up started."""
    if not _started.is_set() and "torch" in sys.modules:
        _torch_ready.set()
    return _torch_ready.is_set()


def wait_for_torch(timeout: float | None = None) -> bool:
    """Wait until ``torch_ready()`` (at most ``timeout`` seconds); returns it."""
    return _torch_ready.wait(timeout)


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """Mark a page script as running: the warm-up's second step waits until none is, and ``QUIET_S`` after."""
    global _running_pages, _last_page_end
    with _state:
        _running_pages += 1
    try:
        yield
    finally:
        with _state:
            _running_pages -= 1
            _last_page_end = time.monotonic()
            _state.notify_all()


def wait_for_quiet(quiet_s: float = QUIET_S) -> None:
    """Block until no page script has run for ``quiet_s`` seconds."""
    with _state:
        while True:
            idle_for = time.monotonic() - _last_page_end
            if _running_pages == 0 and idle_for >= quiet_s:
                return
            _state.wait(None if _running_pages else quiet_s - idle_for)


def wait_for_pages_that_asked(since: float, timeout_s: float) -> None:
    """If a page asked for torch before it was ready, block until a page script has ended after
    ``since`` (when torch became ready): the page has had its turn to use it. At most ``timeout_s``
    (the page may have been closed)."""
    if not _asked.is_set():
        return
    deadline = since + timeout_s
    with _state:
        while _last_page_end < since and (left := deadline - time.monotonic()) > 0:
            _state.wait(left)


def load_torch() -> None:
    """Step 1: import ``TORCH_MODULES`` and probe the paper network once, then ``torch_ready()``.

    The probe pays the rest of a process's first shape probe (PyTorch's first use of the CPU
    kernels, and sympy, which moving a model off the meta device imports), so that the page's
    own probe of the configuration it shows takes milliseconds, not a second.
    """
    try:
        for name in TORCH_MODULES:
            importlib.import_module(name)
        from alexnet.inspect.probe import probe_shapes
        from alexnet.network.config import preset

        probe_shapes(preset("paper"))
    finally:  # a page waiting for torch must not wait for ever
        global _ready_at
        _ready_at = time.monotonic()
        _torch_ready.set()


def warm_up(between: Callable[[], None] = lambda: None) -> None:
    """Step 2: import ``WARM_MODULES``, run one meta-device probe of the paper network (the
    first meta-device call imports torch._dynamo and sympy: about 2 s), load the bundled digits
    and the default photo, and draw one tiny plotly express image; ``between()`` before each step."""
    for name in WARM_MODULES:
        between()
        with contextlib.suppress(ImportError):  # a module another page no longer has: nothing to warm
            importlib.import_module(name)
    import plotly.express as px
    import torch

    from alexnet.inspect.images import SAMPLE_PHOTOS, digit_counts, sample_photo
    from alexnet.inspect.probe import probe_shapes
    from alexnet.network.config import preset

    between()
    probe_shapes(preset("paper"), device="meta")  # imports torch._dynamo and sympy: later probes take meta
    between()
    digit_counts()  # reads scikit-learn's bundled digits once per process (cached)
    photo = sample_photo(next(iter(SAMPLE_PHOTOS)))  # the Activations page's default: imports imageio's readers
    px.imshow(photo[:8, :8], binary_string=True)  # plotly express's first image imports narwhals
    # st.cache_data hands a cached image back by unpickling its tensor (torch.load), whose first
    # use imports torch's serialization settings
    pickle.loads(pickle.dumps(torch.zeros(1)))


def start_warm_up(then: Callable[[], object] | None = None, quiet_s: float = QUIET_S) -> threading.Thread:
    """Start a daemon thread (it never keeps the server from exiting) that runs ``load_torch``,
    then, once the pages that asked for torch have used it and in quiet moments, ``warm_up`` and
    ``then()`` (the app's own warming: a first visit's view into its caches).

    It calls ``gc.freeze()`` now and after each step: everything alive then lives as long as the
    server, and out of the collector's sight Streamlit's full collection after every script run
    takes milliseconds instead of 0.2-0.7 s with torch loaded.
    """
    gc.freeze()
    _adopt_imported_torch()  # imported already? then it stays ready while the thread imports the rest
    _started.set()
    global _thread
    thread = _thread = threading.Thread(target=_warm_up, args=(then, quiet_s), name="alexnet-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up(then: Callable[[], object] | None, quiet_s: float) -> None:
    load_torch()
    gc.freeze()
    wait_for_pages_that_asked(_ready_at, FILL_WAIT_S)
    warm_up(between=lambda: wait_for_quiet(quiet_s))
    if then is not None:
        wait_for_quiet(quiet_s)
        then()
    gc.freeze()
