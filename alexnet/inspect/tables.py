"""Rows for the app's tables (numbers in human units come from ``alexnet.units``). Plain data in, out.

The Architecture page's table puts two answers side by side for every layer: the analytic
shape from ``alexnet.network.shapes`` and the shape a real forward pass produced (``alexnet.inspect.probe``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alexnet.network.shapes import ShapeReport
from alexnet.units import MISSING, range_text, shape_text

if (
    TYPE_CHECKING
):  # alexnet.inspect.summary imports torch and torchinfo; this module must not (the first page draws without)
    from alexnet.inspect.summary import ModelSummary

AGREE, DISAGREE, NOT_RUN, FAILS = "✓", "✗", MISSING, "✗ fails"
PENDING, PENDING_CHECK = "checking with PyTorch…", "…"  # the real pass has not run yet: PyTorch is loading
NO_PARAMS = "—"


def blank_or_count(value: float | str | None) -> str:
    """A whole number with thousands separators, or "—" where there is none (after flatten, a failed
    layer); text (a range such as "195–227") as it is."""
    if isinstance(value, str):
        return value
    if value is None or value != value:  # None, or NaN once pandas has seen a missing value
        return NO_PARAMS
    return f"{int(value):,}"


def input_ranges_text(ranges: list[tuple[int, int]], limit: int) -> str:
    """[(227, 258)] -> "227–258 px"; a range that reaches ``limit`` reads "63 px and up"."""
    if not ranges:
        return "no input size"
    parts = [
        f"{lo} px and up" if hi >= limit else (f"{lo} px" if lo == hi else f"{lo}–{hi} px") for lo, hi in ranges[:4]
    ]
    more = f" (and {len(ranges) - 4} more ranges)" if len(ranges) > 4 else ""
    return ", ".join(parts) + more


def shape_rows(
    report: ShapeReport, real: dict[str, tuple[int, ...]] | None, *, pending: bool = False
) -> list[dict[str, Any]]:
    """One row per layer: formula, analytic shape, real shape and whether they agree.

    Args:
        report: ``alexnet.network.shapes.analyze``'s layers (those before a failure).
        real: ``alexnet.inspect.probe.probe_shapes`` keyed by module path; layers missing from it
            show "–" (not run). A failing report gets a last row for the layer at fault.
        pending: the real pass is still to come: every layer's PyTorch shape says ``PENDING``.
    """
    real = real or {}
    rows = []
    for layer in report.layers:
        probed = real.get(layer.module)
        if pending:
            shown, check = PENDING, PENDING_CHECK
        else:
            shown = shape_text(probed)
            check = NOT_RUN if probed is None else AGREE if probed == layer.out_shape else DISAGREE
        rows.append(
            {
                "layer": layer.name,
                "kind": layer.kind,
                "formula": layer.formula,
                "output (analytic)": shape_text(layer.out_shape),
                "output (PyTorch)": shown,
                "check": check,
                "dropped px": layer.dropped_pixels,
                "skipped px": layer.skipped_pixels,
                "receptive field": field_cell(layer.receptive_range),
                "jump": field_cell(layer.jump_range),
                "params": layer.params,
            }
        )
    if report.error is not None:
        rows.append(
            {
                "layer": report.error.layer or "?",
                "kind": _kind_of(report.error.layer),
                "formula": report.error.formula or "",
                "output (analytic)": NOT_RUN,
                "output (PyTorch)": NOT_RUN,
                "check": FAILS,
                "dropped px": None,
                "skipped px": None,
                "receptive field": None,
                "jump": None,
                "params": None,
            }
        )
    return rows


def agreement_text(rows: list[dict[str, Any]]) -> str:
    """``shape_rows``' check column in one sentence: what a real forward pass said about the formula."""
    checks = [row["check"] for row in rows if row["check"] != FAILS]
    agree = checks.count(AGREE)
    wrong = [row["layer"] for row in rows if row["check"] == DISAGREE]
    before = " before the one that fails" if len(checks) < len(rows) else ""
    if wrong:
        return f"PyTorch's forward pass disagrees with the formula on {', '.join(wrong)} ({DISAGREE} in the table)."
    if not agree:
        return "PyTorch could not run any layer of this network: only the formula's shapes are shown."
    if agree == len(checks):
        return f"PyTorch's forward pass agrees with the formula on all {agree} layers{before}."
    return f"PyTorch's forward pass agrees with the formula on the {agree} layers it ran, of {len(checks)}{before}."


def summary_rows(summary: ModelSummary) -> list[dict[str, Any]]:
    """torchinfo's tree as table rows; the name is indented by depth so the tree reads at a glance."""
    return [
        {
            "layer": "\u2003" * row.depth + row.name,
            "depth": row.depth,
            "type": row.layer_type,
            "output shape": shape_text(row.output_shape),
            "params": row.params,
            "mult-adds": row.mult_adds,
            # a layer without parameters is neither trainable nor frozen: a dash, not "False"
            "trainable": NO_PARAMS if row.trainable is None else ("yes" if row.trainable else "no"),
        }
        for row in summary.rows
    ]


def field_cell(values: tuple[int, int] | None) -> int | str | None:
    """A receptive field or jump for a table: one number, or "195–227" where the cells differ
    (an adaptive pool whose map does not divide evenly), or None after flatten."""
    if values is None:
        return None
    return values[0] if values[0] == values[1] else range_text(*values)


def receptive_rows(report: ShapeReport) -> list[dict[str, Any]]:
    """Receptive field and jump of every windowed layer (conv, pool, avgpool), in input pixels, as text.

    r_out = r_in + (K - 1) * j_in and j_out = j_in * S, starting from r = j = 1 at the image. An
    adaptive pool whose map does not divide evenly has windows of different sizes and steps: a range.
    """
    return [
        {
            "layer": layer.name,
            "receptive field": range_text(*layer.receptive_range),
            "jump": range_text(*layer.jump_range),
        }
        for layer in report.layers
        if layer.kind in ("conv", "pool", "avgpool")
    ]


def _kind_of(name: str | None) -> str:
    """conv3 -> "conv", fc6 -> "linear": the kind of a layer that has no LayerShape (it failed)."""
    prefix = (name or "").rstrip("0123456789")
    return {"fc": "linear"}.get(prefix, prefix)
