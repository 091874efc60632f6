"""The run queue (``alexnet.runs.queue``): runs wait their turn in the runs folder, start when a run
ends, survive a killed trainer and a restarted server, can be cancelled, and are never launched twice."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.runs import queue
from alexnet.training import run_folder
from alexnet.training.run import TrainSettings, train_run
from alexnet.units import ordinal

TINY = replace(PRESETS["cifar"], input_size=16)
SHORT = TrainSettings(batch_size=16, max_steps=2, log_every=1)  # a real trainer that ends in seconds
LONG = TrainSettings(batch_size=16, epochs=100, checkpoint_every=1000)


def wait_for(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def busy(tmp_path):
    """A run that counts as training: a live process named like a trainer, no torch to import."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "alexnet"])
    path = tmp_path / "20000101-000000-digits"
    path.mkdir()
    run_folder.write_json(path / run_folder.STATUS, {"state": "running", "pid": sleeper.pid, "updated_at": time.time()})
    yield sleeper
    sleeper.kill()
    sleeper.wait()
    for info in runs.list_runs(tmp_path):  # never leave a trainer behind
        if info.pid != sleeper.pid:
            runs.stop_run(info.path)


def end(sleeper: subprocess.Popen) -> None:
    sleeper.kill()
    sleeper.wait()


def log(info: runs.RunInfo) -> str:
    path = info.path / run_folder.LOG
    return path.read_text()[-3000:] if path.exists() else "(no train.log)"


def test_max_runs_comes_from_the_environment_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv(queue.MAX_RUNS_ENV, raising=False)
    assert runs.max_runs() == 1 and runs.max_runs(3) == 3
    monkeypatch.setenv(queue.MAX_RUNS_ENV, "2")
    assert runs.max_runs() == 2
    for bad in ("0", "two", "1.5", "-1"):
        monkeypatch.setenv(queue.MAX_RUNS_ENV, bad)
        with pytest.raises(AlexNetError, match=queue.MAX_RUNS_ENV):
            runs.max_runs()
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]  # fmt: skip


def test_two_starts_queue_the_second_and_the_ending_trainer_starts_it(tmp_path):
    first = runs.start_run(TINY, replace(SHORT, max_steps=6), directory=tmp_path)
    second = runs.start_run(TINY, SHORT, directory=tmp_path)
    try:
        assert first.state == "running" and second.state == "queued" and second.queued
        assert runs.queue_position(second) == 1 and runs.queue_position(first) is None
        assert not second.can_resume and not second.active and second.pid is None
        assert {r["run"]: r["state"] for r in runs.table_rows(runs.list_runs(tmp_path))}[second.run_id] == "queued, 1st"
        # nobody here calls advance_queue: the first trainer starts the second as it ends
        wait_for(lambda: runs.get_run(second.path).state not in ("queued", "running"), timeout=180)
        assert runs.get_run(first.path).state == "finished", log(first)
        done = runs.get_run(second.path)
        assert done.state == "finished" and done.step == 2, log(second)
        assert "started the next queued run: " + second.run_id in log(first)
        assert runs.queued_runs(tmp_path) == []
    finally:
        for info in (first, second):
            runs.stop_run(info.path)


def test_a_trainer_killed_with_sigkill_lets_the_next_start_on_the_pages_poll(tmp_path):
    first = runs.start_run(TINY, LONG, directory=tmp_path)
    second = runs.start_run(TINY, SHORT, directory=tmp_path)
    try:
        assert second.state == "queued"
        wait_for(lambda: runs.get_run(first.path).pid and runs.read_metrics(first.path).steps)
        os.killpg(runs.get_run(first.path).pid, signal.SIGKILL)  # no hook runs: the queue waits for a reader
        wait_for(lambda: runs.get_run(first.path).state == "interrupted")
        assert runs.get_run(second.path).state == "queued"
        (started,) = runs.advance_queue(tmp_path)  # what the Training page does on each poll
        assert started.run_id == second.run_id and started.state == "running"
        assert runs.advance_queue(tmp_path) == []  # idempotent: nothing left to start
        wait_for(lambda: runs.get_run(second.path).state != "running", timeout=120)
        assert runs.get_run(second.path).state == "finished", log(second)
    finally:
        for info in (first, second):
            runs.stop_run(info.path)


READ_BACK = """
import sys
from alexnet import runs
root = sys.argv[1]
print(",".join(f"{r.run_id}={runs.queue_position(r)}" for r in runs.queued_runs(root)))
print(",".join(r.run_id for r in runs.advance_queue(root)))
"""


def test_a_restarted_server_reads_the_queue_back_from_disk(tmp_path, busy):
    second = runs.start_run(TINY, SHORT, directory=tmp_path)
    third = runs.start_run(TINY, SHORT, directory=tmp_path)
    assert (second.state, third.state) == ("queued", "queued")
    end(busy)  # the training run dies while no server is up

    # a new process, with nothing in memory, stands in for the restarted server
    env = dict(os.environ, PYTHONPATH=str(run_folder.REPO_ROOT))
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(tmp_path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    listed, started = out.stdout.splitlines()
    assert listed == f"{second.run_id}=1,{third.run_id}=2" and started == second.run_id
    assert runs.get_run(second.path).state in ("running", "finished")
    # the second run's trainer starts the third as it ends
    wait_for(lambda: runs.get_run(third.path).state not in ("queued", "running"), timeout=180)
    assert runs.get_run(second.path).state == "finished" and runs.get_run(third.path).state == "finished"


def test_a_cancel_removes_a_queued_run_and_leaves_the_others_in_order(tmp_path, busy):
    second = runs.start_run(TINY, SHORT, directory=tmp_path)
    third = runs.start_run(TINY, SHORT, directory=tmp_path)
    assert [r.run_id for r in runs.queued_runs(tmp_path)] == [second.run_id, third.run_id]
    assert runs.cancel_queued(second.run_id, tmp_path)
    assert not second.path.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".cancel")] == []
    assert runs.queue_position(third) == 1
    assert runs.stop_run(third.path)  # Stop on a queued run cancels it
    assert not third.path.exists() and runs.queued_runs(tmp_path) == []
    (only,) = runs.list_runs(tmp_path)
    assert not runs.cancel_queued(only.path)  # not queued: nothing is removed
    assert only.path.exists()


def test_a_cancelled_resume_keeps_its_checkpoint_and_goes_back_to_its_state(tmp_path, busy):
    state, path = train_run(TINY, SHORT, runs_dir=tmp_path, run_id="done", progress=False)
    assert state == "finished"
    before = runs.get_run(path)
    queued = runs.resume_run("done", directory=tmp_path, epochs=4)
    assert queued.state == "queued" and not queued.can_resume and queued.step == before.step
    with pytest.raises(AlexNetError, match="already in the queue"):
        runs.resume_run("done", directory=tmp_path)
    assert runs.cancel_queued(queued)
    back = runs.get_run(path)
    assert back.state == "finished" and back.has_checkpoint and back.can_resume and back.step == before.step


def _press(what: str, root: str, barrier, results) -> None:
    barrier.wait()  # both processes leave here together, as two tabs' clicks would
    try:
        if what == "start":
            results.put(("start", runs.start_run(TINY, SHORT, directory=root).run_id))
        else:
            results.put(("advance", ",".join(r.run_id for r in runs.advance_queue(root))))
    except AlexNetError as error:
        results.put(("refused", error.message))


def _race(what: str, root: Path) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    racers = [context.Process(target=_press, args=(what, str(root), barrier, results)) for _ in range(2)]
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=120) for _ in racers]
    for racer in racers:
        racer.join(30)
    return outcomes


def test_two_tabs_at_once_queue_both_and_two_advances_launch_one(tmp_path, busy):
    outcomes = _race("start", tmp_path)
    assert [kind for kind, _ in outcomes] == ["start", "start"], outcomes
    queued = runs.queued_runs(tmp_path)
    assert sorted(r.run_id for r in queued) == sorted(run_id for _, run_id in outcomes)
    assert [runs.queue_position(r) for r in queued] == [1, 2]
    assert not any((r.path / run_folder.LOG).exists() for r in queued)  # neither was launched

    end(busy)
    outcomes = _race("advance", tmp_path)
    started = [ids for kind, ids in outcomes if ids]
    assert [kind for kind, _ in outcomes] == ["advance", "advance"] and started == [queued[0].run_id], outcomes
    assert runs.get_run(queued[1].path).state == "queued"  # one slot: the second waits for the first to end
    assert (queued[0].path / run_folder.LOG).read_text().count("$ ") == 1  # launched once


def test_max_runs_two_launches_two_at_once_and_queues_the_third(tmp_path, busy):
    # busy counts as one: with two slots, one more starts, the next waits
    second = runs.start_run(TINY, SHORT, directory=tmp_path, max_runs=2)
    third = runs.start_run(TINY, SHORT, directory=tmp_path, max_runs=2)
    try:
        assert second.state == "running" and third.state == "queued"
    finally:
        runs.stop_run(third.path)
        runs.stop_run(second.path)


def test_the_wait_is_the_time_left_ahead_of_a_run_in_its_slot(tmp_path):
    def info(run_id: str, state: str, queued_at: float | None = None) -> runs.RunInfo:
        return runs.RunInfo(
            run_id, tmp_path / run_id, state, "", "digits", 0, 0, None, 0.0, 0.0, 0.0, False, None, {}, {},
            queued_at=queued_at,
        )  # fmt: skip

    infos = [info("a", "running"), info("b", "queued", 1.0), info("c", "queued", 2.0), info("d", "finished")]
    durations = {"a": 60.0, "b": 100.0, "c": 30.0}
    assert queue.estimated_wait(infos[1], infos, durations, limit=1) == 60.0
    assert queue.estimated_wait(infos[2], infos, durations, limit=1) == 160.0
    assert queue.estimated_wait(infos[2], infos, durations, limit=2) == 60.0  # b takes the free slot, c the next
    assert queue.estimated_wait(infos[2], infos, durations | {"b": None}, limit=1) is None
