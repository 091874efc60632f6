"""The network drawing on the Architecture page: its legend names the activation the network uses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alexnet.network.config import PRESETS
from alexnet.network.shapes import analyze
from alexnet.plots.architecture import network_figure


@pytest.mark.parametrize(("activation", "label"), [("relu", "convolution (+ReLU)"), ("tanh", "convolution (+tanh)")])
def test_the_legend_names_the_activation(activation, label):
    figure = network_figure(analyze(replace(PRESETS["cifar"], activation=activation)).layers).figure()
    legend = [trace.name for trace in figure.data if trace.showlegend]
    assert label in legend and "max-pool" in legend


@pytest.mark.parametrize("name", ["paper", "cifar"])
def test_each_box_is_drawn_and_answers_hover_in_few_traces(name):
    """Three faces per box, one trace per face colour (plotly.js redraws fewer traces faster), and
    one hover point per box that names its layer and shape."""
    layers = analyze(PRESETS[name]).layers
    figure = network_figure(layers).figure()
    faces = [trace for trace in figure.data if trace.fill == "toself" and trace.fillcolor != "rgba(255,255,255,0.6)"]
    polygons = sum(list(trace.x).count(None) for trace in faces)
    (hover,) = [trace for trace in figure.data if trace.mode == "markers"]
    maps = [layer for layer in layers if layer.kind in ("conv", "pool", "avgpool", "flatten", "linear")]
    assert len(hover.hovertext) == len(maps) + 1 == polygons / 3  # the input, then every map
    assert all(f"<b>{layer.name}</b>" in text for layer, text in zip(maps, hover.hovertext[1:], strict=True))
    assert len({trace.fillcolor for trace in faces}) == len(faces) <= 18
    # every polygon is closed: it ends where it starts, then None
    for trace in faces:
        xs = list(trace.x)
        while xs:
            end = xs.index(None)
            assert xs[0] == xs[end - 1] and end == 5
            xs = xs[end + 1 :]
