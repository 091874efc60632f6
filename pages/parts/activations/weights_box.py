"""The Activations page's Weights box, in the sidebar: which weights go through the network.

Every choice comes from ONE list, ``weight_options()``: a random initialisation ("random:<seed>"),
torchvision's ImageNet weights ("imagenet", downloaded only on a button press), an uploaded
``.safetensors`` file ("file:<upload id>", saved from a run on the Training page) and every trained
run with a checkpoint ("run:<run_id>"). ``choose_weights`` returns the weights string that
``pages.parts.activations.activation_data.load_model`` takes, or ``FILE`` alone while no file is uploaded.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect import pretrained
from alexnet.network.weights_choice import FILE, IMAGENET, RANDOM, RUN
from pages.parts.activations.activation_data import remember_weights_file
from pages.parts.common.sidebar import show_error

FILE_KEY = "act_weights_file"
# MB, for this uploader only (the app's others keep config.toml's 20 MB): the paper network's
# weights are 250 MB as float32
WEIGHTS_UPLOAD_MB = 300


def weight_options() -> list[str]:
    """Every choice of the Weights box, built here and only here.

    A random initialisation (its seed is chosen beside the box), torchvision's ImageNet weights,
    an uploaded safetensors file, and every trained run that has saved a checkpoint, as
    "run:<run_id>" (newest first).
    """
    trained = [f"{RUN}:{info.run_id}" for info in runs.list_runs() if info.has_checkpoint]
    return [RANDOM, IMAGENET, FILE, *trained]


def weight_label(option: str) -> str:
    if option == RANDOM:
        return "Random (untrained)"
    if option == IMAGENET:
        return "ImageNet (torchvision)" + ("" if pretrained.is_cached() else ", not downloaded yet")
    if option == FILE:
        return "A weights file (.safetensors)"
    return f"Trained run {option.partition(':')[2]}"


def choose_weights() -> str:
    """The Weights box in the sidebar: the weights string ``load_model`` takes."""
    with st.sidebar:
        st.subheader("Weights")
        option = st.selectbox("Weights", weight_options(), key="act_weights", format_func=weight_label)
        if option == RANDOM:
            seed = st.number_input(
                "Seed",
                min_value=0,
                max_value=2**31 - 1,
                value=0,
                key="act_seed",
                help="The same seed always gives the same random weights.",
            )
            return f"{RANDOM}:{seed}"
        if option == IMAGENET and not pretrained.is_cached():
            st.caption(
                f"torchvision's ImageNet-trained AlexNet: a {pretrained.WEIGHTS.url.rsplit('/', 1)[-1]} file of 233 MB."
            )
            if st.button("Download the ImageNet weights", key="act_download", icon=":material/download:"):
                download_pretrained()
        if option == FILE:
            return _weights_file()
        if option.startswith(f"{RUN}:"):
            st.caption(run_caption(option.partition(":")[2]))
    return option


def run_caption(run_id: str) -> str:
    """The picked run in full (the box cuts a long id): its name, state and best accuracy."""
    info = runs.get_run(run_id)
    best = f", best {info.best_accuracy:.1%} on validation" if info.best_accuracy is not None else ""
    return f"{info.run_id}: {info.state}{best}."


def _weights_file() -> str:
    """The uploader under the box: "file:<upload id>" for a file the app can build, else ``FILE`` (said why)."""
    upload = st.file_uploader(
        "Weights file", type=["safetensors"], key=FILE_KEY, max_upload_size=WEIGHTS_UPLOAD_MB,
        help="A run's weights: select it under All runs on the Training page and press its Weights button. The file "
        "carries its network, so the page draws that network.",
    )  # fmt: skip
    if upload is None:
        return FILE
    try:
        return remember_weights_file(upload.file_id, upload.getvalue)
    except AlexNetError as error:
        show_error(error)
        return FILE


def download_pretrained() -> None:
    """Fetch torchvision's ImageNet weights once, on request, with a progress bar; errors are shown, not raised."""
    bar = st.progress(0.0, text="Downloading…")

    def report(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"Downloading… {done / 2**20:.0f} MB")

    try:
        pretrained.load_pretrained(download=True, progress=report)
    except AlexNetError as error:
        bar.empty()
        show_error(error)
        return
    bar.progress(1.0, text="Downloaded.")
