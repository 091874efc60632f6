"""The runs table: one plain row per run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from alexnet.units import format_duration

if TYPE_CHECKING:
    from alexnet.runs.catalog import RunInfo


def _network_cell(net: dict[str, Any]) -> str:
    """ "227 px, 5 blocks" from config.json's network; "?" when the file says something else than ours."""
    try:
        return f"{net['input_size']} px, {len(net['blocks'])} blocks" if net else ""
    except (KeyError, TypeError, ValueError):
        return "?"


def _optimizer_cell(training: dict[str, Any]) -> str:
    """ "adamw lr 0.002, bf16" from config.json's training settings (with the precision that ran);
    "?" when they are not ours."""
    try:
        mode = f", {training['precision']}" if training and "precision" in training else ""
        return f"{training['optimizer']} lr {training['lr']:g}{mode}" if training else ""
    except (KeyError, TypeError, ValueError):
        return "?"


def table_rows(infos: list[RunInfo]) -> list[dict[str, Any]]:
    """One plain row per run for a table: state, dataset, network, optimizer, best accuracy, duration."""
    rows = []
    for info in infos:
        net, training = info.network, info.settings
        rows.append(
            {
                "run": info.run_id,
                "state": info.state,
                "dataset": info.dataset,
                "network": _network_cell(net),
                "optimizer": _optimizer_cell(training),
                "best accuracy (%)": None if info.best_accuracy is None else round(100 * info.best_accuracy, 1),
                "steps": f"{info.step} / {info.total_steps}",
                "duration": format_duration(info.duration_s),
                "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created_at)),
            }
        )
    return rows
