"""A first path through the app: the "Start here" box of a first visit, and each page's one line
on what to try next.

The box gives four steps, each a button that opens the right page with the right thing picked:
slide a stride and watch the arithmetic, click a feature-map cell for its receptive field, train
the small network, and see where the trained network looks. Where Fashion-MNIST is on this machine
the last two are real images: 2 epochs of its 60,000 garments at their own 28 px (about 60 s on a
2-core Zen 4), then Grad-CAM on a test garment the run never saw; elsewhere the bundled digits.
Dismissed, the box stays away for the rest of the session. Pressing a step also ticks it, so the
box shows how far the learner got.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import streamlit as st

from alexnet.training import fashion_mnist  # a few file checks, no torch: this is every first paint

DISMISSED = "start_here_dismissed"
DONE = "start_here_done"  # the steps pressed so far, by number
SMALL_PRESET = "cifar"
GARMENT_EPOCHS = 2  # 60,000 images each: 88.9 % on the test images in 1 min 0 s on a 2-core Zen 4 (batch 64)
GARMENT_SIZE = 28  # the small network at Fashion-MNIST's own size: an upscale to 32 px costs 1.5x for nothing
# Step 4's garment: a sneaker fills a low band of its picture, so where the heat lies says something
# (a T-shirt's box is 79 % of the image: as much heat lands on it by chance)
STEP4_GARMENT = 7  # fashion_mnist.CLASSES[7] == "Sneaker"


@dataclass(frozen=True)
class Step:
    """One numbered step: what to do, the page that does it, and its button's label."""

    number: int
    text: str
    page: str
    button: str  # the page it opens


STEPS = (
    Step(
        1,
        "**Slide a stride:** drag conv1's *Stride S* and watch the arithmetic and every shape follow.",
        "pages/architecture.py",
        "Architecture",
    ),
    Step(
        2,
        "**Click a feature-map cell:** see which pixels of the image it sees (its receptive field).",
        "pages/activations.py",
        "Activations",
    ),
    Step(
        3,
        "**Train the small network** (a small AlexNet for 32 px images) on the bundled digits: under a minute.",
        "pages/training.py",
        "Training",
    ),
    Step(
        4,
        "**See where it looks:** Grad-CAM on a digit, with your run's weights.",
        "pages/activations.py",
        "Activations",
    ),
)


# Steps 3 and 4 where Fashion-MNIST is on this machine: the same actions on real images
ON_GARMENTS = {
    3: replace(
        STEPS[2],
        text=f"**Train the small network** on Fashion-MNIST's 60,000 photos of clothes at their own 28 px: "
        f"{GARMENT_EPOCHS} epochs, one to three minutes on two cores.",
    ),
    4: replace(
        STEPS[3], text="**See where it looks:** Grad-CAM on a test sneaker your run never saw, with its weights."
    ),
}


def steps() -> tuple[Step, ...]:
    """The four steps as this machine can take them: on garments where Fashion-MNIST is here."""
    if not fashion_mnist.on_this_machine():
        return STEPS
    return tuple(ON_GARMENTS.get(step.number, step) for step in STEPS)


def _prepare(step: Step, use_preset: Callable[..., None]) -> None:
    """What a step's button picks before its page opens (the button's on_click callback)."""
    state = st.session_state
    state.setdefault(DONE, set()).add(step.number)
    garments = step.number in (3, 4) and fashion_mnist.on_this_machine()
    if step.number == 3:
        if garments:
            use_preset(SMALL_PRESET, input_size=GARMENT_SIZE)
            state["train_dataset"] = "fashion-mnist"
            state["train_epochs"] = GARMENT_EPOCHS  # the learner's value from here on (the default is 8)
        else:
            use_preset(SMALL_PRESET)
            state["train_dataset"] = "digits"
    elif step.number == 4:
        from alexnet import runs  # imports torch: only when pressed, never for the first page's paint
        from pages.parts.activation_choices import DIGIT, GARMENT, RUN

        dataset = "fashion-mnist" if garments else "digits"
        trained = [info for info in runs.list_runs() if info.has_checkpoint and info.dataset == dataset]
        state["act_source"] = GARMENT if garments else DIGIT
        if garments:
            state["act_garment"], state["act_garment_example"] = STEP4_GARMENT, 0
        if trained:
            state["act_weights"] = f"{RUN}:{trained[0].run_id}"  # the newest


def _dismiss() -> None:
    st.session_state[DISMISSED] = True


def start_here_box(use_preset: Callable[..., None]) -> None:
    """The Start-here box at the top of every page, until it is dismissed. ``use_preset(name,
    input_size=None)`` makes a preset the current network (the sidebar's own way, so every widget follows)."""
    state = st.session_state
    if state.get(DISMISSED):
        return
    done: set[int] = state.setdefault(DONE, set())
    with st.container(border=True, key="start_here"):
        title, close = st.columns([3, 1], vertical_alignment="center")
        title.markdown("**Start here:** four steps through what AlexNet Explorer shows best.")
        close.button("Dismiss", key="start_here_dismiss", on_click=_dismiss, width="stretch")
        for step in steps():
            text, go = st.columns([3, 1], vertical_alignment="center")
            mark = ":green[:material/check_circle:]" if step.number in done else f"{step.number}."
            text.markdown(f"{mark} {step.text}")
            # the picks are made in the click's callback, before this run draws the widgets they set
            if go.button(
                step.button,
                key=f"start_here_{step.number}",
                on_click=_prepare,
                args=(step, use_preset),
                width="stretch",
            ):
                st.switch_page(step.page)


def try_next(text: str, page: str, label: str) -> None:
    """A page's last line: one thing to try next, and the link that goes there."""
    st.divider()
    words, link = st.columns([3, 1], vertical_alignment="center")
    words.caption(f"**Try next:** {text}")
    with link:
        st.page_link(page, label=label, icon=":material/arrow_forward:")
