"""The verdict rule: does our data back the paper's claim, go against it, or not tell?

Welch's t-test (two samples, unequal variances) on the per-seed values of A and B:

    t = (mean_A - mean_B) / sqrt(s_A^2 / n_A + s_B^2 / n_B)

with the Welch-Satterthwaite degrees of freedom. If p < ``ALPHA`` (two-sided), the means differ
beyond what the seeds' spread explains, and the sign of mean_A - mean_B against the claim's
direction says "holds here" or "reversed here"; otherwise "within the seeds' spread". Two runs
per variant are the least the test takes. Values that are the same for every seed (parameter
counts) have no spread: there any difference decides.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05
HOLDS, REVERSED, SPREAD, TOO_FEW = "holds here", "reversed here", "within the seeds' spread", "too few runs to tell"
NOT_REACHED = "no run got there: train for more epochs"
RULE = (
    f"Verdict: Welch's t-test on the per-seed values of A and B (unequal variances, two-sided). "
    f"p < {ALPHA:g}: the difference is beyond the seeds' spread, and the claim **holds here** if A is on the "
    f"side the paper says, **reversed here** if not; p ≥ {ALPHA:g}: **within the seeds' spread**. "
    "It needs 2 finished runs per variant; with only 2 it decides little (about one degree of freedom), "
    "so 3 or more seeds are the default. A run that never reached 25 % training error counts as its last "
    "step (marked ≥): the test then treats a lower bound as a value; when no run of either variant got there, "
    "there is nothing to compare."
)


@dataclass(frozen=True)
class Summary:
    """Per-seed values of one variant: their count, mean and sample standard deviation (n - 1)."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def sd(self) -> float:
        return statistics.stdev(self.values) if self.n > 1 else 0.0


@dataclass(frozen=True)
class Verdict:
    label: str  # HOLDS, REVERSED, SPREAD, TOO_FEW; for a comparison without a claim: "A lower here", ...
    p: float | None  # Welch's two-sided p-value; None when the test was not run


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test; 0 or 1 where neither sample varies (equal means: 1)."""
    from scipy import stats

    if statistics.pvariance(a) == 0 and statistics.pvariance(b) == 0:
        return 1.0 if statistics.fmean(a) == statistics.fmean(b) else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def verdict(
    a: Sequence[float], b: Sequence[float], expect: str | None, alpha: float = ALPHA, *, reached: bool = True
) -> Verdict:
    """The verdict on per-seed values ``a`` (the paper's choice) and ``b``.

    ``expect`` is "lower" or "higher" (A's side if the claim holds); None for a comparison without a
    claim, whose verdict names the variant that is lower ("A lower here") or says it is within the spread.
    ``reached=False``: every value is a lower bound (no run of either variant crossed the line), so
    nothing is compared.
    """
    if len(a) < 2 or len(b) < 2:
        return Verdict(TOO_FEW, None)
    if not reached:
        return Verdict(NOT_REACHED, None)
    p = welch_p(a, b)
    if not p < alpha:
        return Verdict(SPREAD, p)
    a_lower = statistics.fmean(a) < statistics.fmean(b)
    if expect is None:
        return Verdict("A lower here" if a_lower else "B lower here", p)
    return Verdict(HOLDS if a_lower == (expect == "lower") else REVERSED, p)
