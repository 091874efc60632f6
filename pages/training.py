"""Training: train the network built on the Architecture page and watch its curves live.

The training runs in its own process (``alexnet.runs.start_run``) and writes a run directory;
this page only reads that directory, so a run keeps going through page reloads and never
blocks the app. The live view is a fragment that refreshes itself every few seconds.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.plots.smoothing import smooth
from alexnet.plots.training import accuracy_figure, loss_figure
from alexnet.training.learning_check import not_learning
from alexnet.training.run_folder import results
from alexnet.units import format_duration
from pages.parts.common import epoch_estimate
from pages.parts.common.run_views import show_problem, shows_a_run
from pages.parts.common.sidebar import show_error, start_page
from pages.parts.common.start_here import reached, try_next
from pages.parts.training import training_compare, training_controls, training_queue, training_results_view

MAX_POINTS = 2_000  # steps drawn per curve at most
REFRESH_S = 2.0  # how often the live view re-reads the run directory
LIVE_ERROR = "train_live_error"  # a Stop or Resume callback's error, shown by the live view's next run
RESULTS_SHOWN = "train_results_shown"  # {run id: results files on screen}; the live view reruns the page when it grows
STATE_COLORS = {
    "queued": "violet",
    "running": "blue",
    "finished": "green",
    "stopped": "gray",
    "interrupted": "orange",
    "failed": "red",
    "diverged": "red",
}


@st.fragment(run_every=REFRESH_S)
def _live_view_running(run_id: str) -> None:
    _live_view(run_id, was_active=True)


@st.fragment
def _live_view_idle(run_id: str) -> None:
    _live_view(run_id, was_active=False)


@shows_a_run
def _live_view(run_id: str, *, was_active: bool) -> None:
    info = runs.get_run(run_id)
    if info.state == "finished" and reached(3):  # Start here's step 3
        st.rerun(scope="app")  # the box above shows the tick
    if info.active != was_active:
        st.rerun(scope="app")  # started or ended: refresh the whole page (table, refresh rate)
    if info.active and results.saved_count(info.path) != st.session_state.get(RESULTS_SHOWN, {}).get(run_id):
        st.rerun(scope="app")  # an epoch ended: its confusion matrix and filters are new (drawn outside this fragment)
    metrics = runs.read_metrics(run_id)
    progress = runs.progress(info, metrics)

    color = STATE_COLORS.get(info.state, "gray")
    st.markdown(f"**{info.run_id}** &nbsp; :{color}-badge[{info.state}]")
    if info.state in ("failed", "diverged"):
        st.error(info.message, icon=":material/error:")
    elif info.state == "interrupted":
        st.warning(info.message, icon=":material/warning:")
    elif info.message and not info.active:
        st.caption(info.message)
    if info.problem and info.problem not in info.message:  # a broken status.json is the message already
        st.warning(info.problem, icon=":material/warning:")
    if info.queued:
        return  # nothing trained yet: the Queue section above says its place and wait
    eta = f" · about {format_duration(progress.eta_s)} left" if progress.eta_s is not None else ""
    of_epochs = f" of {progress.epochs}" if progress.epochs else ""  # unknown when config.json is unreadable
    st.progress(
        progress.fraction,
        text=f"step {progress.step} of {progress.total_steps} · epoch {progress.epoch:.2f}{of_epochs}{eta}",
    )
    a, b, c, d = st.columns(4)
    a.metric("Loss (last step)", "-" if progress.last_loss is None else f"{progress.last_loss:.4g}")
    b.metric("Best validation accuracy", "-" if info.best_accuracy is None else f"{info.best_accuracy:.1%}")
    c.metric("Images / second", "-" if progress.images_per_sec is None else f"{progress.images_per_sec:,.0f}")
    d.metric("Training time", format_duration(info.duration_s))
    classes = int(info.network.get("num_classes", 0))
    if stuck := not_learning(metrics.steps, metrics.epochs, classes, recipe=info.settings.get("recipe")):
        st.warning(stuck, icon=":material/trending_flat:")  # said, never acted on: the settings stay the learner's

    if (error := st.session_state.pop(LIVE_ERROR, None)) is not None:
        show_error(error)  # from a Stop or Resume callback
    button_column = st.columns([1, 3])[0]
    # Stop and Resume act in on_click callbacks: Streamlit calls those before the script, so a click
    # is never lost to the st.rerun above (an epoch ending at the moment of the click reran the
    # whole page before the button was reached, and the run trained on).
    if info.stopping:
        trained = info.step > 0 or info.has_checkpoint  # before its first step it has nothing to save
        button_column.caption(
            "Stopping: it ends after the step it is in, with a checkpoint."
            if trained
            else "Stopping before its first step: nothing is trained or saved, and Resume starts it over."
        )
    elif info.active:
        button_column.button("Stop", key="train_stop", icon=":material/stop:", on_click=_stop, args=(run_id,))
    if info.can_resume:
        _resume_button(info, button_column)

    if not metrics.steps:
        st.info("The curves appear after the first training step (the trainer needs a few seconds to start).")
        return
    weight = st.slider(
        "Smoothing",
        min_value=0.0,
        max_value=0.99,
        value=0.6,
        step=0.01,
        key="train_smoothing",
        help="Exponential moving average of the loss, corrected so that it starts on the first value.",
    )
    losses = metrics.column("loss")
    # a long run logs a step every step: the browser gets at most MAX_POINTS of them (smoothed first)
    every = max(1, len(losses) // MAX_POINTS)
    left, right = st.columns(2)
    left.plotly_chart(
        loss_figure(
            metrics.column("step")[::every],
            losses[::every],
            smooth(losses, weight)[::every],
            val_steps=metrics.column("step", epochs=True),
            val_losses=metrics.column("val_loss", epochs=True),
        ),
        key="train_loss_chart",
    )
    if metrics.epochs:
        right.plotly_chart(
            accuracy_figure(
                metrics.column("epoch", epochs=True),
                metrics.column("val_accuracy", epochs=True),
                images=runs.validated_on(info),
            ),
            key="train_accuracy_chart",
        )
    else:
        right.info("Validation accuracy is measured at the end of each epoch.")


def _resume_button(info: runs.RunInfo, column: st.delta_generator.DeltaGenerator) -> None:
    """Resume from the checkpoint: a diverged run with a 10x lower learning rate, a finished one for more epochs."""
    overrides, label = {}, "Resume"
    if info.state == "diverged":
        overrides["lr"] = info.settings["lr"] / 10
        label = f"Resume at lr {overrides['lr']:g}"
    elif info.state == "finished":
        overrides["epochs"] = int(info.settings["epochs"]) * 2
        label = f"Train to {overrides['epochs']} epochs"
    column.button(
        label, key="train_resume", icon=":material/play_arrow:", on_click=_resume, args=(info.run_id, overrides)
    )


def _stop(run_id: str) -> None:
    """The Stop button's callback: a stop request the trainer sees at any moment; it checkpoints after its step."""
    try:
        runs.stop_run(run_id)
    except AlexNetError as error:
        st.session_state[LIVE_ERROR] = error
        return
    st.toast("Stopping after the current step, with a checkpoint (none yet if it has not trained a step).")


def _resume(run_id: str, overrides: dict[str, object]) -> None:
    """The Resume button's callback; the run that follows sees the trainer going and redraws the page."""
    try:
        runs.resume_run(run_id, **overrides)
    except AlexNetError as error:
        st.session_state[LIVE_ERROR] = error


def _all_runs(infos: list[runs.RunInfo]) -> None:
    st.subheader("All runs")
    st.caption(f"In {runs.runs_dir()}. Select rows to compare their curves and download their metrics.")
    paths = [info.path for info in infos]
    label = f"Every record of all {len(infos)} runs (CSV)" if len(infos) > 1 else "Every record of the run (CSV)"
    st.download_button(
        label, lambda: runs.runs_csv(paths).text, file_name="alexnet-runs.csv", mime="text/csv",
        key="train_all_csv", icon=":material/download:", on_click="ignore",
        help="One row per logged step and per epoch, a run_id column first; read when you press.",
    )  # fmt: skip
    table = st.dataframe(
        runs.table_rows(infos),
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        key="train_table",
        # five columns sized to fit a 1024 px window beside the sidebar (562 px with the row picker):
        # the dataset and the start time are in the run's name, its steps and time in the live view
        column_order=["run", "state", "best accuracy (%)", "network", "optimizer"],
        column_config={
            "run": st.column_config.TextColumn(pinned=True, width=152),
            "state": st.column_config.TextColumn(width=66),
            "best accuracy (%)": st.column_config.NumberColumn("best", format="%.1f %%", width=58),
            "network": st.column_config.TextColumn(width=102),
            "optimizer": st.column_config.TextColumn(width=148),
        },
    )
    for info in infos:  # the table's cells cannot say it: each damaged run is named under it
        show_problem(info)
    chosen = [infos[i] for i in table.selection.rows] if table else []
    if chosen:
        training_compare.show(chosen, st.session_state.get("train_smoothing", 0.6))


def _follow_link() -> None:
    """``?run=<run id>`` opens that run in the live view (once per link, then the Run box decides).
    A link comes from anyone: it passes the one run-id check (``alexnet.training.run_folder``) and a bad one
    is explained while it stays in the address bar."""
    link = st.query_params.get("run")
    if link is None:
        return
    try:
        run_id = runs.run_path(link).name
    except AlexNetError as link_error:
        st.error(f"This page's link names a run it cannot open. {link_error.message}", icon=":material/link_off:")
        return
    if st.session_state.get("train_link") != link:
        st.session_state.train_link = link
        st.session_state.train_watch = run_id


def _runs_view(infos: list[runs.RunInfo], going: runs.RunInfo | None) -> None:
    """The live view of the watched run, what it learned, and the table of all runs."""
    st.subheader("Live view")
    ids = [info.run_id for info in infos]
    if st.session_state.get("train_watch") not in ids:
        st.session_state.train_watch = (going or infos[0]).run_id
    watched = st.selectbox("Run", ids, key="train_watch")
    watched_info = next(info for info in infos if info.run_id == watched)
    # what the results section below draws; the running live view reruns the page when more appear
    st.session_state[RESULTS_SHOWN] = {watched: results.saved_count(watched_info.path)}
    if watched_info.active:
        _live_view_running(watched)
    else:
        _live_view_idle(watched)
    training_results_view.show(watched_info)
    _all_runs(infos)


config = start_page(
    __file__,
    "Training",
    "Train the network you built on the Architecture page. Training runs in its own process: "
    "you can switch pages or reload, and the run keeps going.",
)

_follow_link()  # before the Run box is drawn, and its message at the top where the link's effect shows
try:
    runs.advance_queue()  # a run whose trainer was killed started nobody after it: the queue moves on here
except AlexNetError as queue_error:  # a bad ALEXNET_MAX_RUNS
    show_error(queue_error)
training_controls.controls(config)
advice = st.container()  # filled last: the speed timing must not hold up the rest of the page
going = runs.active_run()
st.button(
    "Start training",
    type="primary",
    key="train_start",
    on_click=training_controls.start,
    icon=":material/play_arrow:",
    help="Runs train one at a time (the CPU cores are shared): a Start while one trains waits in the queue.",
)
error = st.session_state.pop("train_error", None)
if error:
    show_error(error)
if notice := st.session_state.pop("train_notice", None):
    st.info(notice, icon=":material/schedule:")

infos = runs.list_runs()
training_queue.show(infos)
if infos:
    _runs_view(infos, going)
else:
    st.info(
        "No runs yet. Press **Start training**: the trainer starts in a few seconds, then the loss curve grows here."
    )
with advice:
    epoch_estimate.speed_advice(
        config,
        st.session_state.train_dataset,
        int(st.session_state.train_batch_size),
        infos,
        busy=going is not None,
    )
try_next(
    "open Activations, pick a digit and your run's weights: see what each layer finds and where the network "
    "looks (Grad-CAM).",
    "pages/activations.py",
    "Activations",
)
