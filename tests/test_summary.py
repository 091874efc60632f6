from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torchinfo

from alexnet.inspect.summary import summarize
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze


@pytest.mark.parametrize("name", ["paper", "cifar"])
def test_torchinfo_totals_equal_the_analytic_ones(name):
    summary, report = summarize(PRESETS[name]), analyze(PRESETS[name])
    assert summary.total_params == report.total_params
    assert summary.total_mult_adds == report.total_mult_adds
    leaves = {row.module: row for row in summary.rows if row.module in {r.module for r in report.layers}}
    for layer in report.layers:
        assert leaves[layer.module].params == layer.params, layer.name
        assert leaves[layer.module].output_shape[1:] == layer.out_shape, layer.name


def test_rows_have_friendly_names_and_trainable_flags():
    rows = {row.name: row for row in summarize(PRESETS["cifar"]).rows}
    assert rows["conv1"].trainable is True and rows["relu1"].trainable is None
    assert rows["block1"].layer_type == "AlexNetBlock" and rows["block1"].depth == 2
    assert rows["AlexNet"].mult_adds == analyze(PRESETS["cifar"]).total_mult_adds


def test_a_tanh_summary_names_tanh_and_counts_the_same():
    tanh = replace(PRESETS["cifar"], activation="tanh")
    rows, relu = {row.name: row for row in summarize(tanh).rows}, summarize(PRESETS["cifar"])
    assert rows["tanh1"].layer_type == "Tanh" and rows["tanh6"].layer_type == "Tanh" and "relu1" not in rows
    assert rows["AlexNet"].params == relu.total_params and rows["AlexNet"].mult_adds == relu.total_mult_adds


def _cpu_torchinfo(config):
    """The oracle: torchinfo on a real CPU model with a real image, as the summary ran before."""
    model = build_model(config, device="cpu")
    return torchinfo.summary(
        model,
        input_size=(1, config.in_channels, config.input_size, config.input_size),
        col_names=("output_size", "num_params", "mult_adds", "trainable"),
        depth=3,
        device=torch.device("cpu"),
        verbose=0,
    )


@pytest.mark.parametrize(
    "config",
    [
        PRESETS["paper"],
        PRESETS["torchvision"],
        replace(PRESETS["cifar"], input_size=45, in_channels=1, blocks=PRESETS["cifar"].blocks[:3]),
    ],
    ids=["paper", "torchvision", "cifar-45px-grey-3-blocks"],
)
def test_the_meta_device_summary_equals_a_real_cpu_run(config):
    """summarize() builds and runs nothing real; every number must still be what a CPU run gives."""
    summary, real = summarize(config), _cpu_torchinfo(config)
    assert summary.text == str(real)  # torchinfo's whole printout, row by row and every total
    assert (summary.total_params, summary.trainable_params, summary.total_mult_adds) == (
        real.total_params,
        real.trainable_params,
        real.total_mult_adds,
    )
    assert (summary.input_bytes, summary.forward_backward_bytes, summary.param_bytes) == (
        real.total_input,
        real.total_output_bytes,
        real.total_param_bytes,
    )
    shapes = [tuple(info.output_size) for info in real.summary_list if info.depth <= 3]
    assert [row.output_shape for row in summary.rows] == shapes
