"""Experiments: test one of the paper's claims on the network built here, over several seeds.

The page reads widgets, plans the experiment with ``alexnet.experiments`` and puts its runs in the
runs queue; the runs train in the background, one after another, and survive a reload. The view
below re-reads them every few seconds while they go.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.experiments import store
from alexnet.experiments.claims import A_VS_B, CLAIMS, ERROR_THRESHOLD
from alexnet.experiments.report import format_markdown, not_learned_text, setting_text, unlike_the_paper
from alexnet.experiments.results import ExperimentResult, experiment_result
from alexnet.experiments.store import Experiment
from alexnet.network.config import PRESET_LABELS, PRESETS, AlexNetConfig
from alexnet.network.diff import network_name
from alexnet.plots.experiment import experiment_figure
from alexnet.training.data import (
    DATASET_LABELS,
    DATASET_NAMES,
    DATASETS,
    SUBSETTABLE,
    default_network,
    train_images,
)
from alexnet.training.settings import RECIPES, TrainSettings, recipe_settings
from alexnet.training.subset import TRAIN_IMAGE_CHOICES
from alexnet.units import format_duration
from pages.parts.common.run_views import show_problem, shows_a_run
from pages.parts.common.sidebar import show_error, start_page
from pages.parts.common.start_here import try_next
from pages.parts.experiments import experiment_plan

REFRESH_S = 2.0
LONG_S = 15 * 60  # above this, point to the small network
EXPERIMENT_SHARE = 10_000  # training images a run takes by default where a share is offered: 6 s an epoch, not 35
WATCH = "exp_watch"  # the experiment shown below
ERROR = "exp_error"  # a button's error, shown on the next run
RECIPE_LABELS = {
    "default": "Today's default (AdamW, warm-up + cosine)",
    "paper": "The paper's (SGD 0.01, momentum 0.9, ÷10 on plateau, N(0, 0.01²) init, batch 128)",
}
CLAIM_LABELS = {name: f"{c.title} ({c.section})" for name, c in CLAIMS.items()} | {
    A_VS_B: "A vs B: my network against a preset or a saved configuration"
}
ACTIONS = (  # (action, label, icon, the state it acts in, what it does)
    ("stop", "Stop", ":material/stop:", "running", "Stops the run that trains and takes the rest out of the queue."),
    (
        "resume",
        "Resume",
        ":material/play_arrow:",
        "stopped",
        "Continues stopped runs from their checkpoints and queues the rest.",
    ),
)
STATE_ICONS = {"finished": "✓", "running": "▶", "queued": "⏳", "not started": "·", "stopped": "■"}


def _other_network() -> tuple[AlexNetConfig, str] | None:
    """A vs B's second network: a preset, or a configuration file the learner uploads."""
    choice = st.selectbox(
        "B: the network to compare with",
        [*PRESETS, "file"],
        format_func=lambda name: PRESET_LABELS.get(name, "a saved configuration (JSON)"),
        key="exp_other",
    )
    if choice != "file":
        return PRESETS[choice], PRESET_LABELS[choice]
    upload = st.file_uploader("Configuration (JSON, as the Architecture page exports it)", type="json", key="exp_file")
    if upload is None:
        return None
    try:
        return AlexNetConfig.from_json(upload.getvalue()), upload.name
    except AlexNetError as error:
        show_error(error)
        return None


def _plan(config: AlexNetConfig) -> tuple[Experiment, experiment_plan.Estimate | str] | None:
    """The experiment the widgets describe and its time here, or None (with the reason shown)."""
    left, right = st.columns([3, 2])
    with right:
        seeds = st.number_input("Seeds per variant", 1, 10, 3, key="exp_seeds", help="2 is the fewest a verdict takes")
        epochs = st.number_input("Epochs per run", 1, 100, 3, key="exp_epochs")
        dataset = st.selectbox("Dataset", DATASETS, format_func=DATASET_LABELS.get, key="exp_dataset")
        share = _train_images(dataset)
        recipe = st.radio("Recipe", list(RECIPES), format_func=RECIPE_LABELS.get, key="exp_recipe")

    def settings_of(network: AlexNetConfig) -> TrainSettings:
        return recipe_settings(network, recipe, epochs=int(epochs), dataset=dataset, train_images=share)

    with left:
        name = st.selectbox("Claim", list(CLAIM_LABELS), format_func=CLAIM_LABELS.get, key="exp_claim")
        other = _other_network() if name == A_VS_B else None
        if name != A_VS_B:
            st.info(f"**The paper, {CLAIMS[name].section}:** {CLAIMS[name].statement}", icon=":material/menu_book:")
        network, found = experiment_plan.choose_network(config, dataset, settings_of, 2 * int(seeds))
    if name == A_VS_B and other is None:
        st.info("Choose B's network to compare yours with.")
        return None
    try:
        return store.plan(name, network, settings_of(network), int(seeds), other=other), found
    except AlexNetError as error:
        show_error(error)
        return None


def _train_images(dataset: str) -> int | None:
    """How many training images each run takes, where the dataset is big enough to offer a share."""
    total = train_images(dataset)
    if dataset not in SUBSETTABLE or not total:
        return None
    choices = [n for n in TRAIN_IMAGE_CHOICES if n is None or n < total]
    return st.selectbox(
        "Training images",
        choices,
        index=choices.index(EXPERIMENT_SHARE),
        format_func=lambda n: f"all {total:,}" if n is None else f"{n:,} of {total:,}",
        key=f"exp_images_{dataset}",
        help="Each run trains on this many of the training images: the same balanced share (as many of each class) "
        "in every run. The validation set stays whole, so the verdict is decided on all of it.",
    )


def _describe(plan: Experiment, found: experiment_plan.Estimate | str) -> None:
    a, b = plan.labels
    s = plan.settings
    images = f"{s.train_images:,} training images of {DATASET_NAMES[s.dataset]}" if s.train_images else None
    st.markdown(
        f"**{plan.runs_count} runs**: A = *{a}* and B = *{b}*, {len(plan.seeds)} seeds each "
        f"(seeds {', '.join(map(str, plan.seeds))}), {_epochs(s.epochs)} of {images or DATASET_NAMES[s.dataset]} "
        f"at batch {s.batch_size}, {s.optimizer} at lr {s.lr:g}. "
        f"Everything else is the network chosen above, {network_name(plan.networks[0])}."
    )
    st.caption(unlike_the_paper(plan))
    if not isinstance(found, experiment_plan.Estimate):
        st.caption(found.capitalize() + ".")
        return
    text = (
        f"About **{format_duration(found.total_s)}** in all: {plan.runs_count} runs × ({_epochs(s.epochs)} × "
        f"{format_duration(found.epoch_s)} + {format_duration(found.startup_s)} to start), at {found.epoch_how}; "
        f"the start is {found.startup_how}."
    )
    if found.total_s <= LONG_S or plan.networks[0] == default_network(s.dataset):
        st.caption(text)
    else:
        st.warning(f"{text} The small network above runs it in a fraction of that.", icon=":material/speed:")


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def _start(plan: Experiment) -> None:
    try:
        started = store.start(plan)
    except AlexNetError as error:
        st.session_state[ERROR] = error
        return
    st.session_state[WATCH] = st.session_state["exp_shown"] = started.id


def _act(action: str, experiment_id: str) -> None:
    try:
        experiment = store.load(experiment_id)
        (store.stop if action == "stop" else store.resume)(experiment)
    except AlexNetError as error:
        st.session_state[ERROR] = error


@st.fragment(run_every=REFRESH_S)
def _live(experiment_id: str) -> None:
    _view(experiment_id, was_running=True)


@st.fragment
def _still(experiment_id: str) -> None:
    _view(experiment_id, was_running=False)


def _view(experiment_id: str, *, was_running: bool) -> None:
    runs.advance_queue()  # a trainer killed with SIGKILL cannot start the next run: the page's poll does
    try:
        experiment = store.load(experiment_id)
    except AlexNetError as error:
        show_error(error)
        return
    infos = store.run_infos(experiment)
    now = store.state(experiment, infos)
    if (now == "running") != was_running:
        st.rerun(scope="app")  # started or ended: switch between the live and the still view
    _run_list(experiment, infos)
    row = st.container(horizontal=True)  # buttons as wide as their labels: in 1/6 columns "Resume" was cut at 1024 px
    for action, label, icon, allowed, what in ACTIONS:
        row.button(
            label,
            key=f"exp_{action}",
            on_click=_act,
            args=(action, experiment.id),
            disabled=now != allowed,
            icon=icon,
            help=what,
            width="content",
        )
    _results(experiment)


@shows_a_run
def _results(experiment: Experiment) -> None:
    """The curves and the verdict, from every run's metrics (a run that cannot be read is drawn as broken)."""
    result = experiment_result(experiment)
    figure = experiment_figure(
        result.loss, result.train_error, result.val_error, experiment.labels, threshold=ERROR_THRESHOLD
    )
    if figure["data"]:
        st.plotly_chart(figure, key="exp_curves")
        st.caption(
            "Each line is the mean over the seeds, its band the range from the lowest to the highest seed. "
            f"The dashed line is {ERROR_THRESHOLD:.0%} training error, the paper's Figure 1 line."
        )
    else:
        st.caption("The curves appear here once the first run has logged its first steps.")
    _table(result)


def _run_list(experiment: Experiment, infos: tuple[list[runs.RunInfo | None], ...]) -> None:
    done = sum(info is not None and info.state == "finished" for variant in infos for info in variant)
    st.progress(done / experiment.runs_count, text=f"{done} of {experiment.runs_count} runs finished")
    queued = [info.run_id for info in runs.queued_runs()]
    chips = []
    for variant, seed_index in experiment.slots():
        info = infos[variant][seed_index]
        label = f"{experiment.labels[variant]}, seed {experiment.seeds[seed_index]}"
        if info is None:
            chips.append(f"· {label}: not started")
        elif info.state == "running":
            chips.append(f"▶ {label}: step {info.step} of {info.total_steps}")
        elif info.state == "queued":
            place = queued.index(info.run_id) + 1 if info.run_id in queued else "?"
            chips.append(f"⏳ {label}: queued, {place} in line")
        else:
            chips.append(f"{STATE_ICONS.get(info.state, '!')} {label}: {info.state}")
    st.caption(" · ".join(chips))
    for variant, seed_index in experiment.slots():
        if (info := infos[variant][seed_index]) is not None:
            show_problem(info, f"{experiment.labels[variant]}, seed {experiment.seeds[seed_index]}:")


def _table(result: ExperimentResult) -> None:
    if stuck := not_learned_text(result):
        st.warning(stuck, icon=":material/trending_flat:")
    st.markdown(format_markdown(result))
    finished = result.finished
    if min(finished) < len(result.experiment.seeds):
        st.caption(f"Counted so far: the finished runs ({finished[0]} of A, {finished[1]} of B).")
    st.caption(result.rule)


config = start_page(
    __file__,
    "Experiments",
    "Test the paper's claims on your own network: each experiment trains two variants that differ in the one "
    "thing the claim is about, with several seeds, and lets the data decide.",
)
st.subheader("New experiment")
planned = _plan(config)
if planned is not None:
    _describe(*planned)
    st.button(
        "Run the experiment",
        type="primary",
        key="exp_run",
        on_click=_start,
        args=(planned[0],),
        icon=":material/science:",
    )
error = st.session_state.pop(ERROR, None)
if error:
    show_error(error)

st.divider()
st.subheader("Results")
found = store.list_experiments()
if not found:
    st.info("No experiments yet. Pick a claim and press **Run the experiment**: its curves grow here.")
else:
    ids = [e.id for e in found]
    watched = st.session_state.get(WATCH)
    shown = st.selectbox(
        "Experiment",
        ids,
        index=ids.index(watched) if watched in ids else 0,
        format_func=lambda i: next(f"{e.title} · {e.id}" for e in found if e.id == i),
        key="exp_shown",
    )
    chosen = next(e for e in found if e.id == shown)
    st.caption(setting_text(chosen))
    running = store.state(chosen, store.run_infos(chosen)) == "running"
    (_live if running else _still)(chosen.id)
try_next(
    "open Training to see every run of an experiment on its own, with its filters.", "pages/training.py", "Training"
)
