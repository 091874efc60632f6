"""An experiment's results as the table a learner reads, the same on the page and the command line."""

from __future__ import annotations

from alexnet.experiments.claims import A_VS_B
from alexnet.experiments.results import ExperimentResult, MeasureRow
from alexnet.experiments.store import Experiment
from alexnet.experiments.verdict import Summary
from alexnet.network.diff import network_name
from alexnet.training.data import DATASET_NAMES
from alexnet.units import format_count

COLUMNS = ("Measure", "A", "B", "Ours", "Paper", "Verdict")


def format_value(row: MeasureRow, variant: int) -> str:
    """Mean ± sample sd over the seeds, in the measure's unit; "≥" where a seed never crossed the line
    (its value is a lower bound); "—" before any run finished."""
    summary: Summary = row.summaries[variant]
    if not summary.n:
        return "—"
    unit = row.measure.unit
    runs = row.values[variant]
    got_there = sum(m.reached for m in runs)
    if got_there < len(runs):  # lower bounds: no spread to give (a cap's "± 0" would read as certain)
        shown = summary.mean if got_there else max(m.value for m in runs)
        part = f"{got_there} of {len(runs)} got there" if got_there else f"none of {len(runs)} got there"
        return f"≥ {shown:.0f} steps ({part})"
    if unit == "%":
        text = f"{summary.mean:.1%} ± {summary.sd * 100:.1f}"
    elif unit == "steps":
        text = f"{summary.mean:.0f} ± {summary.sd:.0f} steps"
    else:
        text = format_count(summary.mean)
    return f"{text} (n={summary.n})" if unit else text


def format_ours(row: MeasureRow) -> str:
    """Our two means compared in the paper's form: "tanh/ReLU = 0.5x", "A − B = −2.1 points"; "≤" or
    "≥" where one side's values are lower bounds, "—" where both sides' are."""
    ours, bound = row.ours, row.ours_bound
    if ours is None or bound is None:
        return "—"
    sign = f"{bound} " if bound else "= "
    if row.measure.form == "A-B":
        return f"A − B {sign}{ours * 100:+.1f} points" if row.measure.unit == "%" else f"A − B {sign}{ours:+g}"
    return f"{row.measure.form} {sign}{ours:.2f}x"


def format_verdict(row: MeasureRow) -> str:
    p, test = row.verdict.p, row.verdict.test
    named = ", log-rank" if test == "log-rank" else ""  # Welch's is the rule's default
    return row.verdict.label + (f" (p = {p:.2g}{named})" if p is not None and 0 < p < 1 else "")


def table_rows(result: ExperimentResult) -> list[dict[str, str]]:
    """One row per measure: A's and B's mean ± sd, our comparison, the paper's figure, the verdict.
    Columns are ``COLUMNS`` with A and B replaced by the variants' labels."""
    a, b = result.experiment.labels
    return [
        {
            "Measure": row.measure.title,
            a: format_value(row, 0),
            b: format_value(row, 1),
            "Ours": format_ours(row),
            "Paper": row.measure.paper,
            "Verdict": format_verdict(row),
        }
        for row in result.rows
    ]


def format_markdown(result: ExperimentResult) -> str:
    """``table_rows`` as a Markdown table (the Experiments page's)."""
    rows = table_rows(result)
    columns = list(rows[0]) if rows else list(COLUMNS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(row[c] for c in columns) + " |" for row in rows])


def not_learned_text(result: ExperimentResult) -> str | None:
    """Which finished runs did not learn, and the learning check's sentence for the first; None if all did."""
    if not result.stuck:
        return None
    which = ", ".join(f"{label} seed {seed}" for label, seed, _ in result.stuck)
    return (
        f"**{len(result.stuck)} of {sum(result.finished)} finished runs did not learn** ({which}). {result.stuck[0][2]}"
    )


def setting_text(experiment: Experiment) -> str:
    """What an experiment ran on, to label its results: "On small AlexNet (cifar) at 28 px: Fashion-MNIST
    (10,000 of its training images), 3 epochs, seeds 0, 1, 2, today's default recipe." Both networks
    for A vs B; for a claim, A's (B is A with the claim's one change)."""
    s = experiment.settings
    a, b = (network_name(n) for n in experiment.networks)
    networks = f"A = {a}, B = {b}" if experiment.claim == A_VS_B else a
    data = DATASET_NAMES[s.dataset] + (f" ({s.train_images:,} of its training images)" if s.train_images else "")
    recipe = "the paper's recipe" if s.recipe == "paper" else "today's default recipe"
    return (
        f"On {networks}: {data}, {s.epochs} epoch{'s' if s.epochs != 1 else ''}, "
        f"seed{'s' if len(experiment.seeds) != 1 else ''} {', '.join(map(str, experiment.seeds))}, {recipe}."
    )


def unlike_the_paper(experiment: Experiment) -> str:
    """Two sentences: how this experiment's setting differs from the paper's, and what would come closer."""
    s = experiment.settings
    here = [
        "AdamW, not SGD with momentum" if s.optimizer == "adamw" else "the paper's SGD",
        f"{DATASET_NAMES[s.dataset]}, not CIFAR-10 or ImageNet" if s.dataset != "cifar10" else "CIFAR-10",
        f"{s.epochs} epoch{'s' if s.epochs != 1 else ''}, not the paper's 90",
        "your network, not the paper's",
    ]
    closer = [
        "the paper's recipe" if s.recipe != "paper" else "",
        "Fashion-MNIST's real images" if s.dataset == "digits" else "",
        "more epochs",
        "more seeds" if len(experiment.seeds) < 5 else "",
    ]
    return (
        f"**Unlike the paper:** {'; '.join(here)}. Closer to it: {', '.join(c for c in closer if c)}, "
        "each of which can change the verdict."
    )


def format_table(result: ExperimentResult) -> str:
    """``table_rows`` as aligned plain text, under a line that says what was run."""
    rows = table_rows(result)
    e = result.experiment
    s = e.settings
    head = (
        f"{e.title} ({e.claim}): {s.dataset}, {s.epochs} epoch{'s' if s.epochs != 1 else ''}, recipe {s.recipe}, "
        f"batch {s.batch_size}, {s.optimizer} lr {s.lr:g}, seeds {', '.join(map(str, e.seeds))}; "
        f"A = {e.labels[0]}, B = {e.labels[1]}"
    )
    columns = list(rows[0]) if rows else list(COLUMNS)
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    lines = [head, "", "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(r[c].ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows]
    return "\n".join([*lines, "", unlike_the_paper(e).replace("**", ""), "", result.rule.replace("**", "")])
