"""TensorBoard event files in the run folder: read back with TensorBoard's own reader and compared
with metrics.jsonl read with plain json, value by value; conv1's filters once per epoch; the
settings as hparams in the run's own folder (no second, time-named run); a writer that cannot
write never stops a run. (A run killed with SIGKILL, then resumed: tests/test_faults_runs.py.)"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard_support import events, scalars

from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.training import run_folder
from alexnet.training.run import TrainSettings, train_run
from alexnet.training.tensorboard_log import EPOCH_TAGS, STEP_TAGS, TensorBoardLog

TINY = replace(PRESETS["cifar"], input_size=16)
SETTINGS = TrainSettings(batch_size=64, epochs=2, log_every=2, lr=2e-3, seed=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    state, path = train_run(TINY, SETTINGS, runs_dir=tmp_path_factory.mktemp("runs"), progress=False)
    assert state == "finished"
    return path


def records(path: Path, kind: str) -> list[dict]:
    lines = (path / run_folder.METRICS).read_text().splitlines()
    return [record for record in map(json.loads, lines) if record["kind"] == kind]


def test_the_event_file_sits_in_the_run_folder_itself(run):
    assert len(list(run.glob("events.out.tfevents.*"))) == 1  # `tensorboard --logdir runs/` names the run by its id
    assert [p.name for p in run.iterdir() if p.is_dir()] == ["results"]  # no time-named hparams run beside it


@pytest.mark.parametrize(("kind", "prefix", "tags"), [("step", "train", STEP_TAGS), ("epoch", "epoch", EPOCH_TAGS)])
def test_every_scalar_is_the_metrics_file_s_value(run, kind, prefix, tags):
    logged = records(run, kind)
    assert len(logged) >= 2
    for tag in tags:
        expected = [(record["step"], record[tag]) for record in logged]
        got = scalars(run, f"{prefix}/{tag}")
        assert [step for step, _ in got] == [step for step, _ in expected], tag
        assert [value for _, value in got] == pytest.approx([value for _, value in expected], rel=1e-6), tag  # float32


def test_conv1_s_filters_are_an_image_per_epoch(run):
    images = events(run).Images("conv1/filters")
    assert [image.step for image in images] == [record["step"] for record in records(run, "epoch")]
    picture = np.asarray(Image.open(io.BytesIO(images[-1].encoded_image_string)).convert("RGB"))
    # 32 filters of 3x3, each weight 8x8 px (24 px tiles), 16 a row with 1 px between: 2 rows
    assert picture.shape == (2 * (24 + 1) + 1, 16 * (24 + 1) + 1, 3)
    # the last tile is the last filter, min-max scaled: compare it with the checkpoint's weights
    weight = torch.load(run / run_folder.CHECKPOINT, weights_only=True)["model"]["features.0.conv.weight"][-1]
    scaled = (weight - weight.min()) / (weight.max() - weight.min())  # (3, 3, 3): channels, rows, columns
    tile = picture[26:50, 16 * 25 - 24 : 16 * 25, :].astype(float) / 255  # row 2, column 16
    expected = scaled.permute(1, 2, 0).repeat_interleave(8, 0).repeat_interleave(8, 1).numpy()
    assert np.abs(tile - expected).max() <= 1 / 255 + 1e-6


def test_the_settings_are_hparams_of_this_run(run):
    content = events(run).PluginTagToContent("hparams")
    session = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    values = session.session_start_info.hparams
    settings = asdict(SETTINGS)
    assert values["lr"].number_value == pytest.approx(settings["lr"])
    assert values["batch_size"].number_value == settings["batch_size"]
    assert values["optimizer"].string_value == settings["optimizer"]
    assert values["network/input_size"].number_value == TINY.input_size
    assert values["network/activation"].string_value == TINY.activation


def test_a_folder_it_cannot_write_costs_the_events_only(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the run folder should be")
    log = TensorBoardLog(blocked)
    assert log.problem and "metrics.jsonl is" in log.problem
    log.hparams({"lr": 0.1}, {})
    log.record({"kind": "step", "step": 1, "loss": 2.0})
    log.filters(build_model(TINY, seed=0), 1)
    log.close()  # every call after the failure does nothing, and says nothing more
    assert blocked.read_text() == "a file where the run folder should be"
