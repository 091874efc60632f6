"""AlexNet built from an ``AlexNetConfig``.

Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NeurIPS 2012. The module layout follows ``torchvision.models.alexnet``:
``features`` (the convolutional blocks), ``avgpool``, ``flatten`` and ``classifier``, so the
``torchvision`` preset loads torchvision's state dict (and its pretrained weights) unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig, BlockConfig, LRNConfig, check_activation
from alexnet.network.lrn import LocalResponseNorm
from alexnet.network.shapes import flatten_features


def activation_layer(name: str) -> nn.Module:
    """The module for ``AlexNetConfig.activation``: ``nn.ReLU(inplace=True)`` or ``nn.Tanh()``.

    inplace saves one activation copy per layer; alexnet.inspect.probe clones what it keeps.
    Neither has parameters, so the choice changes no shape, cost or state dict.
    """
    check_activation(name)
    return nn.ReLU(inplace=True) if name == "relu" else nn.Tanh()


class AlexNetBlock(nn.Sequential):
    """Conv2d -> activation [-> LocalResponseNorm] [-> MaxPool2d], named conv, relu (or tanh), norm, pool.

    The activation's module is named after it, as its layer is in the tables (relu1 or tanh1).
    """

    def __init__(self, in_channels: int, block: BlockConfig, lrn: LRNConfig, activation: str = "relu") -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels,
            block.out_channels,
            kernel_size=block.kernel_size,
            stride=block.stride,
            padding=block.padding,
            groups=block.groups,
        )
        self.add_module(activation, activation_layer(activation))  # self.relu or self.tanh
        if block.norm:
            # same module, arguments and (empty) state as nn.LocalResponseNorm; a cheaper computation
            self.norm = LocalResponseNorm(lrn.size, alpha=lrn.alpha, beta=lrn.beta, k=lrn.k)
        if block.pool:
            self.pool = nn.MaxPool2d(block.pool_kernel, stride=block.pool_stride, padding=block.pool_padding)


class AlexNet(nn.Module):
    """The configured network: features -> avgpool -> flatten -> classifier."""

    def __init__(self, config: AlexNetConfig) -> None:
        super().__init__()
        self.config = config
        in_features = flatten_features(config)  # validates the whole configuration first

        blocks, channels = [], config.in_channels
        for block in config.blocks:
            blocks.append(AlexNetBlock(channels, block, config.lrn, config.activation))
            channels = block.out_channels
        self.features = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(config.adaptive_pool) if config.adaptive_pool else nn.Identity()
        self.flatten = nn.Flatten(1)

        # torchvision's order, which the paper's "dropout in the first two fully-connected
        # layers" also describes: (Dropout -> Linear -> activation) per hidden layer, then Linear
        layers: list[nn.Module] = []
        width = in_features
        for hidden in config.hidden_sizes:
            layers += [nn.Dropout(config.dropout), nn.Linear(width, hidden), activation_layer(config.activation)]
            width = hidden
        layers.append(nn.Linear(width, config.num_classes))
        self.classifier = nn.Sequential(*layers)

        self.register_load_state_dict_pre_hook(_accept_flat_feature_keys)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, C, H, W)
        x = self.avgpool(x)  # (B, C, 6, 6) with an adaptive pool, unchanged without
        x = self.flatten(x)  # (B, C*H*W)
        return self.classifier(x)  # (B, num_classes)

    def feature_layers(self) -> list[str]:
        """Paths of the feature extractor's leaf modules, in order (features.0.conv, ...)."""
        return [f"features.{name}" for name, module in self.features.named_modules() if not list(module.children())]


def build_model(config: AlexNetConfig, *, device: str | torch.device | None = None, seed: int | None = None) -> AlexNet:
    """Build the network; on ``device="meta"`` no memory is allocated and nothing is initialised.

    Args:
        config: the network to build; an invalid one raises ``AlexNetError``.
        device: where to create the parameters (``"meta"`` for shape-only work).
        seed: seeds the weight initialisation, so the same seed gives the same weights.
    """
    if seed is not None:
        torch.manual_seed(seed)
    with torch.device(device or "cpu"):
        return AlexNet(config)


_FLAT_KEY = re.compile(r"^features\.(\d+)\.(weight|bias)$")


def _accept_flat_feature_keys(
    module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
) -> None:
    """Rename torchvision's flat ``features.{i}`` keys to our ``features.{block}.{layer}``.

    torchvision numbers the feature layers 0..12 in one Sequential; we group them in blocks.
    Counting leaf layers in the same order maps one onto the other.
    """
    assert isinstance(module, AlexNet)
    flat_to_ours = dict(enumerate(module.feature_layers()))
    for key in [k for k in state_dict if k.startswith(prefix)]:
        match = _FLAT_KEY.match(key[len(prefix) :])
        if match and int(match.group(1)) in flat_to_ours:
            ours = f"{prefix}{flat_to_ours[int(match.group(1))]}.{match.group(2)}"
            state_dict[ours] = state_dict.pop(key)


def load_weights(model: AlexNet, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Load weights, ours or torchvision's, turning a shape mismatch into a plain message."""
    try:
        model.load_state_dict(dict(state_dict))
    except RuntimeError as exc:
        raise AlexNetError(
            "these weights do not fit this network (" + str(exc).splitlines()[-1].strip() + ").",
            fix="load them into the configuration they were trained with.",
        ) from None


def init_weights(model: nn.Module, scheme: str, *, nonlinearity: str = "relu") -> None:
    """``kaiming``: weights ~ N(0, gain^2 / fan_in), biases 0 (He et al. 2015), which keeps the
    signal's scale through the activations: gain^2 = 2 for ``nonlinearity="relu"``, (5/3)^2 for
    ``"tanh"`` (``torch.nn.init.calculate_gain``). The last layer gets N(0, 0.01^2), the paper's
    init, so the first predictions are near-uniform (loss ln 10 = 2.30 for ten classes, not a
    confident guess). ``torch`` keeps PyTorch's default, whose smaller weights leave SGD stuck near 2.30.

    ``paper``: the paper's (Krizhevsky et al. 2012, section 5): every weight ~ N(0, 0.01^2); bias 1
    in the 2nd, 4th and 5th convolutions and in the hidden fully connected layers, "to accelerate
    the early stages of learning by providing the ReLUs with positive inputs"; bias 0 in the 1st and
    3rd convolutions and in the last layer. A network of fewer than five convolutions gets 1 in
    those of the 2nd, 4th and 5th that it has."""
    if scheme == "torch":
        return
    layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    if scheme == "paper":
        convs = [m for m in layers if isinstance(m, nn.Conv2d)]
        positive: list[nn.Module] = [convs[i] for i in (1, 3, 4) if i < len(convs)]
        positive += [m for m in layers[:-1] if isinstance(m, nn.Linear)]  # the hidden ones
        for layer in layers:
            nn.init.normal_(layer.weight, std=0.01)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 1.0 if any(layer is p for p in positive) else 0.0)
        return
    for layer in layers:
        # torch's stubs want a Literal; the config's activation is one of them (network.config checks it)
        nn.init.kaiming_normal_(layer.weight, nonlinearity=nonlinearity)  # type: ignore[arg-type]
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    nn.init.normal_(layers[-1].weight, std=0.01)
