"""What the AppTest tests share: the app opened on one page, and reruns until a condition holds."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(script: str, timeout: float = 60) -> AppTest:
    """The app, run once through app.py, then switched to ``script`` (e.g. "pages/training.py")."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(script)
    at.run()
    return at


def mounted_charts(at: AppTest) -> dict[str, dict]:
    """The charts ``pages.parts.common.mounted_chart`` drew, by key: what each sent (``{"figure", "config"}``)."""
    charts = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name == "alexnet_mounted_chart":
            key = element.proto.id.rsplit("-", 1)[-1]  # a keyed element's id ends with "-<key>"
            charts[key] = json.loads(element.proto.bytes)
    return charts


def rerun_until(at: AppTest, condition: Callable[[AppTest], bool], timeout: float = 60.0) -> None:
    """Rerun the page every half second until ``condition(at)``; fail with the page's text after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, at.exception
        if condition(at):
            return
        assert time.monotonic() < deadline, [m.value for m in at.markdown] + [c.value for c in at.caption]
        time.sleep(0.5)


def layer_table(at: AppTest) -> tuple[pd.DataFrame, set[int]]:
    """The Architecture page's layer table (``st.table``) under its shown titles, and its shaded rows.

    The shading is the table's pandas Styler CSS (``#T_<uuid>_row<i>_col<j> { background-color: ... }``)
    that Streamlit sends with the data: a row counts as shaded when its cells have a background."""
    (element,) = [table for table in at.table if "Formula" in table.value.columns]
    shaded = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", element.proto.arrow_data.styler.styles):
        if "background-color" in body:
            shaded |= {int(row) for row in re.findall(r"_row(\d+)_col\d+", selectors)}
    return element.value, shaded


def stand_in_timing(monkeypatch, seconds_per_image: Callable[[object], float]) -> None:
    """The pages' training-speed timing replaced: ``seconds_per_image(config)`` per image, 10 ms per step."""
    from alexnet.training.speed import TrainingSpeed
    from pages.parts.common import epoch_estimate

    def timed(config, *, batch_size=32, **_):
        return TrainingSpeed(
            seconds_per_image=seconds_per_image(config), seconds_per_step=0.01, batch_size=batch_size, timed_batch=2,
            precision="fp32", measured_in_s=0.0,
        )  # fmt: skip

    monkeypatch.setattr(epoch_estimate, "measure_training_speed", timed)


def record_deferred_downloads(monkeypatch) -> dict[str, Callable[[], object]]:
    """Every download button's deferred ``data`` callable, by the ``deferred_file_id`` of its proto.

    AppTest's runtime exists only while a script runs, so a test calls the callable itself, as
    Streamlit does when the button is pressed.
    """
    from streamlit.runtime.media_file_manager import MediaFileManager

    callables: dict[str, Callable[[], object]] = {}
    register = MediaFileManager.add_deferred

    def record(self, data_callable, *args, **kwargs):
        file_id = register(self, data_callable, *args, **kwargs)
        callables[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return callables
