"""What a run's hooks see: the run's parts, built and ready, before the first step.

A ``RunHook`` is a function called once with the ``RunContext`` before training starts; it
registers the trainer callbacks it needs (``alexnet.training.run.RUN_HOOKS`` lists every run's).
Kept apart from ``alexnet.training.run`` so hooks such as ``alexnet.training.run_folder.results`` can name
the type without importing the run that calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from alexnet.network.config import AlexNetConfig
from alexnet.training.data import DataSplit
from alexnet.training.loop import Evaluation, Trainer
from alexnet.training.recorder import RunRecorder
from alexnet.training.settings import TrainSettings


@dataclass(frozen=True)
class RunContext:
    """What a ``RunHook`` may use: the run's parts, built and ready, before the first step."""

    config: AlexNetConfig  # the network as trained (num_classes matched to the data)
    settings: TrainSettings
    run_dir: Path
    model: nn.Module  # the bare model (not the DistributedDataParallel wrapper)
    optimizer: torch.optim.Optimizer
    data: DataSplit  # data.train, data.val, data.classes
    device: torch.device
    trainer: Trainer  # add callbacks here: trainer.add_callback("on_epoch_end", fn)
    recorder: RunRecorder  # recorder.write({...}) appends a metrics line (rank 0 only)
    rank: int
    world_size: int
    # the validation set at the trainer's step, one pass shared with the epoch record (rank 0)
    validation: Callable[[Trainer], Evaluation]

    @property
    def is_writer(self) -> bool:
        """Only this process (rank 0) writes files into the run directory."""
        return self.rank == 0


RunHook = Callable[[RunContext], None]
