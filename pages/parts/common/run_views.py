"""The one guarded path by which a page draws a view of one run.

A run folder can hold anything: a trainer killed mid-write, a file edited by hand, a disk that
failed. ``alexnet.training.run_folder.read`` reads every file of it and turns whatever is wrong into an
``AlexNetError`` that names the run, the file and the field. A view of a run (the live view, what
it learned, a curve in the comparison, its CSV, its weights) is decorated with ``shows_a_run``:
such an error is drawn in that view's place as a broken run, its problem named, and the rest of
the page goes on. A list of runs (the runs table, an experiment's runs) names each damaged one
with ``show_problem``: ``RunInfo.problem`` is what ``get_run`` could not read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from alexnet import runs
from alexnet.errors import AlexNetError

P = ParamSpec("P")
R = TypeVar("R")


def shows_a_run(view: Callable[P, R]) -> Callable[P, R | None]:
    """``view``, with a run it cannot read drawn as broken (``show_broken``) instead of raised; returns None then."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return view(*args, **kwargs)
        except AlexNetError as error:
            show_broken(error)
            return None

    return guarded


def show_broken(error: AlexNetError) -> None:
    """A run whose files cannot be read: what is wrong (run, file, field) and what to do, never a traceback."""
    st.warning(error.message, icon=":material/broken_image:")


def show_problem(info: runs.RunInfo, label: str = "") -> None:
    """One line naming what is wrong with ``info``'s files (nothing when they all read), ``label`` before its id."""
    if info.problem:
        st.caption(f":material/broken_image: {label}{' ' if label else ''}**{info.run_id}**: {info.problem}")
