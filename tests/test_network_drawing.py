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
