"""Table rows and human units for the Architecture and Summary pages."""

from __future__ import annotations

from dataclasses import replace

from alexnet.inspect.probe import runnable_prefix
from alexnet.inspect.tables import (
    AGREE,
    DISAGREE,
    FAILS,
    NOT_RUN,
    PENDING,
    PENDING_CHECK,
    agreement_text,
    blank_or_count,
    compact_formula,
    input_ranges_text,
    receptive_rows,
    shape_rows,
)
from alexnet.network.config import PRESETS
from alexnet.network.shapes import analyze


def test_human_units():
    assert blank_or_count(None) == blank_or_count(float("nan")) == "—"
    assert blank_or_count(34944.0) == "34,944"
    assert input_ranges_text([(227, 258)], 1024) == "227–258 px"
    assert input_ranges_text([(63, 1024)], 1024) == "63 px and up"


def test_rows_of_a_failing_network_end_with_the_failure():
    config = replace(PRESETS["paper"], input_size=40)
    report = analyze(config)
    rows = shape_rows(report, None)
    assert len(rows) == len(report.layers) + 1
    assert rows[-1]["layer"] == report.error.layer == "pool5" and rows[-1]["check"] == FAILS
    assert rows[-1]["kind"] == "pool"
    assert all(row["output (PyTorch)"] == NOT_RUN for row in rows)
    # the part that runs: every block, without the pool that fails, so PyTorch can check its shapes
    prefix = runnable_prefix(config, report)
    assert prefix is not None and not prefix.blocks[4].pool
    runs = analyze(prefix)
    assert runs.ok and runs.layers[: len(report.layers)] == report.layers


def test_receptive_rows_are_the_windowed_layers():
    report = analyze(PRESETS["paper"])
    rows = receptive_rows(report)
    assert [row["layer"] for row in rows][:4] == ["conv1", "pool1", "conv2", "pool2"]
    assert (rows[0]["receptive field"], rows[0]["jump"]) == ("11", "4")
    assert rows[-1]["receptive field"] == "195"


def test_pending_rows_and_what_the_check_column_says():
    """Before PyTorch has run, every row says so; after, one sentence sums the check column up."""
    paper = analyze(PRESETS["paper"])
    pending = shape_rows(paper, None, pending=True)
    assert {(row["output (PyTorch)"], row["check"]) for row in pending} == {(PENDING, PENDING_CHECK)}
    # the formula's shapes are shown while PyTorch loads, worked out by hand for the paper's 227 px:
    # conv1 floor((227 - 11) / 4) + 1 = 55, pool1 floor((55 - 3) / 2) + 1 = 27, conv2 (K 5, P 2) 27,
    # pool2 13, conv3-5 (K 3, P 1) 13, pool5 6, flatten 256 x 6 x 6 = 9216, then 4096, 4096, 1000
    assert [(row["layer"], row["output (analytic)"]) for row in pending] == [
        ("conv1", "96×55×55"), ("relu1", "96×55×55"), ("norm1", "96×55×55"), ("pool1", "96×27×27"),
        ("conv2", "256×27×27"), ("relu2", "256×27×27"), ("norm2", "256×27×27"), ("pool2", "256×13×13"),
        ("conv3", "384×13×13"), ("relu3", "384×13×13"), ("conv4", "384×13×13"), ("relu4", "384×13×13"),
        ("conv5", "256×13×13"), ("relu5", "256×13×13"), ("norm5", "256×13×13"), ("pool5", "256×6×6"),
        ("flatten", "9216"), ("dropout6", "9216"), ("fc6", "4096"), ("relu6", "4096"),
        ("dropout7", "4096"), ("fc7", "4096"), ("relu7", "4096"), ("fc8", "1000"),
    ]  # fmt: skip

    real = {layer.module: layer.out_shape for layer in paper.layers}
    assert (
        agreement_text(shape_rows(paper, real))
        == f"PyTorch's forward pass agrees with the formula on all {len(real)} layers."
    )
    conv2 = paper.layers[4]
    rows = shape_rows(paper, real | {conv2.module: (1, 2, 3)})
    assert [row["layer"] for row in rows if row["check"] == DISAGREE] == ["conv2"]
    assert "disagrees" in agreement_text(rows) and "conv2" in agreement_text(rows)
    assert "could not run" in agreement_text(shape_rows(paper, {}))

    failing = analyze(replace(PRESETS["paper"], input_size=40))
    rows = shape_rows(failing, {layer.module: layer.out_shape for layer in failing.layers})
    assert {row["check"] for row in rows} == {AGREE, FAILS}
    assert agreement_text(rows).endswith(f"all {len(failing.layers)} layers before the one that fails.")
    rows = shape_rows(failing, {layer.module: layer.out_shape for layer in failing.layers[:3]})
    assert agreement_text(rows) == (
        f"PyTorch's forward pass agrees with the formula on the 3 layers it ran, of {len(failing.layers)} "
        "before the one that fails."
    )


def test_rows_against_the_preset_say_what_changed():
    """conv2 at K = 7, P = 0: every map from conv2 to dropout6 differs from the paper's, paper → yours."""
    paper = analyze(PRESETS["paper"])
    rows = shape_rows(analyze(PRESETS["paper"].with_block(1, kernel_size=7, padding=0)), None, preset=paper)
    changed = [row["layer"] for row in rows if row["changed"]]
    assert changed[0] == "conv2" and changed[-1] == "dropout6" and "fc6" not in changed
    conv2 = next(row for row in rows if row["layer"] == "conv2")
    assert (conv2["preset"], conv2["output (analytic)"]) == ("256×27×27", "256×21×21")
    assert all(row["preset"] == "" for row in rows if not row["changed"])
    # the same network as the preset: nothing changed; no preset at all: nothing to compare
    assert not any(row["changed"] or row["preset"] for row in shape_rows(paper, None, preset=paper))
    assert not any(row["changed"] for row in shape_rows(paper, None))


def test_compact_formulas_fit_a_narrow_column():
    assert compact_formula("floor((227 - 11 + 2*0) / 4) + 1 = 55") == "⌊(227−11+2·0)/4⌋+1 = 55"
    assert compact_formula("9216 inputs x 4096 outputs + 4096 biases") == "9216·4096 + 4096"
    assert compact_formula("256 * 6 * 6 = 9216") == "256·6·6 = 9216"
    assert compact_formula("") == ""
    # every formula the paper's network shows is shortened (shapes.py's wording and the pattern agree)
    for row in shape_rows(analyze(PRESETS["paper"]), None):
        assert "floor" not in row["formula"] and "inputs" not in row["formula"]
