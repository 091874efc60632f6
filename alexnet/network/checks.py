"""Why a configuration cannot work, in plain words: the checks ``alexnet.network.shapes.analyze`` runs.

Each check raises ``AlexNetError`` naming the layer at fault, what is wrong and a fix. A fix
for a window that no longer fits is only proposed after checking it on the whole network
(``alexnet.network.output_size.spatial_size``), so following it never just moves the error further down.
"""

from __future__ import annotations

import math

from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig, BlockConfig, check_activation
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
    """Explain a window that no longer fits its padded input, with fixes checked on the whole network."""
    layer = f"{'pool' if pool else 'conv'}{index + 1}"
    kernel, stride, padding = config.blocks[index].window("pool" if pool else "conv")
    if pool:
        candidates = {f"a pool kernel of {size + 2 * padding}": {"pool_kernel": size + 2 * padding}}
    else:
        needed = math.ceil((kernel - size) / 2)
        candidates = {
            f"a kernel of {size + 2 * padding}": {"kernel_size": size + 2 * padding},
            f"padding of {needed}": {"padding": needed},
        }
    # Only propose changes that make every later layer work too.
    fixes = [
        text
        for text, change in candidates.items()
        if spatial_size(config.with_block(index, **change), config.input_size)
    ]
    smallest = smallest_working_input(config)
    if smallest is not None:
        fixes.append(f"an input of at least {smallest}x{smallest} pixels")
    else:
        fixes.append("smaller kernels or strides in the earlier layers")
    out = conv_output_size(size, kernel, stride, padding)
    kind = "max-pool" if pool else "convolution"
    padded = f" ({size + 2 * padding}x{size + 2 * padding} with padding)" if padding else ""
    return AlexNetError(
        f"its {kernel}x{kernel} {kind} window no longer fits: the map arriving here is only "
        f"{size}x{size} pixels{padded}, so the output would have {out} pixels per side.",
        layer=layer,
        formula=formula_text(size, kernel, stride, padding),
        fix="use " + ", or ".join(fixes) + ".",
    )
