"""What a training run is told besides the network: ``TrainSettings`` and the per-optimizer defaults.

Light on imports (no torch) so that pages and the run launcher can read the defaults cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig, checked_fields
from alexnet.network.shapes import analyze
from alexnet.training.data import DATASETS, FLIPPABLE, SUBSETTABLE

# Per optimizer: the settings a run starts from unless told otherwise. AdamW learned on every
# network measured, SGD with momentum only from Kaiming's initialisation; the measurements behind
# these values and the batch size are in docs/training.md ("Where the optimizer defaults came from").
OPTIMIZERS: dict[str, dict[str, float]] = {
    "adamw": {"lr": 3e-4, "momentum": 0.0, "weight_decay": 0.01},  # peak lr; small networks: see default_lr
    "sgd": {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4},  # the paper's; learns with the Kaiming init
}
# AdamW's peak lr for small networks (the cifar preset, 0.4 M parameters): 2e-3 reaches 90% on
# the digits in 3 epochs where 3e-4 reaches ~54%. The paper-size network (62 M) does not take it:
# digits, 40 steps of 32 at 227 px, loss 2.78 -> 2.28 at 2e-3 against 2.32 -> 0.42 at 3e-4.
SMALL_NETWORK_PARAMS = 10_000_000
SMALL_NETWORK_ADAMW_LR = 2e-3
INITS = ("kaiming", "torch", "paper")  # alexnet.network.model.init_weights
# auto: bf16 autocast where the device runs bf16 natively (CUDA, CPUs with AVX512-BF16 or AMX), else fp32
PRECISIONS = ("auto", "fp32", "bf16")
SCHEDULES = ("cosine", "constant", "plateau")  # plateau: alexnet.training.schedule.Plateau
DEVICES = ("auto", "cpu", "cuda")
# Named starting points for a run: each a one-line description, and the settings it changes from
# today's default (``default_settings``). The paper's are those of Krizhevsky et al. 2012, section 5.
RECIPES: dict[str, str] = {
    "default": "Today's default (AdamW, warm-up + cosine)",
    "paper": "The paper's (SGD 0.01, momentum 0.9, ÷10 on plateau, N(0, 0.01²) init, batch 128)",
}
RECIPE_CHANGES: dict[str, dict[str, Any]] = {
    "default": {},
    "paper": {
        "optimizer": "sgd",
        "lr": 0.01,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "schedule": "plateau",  # "divided by 10 when the validation error rate stopped improving"
        "warmup_steps": 0,  # the paper warms nothing up
        "init": "paper",
        "batch_size": 128,
    },
}


# Per dataset: what a run on it starts from besides the defaults below (a recipe's own values and
# the user's win over these). Fashion-MNIST's were measured against the others (docs/training.md,
# "Fashion-MNIST"): batch 64 and 8 epochs with flips reached 91.7-91.9 % in under 4 minutes on a Zen 4.
DATASET_CHANGES: dict[str, dict[str, Any]] = {
    "fashion-mnist": {"epochs": 8, "flip": True, "batch_size": 64},
}
DATASET_ADAMW_CHANGES: dict[str, dict[str, Any]] = {  # AdamW's only: SGD's decay is on another scale
    "fashion-mnist": {"weight_decay": 0.05},
}


@dataclass(frozen=True)
class TrainSettings:
    """Everything about a run except the network. Saved in config.json under "training"."""

    dataset: str = "digits"  # digits, cifar10 or folder (alexnet.training.data)
    data_dir: str | None = None  # cifar10: folder holding cifar-10-batches-py; folder: the image folder
    download: bool = False  # cifar10, fashion-mnist: fetch it if missing
    flip: bool = False  # cifar10, fashion-mnist: mirror each training image left-right with probability 1/2
    train_images: int | None = None  # cifar10, fashion-mnist: train on this many (a fixed balanced share); None: all
    epochs: int = 10  # passes over the training set
    batch_size: int = 32  # images per step (per process under torchrun); 32 reaches 90% on the digits in 3 epochs
    optimizer: str = "adamw"  # adamw or sgd
    lr: float = OPTIMIZERS["adamw"]["lr"]  # peak learning rate (see schedule)
    momentum: float = 0.0  # sgd only
    weight_decay: float = OPTIMIZERS["adamw"]["weight_decay"]
    schedule: str = "cosine"  # cosine: lr falls from its peak to 0 at the last step; constant: stays;
    # plateau: divided by 10 each time the validation error stops improving (alexnet.training.schedule)
    plateau_patience: int = 1  # plateau only: epochs without improvement before the lr is divided
    warmup_steps: int = 5  # lr rises linearly from 0 over these first steps
    precision: str = "auto"  # bf16: autocast the forward pass to bfloat16; auto: bf16 where native
    device: str = "auto"  # auto: cuda when available, else cpu
    init: str = "kaiming"  # kaiming: He et al. 2015 normal init; torch: PyTorch's default
    seed: int = 0  # weights, dropout and the order of the images
    recipe: str = "default"  # the named recipe (RECIPES) the run started from; its values may be changed
    max_steps: int | None = None  # stop early after this many steps in all (tests, quick looks)
    log_every: int = 1  # steps between metrics lines
    checkpoint_every: int = 200  # steps between checkpoints (also at every epoch end and at the end)

    @classmethod
    def for_optimizer(cls, optimizer: str, /, **changes: Any) -> TrainSettings:
        """Settings with ``optimizer``'s default lr, momentum and weight decay, then ``changes``."""
        if optimizer not in OPTIMIZERS:
            raise AlexNetError(f"There is no optimizer {optimizer!r}.", fix=f"choose one of {', '.join(OPTIMIZERS)}.")
        changes.pop("optimizer", None)
        return replace(cls(optimizer=optimizer, **OPTIMIZERS[optimizer]), **changes)

    @classmethod
    def from_dict(cls, data: Any) -> TrainSettings:
        """Settings saved as JSON (config.json's "training"), each field's type checked, then ``check``.

        Keys this version does not know are left out: a run saved by a newer version still reads.

        Raises:
            AlexNetError: a value of the wrong type, or settings that cannot work.
        """
        settings = cls(**checked_fields(cls, data, "the training settings", ignore_unknown=True))
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ``AlexNetError`` for settings that cannot work."""
        for name, value, allowed in [
            ("dataset", self.dataset, DATASETS),
            ("optimizer", self.optimizer, tuple(OPTIMIZERS)),
            ("precision", self.precision, PRECISIONS),
            ("schedule", self.schedule, SCHEDULES),
            ("device", self.device, DEVICES),
            ("init", self.init, INITS),
            ("recipe", self.recipe, tuple(RECIPES)),
        ]:
            if value not in allowed:
                raise AlexNetError(f"Unknown {name} {value!r}.", fix=f"choose one of {', '.join(allowed)}.")
        if self.epochs < 1 or self.batch_size < 1 or self.log_every < 1 or self.checkpoint_every < 1:
            raise AlexNetError("Epochs, batch size, log and checkpoint intervals must be at least 1.")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise AlexNetError(f"The learning rate must be a positive number, not {self.lr}.")
        if self.plateau_patience < 1:
            raise AlexNetError(
                f"The plateau patience must be at least 1 epoch, not {self.plateau_patience}.",
                fix="use 1 to divide the learning rate after the first epoch without improvement.",
            )
        if self.flip and self.dataset not in FLIPPABLE:
            raise AlexNetError(
                f"Flipping the training images is offered for {' and '.join(FLIPPABLE)} only, not {self.dataset}.",
                fix="turn flips off: a mirrored digit is no digit, and an image folder's classes may not survive it.",
            )
        if self.train_images is not None and (self.dataset not in SUBSETTABLE or self.train_images < 1):
            raise AlexNetError(
                f"Training on {self.train_images} of the images is offered for {' and '.join(SUBSETTABLE)} only."
                if self.dataset not in SUBSETTABLE
                else f"A run needs at least one training image, not {self.train_images}.",
                fix="train on all of the images (leave the number of training images out).",
            )
        if self.warmup_steps < 0:
            raise AlexNetError(f"Warm-up steps cannot be negative ({self.warmup_steps}).", fix="use 0 for none.")

    def lr_factor(self, step: int, total_steps: int) -> float:
        """The learning rate of step ``step`` (0-based) as a fraction of ``lr``:

        warm-up (step < W):  (step + 1) / (W + 1)
        cosine, after it:    0.5 * (1 + cos(pi * (step - W) / (total_steps - W)))
        constant, after it:  1
        plateau, after it:   1 here; the run multiplies it by 0.1^k, k the times the validation
                             error stopped improving (``alexnet.training.schedule.Plateau``)
        """
        warmup = self.warmup_steps
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if self.schedule in ("constant", "plateau") or total_steps <= warmup:
            return 1.0
        return 0.5 * (1.0 + math.cos(math.pi * min(step - warmup, total_steps - warmup) / (total_steps - warmup)))


def default_lr(optimizer: str, config: AlexNetConfig) -> float:
    """The peak learning rate a run of ``config`` starts from: ``OPTIMIZERS[optimizer]["lr"]``,
    except AdamW on a network under ``SMALL_NETWORK_PARAMS`` parameters, which gets 2e-3."""
    if optimizer == "adamw":
        report = analyze(config)
        if report.ok and report.total_params < SMALL_NETWORK_PARAMS:
            return SMALL_NETWORK_ADAMW_LR
    return OPTIMIZERS[optimizer]["lr"] if optimizer in OPTIMIZERS else OPTIMIZERS["adamw"]["lr"]


def default_settings(config: AlexNetConfig, optimizer: str = "adamw", /, **changes: Any) -> TrainSettings:
    """The settings a run of ``config`` starts from, for the command line and the Training page alike:
    ``optimizer``'s momentum and weight decay, the peak lr ``default_lr(optimizer, config)``, the
    dataclass's defaults for the rest, those of ``DATASET_CHANGES`` for the dataset in ``changes``,
    then ``changes`` (what the user gave)."""
    dataset = changes.get("dataset", TrainSettings.dataset)
    base = {"lr": default_lr(optimizer, config)} | DATASET_CHANGES.get(dataset, {})
    if optimizer == "adamw":
        base |= DATASET_ADAMW_CHANGES.get(dataset, {})
    return TrainSettings.for_optimizer(optimizer, **(base | changes))


def recipe_settings(config: AlexNetConfig, recipe: str = "default", /, **changes: Any) -> TrainSettings:
    """The settings a run of ``config`` starts from under the named ``recipe`` (``RECIPES``):
    ``default_settings`` with the recipe's values, then ``changes`` (what the user gave). Given
    another optimizer than the recipe's, the run gets that optimizer's own lr, momentum and weight
    decay (``default_settings``), and the recipe's other values (schedule, init, batch size).

    Raises:
        AlexNetError: an unknown recipe.
    """
    if recipe not in RECIPES:
        raise AlexNetError(f"There is no recipe {recipe!r}.", fix=f"choose one of {', '.join(RECIPES)}.")
    own = dict(RECIPE_CHANGES[recipe])
    optimizer = changes.pop("optimizer", own.pop("optimizer", "adamw"))
    if optimizer != RECIPE_CHANGES[recipe].get("optimizer", "adamw"):
        own = {k: v for k, v in own.items() if k not in ("lr", "momentum", "weight_decay")}
    return default_settings(config, optimizer, **(own | {"recipe": recipe} | changes))
