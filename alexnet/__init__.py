"""AlexNet Explorer's library: the network, what it does to an image, training it, and its runs.

Plain, typed Python on top of PyTorch; it never imports Streamlit. The subpackages, lowest first
(each imports only those before it):

- ``alexnet.network``: what the network is (config, model, shapes, receptive fields...).
- ``alexnet.plots``: plotly figure builders.
- ``alexnet.inspect``: what a network does to one image (probe, summary, Grad-CAM, images).
- ``alexnet.training``: the loop and the run around it.
- ``alexnet.runs``: the runs folder and the trainer's process.
- ``alexnet.bench``, ``alexnet.cli``: ``python -m alexnet bench`` and the command line.

The names most examples need are offered here::

    from alexnet import PRESETS, AlexNetConfig, analyze, build_model

``build_model`` imports PyTorch, so it is loaded on first use: ``import alexnet`` stays light
enough for the app's first page.
"""

from __future__ import annotations

from typing import Any

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig, BlockConfig, LRNConfig, preset
from alexnet.network.shapes import analyze

__all__ = ["PRESETS", "AlexNetConfig", "AlexNetError", "BlockConfig", "LRNConfig", "analyze", "build_model", "preset"]


def __getattr__(name: str) -> Any:
    if name == "build_model":  # torch: only when asked for
        from alexnet.network.model import build_model

        return build_model
    raise AttributeError(f"module 'alexnet' has no attribute {name!r}")
