"""Smoothing a noisy training curve: an exponential moving average without its start-up bias.

TensorBoard's smoothing slider is an exponential moving average with weight w in [0, 1):

    s_0 = 0,    s_t = w * s_{t-1} + (1 - w) * x_t

Started from zero, s_t is pulled toward 0 for the first ~1 / (1 - w) points (at t = 1 it is
only (1 - w) * x_1). As in Adam's moment estimates, dividing by the weight the real points
have received so far removes that bias:

    smoothed_t = s_t / (1 - w^t)

so the smoothed curve starts on the first value and then follows the trend. That is exactly
pandas' ``ewm(alpha=1 - w, adjust=True)``: its mean weighs x_{t-i} by w^i and divides by the sum
of those weights, sum_{i<t} w^i = (1 - w^t) / (1 - w). pandas computes it here;
``tests/test_runs.py`` checks it against TensorBoard's formula above, worked out by hand.
"""

from __future__ import annotations

from collections.abc import Sequence


def smooth(values: Sequence[float | None], weight: float) -> list[float]:
    """The debiased exponential moving average of ``values``; ``weight`` 0 returns them unchanged.

    Missing or non-finite values (``None``, NaN, inf) are skipped: they keep the previous smoothed
    value (NaN before the first real one) and do not count toward t (``ignore_na=True``).
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    import numpy as np
    import pandas as pd  # only where a curve is drawn: the first page's script does without it

    series = pd.Series([np.nan if x is None else x for x in values], dtype=float)
    series = series.where(np.isfinite(series))  # inf and -inf are skipped like NaN
    return series.ewm(alpha=1 - weight, adjust=True, ignore_na=True).mean().tolist()
