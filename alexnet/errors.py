"""The one exception type a user of AlexNet Explorer can cause.

Every message is written for a learner: it names the layer, shows the formula with
its numbers, says why in plain words and proposes a concrete fix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remedy:
    """One setting changed to one value, checked to make the whole configuration work.

    ``field`` is an ``AlexNetConfig`` field (``"input_size"``) when ``block`` is None, else a
    ``BlockConfig`` field of block ``block`` (0-based), e.g. ``Remedy("a kernel of 7", "kernel_size", 7, 4)``.
    ``text`` completes "use ...".
    """

    text: str
    field: str
    value: int
    block: int | None = None


class AlexNetError(ValueError):
    """A configuration, input or file that cannot work, explained in plain words.

    Attributes:
        layer: the layer at fault (``"conv1"``, ``"pool5"``...), or ``None``.
        reason: what goes wrong, in plain words.
        formula: the formula with the user's numbers filled in, if one applies.
        fix: a concrete change that would make it work, if one is known.
        remedies: each fix as one setting and value, so a page can offer to apply it.
    """

    def __init__(
        self,
        reason: str,
        *,
        layer: str | None = None,
        formula: str | None = None,
        fix: str | None = None,
        remedies: tuple[Remedy, ...] = (),
    ) -> None:
        self.layer = layer
        self.remedies = remedies
        self.reason = reason
        self.formula = formula
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The whole explanation as one paragraph of text."""
        parts = [f"{self.layer}: {self.reason}" if self.layer else self.reason]
        if self.formula:
            parts.append(f"Formula: {self.formula}.")
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)


def first_line(exc: BaseException, *, limit: int = 200) -> str:
    """The first line of an exception's message, cut to ``limit`` characters; its type's name if empty.

    PyTorch and Pillow put a whole report in one message: a learner's message needs its first line.
    """
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else type(exc).__name__
