"""Run ids stay in their folder: every hostile id of issue 9 through every public function of
``alexnet.runs``, through ``train_run(resume=...)`` and through ``python -m alexnet train --resume``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.training import run_folder
from alexnet.training.run import train_run
from alexnet.training.run_folder import MAX_RUN_ID_LENGTH, check_run_id, resolve_run_dir
from alexnet.training.settings import TrainSettings

REPO = Path(__file__).resolve().parents[1]
HOSTILE = [
    "../../etc",
    "/etc",
    "..",
    ".",
    "a" * 300,
    "",
    "../outside",
    "run/../..",
    "x\x00y",
    "~root",
    " run",
    ".hidden",
]
# Every public function of alexnet.runs that takes a run id.
ENTRIES = {
    "run_path": lambda run, d: runs.run_path(run, d),
    "get_run": lambda run, d: runs.get_run(run, d),
    "stop_run": lambda run, d: runs.stop_run(run, d),
    "resume_run": lambda run, d: runs.resume_run(run, directory=d),
    "read_metrics": lambda run, d: runs.read_metrics(run, d),
    "metrics_csv": lambda run, d: runs.metrics_csv(run, d),
    "load_run_model": lambda run, d: runs.load_run_model(run, directory=d),
    "run_classes": lambda run, d: runs.run_classes(run, d),
    "checkpoint_stamp": lambda run, d: runs.checkpoint_stamp(run, d),
    "run_config": lambda run, d: runs.run_config(run, d),
}


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A runs directory whose parent, and a sibling, look like runs: what an escape would find."""
    (tmp_path / "outside").mkdir()
    for folder in (tmp_path, tmp_path / "outside"):
        run_folder.write_json(folder / run_folder.STATUS, {"state": "running", "pid": None, "updated_at": 0})
    root = tmp_path / "runs"
    root.mkdir()
    return root


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("run_id", HOSTILE, ids=lambda r: repr(r[:12]))
def test_hostile_ids_are_refused_by_every_public_function(nested, entry, run_id):
    with pytest.raises(AlexNetError) as caught:
        ENTRIES[entry](run_id, nested)
    message = caught.value.message
    assert "run id" in message and "20250101-120000-digits" in message, message  # says what one looks like
    assert len(message) < 600  # a 300-character id is not echoed whole


def test_the_long_id_is_the_projects_error_not_oserror(nested):
    with pytest.raises(AlexNetError, match=f"at most {MAX_RUN_ID_LENGTH}"):
        runs.get_run("a" * 300, nested)


def test_a_link_out_of_the_runs_directory_is_refused(nested, tmp_path):
    (nested / "20250101-120000-digits").symlink_to(tmp_path / "outside")
    with pytest.raises(AlexNetError, match="outside the runs directory"):
        runs.get_run("20250101-120000-digits", nested)


def test_ids_the_project_makes_pass(nested):
    first = run_folder.new_run_id(nested, "cifar10")
    (nested / first).mkdir()
    second = run_folder.new_run_id(nested, "cifar10")
    for run_id in (first, second, "whole", "ddp_2"):
        assert check_run_id(run_id) == run_id
        assert resolve_run_dir(run_id, nested) == nested / run_id
    assert second == first + "-2"


def test_list_runs_ignores_folders_that_are_not_run_ids(nested):
    for name in (".hidden", "has.dot"):
        (nested / name).mkdir()
        run_folder.write_json(nested / name / run_folder.STATUS, {"state": "finished", "pid": None})
    good = nested / "20250101-120000-digits"
    good.mkdir()
    run_folder.write_json(good / run_folder.STATUS, {"state": "finished", "pid": None, "updated_at": time.time()})
    assert [info.run_id for info in runs.list_runs(nested)] == [good.name]


@pytest.mark.parametrize("run_id", ["../../etc", "/etc", "..", ".", "a" * 300])
def test_train_run_resume_refuses_hostile_ids(nested, run_id):
    with pytest.raises(AlexNetError, match="run id"):
        train_run(PRESETS["cifar"], TrainSettings(), runs_dir=nested, resume=run_id, progress=False)


@pytest.mark.parametrize("run_id", ["../outside", "/etc", "..", "a" * 300])
def test_cli_resume_refuses_hostile_ids_and_writes_nothing_outside(nested, tmp_path, run_id):
    before = (tmp_path / "outside" / run_folder.STATUS).read_text()
    done = subprocess.run(
        [sys.executable, "-m", "alexnet", "train", "--resume", run_id, "--runs-dir", str(nested), "--no-progress"],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "run id" in done.stderr and "Traceback" not in done.stderr
    # the failure was not written into a status.json outside the runs directory
    assert (tmp_path / "outside" / run_folder.STATUS).read_text() == before
    assert json.loads((tmp_path / run_folder.STATUS).read_text())["state"] == "running"
    assert list(nested.iterdir()) == []
