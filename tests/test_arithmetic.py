"""The convolution-arithmetic geometry and figure, checked against ``alexnet.network.shapes`` for random networks."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alexnet.network.config import PRESETS, AlexNetConfig, BlockConfig
from alexnet.network.output_size import coverage
from alexnet.network.shapes import analyze
from alexnet.network.whatif import sweep, sweep_values
from alexnet.network.window import FULL_BELOW, MAX_FRAMES, axis_geometry
from alexnet.plots.arithmetic import arithmetic_figure
from alexnet.plots.whatif import whatif_figure

blocks = st.builds(
    BlockConfig,
    out_channels=st.integers(1, 8),
    kernel_size=st.integers(1, 15),
    stride=st.integers(1, 8),
    padding=st.integers(0, 10),
    pool=st.booleans(),
    pool_kernel=st.integers(1, 7),
    pool_stride=st.integers(1, 4),
    pool_padding=st.integers(0, 3),
)
configs = st.builds(
    AlexNetConfig,
    input_size=st.integers(1, 1024),
    in_channels=st.integers(1, 3),
    blocks=st.lists(blocks, min_size=1, max_size=5).map(tuple),
    hidden_sizes=st.just((8,)),
)


def brute_force(size: int, kernel: int, stride: int, padding: int):
    """Slide the window cell by cell over the padded axis -P .. W + P - 1 and list what it leaves.

    Returns (out, dropped: pixels after the last window, cut padding: padding after it, skipped:
    pixels before its end that no window reads)."""
    read, out = set(), 0
    while out * stride - padding + kernel - 1 <= size + padding - 1:
        read |= set(range(out * stride - padding, out * stride - padding + kernel))
        out += 1
    end = max(read)
    after = range(end + 1, size + padding)
    dropped = [c for c in after if 0 <= c < size]
    cut_padding = [c for c in after if not 0 <= c < size]
    skipped = [c for c in range(size) if c <= end and c not in read]
    return out, dropped, cut_padding, skipped


@given(st.integers(1, 400), st.integers(1, 15), st.integers(1, 9), st.integers(0, 7))
def test_every_count_matches_brute_force(size, kernel, stride, padding):
    assume(size + 2 * padding >= kernel)
    out, dropped, cut_padding, skipped = brute_force(size, kernel, stride, padding)
    geometry = axis_geometry(size, kernel, stride, padding)
    assert geometry.out == out
    assert geometry.dropped_cells == dropped and geometry.dropped == len(dropped)
    assert geometry.cut == len(dropped) + len(cut_padding) and list(geometry.cut_cells) == sorted(dropped + cut_padding)
    assert geometry.skipped_cells == skipped
    assert coverage(size, kernel, stride, padding) == (len(dropped), len(cut_padding), len(skipped))


def test_the_issues_examples():
    # the one cell 396/11/3/3 leaves is padding (coordinate 398), not a pixel of the map
    geometry = axis_geometry(396, 11, 3, 3)
    assert (geometry.dropped, geometry.cut, list(geometry.cut_cells)) == (0, 1, [398])
    # stride 4 over a window of 2: the 22 pixels between windows are never read
    wide = axis_geometry(46, 2, 4, 0)
    assert wide.dropped == 0 and len(wide.skipped_cells) == 22 and wide.skipped_cells[:4] == [2, 3, 6, 7]
    layer = next(row for row in analyze(AlexNetConfig(input_size=46, blocks=(BlockConfig(4, 2, 4),))).layers)
    assert (layer.dropped_pixels, layer.skipped_pixels) == (0, 22)


def windows(config: AlexNetConfig):
    """(layer, W, K, S, P) of every conv and pool layer ``analyze`` computed."""
    for layer in analyze(config).layers:
        if layer.kind not in ("conv", "pool"):
            continue
        block = config.blocks[layer.block - 1]
        numbers = (
            (block.kernel_size, block.stride, block.padding)
            if layer.kind == "conv"
            else (block.pool_kernel, block.pool_stride, block.pool_padding)
        )
        yield layer, layer.in_shape[1], *numbers


def check_geometry(layer, size, kernel, stride, padding) -> None:
    geometry = axis_geometry(size, kernel, stride, padding)
    # the figure's numbers are the table's numbers
    assert geometry.out == layer.out_shape[1]
    _, dropped, _, skipped = brute_force(size, kernel, stride, padding)
    assert layer.dropped_pixels == len(dropped) and layer.skipped_pixels == len(skipped)
    # the padded axis: P zeros, the W pixels, P zeros
    cells = [c for first, last in geometry.segments for c in range(first, last + 1)] + [
        c for first, last in geometry.hidden() for c in range(first, last + 1)
    ]
    assert sorted(cells) == list(range(-padding, size + padding))
    assert sum(geometry.is_padding(c) for c in cells) == 2 * padding
    # windows K wide, S apart, from the first padded cell; the last ends where the cut cells begin
    assert geometry.window(0) == (-padding, -padding + kernel - 1)
    for o in range(1, geometry.out):
        assert geometry.window(o)[0] - geometry.window(o - 1)[0] == stride
    assert geometry.covered_end + geometry.cut == size + padding - 1
    assert geometry.cut < stride
    # the start and the end are drawn at full resolution, the display order is the input order
    shown = geometry.shown_cells()
    assert shown[0] == -padding and shown[-1] == size + padding - 1
    assert set(geometry.dropped_cells) <= set(shown)
    assert {0, geometry.out - 1} <= set(geometry.shown_outputs())
    xs = [geometry.x(c) for c in range(-padding, size + padding)]
    assert all(b > a for a, b in itertools.pairwise(xs))
    for first, last in geometry.segments:  # one display cell per input cell
        assert geometry.x(last) - geometry.x(first) == pytest.approx(last - first)
    if size + 2 * padding <= FULL_BELOW:
        assert not geometry.compressed
    else:  # readable: at most about 60 cells at full size
        assert len(shown) <= 2 * 15 + 2 * 8 + 8
    frames = geometry.frames()
    assert frames[0] == 0 and frames[-1] == geometry.out - 1 and len(frames) <= MAX_FRAMES
    if geometry.out <= MAX_FRAMES:
        assert frames == list(range(geometry.out))  # one output cell at a time


@given(configs)
def test_geometry_matches_the_shape_table(config):
    report = analyze(config)
    assume(any(layer.kind == "conv" for layer in report.layers))
    for layer, *numbers in windows(config):
        check_geometry(layer, *numbers)


@pytest.mark.parametrize("name", list(PRESETS))
def test_geometry_of_every_preset_layer(name):
    for layer, *numbers in windows(PRESETS[name]):
        check_geometry(layer, *numbers)


def test_conv1_of_the_notebook_cuts_one_padding_column():
    # floor((224 - 11 + 2*2) / 4) + 1 = 55, (224 - 11 + 4) mod 4 = 1: the cut cell, 225, is padding
    geometry = axis_geometry(224, 11, 4, 2)
    assert (geometry.out, geometry.cut, list(geometry.cut_cells), geometry.dropped) == (55, 1, [225], 0)
    assert geometry.compressed and geometry.segments == ((-2, 16), (214, 225))


def traces(figure):
    return {trace.name: trace for trace in figure.data}


# each example builds the figure's dict (milliseconds) and then checks it as plotly graph objects, with its
# animation frames (about 0.2 s): the CI profile's 2000 would take minutes; the geometry itself is checked
# at the full count above
@settings(max_examples=min(300, settings().max_examples))
@given(configs)
def test_the_figure_draws_the_geometry(config):
    layers = list(windows(config))
    assume(layers)
    _, size, kernel, stride, padding = layers[-1]
    geometry = axis_geometry(size, kernel, stride, padding)
    figure = arithmetic_figure(geometry).figure()  # the dict, validated by plotly
    drawn = traces(figure)
    shown = geometry.shown_cells()
    _, dropped, _, skipped = brute_force(size, kernel, stride, padding)
    assert list(drawn["dropped by the floor"].customdata) == dropped
    assert list(drawn["skipped between windows"].customdata) == [c for c in skipped if c in set(shown)]
    unread = {*dropped, *skipped}
    assert list(drawn["input pixels"].customdata) == [c for c in shown if 0 <= c < size and c not in unread]
    assert list(drawn["padding (zeros)"].customdata) == [c for c in shown if not 0 <= c < size]
    outputs = list(drawn["output cells"].text)
    assert outputs == [str(o) for o in geometry.shown_outputs()]
    # the play control: one frame per output cell (or MAX_FRAMES spread over them), each a real window
    assert [frame.name for frame in figure.frames] == [str(o) for o in geometry.frames()]
    for frame in figure.frames[:5] + figure.frames[-5:]:
        window, output = frame.data
        o, first, last = window.customdata[0]
        assert (first, last) == geometry.window(o) and output.text == (str(o),)
        assert window.width[0] == pytest.approx(geometry.x(last + 0.5) - geometry.x(first - 0.5))


def test_whatif_of_conv1_stride_matches_analyze():
    paper = PRESETS["paper"]
    points = sweep(paper, 0, "stride")
    assert [p.value for p in points] == list(range(1, 9))
    for point in points:
        report = analyze(paper.with_block(0, stride=point.value))
        assert point.failed_layer == (report.error.layer if report.error else None)
        if report.ok:
            last = [layer for layer in report.layers if layer.block is not None][-1]
            assert (point.last_side, point.params, point.mult_adds) == (
                last.out_shape[1],
                report.total_params,
                report.total_mult_adds,
            )
    assert next(p for p in points if p.value == 4).last_side == 6


def test_whatif_marks_the_values_that_break_the_network():
    small = replace(PRESETS["paper"], input_size=67)  # the smallest input the paper's network takes
    points = sweep(small, 0, "kernel_size")
    broken = [p.value for p in points if p.failed_layer]
    assert broken and 11 not in broken and 15 in broken
    figure = whatif_figure(points, "kernel K", 11).figure()  # the dict, validated by plotly
    crosses = [t for t in figure.data if t.name == "breaks the network"]
    assert sorted(crosses[0].x) == broken
    assert 96 in sweep_values("out_channels", 96) and 100 in sweep_values("out_channels", 100)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding"),
    [(27, 7, 1, 0), (27, 5, 1, 2), (55, 3, 2, 0), (227, 11, 4, 0), (13, 3, 1, 1), (8, 2, 4, 0)],
)
def test_window_bars_stay_above_the_output_row(size, kernel, stride, padding):
    """conv2 at K = 7, S = 1, P = 0 once drew its last window over output cells 17-20."""
    geometry = axis_geometry(size, kernel, stride, padding)
    drawn = traces(arithmetic_figure(geometry).figure())
    windows, outputs = drawn[f"window (K = {kernel})"], drawn["output cells"]
    output_top = outputs.base[0] + outputs.y[0]
    assert min(b for b in windows.base) > output_top
    # windows that share a row do not overlap: each row's bars are apart along the axis
    rows: dict[float, list[tuple[int, int]]] = {}
    for base, (_, first, last) in zip(windows.base, windows.customdata, strict=True):
        rows.setdefault(base, []).append((first, last))
    for spans in rows.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    # the numbers keep their size: plotly would shrink them to the width of a cell
    assert outputs.constraintext == "none" and outputs.textfont.size >= 12


def test_figures_are_sent_as_built_and_are_valid_plotly():
    """A FigureSpec hands st.plotly_chart its dict as it is: no copy, no check on every rerun; the dict
    is still a valid figure, and the same one plotly's graph objects make of it."""
    from plotly.tools import return_figure_from_figure_or_data

    from alexnet.plots.architecture import network_figure
    from alexnet.plots.spec import FigureSpec

    geometry = axis_geometry(227, 11, 4, 0)
    figures = [
        arithmetic_figure(geometry),
        whatif_figure(sweep(PRESETS["paper"], 0, "stride"), "stride S", 4),
        network_figure(analyze(PRESETS["paper"]).layers),
    ]
    for figure in figures:
        assert isinstance(figure, FigureSpec)
        sent = return_figure_from_figure_or_data(figure, validate_figure=True)  # what st.plotly_chart does
        assert sent is figure.to_dict()
        checked = figure.figure().to_dict()  # raises on anything plotly does not know
        assert checked["data"] == sent["data"] and checked.get("frames", []) == sent.get("frames", [])
    assert len(figures[0].to_dict()["frames"]) == 55  # conv1's 55 positions play in the browser
