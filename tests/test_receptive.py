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

import numpy as np
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from alexnet.network.config import PRESETS, AlexNetConfig, BlockConfig
from alexnet.network.model import build_model
from alexnet.network.receptive import ReceptiveRect, receptive_rect
from alexnet.network.shapes import analyze
from alexnet.plots.receptive import ANALYTIC_SHAPE, CELL_SHAPE, FIELD_SHAPE, cell_map_figure, field_figure

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
