"""TensorBoard event files in the run folder, beside ``metrics.jsonl``: ``tensorboard --logdir runs/``.

``torch.utils.tensorboard.SummaryWriter`` writes into the run folder itself, so TensorBoard lists
each run under its run id. What it holds (tags, with the step as TensorBoard's step):

    train/loss, train/accuracy, train/lr, train/images_per_sec   every step record of metrics.jsonl
    epoch/train_loss, epoch/val_loss, epoch/val_accuracy         every epoch record
    conv1/filters                                                conv1's filters as one image per epoch
    hparams (the HPARAMS tab)                                    the run's settings and network, and
                                                                 epoch/val_accuracy as its metric

Each record is written and flushed *before* its metrics.jsonl line, so a trainer killed with
SIGKILL leaves every logged step in the event file too. ``SummaryWriter.add_hparams`` would
write a second, time-named run folder (pytorch/pytorch#32651); the hparams summaries go into
this writer's own file instead. A resumed run's writer purges the events after its checkpoint
(``purge_step``), as metrics.jsonl's readers drop the steps redone after a resume.

TensorBoard is a convenience: if it is missing or its file cannot be written, the run goes on
and says so once; metrics.jsonl stays the record the app reads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

LOG = logging.getLogger(__name__)
STEP_TAGS = ("loss", "accuracy", "lr", "images_per_sec")  # metrics.jsonl step fields -> train/<field>
EPOCH_TAGS = ("train_loss", "val_loss", "val_accuracy")  # epoch fields -> epoch/<field>
FILTERS_TAG = "conv1/filters"


class TensorBoardLog:
    """One run's event file; every method is a no-op once writing has failed (``problem`` says why)."""

    def __init__(self, run_dir: Path, *, purge_step: int | None = None) -> None:
        self.problem: str | None = None
        self._writer: Any = None
        try:
            from torch.utils.tensorboard import SummaryWriter  # imports the tensorboard package

            self._writer = SummaryWriter(log_dir=str(run_dir), purge_step=purge_step, flush_secs=3600)
        except (ImportError, OSError) as error:
            self._fail(error)

    def hparams(self, settings: dict[str, Any], network: dict[str, Any]) -> None:
        """The run's settings (and its network's main sizes) in the HPARAMS tab, in this run's own file."""
        if self._writer is None:
            return
        from torch.utils.tensorboard.summary import hparams

        shape = {
            "network/input_size": network.get("input_size"),
            "network/activation": network.get("activation"),
            "network/blocks": len(network.get("blocks", ())),
        }
        values = {key: _hparam(value) for key, value in (settings | shape).items() if value is not None}

        def write() -> None:
            # the three summaries add_hparams writes, but into this writer's file: no second run folder
            for summary in hparams(values, {"epoch/val_accuracy": 0.0}):
                self._writer.file_writer.add_summary(summary)
            self._writer.flush()

        self._guarded(write)

    def record(self, record: dict[str, Any]) -> None:
        """A metrics.jsonl record: a step's or an epoch's scalars, flushed to the file."""
        if self._writer is None or record.get("kind") not in ("step", "epoch"):
            return
        prefix, tags = ("train", STEP_TAGS) if record["kind"] == "step" else ("epoch", EPOCH_TAGS)

        def write() -> None:
            for tag in tags:
                value = record.get(tag)
                if isinstance(value, int | float):
                    self._writer.add_scalar(f"{prefix}/{tag}", value, record["step"])
            self._writer.flush()

        self._guarded(write)

    def filters(self, model: nn.Module, step: int) -> None:
        """conv1's filters as one image: a grid of out_channels tiles (16 a row), each min-max scaled
        to 0..1; in colour for 1 or 3 input channels, else the sum over them in grey."""
        if self._writer is None:
            return
        from torchvision.utils import make_grid

        conv = next(module for module in model.modules() if isinstance(module, nn.Conv2d))
        weight = conv.weight.detach().float().cpu()  # (out_channels, in_channels, K, K)
        tiles = weight if weight.shape[1] in (1, 3) else weight.sum(dim=1, keepdim=True)
        low = tiles.amin(dim=(1, 2, 3), keepdim=True)
        high = tiles.amax(dim=(1, 2, 3), keepdim=True)
        tiles = (tiles - low) / (high - low).clamp_min(torch.finfo(torch.float32).tiny)
        # each weight a square of pixels, tiles at least 24 px wide: TensorBoard shows images at their own size
        tiles = nn.functional.interpolate(tiles, scale_factor=max(1, 24 // tiles.shape[-1]), mode="nearest")
        grid = make_grid(tiles, nrow=16, padding=1, pad_value=1.0)

        def write() -> None:
            self._writer.add_image(FILTERS_TAG, grid, step)
            self._writer.flush()

        self._guarded(write)

    def close(self) -> None:
        if self._writer is not None:
            self._guarded(self._writer.close)
            self._writer = None

    def _guarded(self, action: Any) -> None:
        try:
            action()
        except (OSError, ValueError, RuntimeError) as error:  # a full disk, a removed folder: the run goes on
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        self.problem = f"TensorBoard events are not written ({type(error).__name__}: {error}); metrics.jsonl is."
        LOG.warning(self.problem)
        self._writer = None


def _hparam(value: Any) -> bool | int | float | str:
    """TensorBoard's hparams take numbers, booleans and strings; anything else is written as text."""
    return value if isinstance(value, bool | int | float | str) else str(value)
