"""A configuration in a link: the preset's name plus a compact JSON of what differs from it.

``?preset=paper&changes={"blocks":[{"kernel_size":7}]}`` is the paper's network with a 7x7
conv1. ``blocks`` lists, per block, only the fields that differ from the preset's block at
that position (every field for an added block); ``hidden_sizes`` and
the top-level fields are written whole when they differ.

Query strings come from anyone, so decoding never raises: anything malformed, too long or
outside the editor's limits gives None and the app keeps its current configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.edit import check_limits

PRESET_PARAM, CHANGES_PARAM = "preset", "changes"
MAX_CHANGES_LENGTH = 4000  # characters; a full eight-block network with every field fits easily


def encode(config: AlexNetConfig, preset_name: str) -> dict[str, str]:
    """Query parameters that rebuild ``config`` from the preset ``preset_name``."""
    base = PRESETS[preset_name].to_dict()
    data = config.to_dict()
    changes: dict[str, Any] = {key: value for key, value in data.items() if key != "blocks" and value != base[key]}
    if data["blocks"] != base["blocks"]:
        changes["blocks"] = [
            {key: value for key, value in block.items() if i >= len(base["blocks"]) or value != base["blocks"][i][key]}
            for i, block in enumerate(data["blocks"])
        ]
    params = {PRESET_PARAM: preset_name}
    if changes:
        params[CHANGES_PARAM] = json.dumps(changes, separators=(",", ":"))
    return params


def decode(params: Mapping[str, Any]) -> tuple[str, AlexNetConfig] | None:
    """The preset name and configuration a link describes, or None if it describes none safely."""
    try:
        name = params.get(PRESET_PARAM)
        if not isinstance(name, str) or name not in PRESETS:
            return None
        config = PRESETS[name]
        text = params.get(CHANGES_PARAM)
        if text:
            if not isinstance(text, str) or len(text) > MAX_CHANGES_LENGTH:
                return None
            config = AlexNetConfig.from_dict(_apply(config.to_dict(), json.loads(text)))
        check_limits(config)
        return name, config
    except (ValueError, RecursionError):  # AlexNetError, bad JSON, a stale or hostile link: ignored
        return None


def _apply(base: dict[str, Any], changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise ValueError("changes must be a JSON object")
    data = {**base, **{key: value for key, value in changes.items() if key != "blocks"}}
    if "blocks" in changes:
        blocks = changes["blocks"]
        if not isinstance(blocks, list):
            raise ValueError("blocks must be a list")
        base_blocks = base["blocks"]
        data["blocks"] = [
            {**(base_blocks[i] if i < len(base_blocks) else {}), **block} if isinstance(block, dict) else block
            for i, block in enumerate(blocks)
        ]
    return data
