"""Configuration of an AlexNet: frozen dataclasses, named presets and JSON round-trips.

The network is built from these objects alone (see ``alexnet.network.model``); every size the
classifier needs is derived from them by ``alexnet.network.shapes``, never hard-coded.
Whether a configuration can actually run is decided by ``alexnet.network.shapes.analyze``,
which walks the layers in order and explains the first one that fails.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from alexnet.errors import AlexNetError


class Window(NamedTuple):
    """A sliding window along one side: K x K pixels, S apart, over an input padded by P on each side."""

    kernel: int  # K
    stride: int  # S
    padding: int  # P


@dataclass(frozen=True)
class BlockConfig:
    """One convolutional block: Conv2d -> activation [-> LocalResponseNorm] [-> MaxPool2d]."""

    out_channels: int  # feature maps this block's convolution produces
    kernel_size: int  # K: the convolution window is K x K pixels
    stride: int = 1  # S: step of the window, in input pixels
    padding: int = 0  # P: zeros added on every side before convolving
    pool: bool = False  # overlapping max-pool after the (optional) norm
    norm: bool = False  # local response normalisation across channels (paper, section 3.3)
    pool_kernel: int = 3  # the paper's overlapping pool: 3x3 windows ...
    pool_stride: int = 2  # ... two pixels apart, so neighbouring windows overlap
    pool_padding: int = 0  # PyTorch allows at most pool_kernel // 2
    groups: int = 1  # the paper split conv2/4/5 across two GPUs: groups=2

    def window(self, kind: str) -> Window:
        """(K, S, P) of this block's ``"conv"`` or ``"pool"`` layer: the one place that picks them."""
        if kind == "conv":
            return Window(self.kernel_size, self.stride, self.padding)
        if kind == "pool":
            return Window(self.pool_kernel, self.pool_stride, self.pool_padding)
        raise ValueError(f"a block has a conv and a pool window, not {kind!r}")

    def windows(self) -> tuple[tuple[str, Window], ...]:
        """The block's windows in forward order: ("conv", ...) and, with a pool, ("pool", ...)."""
        return (("conv", self.window("conv")),) + ((("pool", self.window("pool")),) if self.pool else ())


@dataclass(frozen=True)
class LRNConfig:
    """LocalResponseNorm: b = a / (k + alpha / n * sum over n neighbouring channels of a^2) ** beta."""

    size: int = 5  # n: neighbouring channels summed over
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0


# The nonlinearity after every convolution and hidden linear layer. The paper's section 3.1
# compares the two: a four-layer CNN with ReLUs reached 25 % training error on CIFAR-10 six
# times faster than the same network with tanh (its Figure 1).
ACTIVATIONS = ("relu", "tanh")


def check_activation(name: str) -> None:
    """Refuse an activation the network cannot build, listing the ones it can.

    Raises:
        AlexNetError: ``name`` is not one of ``ACTIVATIONS``.
    """
    if name not in ACTIVATIONS:
        raise AlexNetError(
            f"There is no activation called {name!r}.",
            fix=f"use one of {', '.join(ACTIVATIONS)} (relu is the paper's choice).",
        )


@dataclass(frozen=True)
class AlexNetConfig:
    """A whole network: input, five (or any number of) blocks and the classifier."""

    input_size: int = 227  # W = H of the square input image, in pixels
    in_channels: int = 3  # 3 for RGB
    num_classes: int = 1000  # outputs of the last linear layer
    blocks: tuple[BlockConfig, ...] = ()
    lrn: LRNConfig = field(default_factory=LRNConfig)
    hidden_sizes: tuple[int, ...] = (4096, 4096)  # the classifier's hidden linear layers
    dropout: float = 0.5  # probability of zeroing a unit before each hidden linear layer
    adaptive_pool: int | None = None  # if set, AdaptiveAvgPool2d to this size before flatten
    activation: str = "relu"  # after every conv and hidden linear layer: "relu" or "tanh" (ACTIVATIONS)

    def with_block(self, index: int, **changes: Any) -> AlexNetConfig:
        """A copy with block ``index`` (0-based) changed, e.g. ``with_block(0, kernel_size=7)``."""
        blocks = list(self.blocks)
        blocks[index] = replace(blocks[index], **changes)
        return replace(self, blocks=tuple(blocks))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> AlexNetConfig:
        """Build from plain data, as loaded from JSON. Only ``blocks`` is required.

        Raises:
            AlexNetError: unknown or missing keys, or values of the wrong type.
        """
        if not isinstance(data, dict):
            raise AlexNetError("A configuration must be a JSON object ({...}).")
        values = checked_fields(cls, data, "the configuration")
        if "blocks" not in data:
            raise AlexNetError(
                'The configuration has no "blocks" list.',
                fix='add "blocks": [{"out_channels": 96, "kernel_size": 11, ...}, ...].',
            )
        blocks = data["blocks"]
        if not isinstance(blocks, (list, tuple)) or not blocks:
            raise AlexNetError('"blocks" must be a non-empty list of block objects.')
        values["blocks"] = tuple(
            BlockConfig(**checked_fields(BlockConfig, b, f"block {i + 1}")) for i, b in enumerate(blocks)
        )
        if "lrn" in data:
            values["lrn"] = LRNConfig(**checked_fields(LRNConfig, data["lrn"], '"lrn"'))
        if "hidden_sizes" in data:
            hidden = data["hidden_sizes"]
            if not isinstance(hidden, (list, tuple)) or not all(_is_int(h) for h in hidden):
                raise AlexNetError('"hidden_sizes" must be a list of whole numbers, e.g. [4096, 4096].')
            values["hidden_sizes"] = tuple(hidden)
        check_activation(values.get("activation", "relu"))  # a file saved before the choice existed: relu
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> AlexNetConfig:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AlexNetError(f"This file is not valid JSON ({exc}).") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> AlexNetConfig:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise AlexNetError(f"Cannot read the configuration file {path}: {exc.strerror}.") from None
        return cls.from_json(text)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# The JSON type each scalar field accepts; nested fields are handled by from_dict.
_NESTED = {"blocks", "lrn", "hidden_sizes"}


def checked_fields(cls: type, data: Any, where: str, *, ignore_unknown: bool = False) -> dict[str, Any]:
    """Check keys and scalar types of one JSON object against a dataclass's annotations
    (int, float, bool, str, and ``| None`` of int or str); nested fields are the caller's."""
    if not isinstance(data, dict):
        raise AlexNetError(f"{where} must be a JSON object ({{...}}).")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if ignore_unknown:
        data = {key: value for key, value in data.items() if key in known}
    elif unknown:
        raise AlexNetError(
            f"{where} has unknown key(s) {', '.join(unknown)}.",
            fix=f"use only {', '.join(known)}.",
        )
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in _NESTED:
            continue
        kind = known[name].type
        ok = (
            (kind == "int" and _is_int(value))
            or (kind == "bool" and isinstance(value, bool))
            or (kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool))
            or (kind == "int | None" and (value is None or _is_int(value)))
            or (kind == "str" and isinstance(value, str))
            or (kind == "str | None" and (value is None or isinstance(value, str)))
        )
        if not ok:
            raise AlexNetError(f"{where}: {name!r} must be of type {kind}, not {value!r}.")
        values[name] = float(value) if kind == "float" else value
    missing = [
        f.name
        for f in fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.name not in data
    ]
    if missing and cls is BlockConfig:
        raise AlexNetError(f"{where} is missing {', '.join(missing)}.")
    return values


def _block(out: int, k: int, s: int, p: int, pool_and_norm: bool, *, norm: bool | None = None) -> BlockConfig:
    return BlockConfig(
        out_channels=out,
        kernel_size=k,
        stride=s,
        padding=p,
        pool=pool_and_norm,
        norm=pool_and_norm if norm is None else norm,
    )


# The seed article's network (Krizhevsky et al. 2012, as a single-GPU model):
# 3x227x227 -> 55 -> 27 -> 27 -> 13 -> 13 -> 13 -> 13 -> 6, flattened to 256*6*6 = 9216.
_PAPER_BLOCKS = (
    _block(96, 11, 4, 0, True),
    _block(256, 5, 1, 2, True),
    _block(384, 3, 1, 1, False),
    _block(384, 3, 1, 1, False),
    _block(256, 3, 1, 1, True),
)

PRESETS: dict[str, AlexNetConfig] = {
    # the seed article: 227x227 input, LRN and overlapping pools after conv1, conv2 and conv5
    "paper": AlexNetConfig(input_size=227, num_classes=1000, blocks=_PAPER_BLOCKS),
    # the seed notebook: the paper's famous 224x224, made to work by padding conv1 by 2
    # (floor((224 - 11 + 2*2) / 4) + 1 = 55); it trains on CIFAR-10's 10 classes
    "notebook": AlexNetConfig(
        input_size=224,
        num_classes=10,
        blocks=(replace(_PAPER_BLOCKS[0], padding=2), *_PAPER_BLOCKS[1:]),
    ),
    # torchvision.models.alexnet: 64/192/384/256/256 channels, no LRN, average-pooled to 6x6
    # so any input size reaches the classifier as 256*6*6; weights load unchanged
    "torchvision": AlexNetConfig(
        input_size=224,
        num_classes=1000,
        blocks=(
            _block(64, 11, 4, 2, True, norm=False),
            _block(192, 5, 1, 2, True, norm=False),
            _block(384, 3, 1, 1, False),
            _block(256, 3, 1, 1, False),
            _block(256, 3, 1, 1, True, norm=False),
        ),
        adaptive_pool=6,
    ),
    # for 32x32 images (CIFAR-10, upscaled digits): an 11x11/4 conv1 would leave 6x6 after one
    # step, so conv1 becomes 3x3/1 and every conv keeps its map ("same" padding); the paper's
    # overlapping pools still halve 32 -> 15 -> 7 -> 3. Channels are cut about 3x and the hidden
    # layers 16x (576 -> 256 -> 256), so an epoch of the digits takes seconds on two CPU cores.
    "cifar": AlexNetConfig(
        input_size=32,
        num_classes=10,
        blocks=(
            _block(32, 3, 1, 1, True),
            _block(64, 3, 1, 1, True),
            _block(96, 3, 1, 1, False),
            _block(96, 3, 1, 1, False),
            _block(64, 3, 1, 1, True, norm=False),
        ),
        hidden_sizes=(256, 256),
    ),
}

# What each preset is, in the words a learner reads beside its name. "cifar" names the image size
# the network is made for (CIFAR-10's 32 px), not a dataset: it trains on the digits as well.
PRESET_LABELS: dict[str, str] = {
    "paper": "AlexNet, 227 px (paper)",
    "notebook": "AlexNet, 224 px (notebook)",
    "torchvision": "torchvision's AlexNet (torchvision)",
    "cifar": "small AlexNet, 32 px (cifar)",
}


def preset(name: str) -> AlexNetConfig:
    """The named preset, or a clear error listing the ones that exist."""
    try:
        return PRESETS[name]
    except KeyError:
        raise AlexNetError(f"There is no preset called {name!r}.", fix=f"choose one of {', '.join(PRESETS)}.") from None
