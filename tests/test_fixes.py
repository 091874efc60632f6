"""Every fix an error offers (issue 32, item 2): each kind worked out by hand, and each checked by brute
force to be the nearest value that makes the whole network work."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alexnet.inspect.tables import failing_input_text
from alexnet.network.checks import apply_remedy
from alexnet.network.config import PRESETS
from alexnet.network.edit import LIMITS
from alexnet.network.shapes import analyze


def remedies(config):
    error = analyze(config).error
    assert error is not None
    return {(r.block, r.field): r.value for r in error.remedies}, error


def test_the_small_network_with_a_15_pixel_conv5_gets_every_kind_of_fix():
    # 32 px: conv1 32, pool1 15, conv2 15, pool2 7, conv3/conv4 7 -> conv5 sees 7 (9 with padding 1).
    # K=7: out 3, pool5 (3/2) 1; K=8: out 2 and pool5 fails. P=5: out 3; P=4: out 1 and pool5 fails.
    # The input: pool2 must leave 7 + 2 (kernel 15 - 2*1 - 7 more pixels) -> conv5's input >= 13 -> 63 px.
    broken = PRESETS["cifar"].with_block(4, kernel_size=15)
    fixes, error = remedies(broken)
    assert fixes == {(4, "kernel_size"): 7, (4, "padding"): 5, (None, "input_size"): 63}
    assert "conv5 kernel of 7" in error.fix and "conv5 padding of 5" in error.fix and "at least 63x63" in error.fix
    assert not analyze(replace(broken, input_size=62)).ok
    assert failing_input_text(32, error) == "Fails at 32 px; inputs of 63 px or more work (see the error on the page)."


def test_a_stride_earlier_is_offered_where_it_rescues_the_network():
    # paper at 60 px: pool5 gets 2x2. Nearest striding layer before it: pool2 (stride 2). With stride 1
    # pool2 gives 11 instead of 6 -> conv3..5 11 -> pool5 5.
    fixes, _ = remedies(replace(PRESETS["paper"], input_size=60))
    assert fixes[(1, "pool_stride")] == 1
    assert fixes[(4, "pool_kernel")] == 2 and fixes[(4, "pool_padding")] == 1
    assert fixes[(None, "input_size")] == 67


def test_only_the_fixes_that_exist_are_offered():
    fixes, error = remedies(replace(PRESETS["paper"], input_size=8))  # conv1's 11 px window on 8 px
    assert fixes == {(None, "input_size"): 67}  # no conv1 kernel or padding alone saves the rest
    assert failing_input_text(8, error).startswith("Fails at 8 px; inputs of 67 px")


def test_an_error_no_input_size_fixes_says_so_in_the_sidebar():
    error = analyze(PRESETS["paper"].with_block(1, groups=5)).error  # 96 input channels do not split into 5
    assert error is not None and error.layer == "conv2" and not error.remedies
    assert failing_input_text(227, error).startswith("No input size alone")


CASES = [
    ("cifar", 32, 4, {"kernel_size": 15}),
    ("cifar", 32, 2, {"kernel_size": 13}),
    ("cifar", 28, 1, {"kernel_size": 15, "padding": 0}),
    ("paper", 227, 2, {"kernel_size": 15}),
    ("paper", 120, 0, {"stride": 8}),
    ("paper", 60, 0, {}),
    ("torchvision", 40, 0, {}),
    ("cifar", 16, 4, {"pool_kernel": 7, "pool_padding": 0}),
]


@pytest.mark.parametrize(("preset", "size", "block", "change"), CASES)
def test_each_fix_works_and_is_the_nearest_value_that_does(preset, size, block, change):
    broken = replace(PRESETS[preset], input_size=size).with_block(block, **change)
    error = analyze(broken).error
    assert error is not None and error.remedies
    for remedy in error.remedies:
        low, high = LIMITS[remedy.field]
        assert low <= remedy.value <= high  # the editor can show it
        assert analyze(apply_remedy(broken, remedy)).ok, remedy
        # one step nearer the current value (the smallest change) does not work
        if remedy.block is None:
            nearer = remedy.value - 1
        else:
            current = getattr(broken.blocks[remedy.block], remedy.field)
            nearer = remedy.value + (1 if remedy.value < current else -1)
            if nearer == current:
                continue
        assert not analyze(apply_remedy(broken, replace(remedy, value=nearer))).ok, remedy
