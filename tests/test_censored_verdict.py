"""Verdicts that respect censoring: a run that never reached the line is known only to need more
steps than it had. Synthetic runs: all censored, one side censored, mixed, none; the table's
figures never print a cap's "± 0" and put the bound on the ratio."""

from __future__ import annotations

import pytest
from scipy import stats

from alexnet.experiments import verdict
from alexnet.experiments.claims import CLAIMS, STEPS
from alexnet.experiments.measures import RunMeasure
from alexnet.experiments.report import format_ours, format_value, format_verdict
from alexnet.experiments.results import MeasureRow


def row(a: list[tuple[float, bool]], b: list[tuple[float, bool]], measure=STEPS) -> MeasureRow:
    """A table row of steps to the line: (value, reached) per seed for A and B, judged by the rule."""
    values = (tuple(RunMeasure(v, r) for v, r in a), tuple(RunMeasure(v, r) for v, r in b))
    decided = verdict.verdict(
        [v for v, _ in a], [v for v, _ in b], measure.expect, reached=([r for _, r in a], [r for _, r in b])
    )
    return MeasureRow(measure, values, decided)


def test_no_run_of_either_got_there_decides_nothing():
    capped = [(237.0, False)] * 3
    shown = row(capped, capped)
    assert shown.verdict.label == verdict.NOT_REACHED and shown.verdict.p is None
    assert format_value(shown, 0) == "≥ 237 steps (none of 3 got there)"  # no "± 0"
    assert format_ours(shown) == "—"


def test_one_side_censored_is_decided_by_the_log_rank_test_with_the_bound_on_the_ratio():
    # ReLU never got there in 90 steps; tanh did in 53-55: tanh is sooner, the reverse of Figure 1
    shown = row([(90.0, False)] * 3, [(55.0, True), (53.0, True), (52.0, True)])
    expected = stats.logrank(
        stats.CensoredData(right=[90.0, 90.0, 90.0]), stats.CensoredData(uncensored=[55.0, 53.0, 52.0])
    ).pvalue
    assert shown.verdict.test == "log-rank" and shown.verdict.p == pytest.approx(expected)
    assert shown.verdict.p < 0.05 and shown.verdict.label == verdict.REVERSED
    assert format_value(shown, 0) == "≥ 90 steps (none of 3 got there)"
    assert format_value(shown, 1) == "53 ± 2 steps (n=3)"
    # B/A with A a lower bound: the true ratio is at most 53.33 / 90 = 0.59
    assert format_ours(shown) == "B/A ≤ 0.59x"
    assert format_verdict(shown).endswith(", log-rank)")


def test_b_censored_puts_the_bound_the_other_way():
    shown = row([(40.0, True), (42.0, True), (44.0, True)], [(120.0, False)] * 3)
    assert format_ours(shown) == "B/A ≥ 2.86x"  # 120 / 42, B's true steps larger still
    assert shown.verdict.label == verdict.HOLDS and shown.verdict.test == "log-rank"


def test_mixed_censoring_counts_the_runs_that_got_there():
    shown = row([(60.0, True), (70.0, True), (90.0, False)], [(80.0, True), (90.0, False), (90.0, False)])
    assert format_value(shown, 0) == "≥ 73 steps (2 of 3 got there)"
    assert format_value(shown, 1) == "≥ 87 steps (1 of 3 got there)"
    assert format_ours(shown) == "—"  # both sides are bounds: no direction for the ratio
    assert shown.verdict.test == "log-rank" and 0 < shown.verdict.p < 1
    assert shown.verdict.label in (verdict.SPREAD, verdict.HOLDS)


def test_no_censoring_keeps_welchs_test():
    shown = row([(40.0, True), (44.0, True), (42.0, True)], [(120.0, True), (129.0, True), (115.0, True)])
    assert shown.verdict.test == "Welch"
    assert shown.verdict.p == pytest.approx(stats.ttest_ind([40, 44, 42], [120, 129, 115], equal_var=False).pvalue)
    assert format_ours(shown) == "B/A = 2.89x" and format_value(shown, 0) == "42 ± 2 steps (n=3)"


def test_dropouts_ratio_is_a_over_b_and_its_bound_follows():
    dropout_steps = CLAIMS["dropout"].measures[1]
    assert dropout_steps.form == "A/B"
    shown = row([(200.0, False)] * 2, [(100.0, True), (110.0, True)], measure=dropout_steps)
    assert format_ours(shown) == "A/B ≥ 1.90x"  # 200 / 105: A's true steps larger still
