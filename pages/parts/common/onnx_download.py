"""The ONNX download button of Architecture and Activations: the network with its weights, for Netron.

The file is built only when the button is pressed (Streamlit runs ``data`` then, in a thread of
its own), so torch, onnx and the exporter load then and never slow a page's first paint. The
paper network's file is 250 MB: about 4.5 s to export on two Zen 3 cores, 16-22 s until the
browser starts saving it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from alexnet.network.config import AlexNetConfig
from alexnet.network.export import ONNX_LIMIT
from alexnet.network.shapes import analyze
from alexnet.network.weights_choice import FILE, IMAGENET, RANDOM, WeightsChoice
from alexnet.units import format_bytes

if TYPE_CHECKING:
    from alexnet.network.model import AlexNet

HELP = (
    "The network and its weights as one ONNX file. Open it in Netron (netron.app) to see the graph "
    "with every tensor's shape between layers, or run it with ONNX Runtime. It is built when you "
    "press: the paper network's 250 MB take about 20 s to arrive."
)


def random_model(config: AlexNetConfig, seed: int) -> Callable[[], AlexNet]:
    """``config`` with random weights from ``seed``, built when called (torch loads then)."""

    def build() -> AlexNet:
        from alexnet.network.model import build_model

        return build_model(config, seed=seed)

    return build


def onnx_button(
    config: AlexNetConfig, model: Callable[[], AlexNet], *, weights: str, key: str, lock: threading.Lock | None = None
) -> None:
    """A download button for ``model()`` (built on press) as ONNX; disabled, with the reason, where it cannot be."""
    report = analyze(config)
    size = 4 * report.total_params if report.ok else 0  # float32 weights: what the file holds, almost all of it
    too_big = size >= ONNX_LIMIT
    chosen = WeightsChoice.parse(weights)
    name = {RANDOM: f"random{chosen.value}", IMAGENET: "imagenet", FILE: "uploaded"}.get(chosen.kind, chosen.value)

    def build() -> bytes:
        from alexnet.network.onnx_export import export_onnx  # torch and onnx: on press only

        with lock or contextlib.nullcontext():  # a shared model is copied under its lock
            return export_onnx(model(), weights=chosen.description)

    reason = "Over ONNX's 2 GB limit for one file." if too_big else "" if report.ok else "Fix the error above first."
    st.download_button(
        f"Network with weights (ONNX, {format_bytes(size)})" if size else "Network with weights (ONNX)",
        build, file_name=f"alexnet_{config.input_size}px_{name}.onnx", mime="application/octet-stream",
        icon=":material/account_tree:", key=key, on_click="ignore", disabled=bool(reason),
        help=f"{HELP} {reason}".strip(),
    )  # fmt: skip
