"""The Experiments page's plan: which network its runs train, and how long they take on this machine.

Not a page itself (pages/experiments.py calls it). An experiment is 2 x seeds runs, so the
network decides whether it takes a minute or an hour: a fresh visit proposes the small network
at the data's own size, with both networks' estimates side by side. An estimate is

    total = runs x (epochs x seconds per epoch + seconds to start one run)

the epoch from a run's logged speed or two steps timed here (``pages.parts.common.epoch_estimate``), the
start from the runs this machine has launched (``alexnet.runs.typical_startup``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.diff import network_name
from alexnet.training.data import default_network
from alexnet.training.settings import TrainSettings
from alexnet.units import format_duration
from pages.parts.common import epoch_estimate

NETWORK_KEY = "exp_network"
PROPOSED_FOR_KEY = "exp_network_proposed_for"  # the learner's network the choice was last proposed for
SMALL, YOURS = "small", "yours"
ASSUMED_STARTUP_S = 6.0  # a trainer's start before this machine has recorded one: import torch, load the data


@dataclass(frozen=True)
class Estimate:
    """How long an experiment takes here: ``runs x (epochs x epoch_s + startup_s)`` seconds."""

    total_s: float
    epoch_s: float
    startup_s: float
    epoch_how: str  # where the epoch's time comes from
    startup_how: str  # where the start's time comes from


def estimate(
    network: AlexNetConfig, settings: TrainSettings, runs_count: int, infos: list[runs.RunInfo]
) -> Estimate | str:
    """The experiment's time here, or why there is none (a run keeps the cores busy, the network is too big).
    ``infos``: every run, newest first (``runs.list_runs()``), read once for both networks."""
    try:
        found = epoch_estimate.epoch_estimate(
            network,
            settings.dataset,
            settings.batch_size,
            infos,
            busy=any(info.active for info in infos),
            images=settings.train_images,
        )
    except AlexNetError as error:
        return f"no time estimate: {error.message}"
    if found is None:
        return "a run is training now: the time is estimated when the cores are free"
    epoch_s, epoch_how = found
    typical = runs.typical_startup(infos)
    if typical is None:
        startup_s, startup_how = ASSUMED_STARTUP_S, "assumed, as no run has started on this machine yet"
    else:
        startup_s, count = typical
        startup_how = f"the median of the last {count} run{'s' if count != 1 else ''} started here"
    total = runs_count * (settings.epochs * epoch_s + startup_s)
    return Estimate(total, epoch_s, startup_s, epoch_how, startup_how)


def short(found: Estimate | str) -> str:
    return f"about {format_duration(found.total_s)}" if isinstance(found, Estimate) else "time unknown"


def choose_network(
    config: AlexNetConfig, dataset: str, settings_of: Callable[[AlexNetConfig], TrainSettings], runs_count: int
) -> tuple[AlexNetConfig, Estimate | str]:
    """The network the experiment trains, and its time here: the learner's own or the small one at the
    data's size, each labelled with its time. A fresh visit proposes the small one, unless the learner
    has built a network of their own (one that is no preset). The plan shows the chosen one's time
    as estimated here, so the page never gives two figures for one experiment."""
    small = default_network(dataset)
    networks = {SMALL: small, YOURS: config} if config != small else {YOURS: config}
    infos = runs.list_runs()
    times: dict[str, Estimate | str] = {}
    for key, network in networks.items():
        try:
            times[key] = estimate(network, settings_of(network), runs_count, infos)
        except AlexNetError as error:
            times[key] = error.message
    if len(networks) == 1:
        st.caption(f"Network: **{network_name(config)}**, as the sidebar and the Architecture page have it.")
        return config, times[YOURS]
    # a network of the learner's own (no preset) is proposed first; so is it again once they change it
    built = config not in PRESETS.values()
    if st.session_state.get(PROPOSED_FOR_KEY) != config:
        st.session_state[PROPOSED_FOR_KEY] = config
        st.session_state[NETWORK_KEY] = YOURS if built else SMALL
    labels = {
        SMALL: f"The small network · {network_name(small)} · {short(times[SMALL])}",
        YOURS: f"Yours (sidebar, Architecture page) · {network_name(config)} · {short(times[YOURS])}",
    }
    choice = st.radio(
        "Network",
        list(networks),
        format_func=labels.get,
        key=NETWORK_KEY,
        help="Every run of the experiment trains this network (with the claim's one change for B). The paper made "
        "its claims on small networks too; the times are for this machine.",
    )
    return networks[choice], times[choice]
