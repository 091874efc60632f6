"""The receptive-field recurrences, one layer at a time, from r = j = 1 and start = 0 at the image:

    r_out = r_in + (K - 1) * j_in        j_out = j_in * S
    start_out = start_in + ((K - 1) / 2 - P) * j_in

where start is the centre of output cell 0 in input pixels. Cell i then sees input pixels
start + i * j - (r - 1) / 2 through start + i * j + (r - 1) / 2. An adaptive average pool whose
target does not divide its map has windows of several sizes and steps: there each cell's span is
kept, from PyTorch's own window rule.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from alexnet.network.output_size import adaptive_windows


@dataclass(frozen=True)
class Field:
    """Receptive field size r, jump j and start (centre of cell 0), all in input pixels, after some layer."""

    size: int = 1
    jump: int = 1
    start: float = 0.0  # the image itself: cell i is pixel i, centred at i
    spans: tuple[tuple[int, int], ...] | None = None  # per cell, where cells differ (adaptive pool)

    def span(self, cell: int) -> tuple[int, int]:
        """First and last input pixel of ``cell``: start + i * j -+ (r - 1) / 2 (whole numbers)."""
        if self.spans is not None:
            return self.spans[cell]
        first = round(self.start + cell * self.jump - (self.size - 1) / 2)
        return first, first + self.size - 1

    def adaptive(self, size: int, target: int) -> Field:
        """After PyTorch's adaptive average pool from ``size`` to ``target`` cells per side.

        Cell i averages the map's cells floor(i * W / t) .. ceil((i + 1) * W / t) - 1. When t divides
        W those are W / t cells, W / t apart: one more window. Otherwise windows differ in size and
        step (a map smaller than t repeats cells, a step of 0), so each cell's span is kept.
        """
        if size % target == 0:
            return self.grow(size // target, size // target, 0)
        spans = tuple((self.span(a)[0], self.span(b)[1]) for a, b in adaptive_windows(size, target))
        widest = max(last - first + 1 for first, last in spans)
        step = max(b[0] - a[0] for a, b in itertools.pairwise(spans))
        return Field(widest, step, (spans[0][0] + spans[0][1]) / 2, spans)

    def grow(self, kernel: int, stride: int, padding: int) -> Field:
        """r_out = r_in + (K - 1) * j_in, j_out = j_in * S, start_out = start_in + ((K - 1) / 2 - P) * j_in."""
        return Field(
            self.size + (kernel - 1) * self.jump,
            self.jump * stride,
            self.start + ((kernel - 1) / 2 - padding) * self.jump,
        )
