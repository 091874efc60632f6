"""torchvision's ImageNet-trained AlexNet weights: an explicit, opt-in download.

Nothing here runs unless the user asks: the app works offline on random or locally trained
weights. The file (233 MB) is cached by torch.hub, so a machine that has it once, or a user
who copies it there, needs no network afterwards.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.error import URLError

import torch
import torchvision

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.model import AlexNet, build_model, load_weights

WEIGHTS = torchvision.models.AlexNet_Weights.IMAGENET1K_V1
CATEGORIES: tuple[str, ...] = tuple(WEIGHTS.meta["categories"])  # shipped inside torchvision: no download
PRETRAINED_CONFIG: AlexNetConfig = replace(PRESETS["torchvision"], num_classes=len(CATEGORIES))


def cached_weights_path() -> Path:
    """Where torch.hub keeps (or would keep) the downloaded file."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(WEIGHTS.url).name


def is_cached() -> bool:
    return cached_weights_path().is_file()


def load_pretrained(
    config: AlexNetConfig = PRETRAINED_CONFIG,
    *,
    download: bool = False,
    device: str | torch.device = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> AlexNet:
    """The ``torchvision`` network with ImageNet weights, in eval mode.

    Args:
        config: must have torchvision's layer sizes and 1000 classes (any input size of 63 px
            or more works, thanks to the adaptive pool).
        download: fetch the file if it is not cached yet; without it a missing file is an error.
        progress: optional callback(bytes_done, bytes_total) while downloading.

    Raises:
        AlexNetError: the configuration does not fit the weights, the file is missing and
            ``download`` is off, or the download failed (for example offline).
    """
    if not is_cached():
        if not download:
            raise AlexNetError(
                "the ImageNet weights are not on this machine yet.",
                fix=f"download them ({WEIGHTS.url}, 233 MB) or copy the file to {cached_weights_path()}.",
            )
        _download(progress)
    state_dict = torch.load(cached_weights_path(), map_location="cpu", weights_only=True)
    model = build_model(config, device="cpu")
    load_weights(model, state_dict)
    return model.to(device).eval()


def _download(progress: Callable[[int, int], None] | None) -> None:
    target = cached_weights_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    try:
        # urllib's reporthook gives (blocks done, block size, total size)
        def hook(blocks: int, size: int, total: int) -> None:
            if progress is not None:
                progress(min(blocks * size, max(total, 0)), max(total, 0))

        urllib.request.urlretrieve(WEIGHTS.url, partial, reporthook=hook)
        partial.replace(target)  # only a complete file ever gets the real name
    except (URLError, OSError, TimeoutError) as exc:
        partial.unlink(missing_ok=True)
        raise AlexNetError(
            f"the ImageNet weights could not be downloaded ({getattr(exc, 'reason', exc)}); "
            "this machine seems to be offline.",
            fix=f"copy {Path(WEIGHTS.url).name} from {WEIGHTS.url} to {target} on a machine with internet.",
        ) from None
