"""The Training page's comparison of the runs picked in its table: their curves overlaid, and each
one's CSV and weights (safetensors).

Each run is read through ``run_views.shows_a_run``: a run whose files cannot be read is drawn as
broken, its problem named, and the others are still compared.
"""

from __future__ import annotations

import streamlit as st

from alexnet import runs
from alexnet.plots.smoothing import smooth
from alexnet.plots.training import overlay_figure
from pages.parts.common.run_views import show_problem, shows_a_run

Curve = tuple[list, list]


def show(chosen: list[runs.RunInfo], weight: float) -> None:
    """The overlaid loss (smoothed by ``weight``) and validation accuracy of ``chosen``, then a CSV button per run."""
    losses: dict[str, Curve] = {}
    accuracies: dict[str, Curve] = {}
    for info in chosen:
        _curves(info, weight, losses, accuracies)
    left, right = st.columns(2)
    left.plotly_chart(
        overlay_figure(losses, title="Loss (smoothed)", x_title="step", y_title="loss"), key="train_overlay_loss"
    )
    right.plotly_chart(
        overlay_figure(accuracies, title="Validation accuracy", x_title="epoch", y_title="accuracy (%)", percent=True),
        key="train_overlay_accuracy",
    )
    for info in chosen:
        left, right = st.columns(2)
        with left:
            _csv_button(info)
        with right:
            _weights_button(info)


@shows_a_run
def _curves(info: runs.RunInfo, weight: float, losses: dict[str, Curve], accuracies: dict[str, Curve]) -> None:
    metrics = runs.read_metrics(info.path)
    show_problem(info)  # its curves are drawn from what could be read: say what could not
    losses[info.run_id] = (metrics.column("step"), smooth(metrics.column("loss"), weight))
    accuracies[info.run_id] = (metrics.column("epoch", epochs=True), metrics.column("val_accuracy", epochs=True))


@shows_a_run
def _csv_button(info: runs.RunInfo) -> None:
    st.download_button(
        f"Metrics of {info.run_id} (CSV)",
        runs.metrics_csv(info.path),
        file_name=f"{info.run_id}-metrics.csv",
        mime="text/csv",
        key=f"train_csv_{info.run_id}",
        icon=":material/download:",
    )


@shows_a_run
def _weights_button(info: runs.RunInfo) -> None:
    """The run's last checkpoint as safetensors (built when pressed): Activations' Weights box loads it back."""
    st.download_button(
        f"Weights of {info.run_id} (.safetensors)", lambda: runs.run_safetensors(info.path),
        file_name=f"{info.run_id}.safetensors", mime="application/octet-stream", key=f"train_weights_{info.run_id}",
        icon=":material/download:", on_click="ignore", disabled=not info.has_checkpoint,
        help="Its network and weights in one file (no code inside, unlike a pickled .pt): pick 'A weights file' "
        "in Activations' Weights box to see them there, on any machine."
        if info.has_checkpoint else "No checkpoint yet: the first one is saved at the end of the first epoch.",
    )  # fmt: skip
