"""The runs table: one plain row per run."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from alexnet.units import format_duration, ordinal

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


def _positions(infos: list[RunInfo]) -> dict[str, int]:
    """{run id: place in the queue, 1 first} of the queued runs among ``infos`` (oldest first, as the queue)."""
    queued = sorted((i for i in infos if i.queued), key=lambda i: (i.queued_at or i.updated_at, i.run_id))
    return {info.run_id: n for n, info in enumerate(queued, 1)}


def table_rows(infos: list[RunInfo]) -> list[dict[str, Any]]:
    """One plain row per run for a table: state ("queued, 2nd" while waiting), dataset, network, optimizer,
    best accuracy, duration."""
    rows = []
    places = _positions(infos)
    for info in infos:
        rows.append(
            {
                "run": info.run_id,
                "state": f"queued, {ordinal(places[info.run_id])}" if info.run_id in places else info.state,
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
