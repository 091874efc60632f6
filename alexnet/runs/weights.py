"""What a run learned: its network, the weights of its latest checkpoint, and its class names."""

from __future__ import annotations

from pathlib import Path

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import AlexNet, build_model, load_weights
from alexnet.runs.paths import run_path
from alexnet.training import run_folder


def load_run_model(run: str | Path, *, directory: str | Path | None = None, device: str = "cpu") -> AlexNet:
    """The network of ``run`` with the weights of its latest checkpoint, in eval mode.

    Raises:
        AlexNetError: no such run, or no checkpoint yet.
    """
    path = run_path(run, directory)
    config = run_folder.read_json(path / run_folder.CONFIG)
    if config is None or not (path / run_folder.CHECKPOINT).is_file():
        raise AlexNetError(f"Run {path.name} has no checkpoint yet.", fix="wait for its first epoch to end.")
    model = build_model(AlexNetConfig.from_dict(config["network"]), device=device)
    load_weights(model, run_folder.load_checkpoint(path / run_folder.CHECKPOINT, map_location=device)["model"])
    return model.eval()


def run_classes(run: str | Path, directory: str | Path | None = None) -> list[str] | None:
    """The class names of the run's dataset in output order (digits "0".."9", CIFAR-10's "airplane"...),
    or ``None`` before the trainer has recorded them."""
    config = run_folder.read_json(run_path(run, directory) / run_folder.CONFIG) or {}
    classes = config.get("dataset", {}).get("classes")
    return list(classes) if classes else None


def checkpoint_stamp(run: str | Path, directory: str | Path | None = None) -> int:
    """When the run's checkpoint was last written (ns since the epoch; 0 if none): a cache key that
    changes whenever a still-training run saves newer weights."""
    try:
        return (run_path(run, directory) / run_folder.CHECKPOINT).stat().st_mtime_ns
    except OSError:
        return 0


def run_config(run: str | Path, directory: str | Path | None = None) -> AlexNetConfig:
    """The network a run trains (with the class count of its dataset)."""
    config = run_folder.read_json(run_path(run, directory) / run_folder.CONFIG)
    if config is None:
        raise AlexNetError(f"Run {Path(run).name} has not written its configuration yet.")
    return AlexNetConfig.from_dict(config["network"])
