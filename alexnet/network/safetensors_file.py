"""A network's weights as a ``.safetensors`` file that carries its own configuration.

safetensors (Hugging Face's format) holds named tensors and a JSON header, and no code: loading
one cannot run anything, unlike a pickled ``.pt`` (where ``torch.load(weights_only=True)`` is
the guard). The file's layout is 8 bytes (a little-endian u64: the header's length N), N bytes
of JSON (each tensor's dtype, shape and byte range, and a ``__metadata__`` of strings), then the
tensors' bytes. Its metadata here::

    alexnet_config   the network, as AlexNetConfig.to_json(): the file rebuilds its own model
    weights          what they are ("run 20261207-090202-digits's last checkpoint")
    dataset          what they were trained on, where known ("digits", "fashion-mnist")
    classes          the output classes' names in order, as a JSON list, where known

The tensors are the model's state dict under its own names (``features.0.conv.weight``...).
"""

from __future__ import annotations

import json
import struct

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import AlexNet, build_model
from alexnet.network.shapes import flatten_features

MAX_HEADER = 100_000_000  # bytes: safetensors' own limit on the JSON header
NOT_OURS = "Save the weights from the Training page (a run's Weights button) or with this app's library."


def to_safetensors(model: AlexNet, **metadata: str) -> bytes:
    """The model's weights (float32, on the CPU) and its configuration as the bytes of a file."""
    state = {name: tensor.detach().float().contiguous().cpu() for name, tensor in model.state_dict().items()}
    return save(state, metadata={"alexnet_config": model.config.to_json(), **metadata})


def file_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file's header (read without the tensors).

    Raises:
        AlexNetError: the bytes are not a safetensors file, or one without a configuration.
    """
    if len(data) < 8:
        raise AlexNetError("This is not a safetensors file: it is shorter than its 8-byte header length.", fix=NOT_OURS)
    (length,) = struct.unpack("<Q", data[:8])
    if not 2 <= length <= min(MAX_HEADER, len(data) - 8):
        raise AlexNetError(
            f"This is not a safetensors file: its header would be {length:,} bytes, in a file of {len(data):,}.",
            fix=NOT_OURS,
        )
    try:
        header = json.loads(data[8 : 8 + length])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AlexNetError("This is not a safetensors file: its header is not JSON.", fix=NOT_OURS) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("alexnet_config"), str):
        raise AlexNetError(
            "This safetensors file does not say which network its weights belong to (no alexnet_config "
            "in its metadata), so the app cannot rebuild the network.",
            fix=NOT_OURS,
        )
    return {key: value for key, value in metadata.items() if isinstance(value, str)}


def file_config(data: bytes) -> AlexNetConfig:
    """The network a safetensors file's weights belong to, from its metadata.

    Raises:
        AlexNetError: not such a file, or its configuration cannot work (said as for a JSON import).
    """
    text = file_metadata(data)["alexnet_config"]
    try:
        config = AlexNetConfig.from_json(text)
        flatten_features(config)  # every layer's shape: a network that cannot work is said here, by layer
        return config
    except AlexNetError as error:
        raise AlexNetError(f"The file's network cannot be built: {error.message}", fix=NOT_OURS) from None


def from_safetensors(data: bytes, *, device: str | torch.device = "cpu") -> AlexNet:
    """The network the file describes, with its weights, in eval mode.

    Raises:
        AlexNetError: not such a file, a damaged one, or weights that do not fit its network
            (a tensor missing, one too many, or one of another shape: each named).
    """
    config = file_config(data)
    try:
        state = load(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise AlexNetError(f"The safetensors file is damaged: {error}.", fix=NOT_OURS) from None
    model = build_model(config, device="meta")
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    found = {name: tuple(tensor.shape) for name, tensor in state.items()}
    missing, extra = sorted(expected.keys() - found.keys()), sorted(found.keys() - expected.keys())
    problems = [f"{k} is {found[k]}, not {want}" for k, want in expected.items() if found.get(k, want) != want]
    if extra:
        problems.insert(0, f"unexpected {_some(extra)}")
    if missing:
        problems.insert(0, f"missing {_some(missing)}")
    if problems:
        raise AlexNetError(f"The file's weights do not fit its own network: {'; '.join(problems)}.", fix=NOT_OURS)
    model = build_model(config, device=device)
    model.load_state_dict(state)
    return model.eval()


def _some(names: list[str], shown: int = 4) -> str:
    """Names as "a, b, c, d and 12 more": a file of another network would otherwise list every tensor."""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest} more" if rest > 0 else "")
