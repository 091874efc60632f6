"""One layer's window sliding along one spatial axis: the geometry the arithmetic figure draws.

Coordinates are input pixels along the axis. Pixels 0 .. W-1 are the image (or the incoming
feature map); -P .. -1 and W .. W+P-1 are the zeros of the padding. Output cell o is computed
from the window

    [o * S - P,  o * S - P + K - 1]

and there are out = floor((W - K + 2P) / S) + 1 of them. The last window ends at
(out - 1) * S - P + K - 1; the (W - K + 2P) mod S cells after it, up to W + P - 1, are never
covered: the floor cuts them. Those that are pixels of the map are *dropped* (lost); those in the
padding held only zeros. When the stride exceeds the window, the pixels between two windows are
*skipped*: never read either.

A real axis (227 pixels, 55 windows) does not fit on a screen at one cell per pixel row, so
the view keeps the start (the first ``HEAD_WINDOWS`` windows) and the end (the last window and
the dropped cells) at full resolution and squeezes the middle into a short stretch. ``x`` maps
an input coordinate to its place in that view (piecewise linear, increasing), so a window in
the squeezed middle is still drawn where it is, only narrower.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexnet.network.output_size import conv_output_size, coverage

HEAD_WINDOWS = 3  # windows shown at full resolution at the start of a long axis
FULL_BELOW = 64  # padded axes up to this many cells are drawn whole
GAP_WIDTH = 3.0  # display width (in cells) of a squeezed stretch
MAX_FRAMES = 128  # animation frames at most; longer outputs are sampled evenly


@dataclass(frozen=True)
class AxisGeometry:
    """A window of K cells, stride S and padding P along an axis of W cells, with its compressed view."""

    size: int  # W: input cells along the axis
    kernel: int  # K
    stride: int  # S
    padding: int  # P
    segments: tuple[tuple[int, int], ...]  # input coordinates drawn at full resolution, inclusive, in order

    @property
    def out(self) -> int:
        """out = floor((W - K + 2P) / S) + 1."""
        return conv_output_size(self.size, self.kernel, self.stride, self.padding)

    @property
    def dropped(self) -> int:
        """Pixels of the map after the last window: the floor cuts them (padding cut there is not counted)."""
        return coverage(self.size, self.kernel, self.stride, self.padding).dropped_pixels

    @property
    def cut(self) -> int:
        """(W - K + 2P) mod S: every cell after the last window, pixels and padding alike."""
        return (self.size - self.kernel + 2 * self.padding) % self.stride

    @property
    def first(self) -> int:
        """The first coordinate of the padded axis: -P."""
        return -self.padding

    @property
    def last(self) -> int:
        """The last coordinate of the padded axis: W + P - 1."""
        return self.size + self.padding - 1

    def window(self, index: int) -> tuple[int, int]:
        """First and last input coordinate of output cell ``index``'s window."""
        start = index * self.stride - self.padding
        return start, start + self.kernel - 1

    def centre(self, index: int) -> float:
        """Centre of output cell ``index``'s window, in input coordinates."""
        start, end = self.window(index)
        return (start + end) / 2

    @property
    def covered_end(self) -> int:
        """The last coordinate any window covers."""
        return self.window(self.out - 1)[1]

    @property
    def cut_cells(self) -> range:
        """Coordinates the floor cuts: after the last window, up to the end of the padding."""
        return range(self.covered_end + 1, self.last + 1)

    @property
    def dropped_cells(self) -> list[int]:
        """The cut coordinates that are pixels of the map (lost, not zeros)."""
        return [c for c in self.cut_cells if not self.is_padding(c)]

    @property
    def skipped_cells(self) -> list[int]:
        """Pixels of the map between two windows, read by none (only when the stride exceeds the window)."""
        if self.stride <= self.kernel:
            return []
        gaps = (range(self.window(o)[1] + 1, self.window(o + 1)[0]) for o in range(self.out - 1))
        return [c for gap in gaps for c in gap if not self.is_padding(c)]

    def is_padding(self, coordinate: int) -> bool:
        return coordinate < 0 or coordinate >= self.size

    @property
    def compressed(self) -> bool:
        return len(self.segments) > 1

    def shown_cells(self) -> list[int]:
        """Every coordinate drawn at full resolution, in order."""
        return [c for first, last in self.segments for c in range(first, last + 1)]

    def hidden(self) -> list[tuple[int, int]]:
        """The squeezed stretches, as inclusive coordinate ranges."""
        return [(a[1] + 1, b[0] - 1) for a, b in zip(self.segments, self.segments[1:], strict=False)]

    def x(self, coordinate: float) -> float:
        """Where ``coordinate`` (cell centres are whole numbers) sits in the view, in display cells.

        Shown cells are one display cell wide; a squeezed stretch of n cells is ``GAP_WIDTH``
        display cells wide, so its coordinates are scaled by GAP_WIDTH / n.
        """
        offset = 0.0  # display position of the current segment's first cell
        for k, (first, last) in enumerate(self.segments):
            if coordinate <= last + 0.5 or k == len(self.segments) - 1:
                return offset + coordinate - first
            following = self.segments[k + 1][0]
            end = offset + last - first + 0.5  # display edge after this segment
            hidden = following - last - 1
            if coordinate < following - 0.5:
                return end + (coordinate - last - 0.5) * GAP_WIDTH / hidden
            offset = end + GAP_WIDTH + 0.5
        raise AssertionError("unreachable: segments are never empty")

    def shown_outputs(self) -> list[int]:
        """Output cells whose whole window lies in one full-resolution segment."""
        return [
            o
            for o in range(self.out)
            if any(first <= self.window(o)[0] and self.window(o)[1] <= last for first, last in self.segments)
        ]

    def frames(self) -> list[int]:
        """Output cells the play control steps through: all of them, or ``MAX_FRAMES`` evenly spread."""
        if self.out <= MAX_FRAMES:
            return list(range(self.out))
        step = (self.out - 1) / (MAX_FRAMES - 1)
        return sorted({round(i * step) for i in range(MAX_FRAMES)})


def axis_geometry(size: int, kernel: int, stride: int, padding: int) -> AxisGeometry:
    """The geometry of one layer along one axis, compressed when the padded axis is long.

    Raises:
        ValueError: the window does not fit (out < 1) or a value is out of range; a page
            only asks for layers ``alexnet.network.shapes.analyze`` computed, so this is a bug.
    """
    if size < 1 or kernel < 1 or stride < 1 or padding < 0:
        raise ValueError(f"no window geometry for W={size}, K={kernel}, S={stride}, P={padding}")
    whole = AxisGeometry(size, kernel, stride, padding, ((-padding, size + padding - 1),))
    if whole.out < 1:
        raise ValueError(f"a {kernel}-cell window does not fit {size} cells with padding {padding}")
    if size + 2 * padding <= FULL_BELOW:
        return whole
    head_end = whole.window(min(whole.out, HEAD_WINDOWS) - 1)[1]
    tail_start = whole.window(whole.out - 1)[0]
    if tail_start - head_end - 1 <= 2 * GAP_WIDTH:  # hiding so little would not help
        return whole
    segments = ((-padding, head_end), (tail_start, size + padding - 1))
    return AxisGeometry(size, kernel, stride, padding, segments)
