"""The Training page's results section: what a run learned, read from the files its trainer wrote.

Confusion matrix, per-class accuracy and the wrong answers given with the highest confidence at the
run's latest saved step, and conv1's filters at every epoch (``alexnet.training.run_folder.results`` reads them,
``alexnet.plots.results`` draws them). Nothing here trains or evaluates a network.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.plots import results as plots
from alexnet.plots.activations import grey_filters_note
from alexnet.training import published
from alexnet.training.run_folder import results
from pages.parts.common.run_views import shows_a_run
from pages.parts.common.sidebar import show_error

WRONG_SHOWN = 12  # images in the grid of wrong answers, most confident first
PLOT_CONFIG = {"displayModeBar": False}


@st.cache_data(max_entries=4, show_spinner="Loading the validation images…")
def _wrong_pictures(run_path: str, step: int, indices: tuple[int, ...]) -> np.ndarray:
    """The validation images at ``indices`` for display (cached per run and step: loading the set takes a moment)."""
    return results.validation_pictures(results.validation_set(run_path), list(indices))


def show(info: runs.RunInfo) -> None:
    """The section for one run; a short note instead while it has no results yet."""
    st.subheader("What the network learned", divider="gray")
    _results(info)


@shows_a_run
def _results(info: runs.RunInfo) -> None:
    predictions = results.latest_predictions(info.path)
    history = results.filter_history(info.path)
    if predictions is None and history is None:
        st.info(
            "The confusion matrix and conv1's filters appear after the run's first epoch "
            "(runs started before this feature have none).",
            icon=":material/hourglass_top:",
        )
        return
    if predictions is not None:
        _per_class(info, predictions)
    if history is not None:
        _filters(history, grey=results.learned_on_grey(info.dataset, history.weights.shape[2]))


def _per_class(info: runs.RunInfo, predictions: results.Predictions) -> None:
    classes = runs.run_classes(info.path) or [str(i) for i in range(int(info.network.get("num_classes", 0)))]
    matrix = results.confusion_matrix(predictions, len(classes))
    standing = runs.run_standing(info)  # validated on a test set with a published table (Fashion-MNIST)
    images = runs.validated_on(info)  # "test" where the official test set validated it
    which = f"{images} images"
    st.markdown(
        f"On the **{len(predictions.label):,} {which}** after epoch {predictions.epoch:g} "
        f"(step {predictions.step}): **{predictions.accuracy:.1%}** right. Each row of the matrix is a true class, "
        "each column the class the network said; the diagonal holds the right answers."
    )
    if standing:
        st.info(standing, icon=":material/leaderboard:")
        with st.expander("Your run among the published results"):
            st.dataframe(published.rows_with(info.dataset, predictions.accuracy), hide_index=True)
            st.caption(
                f"From {published.SOURCE}. Its authors list the rows as submitted, not re-run; "
                "those with augmentation saw shifted or flipped copies of the training images."
            )
    left, right = st.columns(2)
    left.plotly_chart(plots.confusion_figure(matrix, classes, images), config=PLOT_CONFIG, key="results_confusion")
    right.plotly_chart(
        plots.class_accuracy_figure(results.per_class_accuracy(matrix), classes, matrix.sum(axis=1)),
        config=PLOT_CONFIG,
        key="results_accuracy",
    )
    wrong = results.confidently_wrong(predictions, WRONG_SHOWN)
    if not len(wrong):
        st.success("Every validation image is classified right.", icon=":material/check_circle:")
        return
    st.markdown(wrong_heading(predictions.confidence[wrong], int((predictions.label != predictions.predicted).sum())))
    try:
        pictures = _wrong_pictures(str(info.path), predictions.step, tuple(int(i) for i in predictions.index[wrong]))
    except AlexNetError as error:
        show_error(error)
        return
    captions = [
        f"true {classes[predictions.label[i]]}, said {classes[predictions.predicted[i]]} "
        f"({predictions.confidence[i]:.0%})"
        for i in wrong
    ]
    st.plotly_chart(plots.wrong_images_figure(pictures, captions), config=PLOT_CONFIG, key="results_wrong")


def wrong_heading(confidence: np.ndarray, total: int) -> str:
    """The line above the grid of wrong answers: ``confidence`` those shown were given (most confident first),
    out of ``total`` wrong answers in all."""
    high, low = f"{confidence.max():.0%}", f"{confidence.min():.0%}"
    given = high if high == low else f"{low}-{high}"
    unsure = ": the network was unsure even of these" if confidence.max() <= 0.5 else ""
    if total == 1:
        return f"**The one wrong answer**, given with {given} confidence{unsure}."
    if len(confidence) == total:
        return f"**All {total} wrong answers**, most confident first ({given}){unsure}."
    return f"**The {len(confidence)} of {total} wrong answers given with the highest confidence** ({given}){unsure}."


def _filters(history: results.FilterHistory, *, grey: bool) -> None:
    count, _, kernel, _ = history.weights.shape[1:]
    if len(history.epochs) == 1:
        st.markdown(
            f"**conv1's {count} filters ({kernel} x {kernel}) as initialised**: random. After each epoch the run "
            "saves them again, and a slider here shows how they form."
        )
    else:
        change = results.filter_change(history.weights, grey=grey)
        stretch = (
            "" if grey else " Each filter is stretched to its own range: dark = most negative, bright = most positive."
        )
        st.markdown(
            f"**conv1's {count} filters ({kernel} x {kernel}) from initialisation to epoch {history.epochs[-1]:g}**, "
            "the paper's Figure 3 for this run. Drag the slider to an epoch, or press play to watch them change: "
            f"since initialisation they moved by {change:.0%} of their size, "
            r"$\lVert W - W_0 \rVert / \lVert W_0 \rVert$." + stretch
        )
    figure = plots.filters_animation(history.weights, history.epochs, grey=grey)
    st.plotly_chart(figure, config=PLOT_CONFIG, key="results_filters")
    if grey:
        st.caption("This run saw only grey images. " + grey_filters_note(history.weights.shape[2]))
