"""One process, or one of several started by torchrun: rank, device and DistributedDataParallel.

``torchrun --nproc_per_node=N -m alexnet train ...`` starts N copies of the trainer and sets
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in each one's environment. They join one process
group (nccl between GPUs, gloo on CPUs), DistributedDataParallel averages their gradients after
every backward pass, and each trains on its own 1/N of every epoch (``DistributedSampler``).
Without torchrun, everything here is a no-op for one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as torch_dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from alexnet.errors import AlexNetError

T = TypeVar("T")


@dataclass(frozen=True)
class Distributed:
    rank: int = 0  # this process, 0..world_size-1; rank 0 writes the run directory
    local_rank: int = 0  # this process on its machine: which GPU it uses
    world_size: int = 1  # processes in all

    @classmethod
    def from_env(cls) -> Distributed:
        """Join torchrun's process group if ``WORLD_SIZE`` > 1, else a single process."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        if world_size == 1:
            return cls()
        return cls(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")), world_size)

    def init(self, device: torch.device) -> None:
        """Start the process group: nccl when training on GPUs, gloo on CPUs."""
        if self.world_size == 1 or torch_dist.is_initialized():
            return
        if device.type == "cuda":
            if torch.cuda.device_count() <= self.local_rank:
                raise AlexNetError(
                    f"Process {self.local_rank} has no GPU of its own ({torch.cuda.device_count()} visible).",
                    fix="start at most one process per GPU (--nproc_per_node), or use --device cpu.",
                )
            torch.cuda.set_device(device)
        torch_dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model itself for one process; DistributedDataParallel around it for several."""
        if self.world_size == 1:
            return model
        device = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value`` (any picklable object), on every process."""
        if self.world_size == 1:
            return value
        box = [value]
        torch_dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.world_size > 1:
            torch_dist.barrier()

    def close(self) -> None:
        if self.world_size > 1 and torch_dist.is_initialized():
            torch_dist.destroy_process_group()
