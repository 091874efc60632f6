"""Grad-CAM and saliency (alexnet.inspect.gradcam) and the per-epoch results a run writes (run_folder.results).

The oracle for Grad-CAM is a hand computation on a network small enough to differentiate on
paper; the behavioural check is a real run on the bundled digits, whose heat maps sit on the digit
while those of random weights do not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect import gradcam
from alexnet.network.config import AlexNetConfig, BlockConfig
from alexnet.network.model import build_model
from alexnet.training.run_folder import results

# ---------------------------------------------------------------- a network small enough to do by hand

# input 1 x 3 x 3 -> conv1 (two 1 x 1 filters) -> ReLU -> flatten (2 * 3 * 3 = 18) -> linear -> 2 classes
TINY = AlexNetConfig(
    input_size=3,
    in_channels=1,
    num_classes=2,
    blocks=(BlockConfig(out_channels=2, kernel_size=1),),
    hidden_sizes=(),
    dropout=0.0,
)
CONV_W = np.array([1.0, -2.0])  # conv1: A_k = ReLU(w_k * x + b_k), one weight per 1 x 1 filter
CONV_B = np.array([0.5, 1.0])
IMAGE = np.array([[0.0, 1.0, 2.0], [-1.0, 0.5, 3.0], [1.5, -0.5, 0.0]])  # (3, 3), one channel
# linear: y_c = sum_{k,i,j} W[c, k, i, j] * A_k[i, j] + bias_c
# (class, channel, row, column); picked so that both classes weigh one channel up and the other
# down, and their Grad-CAMs are positive in some places and cut to zero by the ReLU in others
LINEAR_W = np.array(
    [
        [[[2, 1, 0], [-2, -1, -3], [-3, -3, -2]], [[2, 1, 3], [0, 1, 3], [2, 1, 0]]],
        [[[0, 3, -2], [2, 1, -3], [-1, 3, 0]], [[-3, 2, 2], [2, -2, -3], [3, -3, 0]]],
    ],
    dtype=float,
)
LINEAR_B = np.array([0.25, -0.5])


def tiny_model(activation: str = "relu") -> torch.nn.Module:
    model = build_model(replace(TINY, activation=activation), seed=0)
    conv = model.features[0].conv
    linear = [m for m in model.classifier if isinstance(m, torch.nn.Linear)]
    assert len(linear) == 1, model.classifier  # the hand computation below assumes one linear layer
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(CONV_W).view(2, 1, 1, 1))
        conv.bias.copy_(torch.tensor(CONV_B))
        linear[0].weight.copy_(torch.tensor(LINEAR_W).reshape(2, 18))
        linear[0].bias.copy_(torch.tensor(LINEAR_B))
    return model


def by_hand(target: int, activation: str = "relu") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits, Grad-CAM at conv1, saliency) worked out with the chain rule, no autograd."""
    pre = CONV_W[:, None, None] * IMAGE + CONV_B[:, None, None]  # (2, 3, 3) before the activation
    maps = np.maximum(pre, 0) if activation == "relu" else np.tanh(pre)  # A_k
    slope = (pre > 0) if activation == "relu" else 1 - np.tanh(pre) ** 2  # dA_k / dpre_k
    logits = (LINEAR_W * maps).sum(axis=(1, 2, 3)) + LINEAR_B  # (2,)
    # dy_c / dA_k[i, j] = W[c, k, i, j], so alpha_k = mean over (i, j) of W[c, k]
    alpha = LINEAR_W[target].mean(axis=(1, 2))  # (2,)
    cam = np.maximum((alpha[:, None, None] * maps).sum(axis=0), 0)  # (3, 3)
    # dy_c / dx[i, j] = sum_k W[c, k, i, j] * w_k * slope_k[i, j] ([pre_k[i, j] > 0] for ReLU)
    saliency = np.abs((LINEAR_W[target] * CONV_W[:, None, None] * slope).sum(axis=0))
    return logits, cam, saliency


@pytest.mark.parametrize("target", [0, 1])
def test_grad_cam_equals_the_hand_computation(target):
    logits, cam, saliency = by_hand(target)
    assert cam.max() > 0 and (cam == 0).any()  # not degenerate: the ReLU keeps some locations, drops others
    result = gradcam.explain(tiny_model(), torch.tensor(IMAGE, dtype=torch.float32).view(1, 1, 3, 3), target=target)
    assert result.layer == "conv1" and result.target == target
    assert result.top == int(np.argmax(logits))
    assert result.score == pytest.approx(logits[target], abs=1e-5)
    assert result.probability == pytest.approx(np.exp(logits[target]) / np.exp(logits).sum(), abs=1e-6)
    np.testing.assert_allclose(result.cam, cam, atol=1e-5)
    # the layer has the input's resolution, so the upsampled map is the map itself, scaled to its peak
    np.testing.assert_allclose(result.heatmap, cam / cam.max(), atol=1e-5)
    np.testing.assert_allclose(result.saliency, saliency / saliency.max(), atol=1e-5)


@pytest.mark.parametrize("target", [0, 1])
def test_grad_cam_of_a_tanh_network_reads_its_tanh(target):
    logits, cam, saliency = by_hand(target, "tanh")
    model = tiny_model("tanh")
    assert isinstance(gradcam.conv_layers(model)["conv1"], torch.nn.Tanh)
    result = gradcam.explain(model, torch.tensor(IMAGE, dtype=torch.float32).view(1, 1, 3, 3), target=target)
    assert result.score == pytest.approx(logits[target], abs=1e-5)
    np.testing.assert_allclose(result.cam, cam, atol=1e-5)
    np.testing.assert_allclose(result.saliency, saliency / saliency.max(), atol=1e-5)


def test_top_prediction_is_the_default_class_and_mode_is_restored():
    model = tiny_model().train()
    logits, _, _ = by_hand(0)
    result = gradcam.explain(model, torch.tensor(IMAGE, dtype=torch.float32).view(1, 1, 3, 3))
    assert result.target == result.top == int(np.argmax(logits))
    assert model.training  # explain runs in eval mode and puts the mode back


def test_unknown_layer_and_class_are_plain_errors():
    model = tiny_model()
    batch = torch.zeros(1, 1, 3, 3)
    with pytest.raises(AlexNetError, match=r"no layer 'conv5'.*conv1"):
        gradcam.explain(model, batch, layer="conv5")
    with pytest.raises(AlexNetError, match="2 classes"):
        gradcam.explain(model, batch, target=7)
    assert gradcam.resolve_class("Cat", ["dog", "cat"], 2) == 1
    assert gradcam.resolve_class("1", None, 2) == 1
    assert gradcam.resolve_class(None, ["dog", "cat"], 2) is None
    with pytest.raises(AlexNetError, match=r"no class called 'horse'.*dog, cat"):
        gradcam.resolve_class("horse", ["dog", "cat"], 2)


def test_ink_box_and_mass_inside():
    digit = np.zeros((8, 8), dtype=np.uint8)
    digit[2:5, 1:3] = 9  # ink on rows 2..4, columns 1..2
    box = gradcam.ink_box(digit, 32)  # each pixel becomes 4 x 4
    expected = np.zeros((32, 32), dtype=bool)
    expected[8:20, 4:12] = True
    np.testing.assert_array_equal(box, expected)
    assert not gradcam.ink_box(np.zeros((8, 8)), 16).any()
    heat = np.zeros((32, 32))
    heat[10, 5], heat[0, 0] = 3.0, 1.0
    assert gradcam.mass_inside(heat, box) == pytest.approx(0.75)
    assert gradcam.mass_inside(np.zeros((32, 32)), box) == 0.0
    # beside it, the share an evenly spread map would put in the box: its area, 12 x 8 of 32 x 32 pixels
    assert gradcam.heat_against_chance(heat, box) == (pytest.approx(0.75), 96 / 1024)
    assert gradcam.heat_against_chance(np.ones((32, 32)), box) == (pytest.approx(96 / 1024), 96 / 1024)


# ---------------------------------------------------------------- a real run on the bundled digits


def on_the_digit(model: torch.nn.Module, run_dir: Path, every: int = 3) -> float:
    """Share of validation images (every ``every``-th) whose Grad-CAM for the true class sits on the digit.

    The box is the bounding box of the 8 x 8 digit's nonzero pixels, scaled to the input. "Sits on
    the digit" means most of the map's mass lies inside the box, and more than the box's share of
    the image: the digits' boxes cover about three quarters of it, so a map spread evenly would
    already put that much inside, and an empty map (no location speaks for the class) puts none.
    """
    val = results.validation_set(run_dir)
    digits = load_digits().images  # (1797, 8, 8): the validation set's indices point into these
    hits = []
    for position in range(0, len(val), every):
        image, label = val[position]
        result = gradcam.explain(model, image[None], target=label)
        box = gradcam.ink_box(digits[val.indices[position]], result.heatmap.shape[0])
        hits.append(gradcam.mass_inside(result.heatmap, box) > max(0.5, box.mean()))
    return float(np.mean(hits))


@pytest.mark.slow
def test_trained_heat_maps_sit_on_the_digit_and_random_ones_do_not(digits_run):
    trained = runs.load_run_model(digits_run)
    assert on_the_digit(trained, digits_run) > 0.6  # measured: about 0.9
    for seed in range(3):  # untrained networks, the trainer's initialisation, three draws
        random = build_model(runs.run_config(digits_run), seed=seed)
        assert on_the_digit(random, digits_run) < 0.45  # measured: 0.2 to 0.35


@pytest.mark.slow
def test_the_run_wrote_filters_and_predictions_each_epoch(digits_run, digits_run_epochs):
    history = results.filter_history(digits_run)
    assert history is not None
    assert history.epochs == [0.0, *map(float, range(1, digits_run_epochs + 1))]  # the initial weights, then each epoch
    assert history.weights.shape[1:] == (32, 3, 3, 3)  # the cifar preset's conv1
    assert np.abs(history.weights[-1] - history.weights[0]).max() > 1e-3  # training moved the filters
    trained = runs.load_run_model(digits_run)
    np.testing.assert_allclose(  # the last file holds the checkpoint's conv1 (float16: 3 digits)
        history.weights[-1], trained.features[0].conv.weight.detach().numpy(), atol=2e-3, rtol=2e-3
    )

    predictions = results.latest_predictions(digits_run)
    assert predictions is not None and predictions.epoch == digits_run_epochs
    val = results.validation_set(digits_run)
    assert len(predictions.label) == len(val)
    assert [int(val[i][1]) for i in range(0, len(val), 37)] == list(predictions.label[::37])  # true classes
    again = results.predict(trained, val, batch_size=128, device=torch.device("cpu"))
    agree = (again["predicted"] == predictions.predicted).mean()  # bf16 training vs fp32 here: ties may flip
    assert agree > 0.97

    matrix = results.confusion_matrix(predictions, 10)
    assert matrix.sum() == len(val)
    assert np.trace(matrix) / matrix.sum() == pytest.approx(predictions.accuracy)
    accuracy = results.per_class_accuracy(matrix)
    np.testing.assert_allclose(accuracy, np.diag(matrix) / matrix.sum(axis=1))
    wrong = results.confidently_wrong(predictions, 5)
    assert len(wrong) == 5
    assert all(predictions.label[wrong] != predictions.predicted[wrong])
    confidences = predictions.confidence[wrong]
    assert list(confidences) == sorted(confidences, reverse=True)
    others = np.setdiff1d(np.flatnonzero(predictions.label != predictions.predicted), wrong)
    assert confidences.min() >= predictions.confidence[others].max()
    pictures = results.validation_pictures(val, predictions.index[wrong])
    assert pictures.shape == (5, 32, 32, 3) and pictures.dtype == np.uint8


def test_filters_animation_has_a_frame_per_epoch_and_one_picture_before_the_first():
    from alexnet.plots.results import filters_animation

    weights = np.random.default_rng(0).normal(size=(3, 8, 3, 5, 5)).astype(np.float32)  # (T, O, I, K, K)
    figure = filters_animation(weights, [0.0, 1.0, 1.5])
    assert [frame.name for frame in figure.frames] == ["0", "1", "1.50"]
    assert [step.label for step in figure.layout.sliders[0].steps] == ["0", "1", "1.50"]
    assert figure.data[0].source == figure.frames[-1].data[0].source  # it opens on the last epoch
    assert len({frame.data[0].source for frame in figure.frames}) == 3
    single = filters_animation(weights[:1], [0.0])  # a run that has saved only its initial filters
    assert not single.frames and not single.layout.sliders
    assert single.data[0].source == figure.frames[0].data[0].source
