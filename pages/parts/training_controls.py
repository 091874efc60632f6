"""The Training page's "New run" box: dataset, epochs, batch, precision and optimizer, and the
speed advice beneath it. Widgets keep their values in ``st.session_state`` under ``train_*`` keys;
``start`` (the Start button's callback) turns them into ``TrainSettings`` and launches the run.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.training.data import CIFAR_FOLDER, DATASETS, DEFAULT_DATA_DIR, train_images
from alexnet.training.run import (
    OPTIMIZERS,
    PRECISIONS,
    TrainSettings,
    auto_precision_note,
    estimate_epoch_seconds,
    resolve_device,
)
from alexnet.units import format_duration
from pages.parts.shared import PRESET_KEY, current_config, set_config

SLOW_EPOCH_S = 60  # above this, suggest the cifar preset
FAST_PRESET = "cifar"
DATASET_HELP = {
    "digits": "scikit-learn's 1,797 handwritten digits (8x8, 10 classes), bundled: no download.",
    "cifar10": "CIFAR-10: 60,000 small photos (32x32, 10 classes), read from a folder on this machine.",
    "folder": "Your own images: a folder with one sub-folder per class.",
}
DIR_KEYS = {"cifar10": "train_cifar_dir", "folder": "train_folder_dir"}  # each dataset's own path widget


def _set_optimizer_defaults() -> None:
    """A new optimizer brings its own measured learning rate, momentum and weight decay."""
    defaults = OPTIMIZERS[st.session_state.train_optimizer]
    st.session_state.train_lr = defaults["lr"]
    st.session_state.train_momentum = defaults["momentum"]
    st.session_state.train_weight_decay = defaults["weight_decay"]


def _use_fast_preset() -> None:
    fast = PRESETS[FAST_PRESET]
    st.session_state[PRESET_KEY] = FAST_PRESET
    set_config(fast)  # also writes the editor widgets, so the browser shows the new values


def start() -> None:
    """Start button: launch the trainer on the current configuration with the chosen settings."""
    state = st.session_state
    try:
        settings = TrainSettings.for_optimizer(
            state.train_optimizer,
            dataset=state.train_dataset,
            data_dir=state.get(DIR_KEYS[state.train_dataset]) or None if state.train_dataset in DIR_KEYS else None,
            download=bool(state.get("train_download")),
            epochs=int(state.train_epochs),
            batch_size=int(state.train_batch_size),
            lr=float(state.train_lr),
            momentum=float(state.train_momentum),
            weight_decay=float(state.train_weight_decay),
            precision=state.train_precision,
        )
        info = runs.start_run(current_config(), settings)
    except AlexNetError as error:
        state.train_error = error
        return
    state.train_watch = info.run_id


def controls() -> None:
    defaults = OPTIMIZERS["adamw"]
    for key, value in (
        ("train_optimizer", "adamw"),
        ("train_lr", defaults["lr"]),
        ("train_momentum", defaults["momentum"]),
        ("train_weight_decay", defaults["weight_decay"]),
    ):
        st.session_state.setdefault(key, value)
    st.subheader("New run")
    left, middle, right = st.columns(3)
    with left:
        dataset = st.selectbox("Dataset", DATASETS, key="train_dataset", help=DATASET_HELP["digits"])
        st.caption(DATASET_HELP[dataset])
        if dataset == "cifar10":
            st.text_input(
                "Data folder",
                value=str(DEFAULT_DATA_DIR),
                key=DIR_KEYS["cifar10"],
                help=f"The folder that holds {CIFAR_FOLDER} (data_batch_1 ... data_batch_5, test_batch, batches.meta).",
            )
            st.checkbox("Download CIFAR-10 (163 MB) if it is not there", key="train_download")
        elif dataset == "folder":
            st.text_input("Image folder", key=DIR_KEYS["folder"], placeholder="/path/to/images")
    with middle:
        st.number_input("Epochs", min_value=1, max_value=1000, value=10, key="train_epochs")
        st.number_input(
            "Batch size", min_value=1, max_value=4096, value=TrainSettings().batch_size, key="train_batch_size"
        )
        st.selectbox(
            "Precision",
            PRECISIONS,
            key="train_precision",
            help="auto (default): bf16 where the CPU or GPU runs it natively, else fp32. "
            "bf16 runs the forward pass in bfloat16 (faster on recent GPUs and CPUs with AVX512-BF16 or AMX).",
        )
        if st.session_state.get("train_precision", "auto") == "auto":
            st.caption(auto_precision_note(resolve_device("auto")))
    with right:
        st.selectbox(
            "Optimizer",
            list(OPTIMIZERS),
            key="train_optimizer",
            on_change=_set_optimizer_defaults,
            help="adamw: adapts each weight's step, learns quickly from the default settings. "
            "sgd: the paper's stochastic gradient descent with momentum.",
        )
        st.number_input("Learning rate", min_value=1e-6, max_value=10.0, format="%g", key="train_lr")
        st.number_input(
            "Momentum",
            min_value=0.0,
            max_value=0.999,
            format="%g",
            key="train_momentum",
            disabled=st.session_state.train_optimizer != "sgd",
            help="SGD only: how much of the previous step is kept.",
        )
        st.number_input(
            "Weight decay",
            min_value=0.0,
            max_value=1.0,
            format="%g",
            key="train_weight_decay",
        )


def speed_advice(config: AlexNetConfig, dataset: str) -> None:
    """How long an epoch of this network should take here, and a faster preset if it is slow."""
    images = train_images(dataset)
    seconds = estimate_epoch_seconds(config, images) if images else None
    if seconds is None:
        return
    text = (
        f"One epoch of {dataset} ({images:,} images) with this {config.input_size}x{config.input_size} network "
        f"takes roughly **{format_duration(seconds)}** on two CPU cores."
    )
    fast = estimate_epoch_seconds(PRESETS[FAST_PRESET], images)
    if seconds > SLOW_EPOCH_S and config != PRESETS[FAST_PRESET] and fast:
        st.warning(
            f"{text} The **{FAST_PRESET}** preset (32x32 input, fewer channels) does one in about "
            f"{format_duration(fast)}, so you see the loss fall within a minute.",
            icon=":material/speed:",
        )
        st.button(f"Use the {FAST_PRESET} preset", on_click=_use_fast_preset, key="train_use_fast")
    else:
        st.caption(text)
