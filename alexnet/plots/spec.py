"""A figure built once and sent many times: ``FigureSpec``, the plain dict plotly.js reads.

``st.plotly_chart`` turns a ``go.Figure`` into that dict with ``to_dict()``: a deep copy of every
trace and frame, each list checked for arrays to base64-encode. It validates a plain dict by
building graph objects from it. Either way the work is repeated on every rerun, for every
session, for a figure that is the same each time its configuration comes back: on the
Architecture page that was most of a rerun (issue 17's profile). A ``FigureSpec`` is a
``go.Figure`` (so Streamlit takes it as one, already valid) that holds the finished dict and hands
it out as it is: no copy, no check, no graph objects. Build one from a dict a builder wrote
(``FigureSpec(spec)``) or from a ``go.Figure`` built and checked once (``FigureSpec.of(figure)``).

It is read-only: a caller that changes ``to_dict()``'s result changes the figure for everyone.
``figure()`` gives a checked, independent ``go.Figure`` (the tests prove each builder's output
valid that way).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio


class FigureSpec(go.Figure):
    """A plotly figure kept as its plain dict (``{"data": [...], "layout": {...}, "frames": [...]}``)."""

    def __init__(self, spec: dict[str, Any]) -> None:  # not go.Figure.__init__: it would validate the spec
        object.__setattr__(self, "_spec", spec)

    @classmethod
    def of(cls, figure: go.Figure) -> FigureSpec:
        """``figure`` (built and validated by plotly once) as a spec."""
        return cls(figure.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The spec itself, not a copy (what ``st.plotly_chart`` serialises)."""
        return self._spec

    def to_plotly_json(self) -> dict[str, Any]:
        return self._spec

    def figure(self) -> go.Figure:
        """A validated, independent ``go.Figure`` of this spec (raises ``ValueError`` if it is not valid)."""
        return go.Figure(copy.deepcopy(self._spec))

    def __repr__(self) -> str:
        return f"FigureSpec({len(self._spec.get('data', []))} traces, {len(self._spec.get('frames', []))} frames)"


@functools.cache
def default_template() -> dict[str, Any]:
    """plotly's default template as a dict: what ``go.Figure(...).to_dict()`` puts in every layout, so a
    figure written as a dict looks exactly like one built from graph objects. Shared: never change it."""
    return pio.templates[pio.templates.default].to_plotly_json()
