"""The bench's table: ratios between rows, fractions of the ceiling, and the text it prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from alexnet.bench.ceiling import CeilingPlan, machine_line

VARIANTS = ("baseline", "default", "fp32")


@dataclass(frozen=True)
class BenchRow:
    name: str  # baseline, default, fp32, ceiling
    what: str  # one line: what ran
    images_per_sec: float | None  # median over rounds (None for the ceiling)
    gflops: float  # achieved GFLOP/s (median)
    rounds: list[float]  # per round: images/s (GFLOP/s for the ceiling)


def tabulate(
    plan: CeilingPlan,
    seconds: dict[str, list[float]],
    ceilings: dict[str, list[float]],
    modes: dict[str, dict[str, Any]],
    *,
    images_per_round: int,
    gflop_per_image: float,
) -> dict[str, Any]:
    """Rows (a)-(d) and the ceiling's record from the measured times (no timing here).

    Args:
        seconds: per variant, each round's seconds for ``images_per_round`` images.
        ceilings: per layout of ``plan``, each round's GFLOP/s; the best burst over layouts and
            rounds is the ceiling (other processes only ever slow a burst down).
        modes: what the trainer rows reported they ran ({"precision", "channels_last", ...}).

    Returns:
        ``{"rows": [...], "ceiling": {...}}``; when a training row beats the ceiling, the ceiling
        is marked ``"valid": False`` with the rows above it, and no row gets a fraction of it.
    """
    layout, peak = max(((name, max(rates)) for name, rates in ceilings.items()), key=lambda item: item[1])
    default = modes.get("default", {})
    whats = {
        "baseline": "(a) a learner's plain fp32 loop, default environment",
        "default": f"(b) the trainer, default mode ({mode_text(default)})",
        "fp32": "(c) the trainer, --precision fp32",
    }
    rows = []
    for name in VARIANTS:
        rates = [images_per_round / s for s in seconds[name]]
        median = statistics.median(rates)
        rows.append(BenchRow(name, whats[name], median, median * gflop_per_image, rates))
    where = "" if plan.layouts == ("-",) else f", {layout}"
    per_round = [max(rates) for rates in zip(*ceilings.values(), strict=True)]
    what = f"(d) ceiling: {plan.precision} {plan.work}{where} (best round)"
    rows.append(BenchRow("ceiling", what, None, peak, per_round))
    baseline = rows[0].images_per_sec or 1.0
    table = [
        {
            "name": row.name,
            "what": row.what,
            "images_per_sec": row.images_per_sec,
            "ratio_to_baseline": row.images_per_sec / baseline if row.images_per_sec else None,
            "gflops": row.gflops,
            "fraction_of_ceiling": row.gflops / peak,
            "rounds": row.rounds,
        }
        for row in rows
    ]
    above = rows_above_ceiling(table)
    if above:
        for row in table:
            row["fraction_of_ceiling"] = None  # a fraction of a wrong ceiling is no number to read
    return {
        "rows": table,
        "ceiling": {
            "precision": plan.precision,
            "work": plan.work,
            "layout": layout,
            "gflops": peak,
            "rounds_by_layout": ceilings,
            "default_mode_precision": default.get("precision"),
            "valid": not above,
            "rows_above": above,
        },
    }


def mode_text(mode: dict[str, Any]) -> str:
    """{"precision": "bf16", "channels_last": True} -> "bf16, channels-last"."""
    layout = "channels-last" if mode.get("channels_last") else "NCHW"
    return f"{mode.get('precision', '?')}, {layout}"


def rows_above_ceiling(rows: list[dict[str, Any]]) -> list[str]:
    """Names of the rows whose GFLOP/s beat the ceiling row's: the ceiling is then wrong."""
    peak = next(row["gflops"] for row in rows if row["name"] == "ceiling")
    return [row["name"] for row in rows if row["name"] != "ceiling" and row["gflops"] > peak]


def format_table(result: dict[str, Any]) -> str:
    """The printed table: the machine, rows (a)-(e), and what is wrong with the ceiling, if anything.

    "of ceil" is computed here from GFLOP/s, so no row ever prints more than 100 %: if a training
    row beats the ceiling, the column is blank and a line says the ceiling was measured wrong."""
    lines = []
    if "machine" in result:
        trainer_threads = result.get("modes", {}).get("default", {}).get("threads")
        differ = trainer_threads and trainer_threads != result["machine"]["threads"]
        lines.append(machine_line(result["machine"]) + (f" (trainer: {trainer_threads})" if differ else ""))
    lines += [f"{'row':<56} {'img/s':>7} {'x base':>7} {'GFLOP/s':>8} {'of ceil':>8}", "-" * 90]
    above = rows_above_ceiling(result["rows"])
    peak = next(row["gflops"] for row in result["rows"] if row["name"] == "ceiling")
    for row in result["rows"]:
        ips = f"{row['images_per_sec']:.1f}" if row["images_per_sec"] else "-"
        ratio = f"{row['ratio_to_baseline']:.2f}" if row["ratio_to_baseline"] else "-"
        share = "-" if above else f"{row['gflops'] / peak:.0%}"
        lines.append(f"{row['what']:<56} {ips:>7} {ratio:>7} {row['gflops']:>8.0f} {share:>8}")
    if above:
        which = ", ".join(row["what"][:3] for row in result["rows"] if row["name"] in above)
        lines.append(
            f"! the ceiling burst ({peak:.0f} GFLOP/s) measured below {which}: it is wrong for this machine,"
            " so no fraction of it is shown"
        )
    ceiling = result.get("ceiling", {})
    ran = ceiling.get("default_mode_precision")
    if ran and result.get("device") == "cpu" and ran != ceiling.get("precision"):
        lines.append(f"! the default mode ran in {ran}, the ceiling in {ceiling['precision']}: they should agree")
    for probe in result.get("probes", []):
        lines.append(f"{probe['what']:<56} {probe['ms']:>7.1f} ms (target < {probe['target_ms']:g} ms)")
    return "\n".join(lines)
