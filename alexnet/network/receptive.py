"""Where in the input image one feature-map cell looks: its receptive field as a rectangle.

With the start (centre of cell 0), jump j and size r from ``alexnet.network.shapes`` (standard
recurrences), cell i of a layer sees the input pixels

    lo = start + i * j - (r - 1) / 2,   hi = lo + r - 1

along each axis. ``lo`` is always a whole number: start - (r - 1) / 2 is minus the sum of each
layer's padding times its input jump. Coordinates outside 0 .. W-1 are the image's padding.

That rectangle ignores the padding of the layers in between: a window of conv2 that hangs over
the edge of conv1's map sees conv2's zeros there, not conv1's cells and not the pixels behind
them. The pixels a cell truly depends on are found by walking back one layer at a time and
cutting each range to the map it reads:

    cells a .. b of a layer with window K, stride S, padding P on a map of W cells read
    max(a * S - P, 0) .. min(b * S - P + K - 1, W - 1)

(adaptive average pooling to t cells reads floor(a * W / t) .. ceil((b + 1) * W / t) - 1).
That is the ``clipped`` rectangle; a cell whose window holds only padding reads nothing
(``empty``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alexnet.network.config import AlexNetConfig
from alexnet.network.output_size import adaptive_windows
from alexnet.network.shapes import LayerShape, analyze, layer_window
from alexnet.units import range_text

Span = tuple[int, int]  # first and last coordinate, inclusive; first > last means nothing
WINDOW_KINDS = ("conv", "pool", "avgpool")  # the layers that change the geometry


@dataclass(frozen=True)
class ReceptiveRect:
    """A cell's receptive field in input pixels, inclusive: the analytic one and the pixels it truly reads."""

    rows: Span  # first and last input row by the recurrences, unclipped (may lie in the padding)
    cols: Span
    clipped_rows: Span  # the rows it reads once every layer's padding is cut off; within 0 .. W-1
    clipped_cols: Span

    @property
    def empty(self) -> bool:
        """True when the cell reads no pixel at all (its window holds only padding)."""
        return self.clipped_rows[0] > self.clipped_rows[1] or self.clipped_cols[0] > self.clipped_cols[1]

    @property
    def clipped(self) -> bool:
        """True when part of the field lies in some layer's padding."""
        return (self.rows, self.cols) != (self.clipped_rows, self.clipped_cols)


def uneven_pool_note(layers: Sequence[LayerShape]) -> str | None:
    """One plain sentence on why an adaptive pool's receptive field is a range, or None if it is not."""
    pool = next((layer for layer in layers if layer.kind == "avgpool" and layer.cell_spans is not None), None)
    if pool is None or pool.receptive_range is None or pool.jump_range is None:
        return None
    size, target = pool.in_shape[1], pool.out_shape[1]
    return (
        f"{pool.name} averages a {size}×{size} map into {target}×{target} cells; {target} does not divide {size}, "
        f"so PyTorch's windows (map cells floor(i·{size}/{target}) to ceil((i+1)·{size}/{target}) − 1) differ in "
        f"size and step: its cells see {range_text(*pool.receptive_range)} px, "
        f"{range_text(*pool.jump_range)} px apart."
    )


def comb_layers(config: AlexNetConfig, layer: LayerShape) -> list[str]:
    """The layers up to ``layer`` whose stride exceeds their window: each leaves pixels between its
    windows unread, so the field is a comb and its rectangle only bounds the pixels read."""
    layers = analyze(config).layers
    position = next(i for i, row in enumerate(layers) if row.module == layer.module)
    return [row.name for row in layers[: position + 1] if row.skipped_pixels]


def receptive_span(layer: LayerShape, index: int) -> Span:
    """First and last input pixel (unclipped) that cell ``index`` of ``layer`` sees along one axis.

    Raises:
        ValueError: the layer has no spatial receptive field (a linear layer, dropout).
    """
    if layer.rf_start is None or layer.receptive_field is None or layer.jump is None:
        raise ValueError(f"{layer.name} has no spatial receptive field")
    if layer.cell_spans is not None:  # an adaptive pool whose windows differ: each cell's own span
        return layer.cell_spans[index]
    lo = round(layer.rf_start + index * layer.jump - (layer.receptive_field - 1) / 2)
    return lo, lo + layer.receptive_field - 1


def _read_span(config: AlexNetConfig, layer: LayerShape, span: Span) -> Span:
    """The cells of ``layer``'s input map that its output cells ``span`` read, cut to the map."""
    size = layer.in_shape[1]
    first, last = span
    if layer.kind == "avgpool":
        windows = adaptive_windows(size, layer.out_shape[1])
        lo, hi = windows[first][0], windows[last][1]
    else:
        kernel, stride, padding = layer_window(config, layer)
        lo, hi = first * stride - padding, last * stride - padding + kernel - 1
    return max(lo, 0), min(hi, size - 1)


def visible_span(config: AlexNetConfig, layer: LayerShape, index: int) -> Span:
    """The input pixels cell ``index`` of ``layer`` reads along one axis, every layer's padding cut off.

    Exact for solid fields; where some stride exceeds its window the field is a comb and this
    is its bounding range (a gap at an edge may be included).
    """
    layers = analyze(config).layers
    position = next(i for i, row in enumerate(layers) if row.module == layer.module)
    span = (index, index)
    for row in reversed(layers[: position + 1]):
        if row.kind in WINDOW_KINDS:
            span = _read_span(config, row, span)
            if span[0] > span[1]:
                return span
    return span


def receptive_rect(config: AlexNetConfig, layer: LayerShape, row: int, col: int) -> ReceptiveRect:
    """Cell (row, col) of ``layer``'s output as a rectangle on ``config``'s input image.

    Raises:
        ValueError: the layer has no spatial receptive field.
    """
    rows, cols = receptive_span(layer, row), receptive_span(layer, col)
    return ReceptiveRect(rows, cols, visible_span(config, layer, row), visible_span(config, layer, col))
