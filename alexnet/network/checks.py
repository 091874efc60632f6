"""Why a configuration cannot work, in plain words: the checks ``alexnet.network.shapes.analyze`` runs.

Each check raises ``AlexNetError`` naming the layer at fault, what is wrong and a fix. A fix
for a window that no longer fits is only proposed after checking it on the whole network
(``alexnet.network.output_size.spatial_size``), so following it never just moves the error further down.
"""

from __future__ import annotations

import math
from dataclasses import replace

from alexnet.errors import AlexNetError, Remedy
from alexnet.network.config import AlexNetConfig, BlockConfig, check_activation
from alexnet.network.edit import LIMITS
from alexnet.network.output_size import conv_output_size, formula_text, smallest_working_input, spatial_size


def check_network(config: AlexNetConfig) -> None:
    """Settings of the whole network (input, classifier, LRN, activation) that no layer could work with."""
    check_activation(config.activation)
    if config.input_size < 1:
        raise AlexNetError(
            f"the input size must be at least 1 pixel, not {config.input_size}.",
            layer="input",
            fix=f"use an input size such as {config.input_size if config.input_size > 0 else 227}.",
        )
    if config.in_channels < 1:
        raise AlexNetError(
            f"an image needs at least one channel, not {config.in_channels}.",
            layer="input",
            fix="use 3 for colour images or 1 for greyscale.",
        )
    if not config.blocks:
        raise AlexNetError("the network has no convolutional blocks.", layer="features", fix="add at least one block.")
    if config.num_classes < 1:
        raise AlexNetError(
            f"the classifier needs at least one class, not {config.num_classes}.",
            layer="classifier",
            fix="use 10 for CIFAR-10 or the digits, 1000 for ImageNet.",
        )
    for i, hidden in enumerate(config.hidden_sizes):
        if hidden < 1:
            raise AlexNetError(
                f"hidden layer {i + 1} of the classifier has {hidden} units; a linear layer needs at least 1.",
                layer=f"fc{len(config.blocks) + 1 + i}",
                fix="use 4096 as in the paper, or a smaller size such as 256.",
            )
    if not 0.0 <= config.dropout <= 1.0:
        raise AlexNetError(
            f"dropout is a probability, so it must lie between 0 and 1, not {config.dropout}.",
            layer="classifier",
            fix="use 0.5 as in the paper.",
        )
    if config.adaptive_pool is not None and config.adaptive_pool < 1:
        raise AlexNetError(
            f"the adaptive pool's output size must be at least 1, not {config.adaptive_pool}.",
            layer="avgpool",
            fix="use 6 as torchvision does, or turn the adaptive pool off.",
        )
    if any(block.norm for block in config.blocks) and config.lrn.size < 1:
        raise AlexNetError(
            f"local response norm sums over at least 1 channel, not {config.lrn.size}.",
            layer="norm",
            fix="use size 5 as in the paper.",
        )


def check_block(config: AlexNetConfig, block: BlockConfig, number: int, in_channels: int) -> None:
    """One block's own values: positive sizes, groups that divide the channels, a pool padding PyTorch allows."""
    conv, pool = f"conv{number}", f"pool{number}"
    for value, what, layer, fix in (
        (block.out_channels, "output channels", conv, "use at least 1 channel"),
        (block.kernel_size, "kernel size", conv, "use a kernel of at least 1 pixel, such as 3"),
        (block.stride, "stride", conv, "use a stride of at least 1"),
        (block.groups, "groups", conv, "use 1 group (an ordinary convolution)"),
    ):
        if value < 1:
            raise AlexNetError(f"its {what} is {value}, but it must be at least 1.", layer=layer, fix=f"{fix}.")
    if block.padding < 0:
        raise AlexNetError(
            f"its padding is {block.padding}, but padding adds pixels and cannot be negative.",
            layer=conv,
            fix="use padding 0 or more.",
        )
    if in_channels % block.groups or block.out_channels % block.groups:
        common = math.gcd(in_channels, block.out_channels)
        nearest = max(block.groups, round(block.out_channels / block.groups) * block.groups)
        raise AlexNetError(
            f"with {block.groups} groups, both its {in_channels} input channels and its "
            f"{block.out_channels} output channels must divide into {block.groups} equal parts.",
            layer=conv,
            fix=(
                f"use groups = {_largest_divisor_at_most(common, block.groups)}"
                + ("" if block.out_channels % block.groups == 0 else f", or {nearest} output channels")
                + "."
            ),
        )
    if block.pool:
        for value, what in ((block.pool_kernel, "kernel"), (block.pool_stride, "stride")):
            if value < 1:
                raise AlexNetError(
                    f"its pool {what} is {value}, but it must be at least 1.",
                    layer=pool,
                    fix="use the paper's overlapping pool: kernel 3, stride 2.",
                )
        if block.pool_padding < 0 or block.pool_padding > block.pool_kernel // 2:
            raise AlexNetError(
                f"its padding is {block.pool_padding}, but a max-pool's padding must lie between 0 and "
                f"half its kernel ({block.pool_kernel} // 2 = {block.pool_kernel // 2}); otherwise some "
                "windows would hold nothing but padding.",
                layer=pool,
                fix=f"use pool padding {min(max(block.pool_padding, 0), block.pool_kernel // 2)}.",
            )


def _largest_divisor_at_most(number: int, ceiling: int) -> int:
    return max(d for d in range(1, min(number, ceiling) + 1) if number % d == 0)


def collapse_error(config: AlexNetConfig, index: int, pool: bool, size: int) -> AlexNetError:
    """Explain a window that no longer fits its padded input (W + 2P < K), with every kind of fix.

    Each fix changes one setting and is checked on the whole network (``_works``): the largest
    kernel and the smallest padding at the failing layer, the largest stride below the current one
    at the nearest earlier layer that strides, and the smallest input size. None of them just moves
    the error further down.
    """
    kind = "pool" if pool else "conv"
    layer = f"{kind}{index + 1}"
    kernel, stride, padding = config.blocks[index].window(kind)
    remedies = [
        remedy
        for remedy in (
            _largest_kernel(config, index, kind, kernel),
            _smallest_padding(config, index, kind, kernel, padding),
            _larger_stride_earlier(config, index, kind),
        )
        if remedy is not None
    ]
    smallest = smallest_working_input(config)
    fixes = [remedy.text for remedy in remedies]
    if smallest is not None:
        if smallest <= LIMITS["input_size"][1]:
            remedies.append(Remedy(f"an input of {smallest}x{smallest} pixels", "input_size", smallest))
        fixes.append(f"an input of at least {smallest}x{smallest} pixels")
    if not fixes:
        fixes.append("smaller kernels or strides in the earlier layers")
    out = conv_output_size(size, kernel, stride, padding)
    what = "max-pool" if pool else "convolution"
    padded = f" ({size + 2 * padding}x{size + 2 * padding} with padding)" if padding else ""
    return AlexNetError(
        f"its {kernel}x{kernel} {what} window no longer fits: the map arriving here is only "
        f"{size}x{size} pixels{padded}, so the output would have {out} pixels per side.",
        layer=layer,
        formula=formula_text(size, kernel, stride, padding),
        fix="use " + ", or ".join(fixes) + ".",
        remedies=tuple(remedies),
    )


def _works(config: AlexNetConfig) -> bool:
    """No map collapses and every pool's padding is one PyTorch allows (at most half its kernel)."""
    pools_valid = all(b.pool_padding <= b.pool_kernel // 2 for b in config.blocks if b.pool)
    return pools_valid and spatial_size(config, config.input_size) is not None


def _field(kind: str, name: str) -> str:
    """The ``BlockConfig`` field of a conv's or pool's window setting ("kernel" -> "pool_kernel")."""
    return f"pool_{name}" if kind == "pool" else {"kernel": "kernel_size"}.get(name, name)


def _largest_kernel(config: AlexNetConfig, index: int, kind: str, kernel: int) -> Remedy | None:
    field = _field(kind, "kernel")
    for smaller in range(kernel - 1, 0, -1):
        if _works(config.with_block(index, **{field: smaller})):
            return Remedy(f"a {kind}{index + 1} kernel of {smaller}", field, smaller, index)
    return None


def _smallest_padding(config: AlexNetConfig, index: int, kind: str, kernel: int, padding: int) -> Remedy | None:
    field = _field(kind, "padding")
    most = kernel // 2 if kind == "pool" else kernel - 1  # more would only add windows of zeros
    most = min(most, LIMITS[field][1])  # and the editor's slider must reach it
    for more in range(padding + 1, most + 1):
        if _works(config.with_block(index, **{field: more})):
            return Remedy(f"{kind}{index + 1} padding of {more}", field, more, index)
    return None


def _larger_stride_earlier(config: AlexNetConfig, index: int, kind: str) -> Remedy | None:
    """At the nearest layer before the failing one that strides (S > 1): the largest smaller stride that works."""
    earlier = [(i, k) for i, block in enumerate(config.blocks[: index + 1]) for k, _ in block.windows()]
    earlier = earlier[: earlier.index((index, kind))]
    for i, k in reversed(earlier):
        stride = config.blocks[i].window(k).stride
        if stride > 1:
            field = _field(k, "stride")
            for smaller in range(stride - 1, 0, -1):
                if _works(config.with_block(i, **{field: smaller})):
                    return Remedy(f"a {k}{i + 1} stride of {smaller}", field, smaller, i)
            return None
    return None


def apply_remedy(config: AlexNetConfig, remedy: Remedy) -> AlexNetConfig:
    """``config`` with the remedy's one setting changed."""
    if remedy.block is None:
        return replace(config, **{remedy.field: remedy.value})
    return config.with_block(remedy.block, **{remedy.field: remedy.value})
