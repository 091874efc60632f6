"""Rows for the app's tables (numbers in human units come from ``alexnet.units``). Plain data in, out.

The Architecture page's table puts two answers side by side for every layer: the analytic
shape from ``alexnet.network.shapes`` and the shape a real forward pass produced (``alexnet.inspect.probe``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from alexnet.errors import AlexNetError
from alexnet.network.shapes import ShapeReport
from alexnet.units import MISSING, range_text, shape_text

if (
    TYPE_CHECKING
):  # alexnet.inspect.summary imports torch and torchinfo; this module must not (the first page draws without)
    from alexnet.inspect.summary import ModelSummary

AGREE, DISAGREE, NOT_RUN, FAILS = "✓", "✗", MISSING, "✗ fails"
PENDING, PENDING_CHECK = "checking with PyTorch…", "…"  # the real pass has not run yet: PyTorch is loading
NO_PARAMS = "—"
NEW_LAYER = "new"  # the preset column of a layer the preset does not have

# alexnet.network.output_size.formula_text and the linear layers' parameter count, as shapes.py words them
_WINDOW_FORMULA = re.compile(r"floor\(\((\d+) - (\d+) \+ 2\*(\d+)\) / (\d+)\) \+ 1 = (-?\d+)")
_LINEAR_FORMULA = re.compile(r"(\d+) inputs x (\d+) outputs \+ (\d+) biases")


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


def failing_input_text(input_size: int, error: AlexNetError) -> str:
    """What the sidebar says about input sizes while the network fails, in the error's own terms:
    the smallest working input its fixes name (every larger input works too, since a bigger map
    never collapses sooner), or that no input size alone would do."""
    smallest = next((r.value for r in error.remedies if r.block is None and r.field == "input_size"), None)
    if smallest is None:
        return "No input size alone makes this network work: see the error on the page for what does."
    return f"Fails at {input_size} px; inputs of {smallest} px or more work (see the error on the page)."


def compact_formula(text: str) -> str:
    """A layer's formula short enough for a table column at 1024 px.

    "floor((227 - 11 + 2*0) / 4) + 1 = 55" -> "⌊(227−11+2·0)/4⌋+1 = 55" (the floor's own brackets),
    "9216 inputs x 4096 outputs + 4096 biases" -> "9216·4096 + 4096"; any other text as it is.
    """
    window = _WINDOW_FORMULA.fullmatch(text)
    if window:
        size, kernel, padding, stride, out = window.groups()
        return f"⌊({size}−{kernel}+2·{padding})/{stride}⌋+1 = {out}"
    linear = _LINEAR_FORMULA.fullmatch(text)
    if linear:
        inputs, outputs, biases = linear.groups()
        return f"{inputs}·{outputs} + {biases}"
    return text.replace(" * ", "·")


def shape_rows(
    report: ShapeReport,
    real: dict[str, tuple[int, ...]] | None,
    *,
    pending: bool = False,
    preset: ShapeReport | None = None,
) -> list[dict[str, Any]]:
    """One row per layer: formula, analytic shape, real shape and whether they agree.

    Args:
        report: ``alexnet.network.shapes.analyze``'s layers (those before a failure).
        real: ``alexnet.inspect.probe.probe_shapes`` keyed by module path; layers missing from it
            show "–" (not run). A failing report gets a last row for the layer at fault.
        pending: the real pass is still to come: every layer's PyTorch shape says ``PENDING``.
        preset: the network the user started from; layers are matched by ``LayerShape.place``
            (as ``alexnet.network.diff`` does), so relu1 and tanh1 are the same layer. A row whose
            output differs from the preset's gets ``changed`` and the preset's shape in ``preset``
            ("new" where the preset has no such layer); every other row an empty ``preset``.
    """
    real = real or {}
    before = {layer.place: layer.out_shape for layer in preset.layers} if preset else {}
    rows = []
    for layer in report.layers:
        probed = real.get(layer.module)
        if pending:
            shown, check = PENDING, PENDING_CHECK
        else:
            shown = shape_text(probed)
            check = NOT_RUN if probed is None else AGREE if probed == layer.out_shape else DISAGREE
        changed = preset is not None and before.get(layer.place) != layer.out_shape
        was = shape_text(before[layer.place]) if layer.place in before else NEW_LAYER
        rows.append(
            {
                "layer": layer.name,
                "kind": layer.kind,
                "formula": compact_formula(layer.formula),
                "output (analytic)": shape_text(layer.out_shape),
                "output (PyTorch)": shown,
                "check": check,
                "dropped px": layer.dropped_pixels,
                "skipped px": layer.skipped_pixels,
                "receptive field": field_cell(layer.receptive_range),
                "jump": field_cell(layer.jump_range),
                "params": layer.params,
                "preset": was if changed else "",
                "changed": changed,
            }
        )
    if report.error is not None:
        rows.append(
            {
                "layer": report.error.layer or "?",
                "kind": _kind_of(report.error.layer),
                "formula": compact_formula(report.error.formula or ""),
                "output (analytic)": NOT_RUN,
                "output (PyTorch)": NOT_RUN,
                "check": FAILS,
                "dropped px": None,
                "skipped px": None,
                "receptive field": None,
                "jump": None,
                "params": None,
                "preset": "",
                "changed": preset is not None,
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
