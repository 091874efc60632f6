"""Runs under faults: a torn metrics line, a garbage status.json, truncated and foreign checkpoints,
two Start presses at the same moment, and a trainer killed with SIGKILL that resumes without
losing or repeating a metric. Every case runs the real library (and, where it matters, the real
trainer process)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tensorboard_support import scalars

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.training import run_folder
from alexnet.training.run import TrainSettings, train_run
from alexnet.training.run_folder import read as run_files

TINY = replace(PRESETS["cifar"], input_size=16)
RUN_ID = "20250101-120000-digits"


def wait_for(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def fake_run(root: Path, *, status: dict | str | None = None, lines: list[str] = ()) -> Path:
    """A run directory as the trainer leaves it, with a given status.json and metrics lines."""
    path = root / RUN_ID
    path.mkdir(parents=True)
    run_folder.write_json(path / run_folder.CONFIG, {"created_at": 1.0, "network": TINY.to_dict(), "training": {}})
    if isinstance(status, str):
        (path / run_folder.STATUS).write_text(status)
    else:
        run_folder.write_json(path / run_folder.STATUS, status or {"state": "finished", "pid": None, "updated_at": 1.0})
    (path / run_folder.METRICS).write_text("".join(lines))
    return path


def step_line(step: int) -> str:
    return json.dumps({"kind": "step", "step": step, "epoch": step / 10, "loss": 2.0 - step / 100, "elapsed": step})


# ------------------------------------------------------------------ a metrics line cut mid-write


@pytest.mark.parametrize("cut", [1, 10, 30])
def test_a_torn_last_metrics_line_is_read_up_to_the_last_complete_one(tmp_path, cut):
    whole = [step_line(s) + "\n" for s in range(1, 6)]
    torn = step_line(6)[:cut]  # the trainer died inside this write
    path = fake_run(tmp_path, lines=[*whole, torn])
    metrics = runs.read_metrics(RUN_ID, tmp_path)
    assert metrics.column("step") == [1, 2, 3, 4, 5]
    assert runs.get_run(RUN_ID, tmp_path).duration_s == 5
    assert runs.metrics_csv(RUN_ID, tmp_path).count("\nstep,") == 5
    # the resumed trainer's first line is not glued to the torn one, so it is not lost with it
    writer = run_folder.MetricsWriter(path / run_folder.METRICS)
    writer.write({"kind": "resume", "step": 5, "elapsed": 5})
    writer.write(json.loads(step_line(6)))
    writer.close()
    assert runs.read_metrics(RUN_ID, tmp_path).column("step") == [1, 2, 3, 4, 5, 6]


# ------------------------------------------------------------------ a garbage status.json


@pytest.mark.parametrize(
    "status",
    [
        "\x00\xff garbage",
        "",
        '{"state": "running", "pid": 1',  # cut mid-write (the trainer replaces it atomically: only by hand)
        "[1, 2, 3]",
        '{"state": "exploded", "pid": 1}',
        '{"state": "running", "pid": "1; rm -rf /"}',
        '{"state": "running", "pid": -5, "step": "many", "updated_at": "soon"}',
    ],
    ids=["binary", "empty", "cut", "list", "unknown-state", "string-pid", "negative-pid"],
)
def test_a_garbage_status_is_a_clear_message_not_a_crash(tmp_path, status):
    fake_run(tmp_path, status=status, lines=[step_line(1) + "\n"])
    info = runs.get_run(RUN_ID, tmp_path)
    assert info.state == "interrupted" and not info.active
    assert run_folder.STATUS in info.message and "Start a new run" in info.message, info.message
    (row,) = runs.table_rows(runs.list_runs(tmp_path))
    assert row["state"] == "interrupted"
    assert not runs.stop_run(RUN_ID, tmp_path)  # never signals a pid it cannot trust


def test_a_foreign_config_json_still_lists(tmp_path):
    path = fake_run(tmp_path)
    run_folder.write_json(
        path / run_folder.CONFIG, {"network": {"layers": 3}, "training": {"optimizer": None}, "created_at": "x"}
    )
    (row,) = runs.table_rows(runs.list_runs(tmp_path))
    assert row["network"] == "?" and row["optimizer"] == "?"


# ------------------------------------------------------------------ truncated and foreign checkpoints


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory) -> Path:
    state, path = train_run(
        TINY,
        TrainSettings(batch_size=16, max_steps=3),
        runs_dir=tmp_path_factory.mktemp("runs"),
        run_id=RUN_ID,
        progress=False,
    )
    assert state == "finished"
    return path


@pytest.fixture
def trained(trained_once, tmp_path) -> Path:
    """A finished run of its own (a copy of one trained once for the module)."""
    return Path(shutil.copytree(trained_once, tmp_path / RUN_ID))


def break_checkpoint(path: Path, how: str) -> None:
    file = path / run_folder.CHECKPOINT
    if how == "truncated":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif how == "empty":
        file.write_bytes(b"")
    elif how == "text":
        file.write_text("not a checkpoint")
    elif how == "foreign":  # a real PyTorch file from another program: tensors, but not ours
        torch.save({"state_dict": {"w": torch.zeros(2)}, "epoch": 3}, file)
    elif how == "code":  # a pickle that would run code if loaded without weights_only
        import pickle

        file.write_bytes(pickle.dumps(os.system))
    elif how == "other-network":  # ours, for a different network
        other = build_model(replace(TINY, num_classes=7))  # the run's has one output per digit: 10
        torch.save({"model": other.state_dict(), "optimizer": {}, "step": 1}, file)


@pytest.mark.parametrize("how", ["truncated", "empty", "text", "foreign", "code", "other-network"])
def test_a_broken_checkpoint_gets_a_clear_message(trained, how):
    break_checkpoint(trained, how)
    with pytest.raises(AlexNetError) as caught:
        runs.load_run_model(RUN_ID, directory=trained.parent)
    message = caught.value.message
    assert "Traceback" not in message and caught.value.fix, message
    assert ("checkpoint" in message and RUN_ID in message) or "do not fit this network" in message, message
    # resuming it fails the run with the same plain message in status.json, not a traceback
    state, _ = train_run(TINY, TrainSettings(), runs_dir=trained.parent, resume=RUN_ID, overrides={"max_steps": 6})
    assert state == "failed"
    info = runs.get_run(RUN_ID, trained.parent)
    assert info.state == "failed" and ("checkpoint" in info.message or "do not fit" in info.message), info.message
    assert not info.message.startswith(("RuntimeError", "KeyError", "Unpickling", "EOFError")), info.message


# ------------------------------------------------------------------ two Start presses at once


def _press_start(root: str, barrier, results) -> None:
    barrier.wait()  # both processes leave here together, as two tabs' clicks would
    try:
        info = runs.start_run(TINY, TrainSettings(batch_size=16, epochs=100), directory=root)
        results.put((info.state, info.run_id))
    except AlexNetError as error:
        results.put(("refused", error.message))


def test_two_starts_at_the_same_moment_start_exactly_one_run_and_queue_the_other(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    racers = [context.Process(target=_press_start, args=(str(tmp_path), barrier, results)) for _ in range(2)]
    for racer in racers:
        racer.start()
    try:
        outcomes = sorted(results.get(timeout=120) for _ in racers)
        for racer in racers:
            racer.join(30)
        assert [kind for kind, _ in outcomes] == ["queued", "running"], outcomes
        assert sorted(info.run_id for info in runs.list_runs(tmp_path)) == sorted(run_id for _, run_id in outcomes)
        assert [info.run_id for info in runs.queued_runs(tmp_path)] == [outcomes[0][1]]
        runs.cancel_queued(outcomes[0][1], tmp_path)  # or the running one's end would start it
    finally:
        for info in runs.list_runs(tmp_path):
            runs.stop_run(info.path)
            wait_for(lambda info=info: not runs.get_run(info.path).active)


# ------------------------------------------------------------------ SIGKILL, then resume


def test_a_trainer_killed_with_sigkill_resumes_without_losing_or_repeating_a_metric(tmp_path):
    settings = TrainSettings(batch_size=16, epochs=100, checkpoint_every=4)
    info = runs.start_run(TINY, settings, directory=tmp_path)
    try:
        pid = runs.get_run(info.path).pid

        def between_checkpoints() -> bool:
            """A checkpoint exists and the trainer is a step or two past the last one (every 4 steps)."""
            steps = runs.read_metrics(info.path).column("step")
            return (info.path / run_folder.CHECKPOINT).is_file() and len(steps) >= 5 and steps[-1] % 4 in (1, 2)

        deadline = time.monotonic() + 90
        while not between_checkpoints():  # polled fast: a step takes tens of milliseconds here
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)
        os.killpg(pid, signal.SIGKILL)  # the trainer's own session, nothing else
        wait_for(lambda: runs.get_run(info.path).state != "running")
        killed = runs.get_run(info.path)
        assert killed.state == "interrupted" and killed.can_resume, killed
        assert "Resume continues from the last checkpoint" in killed.message
        checkpoint_step = run_files.load_checkpoint(info.path)["step"]
        before = runs.read_metrics(info.path).steps
        assert before[-1]["step"] > checkpoint_step  # some steps will be trained again
        logged = [record for record in before if record["step"] <= checkpoint_step]
        # every step logged before the kill is in TensorBoard's events too (each is flushed there first)
        in_events = dict(scalars(info.path, "train/loss"))
        assert all(in_events[record["step"]] == pytest.approx(record["loss"], rel=1e-6) for record in before)

        runs.resume_run(info.run_id, directory=tmp_path, max_steps=checkpoint_step + 6)
        wait_for(lambda: runs.get_run(info.path).state not in ("running",))
        resumed = runs.get_run(info.path)
        assert resumed.state == "finished", (info.path / run_folder.LOG).read_text()[-2000:]
        after = runs.read_metrics(info.path).steps
        steps = [record["step"] for record in after]
        assert steps == list(range(1, checkpoint_step + 7))  # none lost, none twice, in order
        assert after[: len(logged)] == logged  # what was logged before the checkpoint is untouched
        # TensorBoard reads the same curve: the resumed writer hid the killed trainer's steps past the checkpoint
        assert [step for step, _ in scalars(info.path, "train/loss")] == steps
        assert [value for _, value in scalars(info.path, "train/loss")] == pytest.approx(
            [record["loss"] for record in after], rel=1e-6
        )
        assert "Traceback" not in (info.path / run_folder.LOG).read_text()
    finally:
        runs.stop_run(info.path)
