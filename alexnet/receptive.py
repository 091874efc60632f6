"""Where in the input image one feature-map cell looks: its receptive field as a rectangle.

With the start (centre of cell 0), jump j and size r from ``alexnet.shapes`` (standard
recurrences), cell i of a layer sees the input pixels

    lo = start + i * j - (r - 1) / 2,   hi = lo + r - 1

along each axis. ``lo`` is always a whole number: start - (r - 1) / 2 is minus the sum of each
layer's padding times its input jump. Pixels outside 0 .. W-1 are padding: the rectangle is
clipped to the image, and ``clipped`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexnet.shapes import LayerShape


@dataclass(frozen=True)
class ReceptiveRect:
    """A cell's receptive field in input pixels, inclusive, before and after clipping to the image."""

    rows: tuple[int, int]  # first and last input row, unclipped (may lie in the padding)
    cols: tuple[int, int]
    clipped_rows: tuple[int, int]  # the same, clipped to 0 .. W-1
    clipped_cols: tuple[int, int]

    @property
    def clipped(self) -> bool:
        """True when part of the field lies in the padding."""
        return (self.rows, self.cols) != (self.clipped_rows, self.clipped_cols)


def receptive_span(layer: LayerShape, index: int) -> tuple[int, int]:
    """First and last input pixel (unclipped) that cell ``index`` of ``layer`` sees along one axis.

    Raises:
        ValueError: the layer has no spatial receptive field (a linear layer, dropout).
    """
    if layer.rf_start is None or layer.receptive_field is None or layer.jump is None:
        raise ValueError(f"{layer.name} has no spatial receptive field")
    lo = round(layer.rf_start + index * layer.jump - (layer.receptive_field - 1) / 2)
    return lo, lo + layer.receptive_field - 1


def receptive_rect(layer: LayerShape, row: int, col: int, input_size: int) -> ReceptiveRect:
    """Cell (row, col) of ``layer``'s output, as a rectangle on the ``input_size`` x ``input_size`` image."""
    rows, cols = receptive_span(layer, row), receptive_span(layer, col)

    def clip(span: tuple[int, int]) -> tuple[int, int]:
        return max(span[0], 0), min(span[1], input_size - 1)

    return ReceptiveRect(rows, cols, clip(rows), clip(cols))
