"""No view of a run can raise: every broken-run case crossed with every view that shows a run.

The run is a real one (``digits_run``: two epochs, a checkpoint, per-epoch results), copied per
case and then damaged one way; it is the only run, so it is the one every view watches. Each view
must draw the page without an exception, and a view that reads the damaged file must name it
(the problem said where it shows). To add a view or a case, add one line to ``VIEWS`` or ``CASES``.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from app_support import open_page
from PIL import Image
from streamlit.testing.v1 import AppTest

from alexnet.cli import main as cli_main
from alexnet.training import run_folder
from alexnet.training.run_folder import results

CONFIG, STATUS, METRICS, CHECKPOINT = run_folder.CONFIG, run_folder.STATUS, run_folder.METRICS, run_folder.CHECKPOINT
RESULTS = results.FOLDER

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ how a run is broken


def edit_json(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = json.loads((path / name).read_text())
        change(data)
        (path / name).write_text(json.dumps(data))

    return damage


def cut(name: str, keep: float = 0.5) -> Callable[[Path], None]:
    """The file cut short, as a disk that filled up mid-write would leave it."""

    def damage(path: Path) -> None:
        data = (path / name).read_bytes()
        (path / name).write_bytes(data[: int(len(data) * keep)])

    return damage


def unreadable(name: str) -> Callable[[Path], None]:
    """A folder where the file should be: reading it fails, even for root."""

    def damage(path: Path) -> None:
        target = path / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.mkdir()
        (target / "x").write_text("x")

    return damage


def replaced(name: str, content: bytes) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        (path / name).write_bytes(content)

    return damage


def foreign_metrics(path: Path) -> None:
    with (path / METRICS).open("a") as file:
        file.write('{"kind": "step", "step": "ten"}\n[1, 2]\nnot json\n')


def predictions_without_index(path: Path) -> None:
    import numpy as np

    latest = sorted((path / RESULTS).glob("predictions-*.npz"))[-1]
    with np.load(latest) as saved:
        kept = {k: saved[k] for k in saved.files if k != "index"}
    np.savez(latest, **kept)


def filters_not_a_zip(path: Path) -> None:
    for filters in (path / RESULTS).glob("filters-*.npz"):
        filters.write_bytes(b"PK\x03\x04 not really a zip")


def results_not_a_folder(path: Path) -> None:
    shutil.rmtree(path / RESULTS)
    (path / RESULTS).write_text("not a folder")


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # the damaged file, which a view that reads it must name
    damage: Callable[[Path], None]


CASES = [
    # config.json: a field missing, mistyped, out of range; the file cut short, unreadable
    Case("config-no-network", CONFIG, edit_json(CONFIG, lambda d: d.pop("network"))),
    Case("config-epochs-text", CONFIG, edit_json(CONFIG, lambda d: d["training"].update(epochs="many"))),
    Case("config-lr-negative", CONFIG, edit_json(CONFIG, lambda d: d["training"].update(lr=-1))),
    Case("config-classes-text", CONFIG, edit_json(CONFIG, lambda d: d["dataset"].update(classes="0123456789"))),
    Case("config-cut", CONFIG, cut(CONFIG)),
    Case("config-unreadable", CONFIG, unreadable(CONFIG)),
    # status.json
    Case("status-no-state", STATUS, edit_json(STATUS, lambda d: d.pop("state"))),
    Case("status-pid-text", STATUS, edit_json(STATUS, lambda d: d.update(pid="1234"))),
    Case("status-epoch-negative", STATUS, edit_json(STATUS, lambda d: d.update(epoch=-1.0))),
    Case("status-cut", STATUS, cut(STATUS)),
    Case("status-unreadable", STATUS, unreadable(STATUS)),
    # metrics.jsonl
    Case("metrics-foreign-lines", METRICS, foreign_metrics),
    Case("metrics-cut", METRICS, cut(METRICS, 0.7)),
    Case("metrics-unreadable", METRICS, unreadable(METRICS)),
    # checkpoint.pt
    Case("checkpoint-cut", CHECKPOINT, cut(CHECKPOINT)),
    Case("checkpoint-not-torch", CHECKPOINT, replaced(CHECKPOINT, b"\x00\xff not a checkpoint")),
    # results/
    Case("predictions-no-index", RESULTS, predictions_without_index),
    Case("filters-not-a-zip", RESULTS, filters_not_a_zip),
    Case("results-not-a-folder", RESULTS, results_not_a_folder),
]


# ------------------------------------------------------------------ the views


def page_text(at: AppTest) -> str:
    assert not at.exception, [e.value for e in at.exception]
    parts = [*at.markdown, *at.caption, *at.warning, *at.error, *at.info, *at.success]
    return "\n".join(str(part.value) for part in parts)


def training_page(path: Path) -> str:
    """The Training page: the live view, what the run learned, and the runs table."""
    return page_text(open_page("pages/training.py", timeout=120))


def compare_script(run: str) -> None:
    from alexnet import runs
    from pages.parts.training import training_compare

    training_compare.show([runs.get_run(run)], 0.6)


def comparison(path: Path) -> str:
    """The runs table's comparison of the picked runs: the overlaid curves and each run's CSV."""
    at = AppTest.from_function(compare_script, args=(path.name,), default_timeout=60)
    at.run()
    text = page_text(at)
    buttons = [b.proto.label for b in at.get("download_button")]
    return text + "\n" + "\n".join(buttons)


def activations_page(path: Path) -> str:
    """Activations with the run's weights picked in the Weights box (where the box offers them)."""
    at = open_page("pages/activations.py", timeout=120)
    picker = at.selectbox(key="act_weights")
    if f"run:{path.name}" in picker.options or f"Trained run {path.name}" in picker.options:
        picker.set_value(f"run:{path.name}").run()
    return page_text(at)


def experiments_page(path: Path) -> str:
    """The Experiments page with an experiment whose first run is this one."""
    from alexnet.experiments import store
    from alexnet.network.config import PRESETS
    from alexnet.training.settings import TrainSettings

    planned = store.plan("relu-vs-tanh", PRESETS["cifar"], TrainSettings(epochs=2), seeds=1)
    store.save(store.with_run(planned, 0, 0, path.name), path.parent)
    return page_text(open_page("pages/experiments.py", timeout=120))


def explain(path: Path) -> str:
    """``python -m alexnet explain --run RUN``: exit 0 with a picture, or 2 and the problem on stderr."""
    image = path.parent / "seven.png"
    Image.new("L", (8, 8), 128).save(image)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(["explain", "--run", path.name, "--runs-dir", str(path.parent), "--image", str(image),
                         "--out", str(path.parent / "cam.png")])  # fmt: skip
    assert code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    return err.getvalue() if code else "drawn"


def cli(*arguments: str) -> tuple[int, str]:
    """A ``python -m alexnet`` command in this process: its exit code, and its stdout and stderr together."""
    out = io.StringIO()
    with contextlib.redirect_stderr(out), contextlib.redirect_stdout(out):
        code = cli_main(list(arguments))
    assert code in (0, 2) and "Traceback" not in out.getvalue(), out.getvalue()
    return code, out.getvalue()


def runs_csv(path: Path) -> str:
    """``python -m alexnet runs --csv FILE`` (the Training page's all-runs CSV is the same function)."""
    code, said = cli("runs", "--csv", str(path.parent / "all.csv"), "--runs-dir", str(path.parent))
    assert code == 0 and (path.parent / "all.csv").read_text().startswith("run_id,"), said
    return said


def onnx_export(path: Path) -> str:
    """``python -m alexnet export --onnx FILE --run RUN``: a file, or exit 2 and the problem."""
    return cli("export", "--onnx", str(path.parent / "run.onnx"), "--run", path.name, "--runs-dir", str(path.parent))[1]


@dataclass(frozen=True)
class View:
    draw: Callable[[Path], str]
    reads: frozenset[str]  # the files whose damage this view must name


VIEWS = {
    "training page (live view, results, runs table)": View(
        training_page, frozenset({CONFIG, STATUS, METRICS, RESULTS})
    ),
    "comparison and CSV": View(comparison, frozenset({METRICS})),
    "activations weight picker": View(activations_page, frozenset({CONFIG, CHECKPOINT})),
    "experiments": View(experiments_page, frozenset({CONFIG, STATUS, METRICS})),
    "explain": View(explain, frozenset({CONFIG, CHECKPOINT})),
    "runs CSV": View(runs_csv, frozenset({CONFIG, STATUS, METRICS})),
    "ONNX export": View(onnx_export, frozenset({CONFIG, CHECKPOINT})),
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_broken_run_is_drawn_as_broken_in_every_view(case, view, digits_run, tmp_path, monkeypatch):
    root = tmp_path / "runs"
    path = root / digits_run.name
    shutil.copytree(digits_run, path)
    case.damage(path)
    monkeypatch.setenv(run_folder.RUNS_DIR_ENV, str(root))
    shown = VIEWS[view].draw(path)
    assert "Traceback" not in shown
    if case.file in VIEWS[view].reads:
        assert case.file in shown, shown
