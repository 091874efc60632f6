"""SIGTERM (``alexnet.runs.stop_run``) and Ctrl-C ask a trainer to stop after its current step.

The trainer process installs the handler first thing (``python -m alexnet train`` does, before it
imports torch), so that a Stop pressed while the trainer is still starting (importing, loading the
data: seconds) is remembered instead of killing the process: the run then stops cleanly after its
first step, with a checkpoint, and shows as "stopped", not "interrupted".
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

_requested = threading.Event()
_listeners: list[Callable[[], None]] = []


def install(*, ctrl_c: bool = True) -> None:
    """Handle SIGTERM, and SIGINT unless ``ctrl_c`` is false, in this process from now on (main
    thread only). The trainer's start-up takes SIGTERM alone: Ctrl-C in a terminal should still
    interrupt a slow start (a download, say) at once."""
    for sig in (signal.SIGTERM, signal.SIGINT) if ctrl_c else (signal.SIGTERM,):
        signal.signal(sig, _on_signal)


def on_stop(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` when a stop is asked for, or now if it already was; returns a function
    that removes the listener (a process that trains twice, like a test, keeps only the current one)."""
    _listeners.append(listener)
    if _requested.is_set():
        listener()
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def _on_signal(signum: int, frame: Any) -> None:
    _requested.set()
    for listener in list(_listeners):
        listener()
