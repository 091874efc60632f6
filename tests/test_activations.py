"""Feature maps of a real image: the captured conv output survives the in-place ReLU, and the
figures are image-based (one PNG), small enough to send, with the right number of tiles."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from alexnet.inspect import images
from alexnet.network.config import preset
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze
from alexnet.plots import activations as plots
from alexnet.plots import prediction, raster

MOSAIC_BUDGET = 600_000  # bytes of figure JSON for paper conv1 (96 x 55 x 55); heatmaps need ~1.7 MB


@pytest.fixture(scope="module")
def paper_run() -> tuple[torch.nn.Module, images.Preprocessed, images.ImageRun]:
    config = preset("paper")
    model = build_model(config, seed=0)
    image = images.preprocess(images.sample_photo("chelsea"), config)
    return model, image, images.run_image(model, image)


def test_conv1_output_keeps_negatives_despite_inplace_relu(paper_run):
    model, image, run = paper_run
    block = model.features[0]
    assert block.relu.inplace  # the case this guards: ReLU overwrites conv1's output tensor
    conv = run.maps["features.0.conv"]  # (96, 55, 55)
    assert conv.shape == (96, 55, 55)
    assert conv.min() < 0

    # the oracle: the same convolution computed separately
    with torch.no_grad():
        expected = F.conv2d(
            image.batch, block.conv.weight, block.conv.bias, stride=block.conv.stride, padding=block.conv.padding
        )[0]
    torch.testing.assert_close(torch.from_numpy(conv), expected, rtol=1e-4, atol=1e-5)
    relu = run.maps["features.0.relu"]
    torch.testing.assert_close(torch.from_numpy(relu), expected.clamp(min=0), rtol=1e-4, atol=1e-5)
    assert relu.min() == 0


def test_every_spatial_layer_is_captured(paper_run):
    _, _, run = paper_run
    layers = plots.spatial_layers(analyze(preset("paper")).layers)
    for layer in layers:
        assert run.maps[layer.module].shape == tuple(layer.out_shape), layer.name
    assert run.filters.shape == (96, 3, 11, 11)
    assert run.logits.shape == (1000,)


def decode_png(figure: go.Figure) -> np.ndarray:
    sources = [trace.source for trace in figure.data if isinstance(trace, go.Image)]
    assert len(sources) == 1
    header = "data:image/png;base64,"
    assert sources[0].startswith(header)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(sources[0][len(header) :]))).convert("RGB"))


def test_paper_conv1_mosaic_is_one_small_png(paper_run):
    _, _, run = paper_run
    maps = run.maps["features.0.conv"]
    figure = plots.feature_map_figure(maps, range(96))
    assert not any(isinstance(trace, go.Heatmap) for trace in figure.data)
    picture = decode_png(figure)
    # every 55 x 55 map is in the picture, laid out in a grid
    assert picture.shape[0] * picture.shape[1] >= 96 * 55 * 55
    size = len(figure.to_json())
    assert size < MOSAIC_BUDGET, f"{size:,} bytes"
    assert size < maps.size * 2  # under 2 bytes a value, where JSON numbers take ~20


def test_mosaic_tiles_match_the_maps():
    maps = np.zeros((6, 5, 5), np.float32)
    maps[2] = 1.0
    maps[4] = -1.0
    tiles, corners = raster.mosaic(raster.levels(maps, -1.0, 1.0), columns=3, gap=1)
    assert tiles.shape == (2 * 6 + 1, 3 * 6 + 1)
    assert len(corners) == 6
    top, left = corners[2]
    assert (tiles[top : top + 5, left : left + 5] == raster.LEVELS - 1).all()
    top, left = corners[4]
    assert (tiles[top : top + 5, left : left + 5] == 0).all()


@pytest.mark.parametrize("count", [16, 96])
def test_feature_map_figure_labels_each_tile(paper_run, count):
    _, _, run = paper_run
    figure = plots.feature_map_figure(run.maps["features.0.conv"], range(count))
    labels = next(trace for trace in figure.data if trace.name == "labels")
    assert list(labels.text) == [f"#{i}" for i in range(count)]


def test_filter_figure_has_one_tile_per_filter(paper_run):
    _, _, run = paper_run
    figure = plots.filters_figure(run.filters)
    hover = next(trace for trace in figure.data if trace.name == "tiles")
    assert len(hover.x) == 96
    decode_png(figure)  # one image
    tiles = plots.filter_tiles(run.filters)
    assert tiles.shape == (96, 11, 11, 3)
    assert (tiles.reshape(96, -1).min(axis=1) == 0).all() and (tiles.reshape(96, -1).max(axis=1) == 255).all()


def test_pick_channels_most_active_first():
    maps = np.stack([np.full((3, 3), v, np.float32) for v in (0.5, 3.0, -1.0, 2.0)])
    assert list(plots.pick_channels(maps, 2, "active")) == [1, 3]
    assert list(plots.pick_channels(maps, 2, "index")) == [0, 1]
    assert list(plots.pick_channels(maps, None)) == [0, 1, 2, 3]


def test_channel_stats_counts_relu_zeros():
    maps = np.array([[[0.0, 1.0], [0.0, 3.0]], [[-2.0, 2.0], [4.0, 0.0]]], np.float32)
    stats = plots.channel_stats(maps)
    assert list(stats["min"]) == [0.0, -2.0]
    assert list(stats["max"]) == [3.0, 4.0]
    assert list(stats["mean"]) == [1.0, 1.0]
    assert list(stats["zeros"]) == [0.5, 0.25]


def test_top_classes_softmax_sums_to_one():
    logits = np.array([1.0, 3.0, 2.0, -1.0])
    probabilities = prediction.softmax(logits)
    assert probabilities.sum() == pytest.approx(1.0)
    figure = prediction.top_classes_figure(logits, ["a", "b", "c", "d"], k=2)
    assert list(figure.data[0].y) == ["b (#1)", "c (#2)"]
