"""Row (e): the app's per-configuration work (table, real probe, torchinfo), timed in milliseconds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch

from alexnet.bench.timing import median_seconds
from alexnet.network.config import AlexNetConfig


def with_changed_width(config: AlexNetConfig, k: int) -> AlexNetConfig:
    """``config`` with its first block 8*k channels wider: a fresh configuration no cache has seen."""
    first = replace(config.blocks[0], out_channels=config.blocks[0].out_channels + 8 * k)
    return replace(config, blocks=(first, *config.blocks[1:]))


PROBE_TARGETS_MS = {"table": 15.0, "probe": 60.0, "summary": 300.0}  # issue 8's targets


def probe_rows(config: AlexNetConfig, repeats: int = 5) -> list[dict[str, Any]]:
    """Row (e): the app's work for a configuration, in milliseconds (median of ``repeats``).

    - table: the analytic layer table plus real shapes from a meta-device forward pass, for a
      configuration seen for the first time (each repeat widens conv1 a little);
    - probe: a real forward pass at the preset's input size, batch 1, keeping every activation
      (the model is built beforehand, as the Activations page caches it);
    - summary: the Summary page's torchinfo data for a configuration seen for the first time.
    """
    from alexnet.inspect.probe import analyze_and_probe, probe
    from alexnet.inspect.summary import summarize
    from alexnet.inspect.tables import shape_rows
    from alexnet.network.model import build_model

    def table(k: int) -> None:
        changed = with_changed_width(config, k + 1)
        shape_rows(*analyze_and_probe(changed))

    model = build_model(config, seed=0).eval()
    images = torch.randn(1, config.in_channels, config.input_size, config.input_size)
    probe(model, images, keep=True)  # warm-up: first calls pick kernels
    table(-1)
    summarize(with_changed_width(config, 99))
    measured = {
        "table": 1000 * median_seconds(table, repeats),
        "probe": 1000 * median_seconds(lambda k: probe(model, images, keep=True), repeats),
        "summary": 1000 * median_seconds(lambda k: summarize(with_changed_width(config, 100 + k)), repeats),
    }
    whats = {
        "table": "(e) new config: analytic table + meta-device shapes",
        "probe": f"(e) real probe, every activation, {config.input_size} px, batch 1",
        "summary": "(e) new config: Summary page's torchinfo data",
    }
    return [
        {"name": name, "what": whats[name], "ms": ms, "target_ms": PROBE_TARGETS_MS[name]}
        for name, ms in measured.items()
    ]
