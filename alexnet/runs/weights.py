"""What a run learned: its network, the weights of its latest checkpoint (also as a safetensors
file), and its class names.

Every file is read through ``alexnet.training.run_folder.read``: a damaged one is an ``AlexNetError``
naming the run, the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import AlexNet, build_model, load_weights
from alexnet.network.safetensors_file import to_safetensors
from alexnet.network.weights_choice import RUN, WeightsChoice
from alexnet.training import run_folder
from alexnet.training.run_folder import run_path
from alexnet.training.run_folder.read import RunConfig


def _config(path: Path) -> RunConfig:
    saved = run_folder.read_config(path)
    if saved is None:
        raise AlexNetError(f"Run {path.name} has not written its configuration yet.", fix="wait a few seconds.")
    return saved


def load_run_model(run: str | Path, *, directory: str | Path | None = None, device: str = "cpu") -> AlexNet:
    """The network of ``run`` with the weights of its latest checkpoint, in eval mode.

    Raises:
        AlexNetError: no such run, no checkpoint yet, or a file of the run that cannot be read.
    """
    path = run_path(run, directory)
    if not (path / run_folder.CHECKPOINT).is_file():
        raise AlexNetError(f"Run {path.name} has no checkpoint yet.", fix="wait for its first epoch to end.")
    model = build_model(_config(path).network, device=device)
    load_weights(model, run_folder.load_checkpoint(path, map_location=device)["model"])
    return model.eval()


def run_classes(run: str | Path, directory: str | Path | None = None) -> list[str] | None:
    """The class names of the run's dataset in output order (digits "0".."9", CIFAR-10's "airplane"...),
    or ``None`` before the trainer has recorded them."""
    saved = run_folder.read_config(run_path(run, directory))
    return list(saved.classes) if saved and saved.classes else None


def checkpoint_stamp(run: str | Path, directory: str | Path | None = None) -> int:
    """When the run's checkpoint was last written (ns since the epoch; 0 if none): a cache key that
    changes whenever a still-training run saves newer weights."""
    try:
        return (run_path(run, directory) / run_folder.CHECKPOINT).stat().st_mtime_ns
    except OSError:
        return 0


def run_config(run: str | Path, directory: str | Path | None = None) -> AlexNetConfig:
    """The network a run trains (with the class count of its dataset)."""
    return _config(run_path(run, directory)).network


def run_safetensors(run: str | Path, directory: str | Path | None = None) -> bytes:
    """The run's latest weights as a safetensors file with its network, name and dataset inside
    (``alexnet.network.safetensors_file``): the Activations page's weight picker loads it back.

    Raises:
        AlexNetError: as ``load_run_model``.
    """
    path = run_path(run, directory)
    model, saved = load_run_model(path), _config(path)
    metadata = {"weights": WeightsChoice(RUN, path.name).description, "dataset": saved.settings.dataset}
    if saved.classes:
        metadata["classes"] = json.dumps(list(saved.classes))
    return to_safetensors(model, **metadata)
