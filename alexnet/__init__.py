"""AlexNet Explorer's library: configuration, shape arithmetic, model, probes, data and training.

Plain, typed Python on top of PyTorch; it never imports Streamlit.
"""

from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig, BlockConfig, LRNConfig, preset

__all__ = ["PRESETS", "AlexNetConfig", "AlexNetError", "BlockConfig", "LRNConfig", "preset"]
