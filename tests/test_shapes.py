"""The seed's numbers, the formula, receptive fields and the plain-language errors."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.network.shapes import (
    analyze,
    conv_output_size,
    flatten_features,
    formula_text,
    layer_table,
    working_input_sizes,
)


def spatial_sides(config, kinds=("conv", "pool")):
    return [row.out_shape[1] for row in layer_table(config) if row.kind in kinds]


@pytest.mark.parametrize("name", ["paper", "notebook"])
def test_seed_numbers(name):
    # 55 -> 27 -> 27 -> 13 -> 13 -> 13 -> 13 -> 6, flattened to 256*6*6 = 9216
    assert spatial_sides(PRESETS[name]) == [55, 27, 27, 13, 13, 13, 13, 6]
    assert flatten_features(PRESETS[name]) == 9216


def test_formula_is_filled_in():
    assert conv_output_size(227, 11, 4, 0) == 55
    assert formula_text(224, 11, 4, 2) == "floor((224 - 11 + 2*2) / 4) + 1 = 55"
    conv1 = layer_table(PRESETS["paper"])[0]
    assert conv1.formula == "floor((227 - 11 + 2*0) / 4) + 1 = 55"


def test_dropped_pixels_is_the_floor_remainder():
    # (224 - 11 + 0) = 213 = 4*53 + 1: one column of pixels is never seen by conv1
    row = layer_table(replace(PRESETS["paper"], input_size=224))[0]
    assert row.dropped_pixels == 1
    assert layer_table(PRESETS["paper"])[0].dropped_pixels == 0


def test_receptive_field_and_jump_of_the_paper():
    rows = {row.name: row for row in layer_table(PRESETS["paper"])}
    # r_out = r_in + (K - 1) * j_in, j_out = j_in * S
    assert (rows["conv1"].receptive_field, rows["conv1"].jump) == (11, 4)
    assert (rows["pool1"].receptive_field, rows["pool1"].jump) == (19, 8)
    assert (rows["conv2"].receptive_field, rows["conv2"].jump) == (51, 8)
    assert (rows["pool5"].receptive_field, rows["pool5"].jump) == (195, 32)


def test_parameter_count_of_the_paper_network():
    # the single-tower AlexNet of the seed article: 62,378,344 parameters with 1000 classes
    assert analyze(PRESETS["paper"]).total_params == 62_378_344


def test_working_input_sizes():
    assert working_input_sizes(PRESETS["paper"]) == [(227, 258)]
    sizes = working_input_sizes(PRESETS["torchvision"])
    assert len(sizes) == 1 and sizes[0][0] == 63 and sizes[0][1] >= 1024


@pytest.mark.parametrize("size", [67, 100, 226, 227, 240, 258, 259, 300, 500])
def test_working_input_sizes_depend_on_the_input_size_only_through_the_last_side(size):
    """What the Architecture page keeps once per network and last side (pages/parts/architecture_views)."""
    from alexnet.inspect.tables import input_ranges_text
    from alexnet.network.output_size import spatial_size
    from alexnet.network.shapes import MAX_INPUT_SIZE
    from pages.parts.architecture.architecture_views import input_sizes

    config = replace(PRESETS["paper"], input_size=size)
    side = spatial_size(config, size)
    assert working_input_sizes(replace(config, input_size=0), last_side=side) == working_input_sizes(config)
    assert input_sizes(config) == input_ranges_text(working_input_sizes(config), MAX_INPUT_SIZE)


def test_eight_pixel_input_is_explained_not_crashed():
    report = analyze(replace(PRESETS["paper"], input_size=8))
    assert report.layers == ()
    error = report.error
    assert error is not None and error.layer == "conv1"
    assert "floor((8 - 11 + 2*0) / 4) + 1 = 0" in error.message
    assert "input of at least 67x67" in error.message


def test_layers_before_a_failure_are_kept():
    report = analyze(replace(PRESETS["paper"], input_size=60))
    assert report.error is not None and report.error.layer == "pool5"
    assert [row.name for row in report.layers][-3:] == ["conv5", "relu5", "norm5"]


def test_proposed_fixes_really_fix_the_network():
    broken = replace(PRESETS["paper"], input_size=60)
    with pytest.raises(AlexNetError) as info:
        layer_table(broken)
    assert "pool5 kernel of 2" in info.value.fix
    assert analyze(broken.with_block(4, pool_kernel=2)).ok
    assert analyze(replace(broken, input_size=67)).ok


@pytest.mark.parametrize(
    ("change", "layer", "words"),
    [
        ({"groups": 3}, "conv2", "groups = 2"),
        ({"out_channels": 0}, "conv2", "at least 1"),
        ({"stride": 0}, "conv2", "at least 1"),
        ({"kernel_size": -1}, "conv2", "at least 1"),
        ({"padding": -1}, "conv2", "cannot be negative"),
        ({"pool_padding": 2}, "pool2", "pool padding 1"),
    ],
)
def test_invalid_blocks_name_the_layer_and_a_fix(change, layer, words):
    error = analyze(PRESETS["paper"].with_block(1, **change)).error
    assert error is not None
    assert error.layer == layer
    assert error.fix and words in error.message


@pytest.mark.parametrize(
    ("change", "layer", "words"),
    [
        ({"input_size": 0}, "input", "input size must be at least 1"),
        ({"in_channels": 0}, "input", "at least one channel"),
        ({"num_classes": 0}, "classifier", "at least one class"),
        ({"dropout": 1.5}, "classifier", "between 0 and 1"),
        ({"hidden_sizes": (0,)}, "fc6", "has 0 units"),
        ({"adaptive_pool": 0}, "avgpool", "must be at least 1"),
        ({"blocks": ()}, "features", "no convolutional blocks"),
    ],
)
def test_invalid_network_settings_are_explained(change, layer, words):
    error = analyze(replace(PRESETS["paper"], **change)).error
    assert isinstance(error, AlexNetError)
    assert error.layer == layer and words in error.reason, (error.layer, error.reason)
    assert error.fix


@pytest.mark.parametrize("name", list(PRESETS))
def test_tanh_changes_the_names_not_the_numbers(name):
    """tanh has no parameters and keeps its input's shape: only the layer names follow the choice."""
    relu, tanh = analyze(PRESETS[name]), analyze(replace(PRESETS[name], activation="tanh"))
    assert relu.ok and tanh.ok
    numbers = [(r.out_shape, r.params, r.mult_adds, r.activation_bytes, r.receptive_field) for r in relu.layers]
    assert [(r.out_shape, r.params, r.mult_adds, r.activation_bytes, r.receptive_field) for r in tanh.layers] == numbers
    assert (tanh.total_params, tanh.total_mult_adds) == (relu.total_params, relu.total_mult_adds)
    renamed = {r.name: t.name for r, t in zip(relu.layers, tanh.layers, strict=True) if r.name != t.name}
    blocks, hidden = len(PRESETS[name].blocks), len(PRESETS[name].hidden_sizes)
    expected = [f"relu{n}" for n in range(1, blocks + hidden + 1)]
    assert list(renamed) == expected and list(renamed.values()) == [n.replace("relu", "tanh") for n in expected]
    assert {r.kind for r in tanh.layers} & {"relu", "tanh"} == {"tanh"}


def test_an_unknown_activation_stops_the_walk_with_a_fix():
    error = analyze(replace(PRESETS["paper"], activation="sigmoid")).error
    assert isinstance(error, AlexNetError)
    assert "no activation called 'sigmoid'" in error.reason and "relu, tanh" in error.fix
