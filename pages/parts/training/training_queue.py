"""The Training page's Queue: the runs waiting their turn, each with its place, what it trains, the
wait ahead of it where the runs' own speeds tell, and a Cancel button.

The queue is in the runs folder (``alexnet.runs.queue``): every tab shows the same one, and this
view, polling while anything waits, is also what starts the next run when a trainer was killed
without starting it itself.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.runs.queue import estimated_wait
from alexnet.training.data import train_images, val_images
from alexnet.training.speed import epoch_seconds_at
from alexnet.units import format_duration, ordinal
from pages.parts.common.sidebar import show_error

REFRESH_S = 2.0  # how often the queue is re-read (and moved on) while something waits
QUEUE_ERROR = "train_queue_error"  # a Cancel callback's error, shown by the next run of the view


def _in_order(infos: list[runs.RunInfo]) -> list[runs.RunInfo]:
    """The queued runs among ``infos``, next to start first (the order of ``runs.queued_runs``)."""
    return sorted((i for i in infos if i.queued), key=lambda i: (i.queued_at or i.updated_at, i.run_id))


def _seconds_left(info: runs.RunInfo, infos: list[runs.RunInfo]) -> float | None:
    """A training run's time left (its own ETA); a queued one's whole length at a speed a run of its
    network logged here. None when nothing tells."""
    if info.active:
        return runs.progress(info, runs.read_metrics(info.path)).eta_s
    if not info.network or not info.settings:
        return None
    logged = runs.logged_speed(infos, info.network, int(info.settings["batch_size"]))
    images, val = info.settings.get("train_images") or train_images(info.dataset), val_images(info.dataset) or 0
    if logged is None or not images:
        return None
    epoch_s = epoch_seconds_at(logged[0], images, val)
    steps_per_epoch = -(-images // int(info.settings["batch_size"]))
    done = info.step / steps_per_epoch if info.step else 0.0  # a queued resume has trained some already
    return max(0.0, float(info.settings["epochs"]) - done) * epoch_s


def waiting_text(info: runs.RunInfo, infos: list[runs.RunInfo]) -> str:
    """ "Queued: 2nd in line; it starts when the run before it ends (about 3 min)"."""
    queued = _in_order(infos)
    place = next((n for n, i in enumerate(queued, 1) if i.run_id == info.run_id), None)
    if place is None:
        return f"Run {info.run_id} is {info.state}."
    try:
        wanted = [i for i in infos if i.active or i in queued[:place]]
        wait = estimated_wait(info, infos, {i.run_id: _seconds_left(i, infos) for i in wanted})
    except AlexNetError:
        wait = None
    about = f" (about {format_duration(wait)})" if wait is not None else ""
    return f"Queued: {ordinal(place)} in line; it starts when the run before it ends{about}."


def _cancel(run_id: str) -> None:
    """The Cancel button's callback: out of the queue (a queued resume goes back to its state)."""
    try:
        if not runs.cancel_queued(run_id):
            st.toast(f"Run {run_id} has started already: stop it in the live view.")
    except AlexNetError as error:
        st.session_state[QUEUE_ERROR] = error


@st.fragment(run_every=REFRESH_S)
def _live_queue(shown: list[str]) -> None:
    try:
        runs.advance_queue()  # a trainer killed with SIGKILL started nobody: the next one starts here
        infos = runs.list_runs()
    except AlexNetError as error:
        show_error(error)
        return
    if [info.run_id for info in _in_order(infos)] != shown:
        st.rerun(scope="app")  # one started or left: the live view and the table change too
    _entries(infos)


def _entries(infos: list[runs.RunInfo]) -> None:
    if (error := st.session_state.pop(QUEUE_ERROR, None)) is not None:
        show_error(error)
    queued = _in_order(infos)
    for place, info in enumerate(queued, 1):
        text, button = st.columns([5, 1], vertical_alignment="center")
        epochs = info.settings.get("epochs", "?")
        what = f"{info.network['input_size']} px network" if info.network else "network"
        kind = "resume" if info.has_checkpoint else "new run"
        text.markdown(
            f"**{ordinal(place)}** · `{info.run_id}` · {kind}, {what} on {info.dataset}, {epochs} epochs  \n"
            f"{waiting_text(info, infos)}"
        )
        button.button("Cancel", key=f"train_cancel_{info.run_id}", icon=":material/close:", on_click=_cancel,
                      args=(info.run_id,))  # fmt: skip


def show(infos: list[runs.RunInfo]) -> None:
    """The Queue section, when any run waits; it re-reads the queue every ``REFRESH_S`` seconds."""
    queued = _in_order(infos)
    if not queued:
        return
    st.subheader("Queue")
    st.caption("Each waiting run starts when a run before it ends; Cancel takes it out of the line.")
    _live_queue([info.run_id for info in queued])
