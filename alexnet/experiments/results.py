"""What an experiment's runs show: per measure, each variant's mean ± sd and the verdict; per
variant, the curves as a mean line inside the band between the lowest and highest seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alexnet import runs
from alexnet.experiments.claims import Measure
from alexnet.experiments.measures import RunMeasure, measure, moving_average, training_error
from alexnet.experiments.store import Experiment, run_infos
from alexnet.experiments.verdict import RULE, Summary, Verdict, verdict
from alexnet.training.learning_check import not_learning


@dataclass(frozen=True)
class MeasureRow:
    """One measure of the claim: A's and B's per-seed values, their summaries, the verdict."""

    measure: Measure
    values: tuple[tuple[RunMeasure, ...], tuple[RunMeasure, ...]]  # finished runs only, in seed order
    verdict: Verdict

    @property
    def summaries(self) -> tuple[Summary, Summary]:
        a, b = self.values
        return Summary(tuple(m.value for m in a)), Summary(tuple(m.value for m in b))

    @property
    def censored(self) -> tuple[bool, bool]:
        """Whether A's and B's values include a lower bound (a run that never crossed the line)."""
        return not all(m.reached for m in self.values[0]), not all(m.reached for m in self.values[1])

    @property
    def ours_bound(self) -> str | None:
        """How ``ours`` relates to the true comparison: "" (it is the value), "≥" or "≤" (a bound, where
        one variant's values are lower bounds), or None where both are: no direction is known."""
        a, b = self.censored
        if a and b:
            return None
        if not (a or b):
            return ""
        grows = b if self.measure.form == "B/A" else a  # the true value of the side that grows it is larger
        return "≥" if grows else "≤"

    @property
    def ours(self) -> float | None:
        """The two means compared as the paper compares them (``Measure.form``): a ratio or A - B."""
        a, b = (s.mean for s in self.summaries)
        if not (self.values[0] and self.values[1]) or not any(m.reached for v in self.values for m in v):
            return None  # nothing yet, or two lower bounds: no ratio to give
        if self.measure.form == "A-B":
            return a - b
        numerator, denominator = (b, a) if self.measure.form == "B/A" else (a, b)
        return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Band:
    """A curve over seeds: at each x that every seed has, the mean and the lowest and highest value."""

    x: tuple[float, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    seeds: int


@dataclass(frozen=True)
class ExperimentResult:
    experiment: Experiment
    states: tuple[tuple[str, ...], tuple[str, ...]]  # each run's state ("not started" for none)
    rows: tuple[MeasureRow, ...]
    loss: tuple[Band, Band]  # moving-average training loss by step
    train_error: tuple[Band, Band]  # moving-average training error by step
    val_error: tuple[Band, Band]  # validation error by epoch
    stuck: tuple[tuple[str, int, str], ...] = ()  # (variant, seed, why) of each finished run that did not learn
    rule: str = RULE

    @property
    def finished(self) -> tuple[int, int]:
        return tuple(sum(s == "finished" for s in variant) for variant in self.states)  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        """Every variant's per-seed measures, the means, the spreads and the verdicts (``--json``)."""
        e = self.experiment
        return {
            "experiment": e.id,
            "claim": e.claim,
            "title": e.title,
            "settings": e.to_dict()["settings"],
            "seeds": list(e.seeds),
            "variants": [
                {"label": e.labels[v], "runs": list(e.run_ids[v]), "states": list(self.states[v])} for v in (0, 1)
            ],
            "measures": [
                {
                    "key": row.measure.key,
                    "title": row.measure.title,
                    "expect_a": row.measure.expect,
                    "per_seed": [[m.value for m in row.values[v]] for v in (0, 1)],
                    "reached": [[m.reached for m in row.values[v]] for v in (0, 1)],
                    "mean": [row.summaries[v].mean for v in (0, 1)],
                    "sd": [row.summaries[v].sd for v in (0, 1)],
                    "ours": row.ours,
                    "form": row.measure.form,
                    "paper": row.measure.paper,
                    "verdict": row.verdict.label,
                    "p": row.verdict.p,
                    "test": row.verdict.test,
                }
                for row in self.rows
            ],
            "did_not_learn": [{"variant": v, "seed": seed, "why": why} for v, seed, why in self.stuck],
            "rule": self.rule,
        }


def band(curves: Sequence[tuple[Sequence[float], Sequence[float]]]) -> Band:
    """Mean, min and max over ``curves`` (each (x, y)) at the x values all of them have."""
    if not curves:
        return Band((), (), (), (), 0)
    maps = [dict(zip(x, y, strict=True)) for x, y in curves]
    common = sorted(set(maps[0]).intersection(*maps[1:]))
    columns = [[m[x] for m in maps] for x in common]
    return Band(
        tuple(common),
        tuple(sum(c) / len(c) for c in columns),
        tuple(min(c) for c in columns),
        tuple(max(c) for c in columns),
        len(curves),
    )


def experiment_result(experiment: Experiment, directory: str | Path | None = None) -> ExperimentResult:
    """Read every run of ``experiment`` and compare the variants. Measures count finished runs only;
    the curves show every run that has logged a step, so a running experiment already draws."""
    infos = run_infos(experiment, directory)
    states = tuple(tuple(info.state if info else "not started" for info in variant) for variant in infos)
    records = [[_records(info, directory) for info in variant] for variant in infos]
    the_claim = experiment.the_claim()
    rows = []
    for m in the_claim.measures:
        values = tuple(
            tuple(
                value
                for info, (steps, epochs) in zip(infos[v], records[v], strict=True)
                if info is not None
                and info.state == "finished"
                and (value := measure(m.key, steps, epochs, experiment.networks[v])) is not None
            )
            for v in (0, 1)
        )
        reached = (tuple(x.reached for x in values[0]), tuple(x.reached for x in values[1]))
        decided = verdict([x.value for x in values[0]], [x.value for x in values[1]], m.expect, reached=reached)
        rows.append(MeasureRow(m, values, decided))  # type: ignore[arg-type]
    stuck = tuple(
        (experiment.labels[v], experiment.seeds[i], why)
        for v in (0, 1)
        for i, (info, (steps, epochs)) in enumerate(zip(infos[v], records[v], strict=True))
        if info is not None
        and info.state == "finished"
        and (
            why := not_learning(
                steps, epochs, int(info.network.get("num_classes", 0)), recipe=info.settings.get("recipe")
            )
        )
    )
    return ExperimentResult(
        experiment,
        states,  # type: ignore[arg-type]
        tuple(rows),
        loss=_bands(records, _loss_curve),
        train_error=_bands(records, training_error),
        val_error=_bands(records, _val_curve, by_epoch=True),
        stuck=stuck,
    )


def _records(info: runs.RunInfo | None, directory: str | Path | None) -> tuple[list[dict], list[dict]]:
    if info is None or info.state == "queued":
        return [], []
    metrics = runs.read_metrics(info.run_id, directory)
    return metrics.steps, metrics.epochs


def _loss_curve(steps: list[dict]) -> tuple[list[int], list[float]]:
    logged = [(r["step"], r["loss"]) for r in steps if isinstance(r.get("loss"), (int, float))]
    return [s for s, _ in logged], moving_average([loss for _, loss in logged])


def _val_curve(epochs: list[dict]) -> tuple[list[float], list[float]]:
    validated = [r for r in epochs if isinstance(r.get("val_accuracy"), (int, float))]
    return [r["epoch"] for r in validated], [1.0 - r["val_accuracy"] for r in validated]


def _bands(
    records: list[list[tuple[list[dict], list[dict]]]],
    curve: Callable[[list[dict]], tuple[list, list[float]]],
    *,
    by_epoch: bool = False,
) -> tuple[Band, Band]:
    """Each variant's band of ``curve`` over its runs' step records (or epoch records, ``by_epoch``)."""
    out = []
    for variant in records:
        curves = [curve(epochs if by_epoch else steps) for steps, epochs in variant]
        out.append(band([c for c in curves if c[0]]))  # a run with nothing logged yet draws nothing
    return out[0], out[1]
