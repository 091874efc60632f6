"""The weights string (alexnet.network.weights_choice) and the Activations rules that follow from it
(alexnet.runs.weights_meaning), without Streamlit: each expected value is written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from alexnet.errors import AlexNetError
from alexnet.network.weights_choice import WeightsChoice
from alexnet.runs.weights_meaning import class_names, grey_filters, true_class

RANDOM0 = WeightsChoice.parse("random:0")
IMAGENET = WeightsChoice.parse("imagenet")
RUN = WeightsChoice.parse("run:20250101-120000-digits")


@pytest.mark.parametrize(
    ("text", "kind", "value", "random", "description"),
    [
        ("random:7", "random", "7", True, "random weights, seed 7"),
        ("imagenet", "imagenet", "", False, "torchvision's ImageNet weights"),
        ("run:20250101-120000-digits", "run", "20250101-120000-digits", False,
         "run 20250101-120000-digits's last checkpoint"),
        ("file:4f2a-upload", "file", "4f2a-upload", False, "the weights of an uploaded safetensors file"),
    ],
)  # fmt: skip
def test_a_weights_string_parses_and_says_what_it_is(text, kind, value, random, description):
    choice = WeightsChoice.parse(text)
    assert (choice.kind, choice.value, choice.random, choice.description) == (kind, value, random, description)


@pytest.mark.parametrize("text", ["", "random", "random:", "random:seven", "run:", "file:", "torch:1", "imagenet2"])
def test_a_string_that_names_no_weights_is_refused_in_words(text):
    with pytest.raises(AlexNetError, match="Unknown weights"):
        WeightsChoice.parse(text)


def test_class_names_follow_the_weights_and_their_dataset():
    assert class_names(10, RUN, "digits") == [f"digit {i}" for i in range(10)]
    garments = class_names(10, RUN, "fashion-mnist")
    assert garments is not None and len(garments) == 10 and garments[0] == "T-shirt/top" and garments[9] == "Ankle boot"
    assert class_names(7, RUN, "fashion-mnist") is None  # seven outputs are not Fashion-MNIST's ten classes
    assert class_names(10, RANDOM0, None) is None  # plain class numbers
    imagenet = class_names(1000, IMAGENET, None)
    assert imagenet is not None and len(imagenet) == 1000 and imagenet[0] == "tench"


@pytest.mark.parametrize(
    ("num_classes", "weights", "dataset", "image_dataset", "expected"),
    [
        (10, RANDOM0, None, "digits", 3),  # untrained, but its ten outputs are numbered as the digits
        (10, RUN, "digits", "digits", 3),
        (10, RUN, "fashion-mnist", "fashion-mnist", 3),
        (10, RUN, "fashion-mnist", "digits", None),  # a garment network shown a digit: no right answer
        (10, RUN, "cifar10", "digits", None),
        (12, RANDOM0, None, "digits", None),  # twelve outputs are not the ten digits
        (10, RANDOM0, None, None, None),  # a photo or an upload: its class is not known
        (1000, IMAGENET, None, "digits", None),
    ],
)
def test_the_right_answer_is_known_only_where_the_outputs_are_the_images_classes(
    num_classes, weights, dataset, image_dataset, expected
):
    assert true_class(num_classes, weights, dataset, image_dataset, 3) == expected


def test_filters_are_grey_where_nothing_but_grey_was_learned_or_met():
    grey = np.repeat(np.arange(16, dtype=np.float32).reshape(4, 4, 1), 3, axis=2)  # (S, S, 3), channels equal
    colour = grey.copy()
    colour[0, 0, 1] += 1
    assert grey_filters(3, RUN, "digits", colour)  # a run on grey digits learned grey filters
    assert not grey_filters(3, RUN, "cifar10", grey)  # a colour run's filters stay in colour
    assert grey_filters(1, RANDOM0, None, colour[..., :1])  # one input channel
    assert grey_filters(3, RANDOM0, None, grey)  # random filters meet a grey image
    assert not grey_filters(3, RANDOM0, None, colour)
    assert not grey_filters(3, IMAGENET, None, grey)  # ImageNet's were learned on colour
