"""The Architecture page's block controls: a block picker, the picked block's sliders, a summary of all blocks.

Not a page itself (pages/architecture.py calls it). Every slider keeps the key
``edit_block<n>_<field>`` that ``pages.parts.common.sidebar.sync_editor_widgets`` writes, so presets,
imports and links move it. Only the picked block's widgets are drawn; the other blocks keep
their values in the session's configuration, and their sliders start from it when picked.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from alexnet.network.config import AlexNetConfig, BlockConfig
from alexnet.network.edit import LIMITS, with_block_count
from alexnet.network.shapes import ShapeReport
from alexnet.units import shape_text
from pages.parts.common.start_here import reached

PICK_KEY = "arch_block"  # not "edit_": sync_editor_widgets() forgets every "edit_" key it does not know
ARITH_LAYER_KEY = (
    "arch_arith_layer"  # the layer the arithmetic figure shows (pages/parts/architecture/arithmetic_view.py)
)

# (field, label, help) of each slider, in the order they are drawn, three to a row.
SLIDERS = (
    ("kernel_size", "Kernel K", "Each filter looks at a K x K window of the map."),
    ("stride", "Stride S", "The window moves S pixels at a time."),
    ("padding", "Padding P", "Zeros added on every side of the map before the window slides."),
    ("out_channels", "Channels", "How many feature maps (filters) the convolution produces."),
    ("groups", "Groups", "Split the channels into groups that do not see each other (the paper's two GPUs: 2)."),
)
POOL_SLIDERS = (
    ("pool_kernel", "Pool window", "The max-pool's window (the paper: 3 x 3, overlapping)."),
    ("pool_stride", "Pool stride", "The max-pool's step (the paper: 2)."),
    ("pool_padding", "Pool padding", "At most half the pool window."),
)


def _on_pick() -> None:
    """Picking a block shows its convolution in the arithmetic figure too."""
    st.session_state[ARITH_LAYER_KEY] = f"conv{st.session_state[PICK_KEY]}"


def pick_block(count: int) -> int:
    """The block picker: returns the picked block's number (1-based)."""
    if st.session_state.get(PICK_KEY, 1) > count:
        st.session_state[PICK_KEY] = count  # the picked block was removed
    return int(
        st.radio(
            "Block",
            list(range(1, count + 1)),
            key=PICK_KEY,
            horizontal=True,
            format_func=lambda n: f"conv{n}",
            on_change=_on_pick,
            help="Pick a block to edit its sliders. Arrow keys move a focused slider one step.",
        )
    )


def block_sliders(block: BlockConfig, number: int) -> BlockConfig:
    """The picked block's sliders, three side by side, and its LRN and pool switches."""
    key = f"edit_block{number}_"
    values: dict[str, int | bool] = {}
    for start in (0, 3):
        cells = st.columns(3)
        for cell, (field, label, tip) in zip(cells, SLIDERS[start : start + 3], strict=False):
            values[field] = cell.slider(
                label, *LIMITS[field], value=getattr(block, field), key=key + field, help=tip,
                on_change=reached if field == "stride" else None, args=(1,) if field == "stride" else None,
            )  # fmt: skip
    switches = cells[2]  # the third cell of the second row is free
    values["norm"] = switches.toggle("LRN", block.norm, key=key + "norm", help="Local response normalisation.")
    values["pool"] = switches.toggle("Pool", block.pool, key=key + "pool", help="Pool after this block.")
    if values["pool"]:
        for cell, (field, label, tip) in zip(st.columns(3), POOL_SLIDERS, strict=True):
            values[field] = cell.slider(label, *LIMITS[field], value=getattr(block, field), key=key + field, help=tip)
    return replace(block, **{name: int(v) if not isinstance(v, bool) else v for name, v in values.items()})


def blocks_editor(config: AlexNetConfig) -> tuple[AlexNetConfig, int]:
    """The block count, the picker and the picked block's sliders; returns the edited config and the pick."""
    left, right = st.columns([1, 3.5], vertical_alignment="bottom")
    count = left.number_input(
        "Blocks", *LIMITS["blocks"], value=len(config.blocks), key="edit_num_blocks",
        help="Add blocks at the end (3x3 convolutions that keep the map's size) or remove the last ones.",
    )  # fmt: skip
    config = with_block_count(config, int(count))
    with right:
        number = pick_block(len(config.blocks))
    blocks = list(config.blocks)
    blocks[number - 1] = block_sliders(blocks[number - 1], number)
    return replace(config, blocks=tuple(blocks)), number


def block_summary(config: AlexNetConfig, report: ShapeReport, picked: int) -> str:
    """A compact markdown table of every block: its layers and output, the picked one in bold.

    Three columns, so that it fits under the sliders at 1024 px: "96×11² /4 p0 · LRN · pool 3² /2".
    The output is the block's last map; with a pool, the convolution's map too, as the arithmetic
    figure and the layer table show it: "256×27×27 → pool 13×13".
    """
    failed = report.error.layer if report.error else None
    lines = ["| block | layers (C×K² /S pP) | output |", "|:--|:--|:--|"]
    for number, block in enumerate(config.blocks, start=1):
        parts = [f"{block.out_channels}×{block.kernel_size}² /{block.stride} p{block.padding}"]
        if block.groups > 1:
            parts[0] += f" g{block.groups}"
        if block.norm:
            parts.append("LRN")
        if block.pool:
            parts.append(
                f"pool {block.pool_kernel}² /{block.pool_stride}"
                + (f" p{block.pool_padding}" if block.pool_padding else "")
            )
        if failed in (f"conv{number}", f"pool{number}"):
            output = f":red[**✗ {failed}**]"
        else:
            output = _block_output(report, number)
        name = f"**conv{number}**\u00a0◀" if number == picked else f"conv{number}"  # no break before the mark
        # lines break between the parts only, never inside "96×11² /4 p0"
        layers = " · ".join(part.replace(" ", "\u00a0") for part in parts)
        lines.append(f"| {name} | {layers} | {output} |")
    return "\n".join(lines)


def _block_output(report: ShapeReport, number: int) -> str:
    """The maps of block ``number``: "384×13×13", or with a pool "256×27×27 → pool 13×13"."""
    shapes = {layer.kind: layer.out_shape for layer in report.layers if layer.block == number}
    if "conv" not in shapes:
        return "–"
    if "pool" not in shapes:
        return shape_text(shapes["conv"])
    # the pool keeps the channels: its side is all that changes
    return f"{shape_text(shapes['conv'])} →\u00a0pool\u00a0{shape_text(shapes['pool'][1:])}"
