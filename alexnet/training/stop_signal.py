"""How a trainer is asked to stop: the run folder's stop request, SIGTERM, and Ctrl-C.

The Stop button (``alexnet.runs.stop_run``) writes ``stop.request`` into the run folder
(``run_folder.STOP``) and sends no signal. The trainer watches that file from the moment its
run starts (``watch``): it is checked at once and then every ``POLL_S`` seconds by a daemon
thread, so a Stop pressed at any moment, even before the trainer process has imported
anything, is waiting for it when it looks. A signal sent before the trainer installed its
handler would have killed it instead (the run then read "interrupted"): a file cannot be
missed that way.

SIGTERM (``kill`` from a terminal) and Ctrl-C still ask for a stop too: ``python -m alexnet
train`` installs the handler first thing, before it imports torch.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# set by the launcher (``alexnet.runs.trainer_process``) to the run id it starts: a request in that
# run's folder was written for this trainer (the launcher removed older ones); any other trainer
# (a resume typed in a terminal) removes a request left over from a run that ended meanwhile
LAUNCHED_RUN_ENV = "ALEXNET_LAUNCHED_RUN"
POLL_S = 0.1  # how often the watching thread looks for the stop request (one stat call each time)

_signalled = threading.Event()  # a SIGTERM or Ctrl-C came: for the rest of this process
_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()
_watched: Path | None = None  # the stop request file of the run training now
_generation = 0  # a watching thread ends once a newer watch() (or watch(None)) replaced its file


def install(*, ctrl_c: bool = True) -> None:
    """Handle SIGTERM, and SIGINT unless ``ctrl_c`` is false, in this process from now on (main
    thread only). The trainer's start-up takes SIGTERM alone: Ctrl-C in a terminal should still
    interrupt a slow start (a download, say) at once."""
    for sig in (signal.SIGTERM, signal.SIGINT) if ctrl_c else (signal.SIGTERM,):
        signal.signal(sig, _on_signal)


def watch(path: Path | None) -> None:
    """Treat the file ``path`` (a run folder's ``stop.request``) as a stop request from now on;
    ``None`` stops watching. A request already there is seen by ``requested()`` at once."""
    global _watched, _generation
    with _lock:
        _generation += 1
        _watched, generation = path, _generation
    if path is not None:
        threading.Thread(target=_poll, args=(path, generation), name="stop-request", daemon=True).start()


def requested() -> bool:
    """Whether a stop was asked for: a signal, or the watched file exists (looked at now)."""
    path = _watched
    return _signalled.is_set() or (path is not None and path.exists())


def on_stop(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` when a stop is asked for, or now if it already was; returns a function
    that removes the listener (a process that trains twice, like a test, keeps only the current one)."""
    _listeners.append(listener)
    if requested():
        listener()
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def _poll(path: Path, generation: int) -> None:
    while _generation == generation:
        if path.exists():
            _notify()
            return
        time.sleep(POLL_S)


def _notify() -> None:
    for listener in list(_listeners):
        listener()


def _on_signal(signum: int, frame: Any) -> None:
    _signalled.set()
    _notify()
