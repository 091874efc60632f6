"""What changed between two configurations (usually a preset and the user's edit), and what it did.

Fields are compared one by one; layers are matched by their place (``LayerShape.place``: the
module path, ``features.0.conv``, ``classifier.1``, with a block's relu or tanh written as
``act``), which stays put when blocks are added, whereas friendly names such as ``fc6`` shift
with the number of blocks.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from alexnet.network.config import PRESET_LABELS, PRESETS, AlexNetConfig, BlockConfig, LRNConfig
from alexnet.network.shapes import ShapeReport, analyze

# Layers that change a shape; the activation (ReLU or tanh) and dropout only follow their neighbours.
_SHAPING = {"conv", "pool", "avgpool", "flatten", "linear", "norm"}


@dataclass(frozen=True)
class FieldChange:
    """One setting that differs: ``where`` reads like "block 1 kernel size"."""

    where: str
    old: Any  # None where the setting did not exist (an added block)
    new: Any


@dataclass(frozen=True)
class ShapeChange:
    """One layer whose output shape differs, or that exists on one side only (shape None)."""

    layer: str  # the new name, or the old one for a removed layer
    module: str
    old: tuple[int, ...] | None
    new: tuple[int, ...] | None


@dataclass(frozen=True)
class ConfigDiff:
    """Settings, shapes and costs before and after. Costs are None for a configuration that fails."""

    changes: tuple[FieldChange, ...]
    shapes: tuple[ShapeChange, ...]
    old_params: int | None
    new_params: int | None
    old_mult_adds: int | None
    new_mult_adds: int | None
    old_output: tuple[int, ...] | None  # the last feature map, (C, H, W), before flatten
    new_output: tuple[int, ...] | None

    @property
    def unchanged(self) -> bool:
        return not self.changes


def diff_configs(old: AlexNetConfig, new: AlexNetConfig) -> ConfigDiff:
    """Compare ``new`` with ``old`` field by field, layer by layer, and in total cost."""
    before, after = analyze(old), analyze(new)
    return ConfigDiff(
        changes=tuple(field_changes(old, new)),
        shapes=tuple(shape_changes(before, after)),
        old_params=before.total_params if before.ok else None,
        new_params=after.total_params if after.ok else None,
        old_mult_adds=before.total_mult_adds if before.ok else None,
        new_mult_adds=after.total_mult_adds if after.ok else None,
        old_output=_last_map(before),
        new_output=_last_map(after),
    )


def field_changes(old: AlexNetConfig, new: AlexNetConfig) -> list[FieldChange]:
    """Every setting that differs, in the order the editor shows them."""
    changes = [
        FieldChange(_words(name), getattr(old, name), getattr(new, name))
        for name in ("input_size", "in_channels", "num_classes")
        if getattr(old, name) != getattr(new, name)
    ]
    for index in range(max(len(old.blocks), len(new.blocks))):
        a = old.blocks[index] if index < len(old.blocks) else None
        b = new.blocks[index] if index < len(new.blocks) else None
        changes += _dataclass_changes(f"block {index + 1}", BlockConfig, a, b)
    changes += _dataclass_changes("LRN", LRNConfig, old.lrn, new.lrn)
    for index in range(max(len(old.hidden_sizes), len(new.hidden_sizes))):
        a = old.hidden_sizes[index] if index < len(old.hidden_sizes) else None
        b = new.hidden_sizes[index] if index < len(new.hidden_sizes) else None
        if a != b:
            changes.append(FieldChange(f"hidden layer {index + 1} size", a, b))
    for name in ("activation", "dropout", "adaptive_pool"):
        if getattr(old, name) != getattr(new, name):
            changes.append(FieldChange(_words(name), getattr(old, name), getattr(new, name)))
    return changes


def shape_changes(before: ShapeReport, after: ShapeReport) -> list[ShapeChange]:
    """Layers whose output shape differs, plus shaping layers added or removed, in network order."""
    old = {layer.place: layer for layer in before.layers}
    new = {layer.place: layer for layer in after.layers}
    # An ordered union of both layer lists, so a removed norm1 sits between relu1 and pool1.
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    order: list[str] = []
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        order += list(old)[i1:i2]
        order += [place for place in list(new)[j1:j2] if place not in old]
    result = []
    for place in dict.fromkeys(order):
        a, b = old.get(place), new.get(place)
        layer = b or a
        assert layer is not None
        if layer.kind not in _SHAPING:
            continue
        if a is None or b is None or a.out_shape != b.out_shape:
            result.append(ShapeChange(layer.name, layer.module, a.out_shape if a else None, b.out_shape if b else None))
    return result


_PX = re.compile(r", \d+ px")  # the input size in a preset's label: "small AlexNet, 32 px (cifar)"


def network_name(config: AlexNetConfig) -> str:
    """A network named by the preset it is: "small AlexNet, 32 px (cifar)"; "small AlexNet (cifar) at
    28 px" where only the input differs (its size, channels or classes: what a dataset sets); else
    "your network (2 changes from cifar, 28 px)", counted against the preset it differs least from."""
    data_set = dict(input_size=config.input_size, in_channels=config.in_channels, num_classes=config.num_classes)
    for name, preset in PRESETS.items():
        if config == preset:
            return PRESET_LABELS[name]
        if config == replace(preset, **data_set):
            return f"{_PX.sub('', PRESET_LABELS[name])} at {config.input_size} px"
    changes = {name: len(field_changes(preset, config)) for name, preset in PRESETS.items()}
    nearest = min(changes, key=changes.__getitem__)
    count = changes[nearest]
    return f"your network ({count} change{'s' if count != 1 else ''} from {nearest}, {config.input_size} px)"


def describe(value: Any) -> str:
    """A setting's value in words: "off" for None and False, "on" for True, "-" for missing."""
    if value is None or value is False:
        return "off"
    if value is True:
        return "on"
    return str(value)


def _dataclass_changes(where: str, cls: type, a: Any, b: Any) -> list[FieldChange]:
    if a == b:
        return []
    if a is None or b is None:
        # a whole block added or removed: one line, not ten
        return [FieldChange(where, _block_text(a), _block_text(b))]
    return [
        FieldChange(f"{where} {_words(f.name)}", getattr(a, f.name), getattr(b, f.name))
        for f in fields(cls)
        if getattr(a, f.name) != getattr(b, f.name)
    ]


def _block_text(block: BlockConfig | None) -> str | None:
    if block is None:
        return None
    text = f"{block.out_channels} ch, {block.kernel_size}x{block.kernel_size}/{block.stride}, pad {block.padding}"
    return text + (", pool" if block.pool else "") + (", norm" if block.norm else "")


def _words(name: str) -> str:
    return name.replace("_", " ")


def _last_map(report: ShapeReport) -> tuple[int, ...] | None:
    if not report.ok:
        return None
    return next((layer.in_shape for layer in report.layers if layer.kind == "flatten"), None)
