"""The Activations page's Grad-CAM section: where the network looks when it picks a class.

Called from ``pages/activations.py`` with the weights chosen in its Weights box; the
computation is ``alexnet.inspect.gradcam.explain`` (Captum), the pictures ``alexnet.plots.gradcam``.
"""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from alexnet.errors import AlexNetError
from alexnet.inspect import gradcam, images
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import AlexNet
from alexnet.plots import gradcam as plots
from pages.parts.activations.activation_data import explanation
from pages.parts.common.sidebar import show_error
from pages.parts.common.start_here import GRADCAM_ANCHOR, reached

TOP = -1  # the Class box's "top prediction" entry
PLOT_CONFIG = {"displayModeBar": False}


def show(
    config: AlexNetConfig,
    weights: str,
    stamp: int,
    image: images.Preprocessed,
    model: AlexNet,
    lock: threading.Lock,
    class_names: list[str] | None,
    *,
    digit: np.ndarray | None = None,
    subject: str = "digit",
    true_class: int | None = None,
) -> None:
    """The section: layer, class and opacity controls, the overlay, the saliency map and the class's score.

    Args:
        config, weights, stamp: what the page's model is (cache keys).
        image: the preprocessed image the page shows.
        model, lock: the page's cached model and the lock that guards its hooks.
        class_names: names of the outputs, or ``None`` ("class i").
        digit: the original picture of a digit (8 x 8) or garment (28 x 28) on black, when the image is one:
            the map's share inside the box of its nonzero pixels is shown, beside the box's share of the image
            (what an evenly spread map would put there).
        subject: what ``digit`` shows, for the sentence: "digit" or "garment".
        true_class: the output that is right for the image, where known: a wrong top prediction is said so.
    """
    st.subheader("5 · Where the network looks (Grad-CAM)", divider="gray", anchor=GRADCAM_ANCHOR)
    names = class_names or [f"class {i}" for i in range(config.num_classes)]
    layers = list(gradcam.conv_layers(model))
    for key, options in (("cam_layer", layers), ("cam_class", [TOP, *range(len(names))])):
        if key in st.session_state and st.session_state[key] not in options:
            del st.session_state[key]  # other weights, another network: its layers and classes differ
    pick_layer, pick_class, pick_opacity = st.columns([1, 2, 1.4])
    layer = pick_layer.selectbox(
        "Layer",
        layers,
        index=len(layers) - 1,
        key="cam_layer",
        help="Grad-CAM weighs this layer's maps by how much the class's score rises with them. The last one sees "
        "whole objects but coarsely; earlier ones are sharper but see less.",
    )
    choice = pick_class.selectbox(
        "Class",
        [TOP, *range(len(names))],
        key="cam_class",
        format_func=lambda i: "the top prediction" if i == TOP else names[i],
        help="Which class to explain: by default the one the network scores highest. Type to search.",
    )
    opacity = pick_opacity.slider("Heat map opacity", 0.0, 1.0, 0.6, 0.05, key="cam_opacity")
    try:
        result = explanation(
            config, weights, stamp, image.key, layer, None if choice == TOP else choice, model, image, lock
        )
    except AlexNetError as error:
        show_error(error)
        return
    if not weights.startswith("random:"):
        reached(4, redraw=True)  # Start here's step 4: a heat map that means something
    if weights.startswith("random:"):
        st.warning(
            "**Random weights: this heat map explains noise.** An untrained network has learned nothing to look "
            "for; train a run (or load the ImageNet weights) and choose it in the Weights box.",
            icon=":material/casino:",
        )
    name = names[result.target]
    overlay, saliency, facts = st.columns([1, 1, 0.8])
    overlay.plotly_chart(
        plots.overlay_figure(
            plots.overlay(image.resized, result.heatmap, opacity), title=f"Grad-CAM of {name} at {result.layer}"
        ),
        config=PLOT_CONFIG,
        key="cam_overlay",
    )
    saliency.plotly_chart(
        plots.saliency_figure(result.saliency, title=f"Saliency of {name} (|gradient|)"),
        config=PLOT_CONFIG,
        key="cam_saliency",
    )
    with facts:
        st.metric(
            f"Score of {name}",
            f"{result.score:.3f}",
            help="The class's logit: the network's output before the softmax.",
        )
        st.metric(
            "Probability",
            f"{result.probability:.1%}",
            help="softmax of the scores: exp(score) / sum of exp(all scores).",
        )
        if true_class is not None and result.top != true_class:
            st.markdown(wrong_top(result.target, result.top, true_class, names))
        elif result.target != result.top:
            st.caption(f"The network's top prediction is **{names[result.top]}**.")
        if digit is not None:
            heat, chance = gradcam.heat_against_chance(result.heatmap, gradcam.ink_box(digit, result.heatmap.shape[0]))
            st.markdown(
                f"Heat on the {subject}'s box: **{heat:.0%}**, against **{chance:.0%}** by chance (the box's share of "
                "the image).",
                help=f"Share of the heat map inside the bounding box of the {subject}'s nonzero pixels. A map spread "
                f"evenly puts the box's share of the image inside it: above that, the map sits on the {subject}; near "
                "it, it could sit anywhere.",
            )
    h, w = result.cam.shape
    st.caption(
        f"**Grad-CAM** (Selvaraju et al., 2017): each of the {result.layer} maps $A_k$ ({h} x {w} here) is weighted by "
        r"the mean of the score's gradient over it, $\alpha_k = \frac{1}{hw}\sum_{i,j} \partial y_c / \partial "
        r"A_k^{ij}$, and the weighted sum is rectified, $L_c = \mathrm{ReLU}\big(\sum_k \alpha_k A_k\big)$, then "
        "enlarged to the image (red = hot, blue = cold). **Saliency** (Simonyan et al., 2014): how strongly each "
        r"input pixel moves the score, $|\partial y_c / \partial x|$."
    )


def wrong_top(target: int, top: int, true_class: int, names: list[str]) -> str:
    """The caption for a wrong top prediction: it is wrong, the true class, and which of the two the map explains."""
    said = f"**The top prediction, {names[top]}, is wrong**: the true class is {names[true_class]}. "
    if target == top:
        return (
            f"{said}This map explains the wrong answer; choose {names[true_class]} in the Class box to see what "
            "speaks for the right one."
        )
    if target == true_class:
        return said + "This map explains the true class."
    return said
