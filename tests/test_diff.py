"""Diffs against a preset, and the editing helpers the Architecture page uses."""

from __future__ import annotations

from dataclasses import replace

from alexnet.network.config import PRESETS
from alexnet.network.diff import diff_configs
from alexnet.network.edit import with_block_count, with_hidden_count
from alexnet.network.shapes import analyze

PAPER = PRESETS["paper"]


def test_a_preset_against_itself_is_unchanged():
    diff = diff_configs(PAPER, PAPER)
    assert diff.unchanged and not diff.shapes
    assert diff.old_params == diff.new_params == analyze(PAPER).total_params


def test_a_kernel_change_lists_the_field_shapes_and_costs():
    new = PAPER.with_block(0, kernel_size=7)
    diff = diff_configs(PAPER, new)
    assert [(c.where, c.old, c.new) for c in diff.changes] == [("block 1 kernel size", 11, 7)]
    before, after = analyze(PAPER), analyze(new)
    changed = {s.module: (s.old, s.new) for s in diff.shapes}
    old_by_module = {layer.module: layer.out_shape for layer in before.layers}
    for layer in after.layers:
        if layer.kind in ("conv", "pool", "linear") and old_by_module[layer.module] != layer.out_shape:
            assert changed[layer.module] == (old_by_module[layer.module], layer.out_shape)
    assert "features.0.conv" in changed
    assert (diff.old_params, diff.new_params) == (before.total_params, after.total_params)
    assert (diff.old_mult_adds, diff.new_mult_adds) == (before.total_mult_adds, after.total_mult_adds)


def test_a_failing_config_has_no_costs_and_removed_layers_show():
    diff = diff_configs(PAPER, replace(PAPER, input_size=8))
    assert diff.new_params is None and diff.new_output is None
    assert diff.old_output == (256, 6, 6)
    assert any(s.new is None for s in diff.shapes)  # layers after the failure exist only in the preset


def test_removing_norm_lists_the_norm_layer_as_gone():
    diff = diff_configs(PAPER, PAPER.with_block(0, norm=False))
    assert [s.module for s in diff.shapes if s.new is None] == ["features.0.norm"]


def test_added_blocks_keep_the_map_and_hidden_layers_copy_the_last_width():
    more = with_block_count(PAPER, 7)
    assert len(more.blocks) == 7
    before, after = analyze(PAPER), analyze(more)
    assert after.ok and after.flatten_features == before.flatten_features
    assert with_block_count(more, 5) == PAPER
    assert with_hidden_count(PAPER, 3).hidden_sizes == (4096, 4096, 4096)
    assert with_hidden_count(PAPER, 0).hidden_sizes == ()


def test_a_changed_activation_is_listed_and_changes_no_shape_or_cost():
    diff = diff_configs(PAPER, replace(PAPER, activation="tanh"))
    assert [(c.where, c.old, c.new) for c in diff.changes] == [("activation", "relu", "tanh")]
    assert not diff.shapes
    assert (diff.old_params, diff.old_mult_adds) == (diff.new_params, diff.new_mult_adds)


def test_a_network_is_named_by_the_preset_it_is():
    from dataclasses import replace

    from alexnet.network.diff import network_name

    cifar = PRESETS["cifar"]
    assert network_name(cifar) == "small AlexNet, 32 px (cifar)"
    assert network_name(replace(cifar, input_size=28, in_channels=1)) == "small AlexNet (cifar) at 28 px"
    assert network_name(replace(cifar, activation="tanh")) == "your network (1 change from cifar, 32 px)"
    two = PRESETS["paper"].with_block(0, stride=2, padding=1)
    assert network_name(two) == "your network (2 changes from paper, 227 px)"
