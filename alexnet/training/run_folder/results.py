"""What a run learned, epoch by epoch: validation predictions and conv1's filters, written and read.

The trainer writes two small files per epoch into the run directory (``record_results``, a
``RunHook`` in ``alexnet.training.run.RUN_HOOKS``), so the Training page only reads files::

    runs/<run_id>/results/
        filters-000000.npz       conv1's weights before the first step ("weight", float16), then
        filters-000023.npz       after every epoch (the number is the step), and when a run stops
        predictions-000023.npz   every validation image at that step: "index" (its position in the
                                 validation set), "label" (true class), "predicted" (the top class)
                                 and "confidence" (softmax probability of the top class)

Every file also holds "step" and "epoch" (epochs done, fractional when a run stopped mid-epoch).
Sizes: the cifar preset's conv1 (32 x 3 x 3 x 3) is 2 kB in float16, the paper's (96 x 3 x 11 x 11)
70 kB; the predictions of the 359 validation digits take 4 kB. float16 keeps three significant
digits, far more than an 8-bit picture of a filter shows.

Reading goes through ``alexnet.training.run_folder.read`` (plain NumPy, ``allow_pickle=False``: a file
cannot run code; each file's step and epoch checked), and the summaries
(confusion matrix, per-class accuracy, most confidently wrong images) are pure functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import Dataset

from alexnet.errors import AlexNetError
from alexnet.training.run_folder.read import load_results_file, read_config

if TYPE_CHECKING:
    from alexnet.training.context import RunContext
    from alexnet.training.loop import Trainer

FOLDER = "results"
FILTERS = "filters"
PREDICTIONS = "predictions"
PREDICTION_ARRAYS = ("index", "label", "predicted", "confidence")
GREY_DATASETS = frozenset({"digits", "fashion-mnist"})  # grey images, copied into each channel of a 3-channel network


@dataclass(frozen=True)
class Predictions:
    """The network's answer for every validation image at one step (arrays of equal length N)."""

    step: int
    epoch: float
    index: np.ndarray  # (N,) int: position in the validation set
    label: np.ndarray  # (N,) int: the true class
    predicted: np.ndarray  # (N,) int: the class scored highest
    confidence: np.ndarray  # (N,) float in [0, 1]: softmax probability of the predicted class

    @property
    def accuracy(self) -> float:
        return float((self.label == self.predicted).mean()) if len(self.label) else 0.0


@dataclass(frozen=True)
class FilterHistory:
    """conv1's weights at each saved step, oldest first."""

    steps: list[int]
    epochs: list[float]
    weights: np.ndarray  # (T, out_channels, in_channels, K, K) float32


# ---------------------------------------------------------------- writing (inside the trainer)


def record_results(ctx: RunContext) -> None:
    """``RunHook``: save conv1's weights before training and, after every epoch (and at the end of a
    run that stops mid-epoch), conv1's weights and the validation predictions."""
    if not ctx.is_writer:
        return
    folder = ctx.run_dir / FOLDER
    folder.mkdir(exist_ok=True)
    conv1 = ctx.model.features[0].conv  # the bare model: no DistributedDataParallel prefix

    def save(trainer: Trainer, *, predictions: bool) -> None:
        extra = {"step": np.int64(trainer.step), "epoch": np.float64(trainer.epoch)}
        weight = conv1.weight.detach().to("cpu", torch.float16).numpy()  # (O, I, K, K)
        _save(folder / f"{FILTERS}-{trainer.step:06d}.npz", weight=weight, **extra)
        if predictions:
            arrays = ctx.validation(trainer).arrays()  # the pass the epoch record was computed from
            _save(folder / f"{PREDICTIONS}-{trainer.step:06d}.npz", **arrays, **extra)

    def at_start(trainer: Trainer) -> None:
        if trainer.step == 0:  # the initial filters; a resumed run has them already
            save(trainer, predictions=False)

    def at_end(trainer: Trainer) -> None:
        if trainer.step % trainer.steps_per_epoch:  # stopped mid-epoch: the weights the checkpoint holds
            save(trainer, predictions=True)

    ctx.trainer.add_callback("on_train_start", at_start)
    ctx.trainer.add_callback("on_epoch_end", lambda trainer: save(trainer, predictions=True))
    ctx.trainer.add_callback("on_train_end", at_end)


def predict(
    model: torch.nn.Module, dataset: Dataset, *, batch_size: int, device: torch.device
) -> dict[str, np.ndarray]:
    """Top class and its softmax probability for every image of ``dataset``, in order (eval mode, restored after)."""
    from alexnet.training.loop import evaluate

    return evaluate(model, dataset, batch_size=batch_size, device=device).arrays()


def _save(path: Path, **arrays: np.ndarray) -> None:
    """``np.savez`` to a temporary file, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


# ---------------------------------------------------------------- reading (the Training page, tests)


def _files(run_dir: Path, kind: str) -> list[Path]:
    """The run's ``kind`` files, oldest first; none before its first epoch.

    Raises:
        AlexNetError: something other than a folder stands where results/ belongs.
    """
    folder = Path(run_dir) / FOLDER
    if folder.is_dir() or not folder.exists():
        return sorted(folder.glob(f"{kind}-*.npz"))
    raise AlexNetError(
        f"Run {Path(run_dir).name}: its {FOLDER} is not a folder, so what it learned cannot be shown.",
        fix=f"remove {folder}: the run's next epoch writes it anew.",
    )


def saved_count(run_dir: Path) -> int:
    """How many results files the run has written so far (a glob, nothing read): changes at every epoch.
    Never raises: a results/ that is not a folder counts 0 here, and the readers below explain it."""
    folder = Path(run_dir) / FOLDER
    return len(list(folder.glob(f"{PREDICTIONS}-*.npz"))) + len(list(folder.glob(f"{FILTERS}-*.npz")))


def latest_predictions(run_dir: Path) -> Predictions | None:
    """The validation predictions of the run's latest saved step, or ``None`` before its first epoch ends."""
    files = _files(run_dir, PREDICTIONS)
    if not files:
        return None
    data = load_results_file(files[-1], {key: 1 for key in PREDICTION_ARRAYS})
    return Predictions(
        step=int(data["step"]),
        epoch=float(data["epoch"]),
        index=data["index"].astype(np.int64),
        label=data["label"].astype(np.int64),
        predicted=data["predicted"].astype(np.int64),
        confidence=data["confidence"].astype(np.float64),
    )


def filter_history(run_dir: Path) -> FilterHistory | None:
    """conv1's weights at every saved step, or ``None`` if the run has saved none."""
    files = _files(run_dir, FILTERS)
    if not files:
        return None
    loaded = [load_results_file(path, {"weight": 4}) for path in files]
    shapes = {item["weight"].shape for item in loaded}
    if len(shapes) > 1:
        raise AlexNetError(f"The conv1 files of run {Path(run_dir).name} hold filters of different shapes {shapes}.")
    return FilterHistory(
        steps=[int(item["step"]) for item in loaded],
        epochs=[float(item["epoch"]) for item in loaded],
        weights=np.stack([item["weight"].astype(np.float32) for item in loaded]),
    )


def confusion_matrix(predictions: Predictions, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (predictions.label, predictions.predicted), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Per true class, the share predicted right: diagonal / row total (NaN for a class with no images)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def learned_on_grey(dataset: str, in_channels: int) -> bool:
    """Whether a network saw only grey images: one input channel, or a grey dataset copied into three.

    Such a network's conv1 filters only ever meet x_R = x_G = x_B, so only the sum over each filter's
    input channels mattered in training; the split between R, G and B is its random start, not learned.
    """
    return in_channels == 1 or dataset in GREY_DATASETS


def filter_change(weights: np.ndarray, *, grey: bool = False) -> float:
    """How far conv1's filters (T, O, I, K, K) moved from the first saved epoch to the last, relative to their start.

    change = ||W_last - W_first|| / ||W_first|| (Frobenius norms over all filters), of the sum over the input
    channels when ``grey`` (what grey images meet, and what the page draws); 0 for a single epoch.
    """
    drawn = weights.astype(np.float64)
    drawn = drawn.sum(axis=2) if grey else drawn  # (T, O, K, K) or (T, O, I, K, K)
    start = float(np.linalg.norm(drawn[0]))
    return float(np.linalg.norm(drawn[-1] - drawn[0])) / start if start > 0 else 0.0


def confidently_wrong(predictions: Predictions, count: int) -> np.ndarray:
    """Positions (into the arrays of ``predictions``) of up to ``count`` wrong answers, most confident first."""
    wrong = np.flatnonzero(predictions.label != predictions.predicted)
    order = np.argsort(-predictions.confidence[wrong], kind="stable")
    return wrong[order[:count]]


def validation_pictures(dataset: Dataset, indices: np.ndarray) -> np.ndarray:
    """Validation images at ``indices`` as (N, S, S, 3) uint8 for display: the network's input with
    its normalisation undone, x = x' * std + mean (one-channel images repeated on three)."""
    from alexnet.inspect.images import normalization

    pictures = []
    for index in indices:
        image, _ = dataset[int(index)]  # (C, S, S), normalised
        mean, std = normalization(image.shape[0])
        pixels = image * torch.tensor(std).view(-1, 1, 1) + torch.tensor(mean).view(-1, 1, 1)
        rgb = pixels.expand(3, -1, -1) if pixels.shape[0] == 1 else pixels
        pictures.append(rgb.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy())
    if not pictures:
        return np.zeros((0, 1, 1, 3), np.uint8)
    return np.stack(pictures)


def validation_set(run_dir: Path) -> Dataset:
    """The run's validation images, loaded the way the trainer loaded them (same split, size and channels).

    Raises:
        AlexNetError: the run has no configuration yet, or its data is no longer where it was.
    """
    from alexnet.training.data import load_dataset

    saved = read_config(Path(run_dir))
    if saved is None:
        raise AlexNetError(f"Run {Path(run_dir).name} has not written its configuration yet.")
    return load_dataset(
        saved.settings.dataset,
        input_size=saved.network.input_size,
        channels=saved.network.in_channels,
        data_dir=saved.settings.data_dir,
    ).val
