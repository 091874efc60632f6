"""The Training page's "New run" box: recipe, dataset, epochs, batch, precision and optimizer (the
speed advice beneath it is ``pages.parts.common.epoch_estimate``). Widgets keep their values in
``st.session_state`` under ``train_*`` keys; ``start`` (the Start button's callback) turns them into
``TrainSettings`` and launches the run.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import AlexNetConfig
from alexnet.training import fashion_mnist
from alexnet.training.data import (
    CIFAR_FOLDER,
    DATASET_LABELS,
    DATASETS,
    DEFAULT_DATA_DIR,
    FLIPPABLE,
)
from alexnet.training.precision import auto_precision_note, resolve_device
from alexnet.training.run import OPTIMIZERS, PRECISIONS
from alexnet.training.settings import RECIPES, recipe_settings
from pages.parts.common.sidebar import current_config
from pages.parts.training import training_queue

DATASET_HELP = {
    "digits": "scikit-learn's 1,797 handwritten digits (8x8, 10 classes), bundled: no download.",
    "fashion-mnist": "Fashion-MNIST: Zalando's 70,000 photos of clothes, shoes and bags (28x28 grey, 10 classes). "
    "Trains on the 60,000 training images, validates on the official 10,000 test images.",
    "cifar10": "CIFAR-10: 60,000 small photos (32x32, 10 classes), read from a folder on this machine.",
    "folder": "Your own images: a folder with one sub-folder per class.",
}
DIR_KEYS = {
    "fashion-mnist": "train_fashion_dir",
    "cifar10": "train_cifar_dir",
    "folder": "train_folder_dir",
}  # each dataset's own path widget
# The boxes that start from recipe_settings(network, recipe, optimizer=...), as the command line does
DEFAULTED = {
    "train_epochs": "epochs",
    "train_batch_size": "batch_size",
    "train_lr": "lr",
    "train_momentum": "momentum",
    "train_weight_decay": "weight_decay",
}
APPLIED = "train_defaults_applied"  # the defaults last written into those boxes
KEPT = "train_kept_values"  # their values, kept while another page is shown (Streamlit forgets widgets)


def page_defaults(
    config: AlexNetConfig, optimizer: str, recipe: str = "default", dataset: str = "digits"
) -> dict[str, float | int]:
    """What each defaulted box starts from: ``recipe_settings``, the command line's own defaults."""
    settings = recipe_settings(config, recipe, optimizer=optimizer, dataset=dataset)
    return {key: getattr(settings, name) for key, name in DEFAULTED.items()}


def _follow_defaults(config: AlexNetConfig) -> dict[str, float | int]:
    """Write this network's, recipe's and optimizer's defaults into every box the learner has not typed in.

    A box that still shows the default written last follows the new one (a preset, network, recipe
    or optimizer change); a value of the learner's own is kept. The optimizer follows the recipe
    the same way, then the numbers follow both. Returns the defaults now in force.
    """
    state = st.session_state
    kept = state.get(KEPT, {})
    for key in ("train_recipe", "train_optimizer", *DEFAULTED):
        if key not in state and key in kept:
            state[key] = kept[key]  # back from another page
    state.setdefault("train_recipe", "default")
    applied = state.get(APPLIED, {})
    optimizer = recipe_settings(config, state.train_recipe).optimizer
    if "train_optimizer" not in state or state.train_optimizer == applied.get("train_optimizer"):
        state.train_optimizer = optimizer
    defaults = page_defaults(config, state.train_optimizer, state.train_recipe, state.get("train_dataset", "digits"))
    for key, value in defaults.items():
        if key not in state or state[key] == applied.get(key):
            state[key] = value
    state[APPLIED] = defaults | {"train_optimizer": optimizer}
    return defaults


def _differs(key: str, defaults: dict[str, float | int]) -> None:
    """One line under a box whose value is the learner's own: what the default would be."""
    if st.session_state[key] != defaults[key]:
        st.caption(f"Your value. The default for this network and optimizer is {defaults[key]:g}.")


def start() -> None:
    """Start button: launch the trainer on the current configuration with the chosen settings, or
    queue it while another run trains (the page then says its place in line)."""
    state = st.session_state
    try:
        # the recipe brings what has no box here (schedule, warm-up, init); the boxes bring the rest
        settings = recipe_settings(
            current_config(),
            state.train_recipe,
            optimizer=state.train_optimizer,
            dataset=state.train_dataset,
            data_dir=state.get(DIR_KEYS[state.train_dataset]) or None if state.train_dataset in DIR_KEYS else None,
            download=bool(state.get("train_download")),
            flip=bool(state.get("train_flip")) and state.train_dataset in FLIPPABLE,
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
    if not info.queued or "train_watch" not in state:  # a queued run has nothing to watch yet: stay on the running one
        state.train_watch = info.run_id
    if info.queued:
        state.train_notice = training_queue.waiting_text(info, runs.list_runs())


def controls(config: AlexNetConfig) -> None:
    """The New-run box for ``config``: every number starts from the command line's defaults."""
    defaults = _follow_defaults(config)
    st.subheader("New run")
    st.radio(
        "Recipe",
        list(RECIPES),
        format_func=RECIPES.get,
        key="train_recipe",
        horizontal=True,
        help="Where the numbers below start. The paper's also divides the learning rate by 10 each time the "
        "validation error stops improving, with no warm-up, and draws every weight from N(0, 0.01²) with some "
        "biases 1 (Krizhevsky et al. 2012, section 5). Numbers you type are kept.",
    )
    left, middle, right = st.columns(3)
    with left:
        dataset = st.selectbox(
            "Dataset", DATASETS, format_func=DATASET_LABELS.get, key="train_dataset", help=DATASET_HELP["digits"]
        )
        st.caption(DATASET_HELP[dataset])
        if dataset == fashion_mnist.NAME:
            _fashion_source()
        elif dataset == "cifar10":
            st.text_input(
                "Data folder",
                value=str(DEFAULT_DATA_DIR),
                key=DIR_KEYS["cifar10"],
                help=f"The folder that holds {CIFAR_FOLDER} (data_batch_1 ... data_batch_5, test_batch, batches.meta).",
            )
            st.checkbox("Download CIFAR-10 (163 MB) if it is not there", key="train_download")
        elif dataset == "folder":
            st.text_input("Image folder", key=DIR_KEYS["folder"], placeholder="/path/to/images")
        if dataset in FLIPPABLE:
            if st.session_state.get("train_flip_dataset") != dataset:  # a new dataset: its default (on for garments)
                st.session_state.train_flip = recipe_settings(config, "default", dataset=dataset).flip
                st.session_state.train_flip_dataset = dataset
            st.checkbox(
                "Mirror training images at random",
                key="train_flip",
                help="Each training image is flipped left-right with probability 1/2, a new draw every epoch: a "
                "mirrored shoe is still a shoe, so the network sees more shoes. Validation images are never flipped.",
            )
    with middle:
        st.number_input("Epochs", min_value=1, max_value=1000, key="train_epochs")
        _differs("train_epochs", defaults)
        st.number_input("Batch size", min_value=1, max_value=4096, key="train_batch_size")
        _differs("train_batch_size", defaults)
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
            help="adamw: adapts each weight's step, learns quickly from the default settings. "
            "sgd: the paper's stochastic gradient descent with momentum.",
        )
        st.number_input(
            "Learning rate",
            min_value=1e-6,
            max_value=10.0,
            format="%g",
            key="train_lr",
            help="The peak rate. Today's recipe: it rises over the first steps, then falls to 0 (cosine); "
            "AdamW's default is 2e-3 for a network under 10 M parameters and 3e-4 above, as on the command "
            "line. The paper's: divided by 10 each time the validation error stops improving.",
        )
        _differs("train_lr", defaults)
        st.number_input(
            "Momentum",
            min_value=0.0,
            max_value=0.999,
            format="%g",
            key="train_momentum",
            disabled=st.session_state.train_optimizer != "sgd",
            help="SGD only: how much of the previous step is kept.",
        )
        _differs("train_momentum", defaults)
        st.number_input(
            "Weight decay",
            min_value=0.0,
            max_value=1.0,
            format="%g",
            key="train_weight_decay",
        )
        _differs("train_weight_decay", defaults)
    st.session_state[KEPT] = {key: st.session_state[key] for key in ("train_recipe", "train_optimizer", *DEFAULTED)}


def _fashion_source() -> None:
    """Where Fashion-MNIST comes from: found on this machine, or how to get it (the Start button says it again)."""
    folder = st.text_input(
        "Data folder",
        value=str(DEFAULT_DATA_DIR),
        key=DIR_KEYS[fashion_mnist.NAME],
        help=f"The folder that holds {fashion_mnist.FOLDER}/raw in torchvision's layout. Debian's copy "
        f"({fashion_mnist.SYSTEM_DIR}) is unpacked there once (53 MB).",
    )
    if fashion_mnist.present(Path(folder or DEFAULT_DATA_DIR)):
        st.caption("Found on this machine: no download.")
    else:
        st.warning(
            f"Fashion-MNIST is not on this machine. Install Debian's copy (30 MB) with "
            f"`{fashion_mnist.INSTALL_COMMAND}`, or tick the box below to download it."
        )
        st.checkbox("Download Fashion-MNIST (30 MB) if it is not there", key="train_download")
