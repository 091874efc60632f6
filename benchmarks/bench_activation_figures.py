"""Bytes sent to the browser for one feature-map view: our PNG mosaic vs a naive heatmap grid.

The case is the paper's conv1 output, 96 maps of 55 x 55 (290,400 values), from a real
forward pass of a bundled photo through a seeded random AlexNet. The naive figure is what a
first attempt would write: one ``go.Heatmap`` per map in a ``make_subplots`` grid, every value
sent as JSON text. Ours (``alexnet.plots.activations.feature_map_figure``) quantises each map
to 255 colour levels and sends the whole grid as one palette PNG, the way
``px.imshow(..., binary_string=True)`` does.

    python -m benchmarks.bench_activation_figures   (from the repository root)
"""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alexnet.inspect import images
from alexnet.network.config import preset
from alexnet.network.model import build_model
from alexnet.plots.activations import feature_map_figure


def naive_heatmaps(maps: np.ndarray, columns: int = 12, *, as_lists: bool = False) -> go.Figure:
    """One go.Heatmap subplot per map. Plotly sends a float32 array as base64 binary (4 bytes a
    value, plus a third for base64); ``as_lists`` passes Python lists, so every value is JSON text."""
    count = len(maps)
    rows = -(-count // columns)
    figure = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.005, vertical_spacing=0.005)
    for i, values in enumerate(maps):
        figure.add_trace(
            go.Heatmap(z=values.tolist() if as_lists else values, coloraxis="coloraxis", showscale=False),
            row=i // columns + 1,
            col=i % columns + 1,
        )
    figure.update_layout(coloraxis={"colorscale": "RdBu_r", "cmid": 0})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed")
    return figure


def main() -> None:
    config = preset("paper")
    image = images.preprocess(images.sample_photo("chelsea"), config)
    model = build_model(config, seed=0)
    maps = images.run_image(model, image).maps["features.0.conv"]  # (96, 55, 55), negatives kept
    print(f"paper conv1: {maps.shape[0]} maps of {maps.shape[1]} x {maps.shape[2]} = {maps.size:,} values")

    started = time.perf_counter()
    ours = len(feature_map_figure(maps, range(len(maps))).to_json())
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    naive = len(naive_heatmaps(maps).to_json())
    naive_s = time.perf_counter() - started
    started = time.perf_counter()
    lists = len(naive_heatmaps(maps, as_lists=True).to_json())
    lists_s = time.perf_counter() - started

    print(f"{'figure':<34}{'JSON bytes':>14}{'build+serialise s':>20}")
    print(f"{'PNG mosaic (feature_map_figure)':<34}{ours:>14,}{ours_s:>20.3f}")
    print(f"{'naive go.Heatmap grid (float32)':<34}{naive:>14,}{naive_s:>20.3f}")
    print(f"{'naive go.Heatmap grid, list values':<34}{lists:>14,}{lists_s:>20.3f}")
    print(f"ratio naive / ours: {naive / ours:.1f}x (binary arrays), {lists / ours:.1f}x (lists)")


if __name__ == "__main__":
    main()
