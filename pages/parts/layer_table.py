"""The Architecture page's "Layer by layer" table: every layer's shape, checked by PyTorch, against the preset.

Not a page itself (pages/architecture.py calls ``show_table`` with ``alexnet.inspect.tables.shape_rows``).
The columns add up to ``FIT_PX``, the width the page gives the table at a 1024 px window with
the sidebar open, so that nothing hides behind a sideways scroll there; wider windows share the
rest out among the columns (Streamlit does). What a learner looks for first comes first: the
layer, whether PyTorch agrees, the shape and, where a slider changed it, the preset's shape.
The long formula comes last and takes what is left.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from alexnet.inspect.tables import DISAGREE, NO_PARAMS, blank_or_count

FIT_PX = 556  # the table's inner width at a 1024 px window (562 px, less the frame and a margin)
NUMBER_COLUMNS = ("dropped px", "skipped px", "receptive field", "jump", "params")
CHANGED_BACKGROUND = "background-color: rgba(245, 133, 24, 0.16)"  # the arithmetic figure's "window now" orange
# width in px of every column but the formula, which gets what is left of FIT_PX (never under MIN_FORMULA_PX)
WIDTHS = {
    "layer": 72,
    "check": 54,
    "output (analytic)": 86,
    "preset": 86,
    "output (PyTorch)": 86,
    "params": 88,
    "dropped px": 62,
    "skipped px": 62,
}
MIN_FORMULA_PX = 90


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


def show_table(rows: list[dict[str, Any]], preset_name: str, *, pending: bool = False) -> None:
    """The table, its rows that differ from the preset shaded."""
    # whole-number columns with no value after flatten or for the failing layer: "—", never "None"
    rows = [row | {column: blank_or_count(row[column]) for column in NUMBER_COLUMNS} for row in rows]
    order = columns(rows, pending=pending)
    formula_px = max(MIN_FORMULA_PX, FIT_PX - sum(WIDTHS[column] for column in order if column != "formula"))
    frame = pd.DataFrame(rows)
    shaded = frame.style.apply(
        lambda row: [CHANGED_BACKGROUND if row["changed"] else ""] * len(row), axis="columns"
    )  # fmt: skip
    st.dataframe(
        shaded,
        hide_index=True,
        height=min(38 + 35 * len(rows), 900),
        column_order=order,
        column_config={
            "layer": st.column_config.TextColumn("Layer", width=WIDTHS["layer"], pinned=True),
            "check": st.column_config.TextColumn(
                "Agree",
                width=WIDTHS["check"],
                help="✓ a real forward pass (PyTorch, on its meta device) gave the formula's shape; "
                "✗ it gave another (shown in its own column); … PyTorch is still loading",
            ),
            "output (analytic)": st.column_config.TextColumn(
                "Output", width=WIDTHS["output (analytic)"], help="C × H × W, from the formula"
            ),
            "preset": st.column_config.TextColumn(
                f"Was ({preset_name})",
                width=WIDTHS["preset"],
                help=f"The shape in the **{preset_name}** preset, on the rows (shaded) where yours differs: "
                f"{preset_name} → yours",
            ),
            "output (PyTorch)": st.column_config.TextColumn(
                "PyTorch", width=WIDTHS["output (PyTorch)"], help="What a real forward pass produced"
            ),
            "params": st.column_config.TextColumn("Params", width=WIDTHS["params"], alignment="right"),
            "dropped px": st.column_config.TextColumn(
                "Dropped",
                width=WIDTHS["dropped px"],
                alignment="right",
                help="Pixels of the map after the last window, cut by the floor of "
                "(W - K + 2P) / S (padding the floor cuts is not counted: it held only zeros)",
            ),
            "skipped px": st.column_config.TextColumn(
                "Skipped",
                width=WIDTHS["skipped px"],
                alignment="right",
                help="Pixels between two windows that none reads: the stride is larger than the window",
            ),
            "formula": st.column_config.TextColumn(
                "Formula",
                width=formula_px,
                help="With your numbers: out = ⌊(W − K + 2P) / S⌋ + 1 for a convolution or a pool; "
                "inputs · outputs + biases, the parameters, for a linear layer",
            ),
        },
    )
