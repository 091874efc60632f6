"""How fast this machine trains a network: a short timing of real training steps, and the epoch time
it implies. The Training page says how long an epoch will take from this, where a fixed formula
was off by 10x on a busy machine (an epoch promised in 4 s took 50 s).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.memory import check_memory
from alexnet.network.model import build_model
from alexnet.training.precision import resolve_device, resolve_precision, use_channels_last

STEP_BUDGET_S = 0.25  # the timed batch is sized so one step takes about this long
TIMED_STEPS = 2  # the faster of these is kept: a slower one met a busy core
VALIDATION_COST = 1 / 3  # a validation image costs a forward pass: about a third of a training step's


@dataclass(frozen=True)
class TrainingSpeed:
    """A timing of training steps of random images, split into the part that grows with the batch
    (forward and backward, per image) and the part that does not (the optimizer's step): at batch 2
    AdamW's step over the paper's 62 M weights costs as much as the images."""

    seconds_per_image: float  # forward + backward, per image
    seconds_per_step: float  # once per batch: the optimizer's step, and forward + backward's part that no image adds
    batch_size: int  # the run's images per step
    timed_batch: int  # images per timed step (at most batch_size; fewer for a large network), beside steps of 2
    precision: str  # fp32 or bf16, as the trainer's "auto" runs it here
    measured_in_s: float  # wall time the measurement took, warm-up included

    @property
    def images_per_second(self) -> float:
        """batch / (seconds_per_step + batch * seconds_per_image) at the run's batch size."""
        return self.batch_size / (self.seconds_per_step + self.batch_size * self.seconds_per_image)

    def epoch_seconds(self, train_images: int, val_images: int = 0) -> float:
        """Seconds for one epoch: ceil(train / batch) optimizer steps, train images forward and back,
        and val images forward only (about a third of the cost)."""
        steps = math.ceil(train_images / self.batch_size)
        per_image = self.seconds_per_image
        return steps * self.seconds_per_step + train_images * per_image + val_images * VALIDATION_COST * per_image


def epoch_seconds_at(images_per_second: float, train_images: int, val_images: int = 0) -> float:
    """Seconds for one epoch at a run's logged training speed: (train + val / 3) / images_per_second."""
    return (train_images + VALIDATION_COST * val_images) / images_per_second


def _fits(config: AlexNetConfig, batch: int) -> bool:
    try:
        check_memory(config, mode="training", batch=batch)
    except AlexNetError:
        return False
    return True


def measure_training_speed(
    config: AlexNetConfig, *, batch_size: int = 32, device: str = "auto", precision: str = "auto", seed: int = 0
) -> TrainingSpeed:
    """Time real training steps of ``config`` on this machine, as the trainer runs them.

    A warm-up step of 2 images sizes the timed batch so that its forward and backward take about
    ``STEP_BUDGET_S`` (at least 4 images, at most ``batch_size``); steps of that batch and of 2
    images then give forward + backward as a cost per step plus a cost per image (a line through
    the two; the fastest of ``TIMED_STEPS`` steps of each), and the optimizer's step its own cost.
    The paper's network is timed in about 3 s, the small presets at their full batch.

    Raises:
        AlexNetError: the network cannot work, or a step of 2 images would not fit the memory
            budget (nothing is allocated then).
    """
    started = time.perf_counter()
    check_memory(config, mode="training", batch=min(2, batch_size), what="Timing this network's training")
    torch_device = resolve_device(device)
    precision = resolve_precision(precision, torch_device)
    generator = torch.Generator().manual_seed(seed)
    model = build_model(config).to(torch_device)
    channels_last = use_channels_last(precision, torch_device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def sync() -> float:
        if torch_device.type == "cuda":
            torch.cuda.synchronize(torch_device)
        return time.perf_counter()

    def step(images_in_batch: int) -> tuple[float, float]:
        """(forward + backward seconds, optimizer seconds) of one step."""
        shape = (images_in_batch, config.in_channels, config.input_size, config.input_size)
        images = torch.randn(shape, generator=generator).to(torch_device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        labels = torch.randint(config.num_classes, (images_in_batch,), generator=generator).to(torch_device)
        begin = sync()
        with torch.autocast(torch_device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(images)
        F.cross_entropy(logits.float(), labels).backward()
        middle = sync()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return middle - begin, sync() - middle

    small = min(2, batch_size)
    per_image = step(small)[0] / small  # a warm-up (its first calls build oneDNN's kernels): an overestimate
    timed_batch = max(min(batch_size, 2 * small), min(batch_size, int(STEP_BUDGET_S / max(per_image, 1e-6))))
    while timed_batch > small and not _fits(config, timed_batch):
        timed_batch //= 2
    large = [step(timed_batch) for _ in range(TIMED_STEPS)]
    little = [step(small) for _ in range(TIMED_STEPS)] if timed_batch > small else []
    large_s = min(forward_backward for forward_backward, _ in large)
    optimizer_s = min(optimizer_step for _, optimizer_step in large + little)
    # forward + backward = fixed + per_image * batch, through the two batch sizes: the fully connected
    # layers read all their weights whatever the batch (the paper's 58 M), a cost per step, not per image
    per_image, fixed = large_s / timed_batch, 0.0
    if little:
        little_s = min(forward_backward for forward_backward, _ in little)
        slope = (large_s - little_s) / (timed_batch - small)
        if 0 < slope < per_image:  # else noise bent the line: keep the plain (pessimistic) per-image cost
            per_image, fixed = slope, large_s - slope * timed_batch
    return TrainingSpeed(
        seconds_per_image=per_image,
        seconds_per_step=fixed + optimizer_s,
        batch_size=batch_size,
        timed_batch=timed_batch,
        precision=precision,
        measured_in_s=time.perf_counter() - started,
    )
