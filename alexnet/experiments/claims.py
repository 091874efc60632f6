"""The paper's claims as experiments: what each one changes in a network, and what it measures.

Every claim compares two variants of the learner's own network, A (the paper's choice) and B (what
the paper compared it with), that differ in one field and nothing else (``Claim.field``):

- ``relu-vs-tanh`` (section 3.1): ``activation`` relu against tanh;
- ``lrn`` (3.3): ``norm`` of the blocks, on where the network has it (else after conv1 and conv2), against off;
- ``overlapping-pool`` (3.4): ``pool_kernel`` = stride + 1 (3x3 windows 2 apart overlap) against = stride;
- ``dropout`` (4.2): ``dropout`` 0.5 (or the network's own p, if above 0) against 0;
- ``groups`` (3.2): ``groups`` 2 in conv2, conv4 and conv5 (the paper's two GPUs) against 1.

``a-vs-b`` is no claim: the learner's network against another one, every field free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig, BlockConfig

# The paper's second, fourth and fifth convolutions were split over its two GPUs.
GROUPED_BLOCKS = (1, 3, 4)
# Where the paper normalises: after the first and second convolution's ReLU.
PAPER_LRN_BLOCKS = (0, 1)
ERROR_THRESHOLD = 0.25  # Figure 1's line: steps until the training error falls to 25 %


@dataclass(frozen=True)
class Measure:
    """One number per run that a claim is about, and what the paper says of it."""

    key: str  # steps_to_error, val_error, gap or params (alexnet.experiments.measures)
    title: str  # as a learner reads it in the table's header
    unit: str  # "steps", "%" (error rates and gaps, stored as fractions) or "" (counts)
    expect: str | None  # "lower" or "higher": how A compares with B if the claim holds; None: no claim
    form: str  # how the two means are compared: "B/A", "A/B" (ratios) or "A-B" (a difference)
    paper: str  # the paper's own figure, in that form where it has one


@dataclass(frozen=True)
class Claim:
    """A design choice of the paper, the two variants that test it, and the measures that decide it."""

    name: str  # the command line's NAME
    title: str
    section: str  # where the paper makes it
    statement: str  # what the paper claims, in its numbers
    labels: tuple[str, str]  # A (the paper's choice), B (what it was compared with)
    field: str  # the one field the variants differ in (dotted: "blocks[].norm")
    measures: tuple[Measure, ...]  # the first one decides the headline verdict
    make: Callable[[AlexNetConfig], tuple[AlexNetConfig, AlexNetConfig]]  # base network -> (A, B)


STEPS = Measure(
    "steps_to_error", "Steps to 25 % training error", "steps", "lower", "B/A", "tanh needs 6x the steps (Figure 1)"
)


def _activation(config: AlexNetConfig) -> tuple[AlexNetConfig, AlexNetConfig]:
    return replace(config, activation="relu"), replace(config, activation="tanh")


def _lrn(config: AlexNetConfig) -> tuple[AlexNetConfig, AlexNetConfig]:
    where = [i for i, block in enumerate(config.blocks) if block.norm] or [
        i for i in PAPER_LRN_BLOCKS if i < len(config.blocks)
    ]
    return _blocks(config, where, norm=True), _blocks(config, range(len(config.blocks)), norm=False)


def _pool(config: AlexNetConfig) -> tuple[AlexNetConfig, AlexNetConfig]:
    pooled = [i for i, block in enumerate(config.blocks) if block.pool]
    if not pooled:
        raise AlexNetError(
            "This network has no max-pool, so there is no pooling to overlap or not.",
            fix="switch on a pool in at least one block (the paper pools after conv1, conv2 and conv5).",
        )
    overlapping = _per_block(config, pooled, lambda b: replace(b, pool_kernel=b.pool_stride + 1))
    return overlapping, _per_block(config, pooled, lambda b: replace(b, pool_kernel=b.pool_stride))


def _dropout(config: AlexNetConfig) -> tuple[AlexNetConfig, AlexNetConfig]:
    if not config.hidden_sizes:
        raise AlexNetError(
            "This network has no hidden linear layer, and dropout acts before those.",
            fix="add a hidden layer to the classifier (the paper has two of 4096).",
        )
    return replace(config, dropout=config.dropout if config.dropout > 0 else 0.5), replace(config, dropout=0.0)


def _groups(config: AlexNetConfig) -> tuple[AlexNetConfig, AlexNetConfig]:
    where = [i for i in GROUPED_BLOCKS if i < len(config.blocks)]
    inputs = [config.in_channels] + [b.out_channels for b in config.blocks]
    odd = [i + 1 for i in where if inputs[i] % 2 or config.blocks[i].out_channels % 2]
    if not where or odd:
        raise AlexNetError(
            f"conv{', conv'.join(map(str, odd))} cannot be split in two groups: its channels in or out are odd."
            if odd
            else "This network has no second convolution to split in two groups.",
            fix="give those convolutions an even number of channels in and out (the paper: 96, 256, 384, 384, 256).",
        )
    return _blocks(config, where, groups=2), _blocks(config, where, groups=1)


def _blocks(config: AlexNetConfig, indices: Iterable[int], **changes: Any) -> AlexNetConfig:
    return _per_block(config, indices, lambda b: replace(b, **changes))


def _per_block(
    config: AlexNetConfig, indices: Iterable[int], change: Callable[[BlockConfig], BlockConfig]
) -> AlexNetConfig:
    chosen = set(indices)
    return replace(config, blocks=tuple(change(b) if i in chosen else b for i, b in enumerate(config.blocks)))


VAL_ERROR = "Validation error"
CLAIMS: dict[str, Claim] = {
    claim.name: claim
    for claim in (
        Claim(
            "relu-vs-tanh",
            "ReLU trains faster than tanh",
            "§3.1",
            "A four-layer CNN with ReLUs reached 25 % training error on CIFAR-10 six times faster than the "
            "same network with tanh.",
            ("ReLU", "tanh"),
            "activation",
            (STEPS, Measure("val_error", VAL_ERROR, "%", None, "A-B", "—")),
            _activation,
        ),
        Claim(
            "lrn",
            "Local response normalisation lowers the error",
            "§3.3",
            "Top-1 and top-5 errors fell by 1.4 and 1.2 points; on CIFAR-10 a four-layer CNN had 13 % test error "
            "without it and 11 % with it.",
            ("with LRN", "without LRN"),
            "blocks[].norm",
            (Measure("val_error", VAL_ERROR, "%", "lower", "A-B", "−2 points (CIFAR-10: 11 % against 13 %)"),),
            _lrn,
        ),
        Claim(
            "overlapping-pool",
            "Overlapping pooling lowers the error",
            "§3.4",
            "3x3 windows 2 apart, against 2x2 windows 2 apart: top-1 and top-5 errors fell by 0.4 and 0.3 points, "
            "and the network was slightly harder to overfit.",
            ("overlapping (K = S + 1)", "not overlapping (K = S)"),
            "blocks[].pool_kernel",
            (Measure("val_error", VAL_ERROR, "%", "lower", "A-B", "−0.4 points top-1 (ImageNet)"),),
            _pool,
        ),
        Claim(
            "dropout",
            "Dropout stops overfitting, at twice the steps",
            "§4.2",
            "Without dropout the network overfits substantially; with it, training takes about twice as many "
            "iterations to converge.",
            ("with dropout", "without dropout"),
            "dropout",
            (
                Measure("gap", "Validation − training error", "%", "lower", "A-B", "substantial overfitting without"),
                Measure("steps_to_error", STEPS.title, "steps", "higher", "A/B", "about 2x the iterations with"),
            ),
            _dropout,
        ),
        Claim(
            "groups",
            "Two groups (the paper's two GPUs) lower the error",
            "§3.2",
            "Top-1 and top-5 errors fell by 1.7 and 1.2 points against a network with half the kernels on one GPU "
            "(here the comparison keeps every kernel, with groups = 1).",
            ("groups = 2", "groups = 1"),
            "blocks[].groups",
            (
                Measure("val_error", VAL_ERROR, "%", "lower", "A-B", "−1.7 points top-1 (ImageNet)"),
                Measure("params", "Parameters", "", "lower", "A/B", "—"),
            ),
            _groups,
        ),
    )
}
A_VS_B = "a-vs-b"
A_VS_B_MEASURES = (
    Measure("val_error", VAL_ERROR, "%", None, "A-B", "—"),
    replace(STEPS, expect=None, paper="—"),
    Measure("params", "Parameters", "", None, "A/B", "—"),
)


def claim(name: str) -> Claim:
    """The claim called ``name`` (one of ``CLAIMS``).

    Raises:
        AlexNetError: no such claim, with the list of those that exist.
    """
    try:
        return CLAIMS[name]
    except KeyError:
        raise AlexNetError(
            f"There is no experiment called {name!r}.", fix=f"choose one of {', '.join(CLAIMS)}."
        ) from None


def a_vs_b(mine: AlexNetConfig, other: AlexNetConfig, other_label: str) -> Claim:
    """Not a claim: the learner's network (A) against ``other`` (B), every field free to differ."""
    return Claim(
        A_VS_B,
        f"My network against {other_label}",
        "",
        "No claim: which of the two learns faster and ends with the lower validation error, here.",
        ("my network", other_label),
        "*",
        A_VS_B_MEASURES,
        lambda _config: (mine, other),
    )
