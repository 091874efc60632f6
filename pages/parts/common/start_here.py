"""A first path through the app: the "Start here" box of a first visit, and each page's one line
on what to try next.

The box gives four steps, each a button that opens the right page with the right thing picked:
slide a stride and watch the arithmetic, click a feature-map cell for its receptive field, train
the small network, and see where the trained network looks. Where Fashion-MNIST is on this machine
the last two are real images: 2 epochs of its 60,000 garments at their own 28 px (about 60 s on a
2-core Zen 4), then Grad-CAM on a test garment the run never saw; elsewhere the bundled digits.
Dismissed, the box stays away for the rest of the session.

A step is ticked when its outcome happens, not when its button is pressed (``reached``): a stride
slid, a cell clicked, a run finished, a Grad-CAM drawn with weights that learned something. The
buttons of steps 2 and 4 land on their section of the Activations page (``land_here``), and step 3
says which network it replaced, with a button that puts it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import streamlit as st

from alexnet.network.config import AlexNetConfig
from alexnet.network.diff import network_name
from alexnet.training import fashion_mnist  # a few file checks, no torch: this is every first paint

DISMISSED = "start_here_dismissed"
DONE = "start_here_done"  # the steps whose outcome happened, by number
LAND = "start_here_land"  # the anchor of the section a step's button opens, until the page scrolls there
REPLACED = "start_here_replaced"  # (the network step 3 replaced, its preset name)
SLOTS = "start_here_slots"  # this run's step lines: (st.empty, text) by number
TICK = ":green[:material/check_circle:]"
RECEPTIVE_ANCHOR, GRADCAM_ANCHOR = "receptive-field", "grad-cam"  # the Activations page's section ids
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
    garments = step.number in (3, 4) and fashion_mnist.on_this_machine()
    if step.number == 2:
        state[LAND] = RECEPTIVE_ANCHOR
    elif step.number == 3:
        before = state.get("config"), state.get("preset", "paper")
        if garments:
            use_preset(SMALL_PRESET, input_size=GARMENT_SIZE)
            state["train_dataset"] = "fashion-mnist"
            state["train_epochs"] = GARMENT_EPOCHS  # the learner's value from here on (the default is 8)
        else:
            use_preset(SMALL_PRESET)
            state["train_dataset"] = "digits"
        if before[0] is not None and before[0] != state.get("config"):
            state[REPLACED] = before  # said in the box, with a button that puts it back
    elif step.number == 4:
        from alexnet import runs  # imports torch: only when pressed, never for the first page's paint
        from alexnet.network.weights_choice import RUN
        from pages.parts.common.image_sources import DIGIT, GARMENT

        state[LAND] = GRADCAM_ANCHOR
        dataset = "fashion-mnist" if garments else "digits"
        trained = [info for info in runs.list_runs() if info.has_checkpoint and info.dataset == dataset]
        state["act_source"] = GARMENT if garments else DIGIT
        if garments:
            state["act_garment"], state["act_garment_example"] = STEP4_GARMENT, 0
        if trained:
            state["act_weights"] = f"{RUN}:{trained[0].run_id}"  # the newest


def _dismiss() -> None:
    st.session_state[DISMISSED] = True


def reached(number: int, *, redraw: bool = False) -> bool:
    """Tick step ``number``: its outcome happened. A callback (run before the box) needs nothing more.
    With ``redraw``, the box drawn earlier in this run shows the tick at once (not from a fragment: it
    may not write outside itself). Returns True if the tick is news that is still to be shown: a
    fragment's caller then reruns the page."""
    done: set[int] = st.session_state.setdefault(DONE, set())
    if number in done:
        return False
    done.add(number)
    if st.session_state.get(DISMISSED):
        return False
    slot = st.session_state.get(SLOTS, {}).get(number) if redraw else None
    if slot is None:
        return True
    place, text = slot
    place.markdown(f"{TICK} {text}")
    return False


def land_here(anchor: str) -> None:
    """Scroll to the section ``anchor`` (an ``st.subheader``'s anchor) if a step's button opened the page for it.
    Called at the end of the page, so the section is drawn; the browser looks for it for up to 5 s."""
    if st.session_state.get(LAND) != anchor:
        return
    del st.session_state[LAND]
    _SCROLL(data={"anchor": anchor, "nonce": id(object())}, key="start_here_scroll")


_SCROLL = st.components.v2.component(
    "alexnet_scroll_to",
    js="""
export default function ({ data }) {
  let tries = 0;
  const look = () => {
    const target = document.getElementById(data.anchor);
    if (target) target.scrollIntoView({ block: "start" });
    else if (++tries < 50) setTimeout(look, 100);
  };
  look();
}
""",
    isolate_styles=False,
)


def start_here_box(use_preset: Callable[..., None], restore: Callable[[AlexNetConfig, str], None]) -> None:
    """The Start-here box at the top of every page, until it is dismissed. ``use_preset(name,
    input_size=None)`` makes a preset the current network (the sidebar's own way, so every widget follows);
    ``restore(config, preset_name)`` puts back the network step 3 replaced."""
    state = st.session_state
    if state.get(DISMISSED):
        state.pop(SLOTS, None)
        return
    done: set[int] = state.setdefault(DONE, set())
    slots = state[SLOTS] = {}  # this run's step lines, for reached(redraw=True)
    with st.container(border=True, key="start_here"):
        title, close = st.columns([3, 1], vertical_alignment="center")
        title.markdown("**Start here:** four steps through what AlexNet Explorer shows best.")
        close.button("Dismiss", key="start_here_dismiss", on_click=_dismiss, width="stretch")
        for step in steps():
            text, go = st.columns([3, 1], vertical_alignment="center")
            mark = TICK if step.number in done else f"{step.number}."
            slots[step.number] = (text.empty(), step.text)
            slots[step.number][0].markdown(f"{mark} {step.text}")
            # the picks are made in the click's callback, before this run draws the widgets they set
            if go.button(
                step.button,
                key=f"start_here_{step.number}",
                on_click=_prepare,
                args=(step, use_preset),
                width="stretch",
            ):
                st.switch_page(step.page)
            if step.number == 3 and REPLACED in state:
                _replaced_note(state[REPLACED], restore)


def _replaced_note(replaced: tuple[AlexNetConfig, str], restore: Callable[[AlexNetConfig, str], None]) -> None:
    note, back = st.columns([3, 1], vertical_alignment="center")
    note.caption(f"Step 3 made the small network the current one, in place of yours: {network_name(replaced[0])}.")
    back.button("Put mine back", key="start_here_restore", on_click=_restore, args=(replaced, restore), width="stretch")


def _restore(replaced: tuple[AlexNetConfig, str], restore: Callable[[AlexNetConfig, str], None]) -> None:
    del st.session_state[REPLACED]
    restore(*replaced)


def try_next(text: str, page: str, label: str, *more: tuple[str, str]) -> None:
    """A page's last line: one thing to try next, and the link that goes there (``more``: further
    (page, label) links, for a line that names more than one page)."""
    st.divider()
    words, link = st.columns([3, 1], vertical_alignment="center")
    words.caption(f"**Try next:** {text}")
    with link:
        for target, name in ((page, label), *more):
            st.page_link(target, label=name, icon=":material/arrow_forward:")
