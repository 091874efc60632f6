from __future__ import annotations

import pytest

from alexnet.config import PRESETS
from alexnet.shapes import analyze
from alexnet.summary import summarize


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
