"""How long an epoch of a network takes on this machine, for the Training page's advice under its
New-run box and the Experiments page's plan: from the speed a run of the same network logged, else
from two training steps timed here (once per server, never while a run keeps the cores busy).
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESET_LABELS, PRESETS, AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.training.data import DATASET_NAMES, train_images, val_images
from alexnet.training.speed import TrainingSpeed, epoch_seconds_at, measure_training_speed
from alexnet.units import format_duration
from pages.parts.common import warmup
from pages.parts.common.sidebar import use_preset

SLOW_EPOCH_S = 60  # above this, suggest the small 32 px preset
FAST_PRESET = "cifar"


@st.cache_resource(show_spinner=False)
def _speeds() -> dict[tuple[AlexNetConfig, int], TrainingSpeed | AlexNetError]:
    """Measured training speeds (or why there is none) by (network, batch size), shared by the server's sessions."""
    return {}


def _speed(config: AlexNetConfig, batch_size: int, *, busy: bool) -> tuple[TrainingSpeed | None, bool]:
    """This machine's speed for ``config`` and whether it is provisional: measured once per server,
    never while a run trains (two processes on two cores would time each other). A timing taken
    while the server's warm-up still runs is shown but not kept: on a fresh server it read 2
    images/s for the paper's network, against 16 a moment later.

    Raises:
        AlexNetError: the network does not fit the memory budget (remembered: not tried again).
    """
    speeds = _speeds()
    key = (config, batch_size)
    if key in speeds or busy:
        found = speeds.get(key)
        if isinstance(found, AlexNetError):
            raise found
        return found, False
    try:
        speed = measure_training_speed(config, batch_size=batch_size)
    except AlexNetError as error:
        speeds[key] = error
        raise
    if warmup.warming_up():
        return speed, True
    speeds[key] = speed
    return speed, False


def _epoch_estimate(
    config: AlexNetConfig, batch_size: int, images: int, val: int, infos: list[runs.RunInfo], *, busy: bool
) -> tuple[float, str] | None:
    """(seconds for one epoch, where that figure comes from), or ``None`` while a run keeps the cores busy."""
    logged = runs.logged_speed(infos, config.to_dict(), batch_size)  # a run's own measure beats any timing
    if logged is not None:
        speed, run_id = logged
        return epoch_seconds_at(speed, images, val), f"{speed:,.0f} images/s, as run {run_id} trained it"
    with st.spinner("Timing two training steps of this network on this machine…"):
        timed, provisional = _speed(config, batch_size, busy=busy)
    if timed is None:
        return None
    how = f"{timed.images_per_second:,.0f} images/s in two training steps timed on this machine ({timed.precision})"
    if provisional:
        how += ", while the server was still starting up: probably slower than a run will be (timed again next time)"
    return timed.epoch_seconds(images, val), how


def speed_advice(
    config: AlexNetConfig, dataset: str, batch_size: int, infos: list[runs.RunInfo], *, busy: bool
) -> None:
    """How long an epoch of this network takes here, and the small preset when it is slow: from the
    speed a run of this network logged, else from training steps timed here. The page calls this
    last (into a slot above), so a timing never holds up the rest of the page."""
    images, val = train_images(dataset), val_images(dataset) or 0
    if not images or not analyze(config).ok:
        return
    try:
        estimate = _epoch_estimate(config, batch_size, images, val, infos, busy=busy)
    except AlexNetError as error:
        st.caption(f"No time per epoch for this network: {error.message}")
        return
    if estimate is None:
        st.caption(
            "A run is training now: this network's speed is measured when it ends (timing it now would slow both)."
        )
        return
    seconds, how = estimate
    text = (
        f"One epoch of {DATASET_NAMES[dataset]} ({images:,} images, then {val:,} to validate) with this "
        f"{config.input_size}×{config.input_size} network takes about **{format_duration(seconds)}** here: {how}."
    )
    small = PRESETS[FAST_PRESET]
    try:
        fast = _epoch_estimate(small, batch_size, images, val, infos, busy=busy) if config != small else None
    except AlexNetError:  # the small network at a batch too big for the budget: no suggestion then
        fast = None
    # the small preset only where it is much faster: at 32 px it is slower than itself at 28 px
    if seconds > SLOW_EPOCH_S and fast is not None and fast[0] < seconds / 2:
        label = PRESET_LABELS[FAST_PRESET]
        st.warning(
            f"{text} The **{label}** preset does one in about {format_duration(fast[0])}, "
            "so you see the loss fall within a minute. It is a network, not a dataset: the data stays "
            f"{DATASET_NAMES[dataset]}.",
            icon=":material/speed:",
        )
        st.button(f"Use the {label} network", on_click=use_preset, args=(FAST_PRESET,), key="train_use_fast")
    else:
        st.caption(text)


def epoch_estimate(
    config: AlexNetConfig,
    dataset: str,
    batch_size: int,
    infos: list[runs.RunInfo],
    *,
    busy: bool,
    images: int | None = None,
) -> tuple[float, str] | None:
    """(seconds for one epoch of ``config`` on ``dataset``, where that figure comes from), as the
    New-run box's advice has it; ``None`` while a run keeps the cores busy and nothing was measured.
    ``images``: a run that trains on that many of the training images (the validation set whole).

    Raises:
        AlexNetError: the network does not fit the memory budget.
    """
    images, val = images or train_images(dataset), val_images(dataset) or 0
    if not images or not analyze(config).ok:
        return None
    return _epoch_estimate(config, batch_size, images, val, infos, busy=busy)
