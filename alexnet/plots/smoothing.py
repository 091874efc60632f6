"""Smoothing a noisy training curve: an exponential moving average without its start-up bias.

TensorBoard's smoothing slider is an exponential moving average with weight w in [0, 1):

    s_0 = 0,    s_t = w * s_{t-1} + (1 - w) * x_t

Started from zero, s_t is pulled toward 0 for the first ~1 / (1 - w) points (at t = 1 it is
only (1 - w) * x_1). As in Adam's moment estimates, dividing by the weight the real points
have received so far removes that bias:

    smoothed_t = s_t / (1 - w^t)

so the smoothed curve starts on the first value and then follows the trend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def smooth(values: Sequence[float | None], weight: float) -> list[float]:
    """The debiased exponential moving average of ``values``; ``weight`` 0 returns them unchanged.

    Missing or non-finite values (``None``, NaN) are skipped: they keep the previous smoothed
    value (NaN before the first real one) and do not count toward t.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    out: list[float] = []
    average, t = 0.0, 0
    for x in values:
        if x is not None and math.isfinite(x):
            t += 1
            average = weight * average + (1 - weight) * x
        out.append(average / (1 - weight**t) if t else math.nan)
    return out
