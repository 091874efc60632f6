"""A finished run among the published results on its test set (``alexnet.training.published``)."""

from __future__ import annotations

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.runs.catalog import RunInfo
from alexnet.training import published, run_folder
from alexnet.training.data import train_images


def run_standing(info: RunInfo) -> str | None:
    """``published.placement`` of the run's last validation accuracy, for a run that validates on a
    test set with a published table (Fashion-MNIST); ``None`` otherwise, or before its first epoch.

    The last epoch's accuracy, not the best: choosing the best epoch by the test set would be
    training on it. Never raises: a run whose files cannot be read has no standing.
    """
    if info.dataset not in published.TABLES or info.problem or not info.network:
        return None
    try:
        saved = run_folder.read_config(info.path)
        epochs = run_folder.read_metrics(info.path).epochs
        report = analyze(AlexNetConfig.from_dict(info.network))
    except AlexNetError:
        return None
    if saved is None or saved.val_set != "test" or not saved.val_images or not epochs or not report.ok:
        return None  # validated on images held out of the training set: not the table's test set
    last = epochs[-1]
    share = saved.settings.train_images
    return published.placement(
        info.dataset,
        float(last["val_accuracy"]),
        test_images=saved.val_images,
        parameters=report.total_params,
        epochs=round(float(last["epoch"]), 2),
        seconds=float(last.get("elapsed") or info.duration_s),
        train_share=(share, train_images(info.dataset) or share) if share else None,
    )


def validated_on(info: RunInfo) -> str:
    """ "test" for a run that validated on its dataset's official test set (Fashion-MNIST, CIFAR-10),
    else "validation" (images held out of the training set). Never raises: a run whose files cannot
    be read says "validation", the word every run used before the test sets came."""
    try:
        saved = run_folder.read_config(info.path)
    except AlexNetError:
        return "validation"
    return "test" if saved is not None and saved.val_set == "test" else "validation"
