"""The verdict rule: does our data back the paper's claim, go against it, or not tell?

Welch's t-test (two samples, unequal variances) on the per-seed values of A and B:

    t = (mean_A - mean_B) / sqrt(s_A^2 / n_A + s_B^2 / n_B)

with the Welch-Satterthwaite degrees of freedom. If p < ``ALPHA`` (two-sided), the means differ
beyond what the seeds' spread explains, and the sign of mean_A - mean_B against the claim's
direction says "holds here" or "reversed here"; otherwise "within the seeds' spread". Two runs
per variant are the least the test takes. Values that are the same for every seed (parameter
counts) have no spread: there any difference decides.

A "steps until the line" measure is censored where a run ended before it crossed the line: its
value is only a lower bound. Where some runs are censored, the log-rank test (``scipy.stats.logrank``
on ``CensoredData``), made for times that may not have happened yet, decides instead of Welch's,
and its statistic's sign says which variant got there sooner. Where no run of either got there,
nothing is compared.
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
    "so 3 or more seeds are the default. A run that never reached 25 % training error is known only to need "
    "more steps than it had (marked ≥): where some runs are such, the log-rank test, made for times that may "
    "not have come yet, decides instead; when no run of either variant got there, there is nothing to compare."
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
    p: float | None  # the test's two-sided p-value; None when no test was run
    test: str = "Welch"  # "Welch" or "log-rank" (some values censored)


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test; 0 or 1 where neither sample varies (equal means: 1)."""
    from scipy import stats

    if statistics.pvariance(a) == 0 and statistics.pvariance(b) == 0:
        return 1.0 if statistics.fmean(a) == statistics.fmean(b) else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def logrank_p(
    a: Sequence[float], b: Sequence[float], reached_a: Sequence[bool], reached_b: Sequence[bool]
) -> tuple[float, bool]:
    """(two-sided log-rank p-value, whether A gets there sooner) for times to an event, a value whose
    ``reached`` is False being right-censored (the event had not happened by then)."""
    from scipy import stats

    def censored(values: Sequence[float], reached: Sequence[bool]) -> stats.CensoredData:
        return stats.CensoredData(
            uncensored=[v for v, r in zip(values, reached, strict=True) if r],
            right=[v for v, r in zip(values, reached, strict=True) if not r],
        )

    result = stats.logrank(censored(a, reached_a), censored(b, reached_b))
    return float(result.pvalue), float(result.statistic) > 0  # > 0: more of A's events than expected, sooner


def verdict(
    a: Sequence[float],
    b: Sequence[float],
    expect: str | None,
    alpha: float = ALPHA,
    *,
    reached: tuple[Sequence[bool], Sequence[bool]] | None = None,
) -> Verdict:
    """The verdict on per-seed values ``a`` (the paper's choice) and ``b``.

    ``expect`` is "lower" or "higher" (A's side if the claim holds); None for a comparison without a
    claim, whose verdict names the variant that is lower ("A lower here") or says it is within the spread.
    ``reached``: per value of A and of B, whether the run crossed the line (False: the value is a
    lower bound). None of them: nothing is compared; some: the log-rank test decides; all (or
    ``None``, a measure that is never censored): Welch's.
    """
    if len(a) < 2 or len(b) < 2:
        return Verdict(TOO_FEW, None)
    censored = reached is not None and not (all(reached[0]) and all(reached[1]))
    if reached is not None and not any(reached[0]) and not any(reached[1]):
        return Verdict(NOT_REACHED, None)
    if censored:
        assert reached is not None
        p, a_lower = logrank_p(a, b, *reached)
        test = "log-rank"
    else:
        p, a_lower, test = welch_p(a, b), statistics.fmean(a) < statistics.fmean(b), "Welch"
    if not p < alpha:
        return Verdict(SPREAD, p, test)
    if expect is None:
        return Verdict("A lower here" if a_lower else "B lower here", p, test)
    return Verdict(HOLDS if a_lower == (expect == "lower") else REVERSED, p, test)
