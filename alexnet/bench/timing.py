"""The one timer of the benchmarks: the median wall time of repeated work."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(work: Callable[[int], object], repeats: int) -> float:
    """Median seconds of ``work(k)`` for k = 0 .. repeats - 1 (``k`` lets each call take new input).

    The median, not the mean: one call slowed by another process on a shared machine moves it little.
    Warm-up, where wanted, is the caller's: a first call that pays for lazy set-up is not timed here.
    """
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        work(k)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
