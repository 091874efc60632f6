"""The Architecture page's "Layer by layer" table: every layer's shape, checked by PyTorch, against the preset.

Not a page itself (pages/architecture.py calls ``show_table`` with ``alexnet.inspect.tables.shape_rows``).
A static HTML table (``st.table``), not the interactive grid of ``st.dataframe``: its 24-odd rows
are in the network's order, which is the order to read them in, and a plain table can be searched
with the browser's find, selected and copied, and read by a screen reader as it is drawn. The
grid drew on a canvas and refreshed the copy of its rows that screen readers get on a 200 ms
timer of its own after every slider step, the last change on the page
(``benchmarks/bench_load``). What a learner looks for first comes first: the layer, whether
PyTorch agrees, the shape and, where a slider changed it, the preset's shape. The long formula
comes last; a caption under the table says what each column means.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from alexnet.inspect.tables import DISAGREE, NO_PARAMS, blank_or_count

NUMBER_COLUMNS = ("params", "dropped px", "skipped px")  # the whole-number columns the table shows
CHANGED_BACKGROUND = "background-color: rgba(245, 133, 24, 0.16)"  # the arithmetic figure's "window now" orange
# each shown column's title ("{preset}": the preset's name) and what it means, for the caption
TITLES = {
    "layer": "Layer",
    "check": "Agree",
    "output (analytic)": "Output",
    "preset": "Was ({preset})",
    "output (PyTorch)": "PyTorch",
    "params": "Params",
    "dropped px": "Dropped",
    "skipped px": "Skipped",
    "formula": "Formula",
}
MEANINGS = {
    "check": "✓ a real forward pass (PyTorch, on its meta device) gave the formula's shape, ✗ it gave another, "
    "… PyTorch is still loading",
    "output (analytic)": "C × H × W, from the formula",
    "preset": "the shape in the **{preset}** preset, on the rows (shaded) where yours differs",
    "output (PyTorch)": "what a real forward pass produced, where it differs from the formula",
    "dropped px": "pixels of the map after the last window, cut by the floor of (W − K + 2P) / S (not the "
    "padding it cuts: that held only zeros)",
    "skipped px": "pixels between two windows that none reads: the stride is larger than the window",
    "formula": "out = ⌊(W − K + 2P) / S⌋ + 1 for a convolution or a pool, with your numbers; "
    "inputs · outputs + biases, the parameters, for a linear layer",
}


def columns(rows: list[dict[str, Any]], *, pending: bool) -> tuple[str, ...]:
    """The columns shown, in order; a column that would say nothing is left out.

    PyTorch's shape shows only where it differs from the formula's (the check column says ✓
    everywhere else); the preset's only once a shape differs from it; skipped pixels only where a
    stride exceeds its window.
    """
    disagree = not pending and any(row["check"] == DISAGREE for row in rows)
    return (
        "layer",
        "check",
        "output (analytic)",
        *(("preset",) if any(row["preset"] for row in rows) else ()),
        *(("output (PyTorch)",) if disagree else ()),
        "params",
        "dropped px",
        *(("skipped px",) if any(row["skipped px"] not in ("0", NO_PARAMS) for row in rows) else ()),
        "formula",
    )


def title(column: str, preset_name: str) -> str:
    """The header the table shows for ``column`` (a key of ``shape_rows``' rows)."""
    return TITLES[column].format(preset=preset_name)


def table_frame(rows: list[dict[str, Any]], order: tuple[str, ...], preset_name: str) -> pd.DataFrame:
    """The columns ``order`` of ``rows`` under their titles."""
    titles = [title(column, preset_name) for column in order]
    return pd.DataFrame([[row[column] for column in order] for row in rows], columns=titles)


def legend(order: tuple[str, ...], preset_name: str) -> str:
    """The caption under the table: what each shown column means."""
    return (
        "; ".join(
            f"**{title(column, preset_name)}**: {MEANINGS[column].format(preset=preset_name)}"
            for column in order
            if column in MEANINGS
        )
        + "."
    )


def show_table(rows: list[dict[str, Any]], preset_name: str, *, pending: bool = False) -> None:
    """The table, its rows that differ from the preset shaded, and what its columns mean."""
    # whole-number columns with no value after flatten or for the failing layer: "—", never "None"
    rows = [row | {column: blank_or_count(row[column]) for column in NUMBER_COLUMNS} for row in rows]
    order = columns(rows, pending=pending)
    frame = table_frame(rows, order, preset_name)
    shaded = [CHANGED_BACKGROUND if row["changed"] else "" for row in rows]
    styled = frame.style.apply(lambda column: shaded, axis="index")
    st.table(styled, hide_index=True, alt="Every layer's output shape: by the formula, checked by PyTorch")
    st.caption(legend(order, preset_name))
