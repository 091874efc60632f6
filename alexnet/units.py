"""Numbers as people read them: counts, multiply-adds, bytes, durations and tensor shapes.

One convention everywhere, the same as torchinfo's and the memory budget's: decimal SI prefixes.
k = 10^3, M = 10^6, G = 10^9, T = 10^12, for counts and bytes alike (1 MB = 1,000,000 bytes).
"""

from __future__ import annotations

from collections.abc import Sequence

MISSING = "–"  # a shape or value that does not exist (a layer that did not run)


def format_count(n: float) -> str:
    """62_378_344 -> "62.4 M" (k = 10^3, M = 10^6, G = 10^9)."""
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            value = n / factor
            # three significant digits, without a misleading trailing ".0" on big numbers
            return f"{value:.3g} {unit}" if abs(value) < 100 else f"{value:.0f} {unit}"
    return f"{n:g}"


def format_mult_adds(n: float) -> str:
    """1_135_915_368 -> "1.14 GMac": multiply-accumulate operations, one image."""
    return f"{format_count(n)}Mac" if abs(n) >= 1e3 else f"{n:g} Mac"


def format_bytes(n: float) -> str:
    """255_405_964 -> "255.4 MB"; 262_447_140_768 -> "262.4 GB" (decimal: 1 MB = 10^6 bytes)."""
    for factor, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(n) >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n:g} bytes"


def format_duration(seconds: float | None) -> str:
    """``75`` -> ``"1 min 15 s"``; ``3700`` -> ``"1 h 1 min"``; ``None`` -> ``"-"``."""
    if seconds is None:
        return "-"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def shape_text(shape: Sequence[int] | None) -> str:
    """(96, 55, 55) -> "96×55×55" (channels × height × width); None or () -> "–"."""
    return "×".join(str(n) for n in shape) if shape else MISSING


def range_text(low: int, high: int) -> str:
    """(195, 227) -> "195–227"; (227, 227) -> "227": a value that differs between cells, or one value."""
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"
