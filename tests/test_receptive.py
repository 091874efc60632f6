"""Receptive fields: the analytic rectangle against an empirical one found by backpropagation.

For a cell of some layer, the input pixels it depends on are where the gradient of that cell
with respect to the input is nonzero. With every convolution weight a positive constant (and
no bias), ReLU and LRN as the identity and each max-pool as an average pool of the same
geometry, nothing can cancel: every pixel in the field gets a positive gradient, every pixel
outside gets zero. The extent of the nonzero gradient must equal ``alexnet.network.receptive``'s
rectangle, cut where it runs into any layer's padding. Networks with an adaptive average pool
are included (its windows follow PyTorch's floor / ceil rule).

A layer whose stride exceeds its kernel skips pixels, so its field is a comb rather than a
solid square; the rectangle is then the comb's bounding box, and cutting it at the padding may
leave a skipped pixel at its edge (or only skipped pixels). For such networks the test asks
only that the gradient stays inside the rectangle.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from alexnet.inspect.tables import receptive_rows
from alexnet.network.config import PRESETS, AlexNetConfig, BlockConfig
from alexnet.network.model import build_model
from alexnet.network.receptive import ReceptiveRect, receptive_rect, receptive_span, uneven_pool_note
from alexnet.network.shapes import analyze
from alexnet.plots.receptive import ANALYTIC_SHAPE, CELL_SHAPE, FIELD_SHAPE, cell_map_figure, field_figure
from alexnet.units import range_text

blocks = st.builds(
    BlockConfig,
    out_channels=st.integers(1, 3),
    kernel_size=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 4),
    pool=st.booleans(),
    norm=st.booleans(),
    pool_kernel=st.integers(1, 4),
    pool_stride=st.integers(1, 3),
    pool_padding=st.integers(0, 2),
)
configs = st.builds(
    AlexNetConfig,
    input_size=st.integers(4, 48),
    in_channels=st.integers(1, 2),
    blocks=st.lists(blocks, min_size=1, max_size=3).map(tuple),
    hidden_sizes=st.just((4,)),
    num_classes=st.just(2),
    adaptive_pool=st.one_of(st.none(), st.integers(1, 5)),
)


def linearised_model(config: AlexNetConfig) -> nn.Module:
    """The model with positive constant conv weights, identity ReLU/LRN and average pools for max-pools."""
    model = build_model(config).double()
    for block in model.features:
        nn.init.constant_(block.conv.weight, 0.5)
        nn.init.zeros_(block.conv.bias)
        block.relu = nn.Identity()
        if hasattr(block, "norm"):
            block.norm = nn.Identity()
        if hasattr(block, "pool"):
            pool = block.pool
            block.pool = nn.AvgPool2d(pool.kernel_size, pool.stride, pool.padding)
    return model


Extent = tuple[tuple[int, int], tuple[int, int]]


def empirical_field(config: AlexNetConfig, module: str, row: int, col: int) -> Extent | None:
    """(first, last) input row and column whose gradient is nonzero for one cell of ``module``'s output.

    None when no input pixel reaches the cell (it sees nothing but padding).
    """
    model = linearised_model(config)
    captured = {}
    target = model.get_submodule(module)
    handle = target.register_forward_hook(lambda _m, _i, output: captured.setdefault("out", output))
    try:
        image = torch.ones(1, config.in_channels, config.input_size, config.input_size, dtype=torch.float64)
        image.requires_grad_(True)
        model.avgpool(model.features(image))  # the spatial part: blocks, then the adaptive pool if any
    finally:
        handle.remove()
    captured["out"][0, 0, row, col].backward()
    seen = image.grad[0].abs().sum(0) > 0  # (H, W)
    if not seen.any():
        return None
    rows = torch.nonzero(seen.any(1)).flatten()
    cols = torch.nonzero(seen.any(0)).flatten()
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


# each example builds a model and backpropagates through it: cap the CI profile's 2000 to stay within minutes
@settings(max_examples=min(600, settings().max_examples))
@given(configs, st.data())
def test_rectangle_matches_backpropagation(config, data):
    report = analyze(config)
    assume(report.ok)
    layer = data.draw(st.sampled_from([x for x in report.layers if x.block is not None or x.kind == "avgpool"]))
    side = layer.out_shape[1]
    row, col = data.draw(st.integers(0, side - 1)), data.draw(st.integers(0, side - 1))
    rect = receptive_rect(config, layer, row, col)
    found = empirical_field(config, layer.module, row, col)
    if rect.empty:  # a corner cell of a heavily padded layer: its window holds only zeros
        assert found is None
        return
    solid = all(
        block.kernel_size >= block.stride and (not block.pool or block.pool_kernel >= block.pool_stride)
        for block in config.blocks[: layer.block]
    )
    if solid:
        assert found == (rect.clipped_rows, rect.clipped_cols)
    elif found is not None:  # a comb: the gradient stays inside the rectangle
        for (lo, hi), (first, last) in zip(found, (rect.clipped_rows, rect.clipped_cols), strict=True):
            assert first <= lo <= hi <= last
    # (a comb's teeth may all fall in the padding: then no pixel is read though its bounding range is not empty)


def test_paper_conv5_corner_runs_into_the_padding():
    paper = PRESETS["paper"]
    conv5 = next(layer for layer in analyze(paper).layers if layer.name == "conv5")
    # start = 17, jump 16, size 163: cell 0 spans 17 - 81 = -64 .. 98, clipped to 0 .. 98
    rect = receptive_rect(paper, conv5, 0, 12)
    assert rect.rows == (-64, 98) and rect.clipped_rows == (0, 98)
    assert rect.cols == (12 * 16 - 64, 12 * 16 + 98) and rect.clipped_cols == (128, 226)
    assert rect.clipped


def test_start_offset_follows_the_recurrence():
    # start_out = start_in + ((K - 1) / 2 - P) * j_in, from start = 0 and j = 1 at the image
    rows = {layer.name: layer for layer in analyze(PRESETS["notebook"]).layers}
    assert rows["conv1"].rf_start == (11 - 1) / 2 - 2  # 3.0: padding 2 shifts cell 0 left by 2 pixels
    assert rows["pool1"].rf_start == 3.0 + (3 - 1) / 2 * 4
    assert rows["conv2"].rf_start == rows["pool1"].rf_start + ((5 - 1) / 2 - 2) * 8
    assert rows["fc6"].rf_start is None


def test_every_map_cell_can_be_clicked():
    # plotly's heatmap emits no point selection: a scatter point per cell takes the click
    figure = cell_map_figure(np.arange(35.0).reshape(5, 7), 1, 2, title="map")
    cells = next(trace for trace in figure.data if trace.type == "scatter")
    assert sorted(zip(cells.y, cells.x, strict=True)) == [(r, c) for r in range(5) for c in range(7)]
    (picked,) = [shape for shape in figure.layout.shapes if shape.name == CELL_SHAPE]
    assert (picked.x0, picked.x1, picked.y0, picked.y1) == (1.5, 2.5, 0.5, 1.5)


def test_field_figure_draws_what_the_cell_reads():
    picture = np.zeros((8, 8, 3), dtype=np.uint8)
    inside = ReceptiveRect(rows=(2, 4), cols=(3, 5), clipped_rows=(2, 4), clipped_cols=(3, 5))
    shapes = {shape.name: shape for shape in field_figure(picture, inside, title="t").layout.shapes}
    assert (shapes[FIELD_SHAPE].x0, shapes[FIELD_SHAPE].y1) == (2.5, 4.5)
    assert ANALYTIC_SHAPE not in shapes  # nothing reaches the padding

    edge = ReceptiveRect(rows=(-3, 2), cols=(5, 10), clipped_rows=(0, 2), clipped_cols=(5, 7))
    figure = field_figure(picture, edge, title="t")
    shapes = {shape.name: shape for shape in figure.layout.shapes}
    assert (shapes[FIELD_SHAPE].y0, shapes[FIELD_SHAPE].x1) == (-0.5, 7.5)
    assert (shapes[ANALYTIC_SHAPE].y0, shapes[ANALYTIC_SHAPE].x1) == (-3.5, 10.5)
    assert figure.layout.xaxis.range[1] == 10.5  # the view reaches into the padding to show it

    nothing = ReceptiveRect(rows=(-4, -1), cols=(0, 3), clipped_rows=(0, -1), clipped_cols=(0, 3))
    assert nothing.empty
    shapes = {shape.name for shape in field_figure(picture, nothing, title="t").layout.shapes}
    assert FIELD_SHAPE not in shapes and ANALYTIC_SHAPE in shapes


# ---------------------------------------------------------------- the adaptive pool's uneven windows

unpadded_blocks = st.builds(
    BlockConfig,
    out_channels=st.just(1),
    kernel_size=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.just(0),
).filter(lambda block: block.kernel_size >= block.stride)  # solid fields: every window pixel is read
adaptive_configs = st.builds(
    AlexNetConfig,
    input_size=st.integers(3, 40),
    in_channels=st.just(1),
    blocks=st.lists(unpadded_blocks, min_size=1, max_size=2).map(tuple),
    hidden_sizes=st.just(()),
    num_classes=st.just(2),
    adaptive_pool=st.integers(1, 9),  # divisible or not, and larger than the map (cells repeat)
)


@settings(max_examples=min(200, settings().max_examples))
@given(adaptive_configs, st.data())
def test_adaptive_pool_field_jump_and_start_match_backpropagation(config, data):
    """Without padding, every cell's field lies inside the image: its extent is exactly the span."""
    report = analyze(config)
    assume(report.ok)
    pool = next(layer for layer in report.layers if layer.kind == "avgpool")
    side = pool.out_shape[1]
    spans = [empirical_field(config, "avgpool", 0, i)[1] for i in range(side)]  # row 0, every column
    assert [receptive_span(pool, i) for i in range(side)] == spans
    widths, starts = [b - a + 1 for a, b in spans], [a for a, _ in spans]
    steps = [b - a for a, b in itertools.pairwise(starts)] or [pool.jump]
    assert pool.receptive_range == (min(widths), max(widths)) and pool.receptive_field == max(widths)
    assert pool.jump_range == (min(steps), max(steps))
    assert pool.rf_start == (spans[0][0] + spans[0][1]) / 2
    row = data.draw(st.integers(0, side - 1))
    assert receptive_rect(config, pool, row, 0).rows == spans[row]


def test_a_map_smaller_than_the_target_repeats_cells():
    # 5 -> 6: PyTorch's windows are map cells 0, 0-1, 1-2, 2-3, 3-4, 4: steps of 0 and 1, widths 1 and 2
    config = AlexNetConfig(input_size=5, in_channels=1, blocks=(BlockConfig(1, 1),), adaptive_pool=6, hidden_sizes=())
    pool = next(layer for layer in analyze(config).layers if layer.kind == "avgpool")
    assert pool.cell_spans == ((0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (4, 4))
    assert pool.receptive_range == (1, 2) and pool.jump_range == (0, 1)
    # the example: 5 -> 3 is 3 cells wide at most, with steps of 1 and 2
    small = analyze(
        AlexNetConfig(input_size=5, in_channels=1, blocks=(BlockConfig(1, 1),), adaptive_pool=3, hidden_sizes=())
    )
    avg = next(layer for layer in small.layers if layer.kind == "avgpool")
    assert (avg.receptive_field, avg.receptive_range, avg.jump_range) == (3, (2, 3), (1, 2))


def analytic_spans(config: AlexNetConfig, module: str) -> list[tuple[int, int]]:
    """Each cell's unclipped span, walked back one layer at a time from PyTorch's window rules
    (an independent brute force: no r, j or start recurrences)."""
    layers = analyze(config).layers
    position = next(i for i, layer in enumerate(layers) if layer.module == module)
    side = layers[position].out_shape[1]
    spans = []
    for cell in range(side):
        lo = hi = cell
        for layer in reversed(layers[: position + 1]):
            if layer.kind == "avgpool":
                size, target = layer.in_shape[1], layer.out_shape[1]
                lo, hi = lo * size // target, -(-(hi + 1) * size // target) - 1
            elif layer.kind in ("conv", "pool"):
                block = config.blocks[layer.block - 1]
                kernel, stride, padding = block.window(layer.kind)
                lo, hi = lo * stride - padding, hi * stride - padding + kernel - 1
        spans.append((lo, hi))
    return spans


@pytest.mark.parametrize(
    ("size", "fields", "jumps"), [(200, (195, 227), (0, 32)), (224, (195, 195), (32, 32)), (300, (227, 227), (32, 64))]
)
def test_torchvision_preset_adaptive_pool_is_exact(size, fields, jumps):
    config = replace(PRESETS["torchvision"], input_size=size)
    pool = next(layer for layer in analyze(config).layers if layer.kind == "avgpool")
    assert [receptive_span(pool, i) for i in range(6)] == analytic_spans(config, "avgpool")
    assert (pool.receptive_range, pool.jump_range) == (fields, jumps)
    if size == 300:
        assert receptive_span(pool, 3) == (62, 288)  # the cell 3
    rows = {row["layer"]: row for row in receptive_rows(analyze(config))}
    assert (rows["avgpool"]["receptive field"], rows["avgpool"]["jump"]) == (range_text(*fields), range_text(*jumps))
    assert (uneven_pool_note(analyze(config).layers) is None) == (size == 224)
    for cell in (0, 3, 5):  # the pixels a cell truly reads, against backpropagation (padding cut off)
        rect = receptive_rect(config, pool, cell, cell)
        assert empirical_field(config, "avgpool", cell, cell) == (rect.clipped_rows, rect.clipped_cols)


def test_the_map_to_click_has_the_feature_maps_colours_and_a_colour_bar():
    """It is the same map as the grids above it: the same colour scale, with its values on a colour bar."""
    from alexnet.plots.activations import DIVERGING, POSITIVE

    heatmap = cell_map_figure(np.arange(35.0).reshape(5, 7), 1, 2, title="map").data[0]
    assert heatmap.showscale is not False and heatmap.colorbar.title.text == "mean"
    assert [list(stop) for stop in heatmap.colorscale] == [list(stop) for stop in POSITIVE]
    assert (heatmap.zmin, heatmap.zmax) == (0.0, 34.0)
    signed = cell_map_figure(np.arange(-10.0, 25.0).reshape(5, 7), 1, 2, title="map").data[0]
    assert (signed.zmin, signed.zmax) == (-24.0, 24.0)
    assert signed.colorscale == go.Heatmap(colorscale=DIVERGING).colorscale
