"""The runs table: one plain row per run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from alexnet.units import format_duration

if TYPE_CHECKING:
    from alexnet.runs.catalog import RunInfo


def _network_cell(info: RunInfo) -> str:
    """ "227 px, 5 blocks"; "?" when config.json cannot be read; "" before it is written."""
    if not info.network:
        return "?" if info.problem else ""
    return f"{info.network['input_size']} px, {len(info.network['blocks'])} blocks"


def _optimizer_cell(info: RunInfo) -> str:
    """ "adamw lr 0.002, bf16" (with the precision that ran); "?" when config.json cannot be read."""
    if not info.settings:
        return "?" if info.problem else ""
    return f"{info.settings['optimizer']} lr {info.settings['lr']:g}, {info.settings['precision']}"


def table_rows(infos: list[RunInfo]) -> list[dict[str, Any]]:
    """One plain row per run for a table: state, dataset, network, optimizer, best accuracy, duration."""
    rows = []
    for info in infos:
        rows.append(
            {
                "run": info.run_id,
                "state": info.state,
                "dataset": info.dataset,
                "network": _network_cell(info),
                "optimizer": _optimizer_cell(info),
                "best accuracy (%)": None if info.best_accuracy is None else round(100 * info.best_accuracy, 1),
                "steps": f"{info.step} / {info.total_steps}",
                "duration": format_duration(info.duration_s),
                "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created_at)),
            }
        )
    return rows
