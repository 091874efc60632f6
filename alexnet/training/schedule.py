"""The paper's learning-rate schedule: divide by 10 when the validation error stops improving.

"The heuristic which we followed was to divide the learning rate by 10 when the validation error
rate stopped improving with the current learning rate" (Krizhevsky et al. 2012, section 5).
Unlike warm-up and cosine (``TrainSettings.lr_factor``), this is not a function of the step: it
depends on the validation errors seen so far, so it is state that a run updates after each
epoch's validation, saves in its checkpoint and restores on resume.

    plateau = Plateau(patience=1)
    plateau.update(val_error)    # after each epoch's validation
    lr = peak * lr_factor(step) * plateau.factor
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# An epoch "improves" when its validation error is below the best so far by more than this
# (absolute, in [0, 1]): on the digits' 359 validation images one image is 0.0028, so one more
# right answer counts; a change in the fourth decimal of a bigger set does not.
THRESHOLD = 1e-3
DIVISOR = 10.0


@dataclass
class Plateau:
    """How often the learning rate was divided: ``factor = 0.1 ** divisions``.

    After each epoch, ``update(error)``: an error below ``best - THRESHOLD`` becomes the new best
    and clears ``bad_epochs``; otherwise ``bad_epochs`` grows, and when it reaches ``patience``
    the rate is divided by 10 (``divisions`` + 1) and ``bad_epochs`` starts again from 0.
    """

    patience: int = 1  # epochs without improvement before a division (TrainSettings.plateau_patience)
    best: float = math.inf  # the lowest validation error so far, in [0, 1]
    bad_epochs: int = 0  # epochs since the best, or since the last division
    divisions: int = 0  # times the rate was divided by 10

    @property
    def factor(self) -> float:
        """The learning rate as a fraction of its peak: 0.1^divisions."""
        return DIVISOR**-self.divisions

    def update(self, error: float) -> bool:
        """Take one epoch's validation error (1 - accuracy); returns whether the rate was divided."""
        if error < self.best - THRESHOLD:
            self.best, self.bad_epochs = error, 0
            return False
        self.bad_epochs += 1
        if self.bad_epochs < self.patience:
            return False
        self.divisions += 1
        self.bad_epochs = 0
        return True

    def state_dict(self) -> dict[str, Any]:
        """Plain numbers for the checkpoint (read back with ``torch.load(weights_only=True)``)."""
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a checkpoint's state; ``patience`` stays this run's (it may be changed on resume)."""
        self.best = float(state.get("best", math.inf))
        self.bad_epochs = int(state.get("bad_epochs", 0))
        self.divisions = int(state.get("divisions", 0))
