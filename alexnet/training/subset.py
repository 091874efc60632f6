"""A fixed, class-balanced share of a dataset's training images, for experiments that must be short.

An experiment trains twelve runs or more. On Fashion-MNIST's 60,000 training images each epoch of
the small network takes about 35 s on two cores; on 10,000 of them, 6 s. The share is drawn once
by its own generator (seed ``SUBSET_SEED``), whatever the run's seed, so every variant and seed
of an experiment trains on the same images and differs only in what the experiment changes.

With K classes and n images, class c gives ``n // K`` images, one more for the first ``n % K``
classes: a share of a balanced set is balanced too. The validation set is never cut: a verdict is
decided on all of it.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from alexnet.errors import AlexNetError
from alexnet.training.data import SUBSETTABLE, DataSplit, ImageTensors

SUBSET_SEED = 0  # the same share in every run
# what the Experiments page offers (images); None: the whole training set
TRAIN_IMAGE_CHOICES = (None, 20_000, 10_000, 5_000, 2_000)


def balanced_indices(labels: torch.Tensor, n: int, num_classes: int, seed: int = SUBSET_SEED) -> torch.Tensor:
    """``n`` indices into ``labels`` (sorted), ``n // K`` or one more of each class, drawn at random
    with ``seed``. Where a class has too few images, all of it is taken (and fewer than ``n`` come back)."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))  # (N,)
    shuffled = labels[order]
    base, extra = divmod(n, num_classes)
    picks = [order[shuffled == c][: base + (c < extra)] for c in range(num_classes)]
    return torch.sort(torch.cat(picks)).values


def subset(split: DataSplit, n: int) -> DataSplit:
    """``split`` with ``n`` of its training images (``balanced_indices``); the validation set whole.

    Raises:
        AlexNetError: a dataset that offers no share, or ``n`` fewer than its classes or more than it has.
    """
    train = split.train
    if split.name not in SUBSETTABLE or not isinstance(train, ImageTensors):
        raise AlexNetError(
            f"Training on a share of the images is offered for {' and '.join(SUBSETTABLE)} only, not {split.name}.",
            fix="train on all of its images.",
        )
    if not split.num_classes <= n <= len(train):
        raise AlexNetError(
            f"{split.name} cannot train on {n:,} images: it has {len(train):,} training images "
            f"and {split.num_classes} classes.",
            fix=f"choose between {split.num_classes} (one of each class) and {len(train):,} (all of them).",
        )
    if n == len(train):
        return split
    index = balanced_indices(train.labels, n, split.num_classes)
    share = ImageTensors(
        train.images[index], train.labels[index], size=train.size, channels=train.channels, flip=train.flip
    )
    return replace(split, train=share, train_of=len(train))
