"""What the picked weights mean for a view of the network: the outputs' class names, the class that is
right for a dataset image, and whether conv1's filters are drawn in grey.

Plain functions of a ``WeightsChoice`` (``alexnet.network.weights_choice``) and the dataset the
weights were trained on, tested without Streamlit (tests/test_weights_choice.py).
"""

from __future__ import annotations

import numpy as np

from alexnet.inspect import images, pretrained
from alexnet.network.weights_choice import IMAGENET, WeightsChoice
from alexnet.training import fashion_mnist
from alexnet.training.run_folder.results import learned_on_grey

DIGITS = "digits"  # the dataset name of scikit-learn's digits, as runs record it


def class_names(num_classes: int, weights: WeightsChoice, dataset: str | None) -> list[str] | None:
    """Names for the ``num_classes`` outputs: ImageNet's 1,000 for its weights, "digit 0"... for a run
    on the digits, Fashion-MNIST's ten garments for a ten-class run on them; else ``images.class_names``
    (None: the outputs are plain class numbers). ``dataset`` is the one the weights were trained on."""
    if weights.kind == IMAGENET:
        return list(pretrained.CATEGORIES)
    if dataset == DIGITS:
        return [f"digit {i}" for i in range(num_classes)]
    if dataset == fashion_mnist.NAME and num_classes == len(fashion_mnist.CLASSES):
        return list(fashion_mnist.CLASSES)
    return images.class_names(num_classes)


def true_class(
    num_classes: int, weights: WeightsChoice, dataset: str | None, image_dataset: str | None, label: int
) -> int | None:
    """The output that is right for an image of ``image_dataset`` whose class is ``label``, where the
    outputs mean that dataset's ten classes: weights trained on it, or random weights of a ten-class
    network (untrained, but its outputs are still numbered as the classes). Else None."""
    if image_dataset not in (DIGITS, fashion_mnist.NAME) or num_classes != 10:
        return None
    return label if weights.random or dataset == image_dataset else None


def grey_filters(in_channels: int, weights: WeightsChoice, dataset: str | None, resized: np.ndarray) -> bool:
    """Whether conv1's filters are drawn in grey (the sum over their input channels, what a grey image meets).

    A run trained on grey images learned nothing else, so its filters are grey (``learned_on_grey``);
    so are a one-channel network's, and random filters when the image shown (``resized``, (S, S, C))
    is grey. ImageNet's filters, learned on colour, stay in colour.
    """
    if dataset is not None:
        return learned_on_grey(dataset, in_channels)
    grey_image = bool((resized == resized[..., :1]).all())  # every channel the same
    return in_channels == 1 or (weights.random and grey_image)
