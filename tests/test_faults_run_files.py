"""Broken run folders: every field the app reads, missing, of the wrong type or out of range, and
every file unreadable. Each gets a plain message naming the file and the field in the library, on
the command line and on the Training page, and nothing raises anything but ``AlexNetError``.

Also: metrics.jsonl is read incrementally, so a page's cost does not grow with a run's length.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.cli import main as cli_main
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.training import run_folder
from alexnet.training.run_folder import read as run_files
from alexnet.training.run_folder import results
from alexnet.training.settings import TrainSettings

ROOT = Path(__file__).resolve().parents[1]
TINY = replace(PRESETS["cifar"], input_size=16)
RUN_ID = "20250101-120000-digits"
GOOD_CONFIG = {"created_at": 1.0, "network": TINY.to_dict(), "training": asdict(TrainSettings()), "total_steps": 9}
GOOD_STATUS = {"state": "finished", "pid": None, "message": "done", "updated_at": 1.0, "step": 9, "total_steps": 9}


def make_run(root: Path, config: dict | None = None, status: dict | None = None) -> Path:
    path = root / RUN_ID
    path.mkdir(parents=True)
    run_folder.write_json(path / run_folder.CONFIG, GOOD_CONFIG if config is None else config)
    run_folder.write_json(path / run_folder.STATUS, GOOD_STATUS if status is None else status)
    (path / run_folder.METRICS).write_text("")
    return path


def without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


# (what is broken, config.json, the words the message must hold)
BROKEN_CONFIGS = [
    ("no network", without(GOOD_CONFIG, "network"), ['"network"']),
    ("network not an object", GOOD_CONFIG | {"network": [1, 2]}, ['"network"']),
    ("input size text", GOOD_CONFIG | {"network": TINY.to_dict() | {"input_size": "big"}}, ["input_size"]),
    ("no blocks", GOOD_CONFIG | {"network": without(TINY.to_dict(), "blocks")}, ["blocks"]),
    ("no training", without(GOOD_CONFIG, "training"), ['"training"']),
    ("epochs text", GOOD_CONFIG | {"training": asdict(TrainSettings()) | {"epochs": "many"}}, ["epochs"]),
    ("epochs zero", GOOD_CONFIG | {"training": asdict(TrainSettings()) | {"epochs": 0}}, ["Epochs"]),
    ("lr negative", GOOD_CONFIG | {"training": asdict(TrainSettings()) | {"lr": -1}}, ["learning rate"]),
    ("unknown dataset", GOOD_CONFIG | {"training": asdict(TrainSettings()) | {"dataset": "mnist"}}, ["dataset"]),
    ("created_at text", GOOD_CONFIG | {"created_at": "yesterday"}, ["created_at"]),
    ("negative total", GOOD_CONFIG | {"total_steps": -3}, ["total_steps"]),
    ("classes not a list", GOOD_CONFIG | {"dataset": {"classes": "0123456789"}}, ["classes"]),
    ("startup_s negative", GOOD_CONFIG | {"startup_s": -2}, ["startup_s"]),
    ("startup_s text", GOOD_CONFIG | {"startup_s": "slow"}, ["startup_s"]),
]
BROKEN_STATUSES = [
    ("unknown state", GOOD_STATUS | {"state": "exploded"}, ["state"]),
    ("pid text", GOOD_STATUS | {"pid": "1234"}, ["pid"]),
    ("pid negative", GOOD_STATUS | {"pid": -5}, ["pid"]),
    ("message a number", GOOD_STATUS | {"message": 5}, ["message"]),
    ("step text", GOOD_STATUS | {"step": "ten"}, ["step"]),
    ("updated_at text", GOOD_STATUS | {"updated_at": "now"}, ["updated_at"]),
    ("epoch negative", GOOD_STATUS | {"epoch": -1.0}, ["epoch"]),
]


@pytest.mark.parametrize(("what", "config", "words"), BROKEN_CONFIGS, ids=[c[0] for c in BROKEN_CONFIGS])
def test_a_broken_config_json_is_named_in_the_library(tmp_path, what, config, words):
    path = make_run(tmp_path, config=config)
    with pytest.raises(AlexNetError) as caught:
        run_files.read_config(path)
    assert run_folder.CONFIG in caught.value.message and RUN_ID in caught.value.message
    assert all(word in caught.value.message for word in words), caught.value.message
    # listing never raises: the run shows, without settings, with the problem said
    (info,) = runs.list_runs(tmp_path)
    assert info.problem and run_folder.CONFIG in info.problem and not info.can_resume
    row = runs.table_rows([info])[0]
    assert row["network"] == row["optimizer"] == "?"

    def load_model(run, directory):
        return runs.load_run_model(run, directory=directory)

    for call in (runs.run_config, load_model, runs.run_classes, runs.metrics_csv, runs.read_metrics):
        try:
            call(RUN_ID, tmp_path)
        except AlexNetError as error:  # the only exception a caller must expect
            assert "Traceback" not in error.message


@pytest.mark.parametrize(("what", "status", "words"), BROKEN_STATUSES, ids=[s[0] for s in BROKEN_STATUSES])
def test_a_broken_status_json_is_named_and_never_trusted(tmp_path, what, status, words):
    path = make_run(tmp_path, status=status)
    with pytest.raises(AlexNetError) as caught:
        run_files.read_status(path)
    assert run_folder.STATUS in caught.value.message and all(w in caught.value.message for w in words)
    info = runs.get_run(RUN_ID, tmp_path)
    assert info.state == "interrupted" and info.pid is None and run_folder.STATUS in info.message


@pytest.mark.parametrize("name", [run_folder.CONFIG, run_folder.STATUS, run_folder.METRICS])
def test_an_unreadable_file_is_named_with_its_cause(tmp_path, name):
    path = make_run(tmp_path)
    (path / name).unlink()
    (path / name).mkdir()  # a folder where the file should be: reading it fails even for root
    reader = {run_folder.CONFIG: run_files.read_config, run_folder.STATUS: run_files.read_status}.get(
        name, run_files.read_metrics
    )
    with pytest.raises(AlexNetError) as caught:
        reader(path)
    assert name in caught.value.message and "cannot be read" in caught.value.message
    assert isinstance(caught.value.__cause__, OSError)  # the cause is kept, not dropped
    (info,) = runs.list_runs(tmp_path) or [runs.get_run(RUN_ID, tmp_path)]
    assert name in (info.problem or "") + info.message


def test_metrics_lines_that_are_not_the_trainers_are_left_out_and_counted(tmp_path):
    path = make_run(tmp_path)
    good = {"kind": "step", "step": 1, "epoch": 0.1, "loss": 2.0, "elapsed": 1.0}
    lines = [
        good,
        good | {"step": "2"},  # a step as text
        good | {"step": 3, "elapsed": "soon"},  # a number as text
        good | {"step": 4, "epoch": None},  # a step record without its epoch
        {"kind": "gossip", "step": 5},
        [1, 2, 3],
        good | {"step": 6},
    ]
    (path / run_folder.METRICS).write_text("".join(json.dumps(line) + "\n" for line in lines) + "not json\n")
    metrics = runs.read_metrics(RUN_ID, tmp_path)
    assert metrics.column("step") == [1, 6] and metrics.skipped == 6
    info = runs.get_run(RUN_ID, tmp_path)
    assert "6 lines are" in info.problem and info.duration_s == 1.0
    runs.progress(info, metrics)  # no KeyError on a record without "elapsed"


def test_a_broken_results_file_is_a_message(tmp_path):
    path = make_run(tmp_path)
    (path / results.FOLDER).mkdir()
    np.savez(path / results.FOLDER / "predictions-000009.npz", step=np.int64(9), epoch=np.float64(1.0))
    with pytest.raises(AlexNetError, match='"index"'):
        results.latest_predictions(path)
    (path / results.FOLDER / "filters-000000.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(AlexNetError, match=r"filters-000000\.npz"):
        results.filter_history(path)


def test_the_command_line_says_what_is_broken(tmp_path, capsys):
    path = make_run(tmp_path, config=BROKEN_CONFIGS[5][1])  # epochs "many"
    (path / run_folder.CHECKPOINT).write_bytes(b"")  # something to resume from, so config.json is read
    assert cli_main(["train", "--resume", RUN_ID, "--runs-dir", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "epochs" in err and "Traceback" not in err
    image = tmp_path / "digit.png"
    Image.new("RGB", (8, 8)).save(image)
    argv = [
        "explain",
        "--run",
        RUN_ID,
        "--runs-dir",
        str(tmp_path),
        "--image",
        str(image),
        "--out",
        str(tmp_path / "o.png"),
    ]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "config.json" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("config", "status"),
    [(BROKEN_CONFIGS[5][1], None), (None, BROKEN_STATUSES[1][1]), ({"network": "x"}, {"state": "running"})],
    ids=["epochs-text", "pid-text", "both"],
)
def test_the_training_page_shows_a_broken_run_without_a_traceback(tmp_path, monkeypatch, config, status):
    make_run(tmp_path, config=config, status=status)
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/training.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(w.value for w in [*at.warning, *at.error, *at.caption])
    assert "config.json" in said or "status.json" in said, said


# ---------------------------------------------------------------- a long run's metrics


def test_metrics_are_read_incrementally_whatever_the_runs_length(tmp_path, monkeypatch):
    path = make_run(tmp_path)
    line = '{"kind": "step", "step": %d, "epoch": 0.5, "loss": 1.5, "elapsed": 2.0}\n'
    (path / run_folder.METRICS).write_text("".join(line % s for s in range(200_000)))
    assert len(run_files.read_metrics(path).records) == 200_000
    parsed = []
    original = run_files.metric_record
    monkeypatch.setattr(run_files, "metric_record", lambda text: parsed.append(text) or original(text))
    assert len(run_files.read_metrics(path).records) == 200_000 and parsed == []  # nothing new: nothing parsed
    with (path / run_folder.METRICS).open("a") as file:
        file.write("".join(line % s for s in range(200_000, 200_010)) + '{"kind": "step", "st')  # torn end
    read = run_files.read_metrics(path)
    assert len(read.records) == 200_010 and len(parsed) == 10  # only the appended lines were parsed
    with (path / run_folder.METRICS).open("a") as file:
        file.write('ep": 200010, "epoch": 0.5}\n')  # the torn line is finished
    assert run_files.read_metrics(path).records[-1]["step"] == 200_010 and len(parsed) == 11
    # a file replaced under the same name (a run folder copied over) is read from its start
    shutil.copy(path / run_folder.METRICS, tmp_path / "copy")
    (tmp_path / "copy").replace(path / run_folder.METRICS)
    assert len(run_files.read_metrics(path).records) == 200_011
