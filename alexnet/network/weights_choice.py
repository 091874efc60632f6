"""Which weights a view of the network shows, as one string, and the rules that follow from it.

The Activations page, its ONNX button and its links name weights as ``"<kind>:<value>"``:

    random:<seed>     a fresh initialisation of the sidebar's network (``build_model(seed=)``)
    imagenet          torchvision's ImageNet weights for the paper's network (never downloaded here)
    run:<run id>      a run's latest checkpoint
    file:<upload id>  an uploaded safetensors file, found by the id Streamlit gave the upload

A string so that Streamlit's caches and a page's widgets can hold it as it is; plain Python, so a
page can name the kinds before its first paint without importing PyTorch. What follows from a
choice (the outputs' class names, the right answer, grey filters) is ``alexnet.runs.weights_meaning``.
"""

from __future__ import annotations

from dataclasses import dataclass

from alexnet.errors import AlexNetError

RANDOM, IMAGENET, RUN, FILE = "random", "imagenet", "run", "file"
KINDS = (RANDOM, IMAGENET, RUN, FILE)


@dataclass(frozen=True)
class WeightsChoice:
    """One parsed weights string: its ``kind`` (one of ``KINDS``) and its ``value`` (a seed, a run id,
    an upload id; "" for ImageNet)."""

    kind: str
    value: str

    @classmethod
    def parse(cls, weights: str) -> WeightsChoice:
        """Raises ``AlexNetError`` for a string that names no kind, or a random seed that is no number."""
        kind, _, value = weights.partition(":")
        if kind not in KINDS or (kind == RANDOM and not value.isdigit()) or (kind in (RUN, FILE) and not value):
            raise AlexNetError(f"Unknown weights {weights!r}.", fix="choose weights from the list.")
        return cls(kind, value)

    @property
    def random(self) -> bool:
        return self.kind == RANDOM

    @property
    def description(self) -> str:
        """What the weights are, in words: an exported file's "weights" metadata (ONNX, safetensors)."""
        return {
            RANDOM: f"random weights, seed {self.value}",
            IMAGENET: "torchvision's ImageNet weights",
            RUN: f"run {self.value}'s last checkpoint",
            FILE: "the weights of an uploaded safetensors file",
        }[self.kind]
