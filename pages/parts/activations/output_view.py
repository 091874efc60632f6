"""The Activations page's sections 3 and 4: conv1's filters, and the network's answer for the image.

conv1's filters are drawn in colour, or in grey where the input is grey (``alexnet.runs.weights_meaning.grey_filters``);
the answer is marked wrong, with the true class named, where the image's class is known (a digit sample).
"""

from __future__ import annotations

import streamlit as st

from alexnet.inspect import images
from alexnet.network.config import AlexNetConfig
from alexnet.plots import activations as plots
from alexnet.plots import prediction

PLOT_CONFIG = {"displayModeBar": False}

# cached by their inputs (arrays hashed by content) and shared read-only, as the page's other figures
filters_figure = st.cache_resource(max_entries=48, show_spinner=False)(plots.filters_figure)
top_classes_figure = st.cache_resource(max_entries=48, show_spinner=False)(prediction.top_classes_figure)


def show(
    config: AlexNetConfig,
    run: images.ImageRun,
    *,
    random: bool,
    grey: bool,
    names: list[str] | None,
    true_class: int | None,
) -> None:
    """conv1's filters beside the top-5 classes.

    Args:
        random: the weights are a random initialisation (nothing learned).
        grey: draw the filters in grey, as the sum over their input channels.
        names: the outputs' names, or ``None`` ("class i").
        true_class: the output that is right for this image, where known: a wrong top answer is marked.
    """
    filters, output = st.columns([1.3, 1])
    with filters:
        st.subheader("3 · conv1's filters", divider="gray")
        count, inputs, kernel, _ = run.filters.shape
        stretch = "" if grey else ", each stretched to its own range (dark = most negative, bright = most positive)"
        if random:
            learned = "These are random: training turns them into edges, stripes and colour blobs, slowly."
        else:
            learned = "Training turns them into edges and stripes; after a short run they still look mostly random."
        st.markdown(
            f"The {count} filters of {kernel} x {kernel} pixels that conv1 slides over the image{stretch}. {learned}"
        )
        st.plotly_chart(filters_figure(run.filters, grey=grey, width=520), config=PLOT_CONFIG)
        if grey:
            st.caption(plots.grey_filters_note(inputs))
    with output:
        st.subheader("4 · Output", divider="gray")
        if random:
            st.warning(
                "**Random weights: these scores are noise**, not a prediction. An untrained network "
                f"spreads its guesses almost evenly over the {config.num_classes} classes.",
                icon=":material/casino:",
            )
        st.plotly_chart(
            top_classes_figure(run.logits, names, title="Top 5 classes (softmax)", true_class=true_class),
            config=PLOT_CONFIG,
        )
        answer = prediction.verdict(run.logits, true_class, names)
        if answer is not None and not (random and answer.right):  # noise that lands on the digit is not "right"
            st.markdown(answer.sentence)
