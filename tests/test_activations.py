"""Feature maps of a real image: the captured conv output survives the in-place ReLU, and the
figures are image-based (one PNG), small enough to send, with the right number of tiles."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

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


def test_a_tanh_network_draws_its_tanh_maps_with_their_negatives():
    config = replace(preset("cifar"), activation="tanh")
    model = build_model(config, seed=0)
    run = images.run_image(model, images.preprocess(images.digit_sample(3), config))
    layers = {layer.name: layer for layer in plots.spatial_layers(analyze(config).layers)}
    assert [name for name in layers if name.startswith("tanh")] == [f"tanh{n}" for n in range(1, 6)]
    tanh1 = run.maps[layers["tanh1"].module]  # features.0.tanh
    np.testing.assert_allclose(tanh1, np.tanh(run.maps["features.0.conv"]), rtol=1e-5, atol=1e-6)
    assert tanh1.min() < 0 < tanh1.max() and np.abs(tanh1).max() < 1  # squashed into (-1, 1), blue kept


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


def test_grey_filter_tile_is_the_sum_of_the_input_channels_around_mid_grey():
    """A filter whose channels are +A, -A, +A meets a grey image as A: its tile is A, stretched around 0."""
    a = np.array([[1.0, -2.0, 0.0], [0.5, 4.0, -4.0], [2.0, 0.0, -1.0]])  # (3, 3), largest |value| 4
    weights = np.stack([a, -a, a])[None]  # (1, 3, 3, 3): the sum over the channels is a
    tiles = plots.filter_tiles(weights, grey=True)
    assert tiles.shape == (1, 3, 3, 3)
    assert (tiles[..., 0] == tiles[..., 1]).all() and (tiles[..., 0] == tiles[..., 2]).all()  # grey
    # tile = rint(255 * (1/2 + s / (2 max|s|))): 4 -> 255 (white), -4 -> 0 (black), 0 -> 128 (mid grey)
    expected = np.rint(255 * (0.5 + a / 8)).astype(np.uint8)
    np.testing.assert_array_equal(tiles[0, ..., 0], expected)
    assert expected[1, 1] == 255 and expected[1, 2] == 0 and expected[0, 2] == 128 and expected[0, 0] == 159
    # the colour tiles of the same filter show its three channels apart: R = B = a, G = -a, min-max stretched
    colour = plots.filter_tiles(weights)
    np.testing.assert_array_equal(colour[0, ..., 0], np.rint(255 * (a + 4) / 8).astype(np.uint8))
    np.testing.assert_array_equal(colour[0, ..., 1], np.rint(255 * (4 - a) / 8).astype(np.uint8))
    # a one-channel network's filters are grey without asking; an all-positive filter has no black in it
    one = plots.filter_tiles(np.abs(a)[None, None])
    np.testing.assert_array_equal(one[0, ..., 0], np.rint(255 * (0.5 + np.abs(a) / 8)).astype(np.uint8))
    assert one.min() == 128


def test_grey_filter_figure_hovers_the_summed_weights():
    weights = np.stack([np.eye(3), np.eye(3), -2 * np.eye(3)])[None]  # sum over the channels: all zero
    figure = plots.filters_figure(weights, grey=True)
    hover = next(trace for trace in figure.data if trace.name == "tiles")
    assert list(hover.hovertext) == ["filter #0<br>summed weights 0 .. 0"]
    np.testing.assert_array_equal(plots.filter_tiles(weights, grey=True), np.full((1, 3, 3, 3), 128))


def test_a_wrong_top_answer_is_marked_and_names_the_true_class():
    logits = np.log(np.array([0.1, 0.5, 0.05, 0.15, 0.2]))  # top: 1 (50 %), then 4, 3, 0, 2
    names = [f"digit {i}" for i in range(5)]
    assert prediction.verdict(logits, 1, names) == (
        True,
        "**Right**: the top answer, digit 1 (50.00 %), is the true class.",
    )
    assert prediction.verdict(logits, None, names) is None  # unknown
    assert prediction.verdict(logits, 0, names) == (
        False,
        "**Wrong**: the top answer, digit 1 (50.00 %), is not the true class, digit 0 (10.00 %, 4th of 5).",
    )
    assert "class 1 (50.00 %)" in prediction.verdict(logits, 2, None).sentence
    figure = prediction.top_classes_figure(logits, names, k=2, true_class=0)  # the true class ranks 4th: added
    bar = figure.data[0]
    assert list(bar.y) == ["digit 1 (#1) ✗ wrong", "digit 4 (#4)", "digit 0 (#0) ✓ true"]
    assert list(bar.marker.color) == [prediction.WRONG_COLOR, prediction.BAR_COLOR, prediction.TRUE_COLOR]
    right = prediction.top_classes_figure(logits, names, k=2, true_class=1).data[0]
    assert list(right.y) == ["digit 1 (#1) ✓ true", "digit 4 (#4)"]
