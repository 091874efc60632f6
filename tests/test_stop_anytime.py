"""A Stop at any moment of a trainer's life ends the run as "stopped", never "interrupted".

Real trainer processes, started and resumed through ``alexnet.runs`` as the Training page does,
then stopped at delays from 0 s (the process just spawned: before its handler, during torch's
import) to 2 s (loading the data, training), and once mid-training. The delays all run at once
(``allow_parallel``), so the trainers load the two cores for each other; one test adds a
CPU-bound process beside them. Nothing here depends on how fast the machine is: every delay ends
in the same state, whatever phase the trainer had reached by then.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from alexnet import runs
from alexnet.network.config import PRESETS
from alexnet.training import run_folder
from alexnet.training.run_folder import read as run_files
from alexnet.training.settings import TrainSettings

TINY = replace(PRESETS["cifar"], input_size=16)
DELAYS_S = (0.0, 0.01, 0.1, 0.5, 1.0, 2.0)
LONG = TrainSettings(epochs=100, batch_size=16, checkpoint_every=10**6)  # never ends by itself here
ENDED = ("stopped", "finished", "failed", "diverged", "interrupted")

pytestmark = pytest.mark.slow


def wait_for(condition, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def ended(path: Path) -> runs.RunInfo:
    wait_for(lambda: runs.get_run(path).state in ENDED)
    return runs.get_run(path)


def assert_stopped_with_everything_kept(path: Path) -> runs.RunInfo:
    info = ended(path)
    log = (path / run_folder.LOG).read_text()
    assert info.state == "stopped", f"{info.state}: {info.message}\n{log}"
    assert "Traceback" not in log, log
    assert not (path / run_folder.STOP).exists()  # answered: a later Resume is not stopped by it
    steps = runs.read_metrics(path).column("step")
    assert steps == list(range(1, len(steps) + 1))  # every logged step kept, none twice
    if info.has_checkpoint:
        assert run_files.load_checkpoint(path)["step"] == info.step == (steps[-1] if steps else 0)
    else:  # stopped before its first step: said, and Resume starts it over
        assert not steps and info.starts_over and info.can_resume
        assert "no checkpoint yet" in info.message and "from the beginning" in info.message
    return info


def stop_after(infos: list[runs.RunInfo], delays: tuple[float, ...]) -> None:
    """Stop ``infos[i]`` ``delays[i]`` seconds after ``t0`` (they were started just before)."""
    t0 = time.monotonic()
    for info, delay in sorted(zip(infos, delays, strict=True), key=lambda pair: pair[1]):
        time.sleep(max(0.0, t0 + delay - time.monotonic()))
        assert runs.stop_run(info.path), f"{info.run_id}: nothing to stop {delay} s after it started"


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """Two CPU-bound processes beside the test, one per core."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def start_stop_resume_stop(root: Path, delays: tuple[float, ...]) -> None:
    started = [runs.start_run(TINY, LONG, directory=root, allow_parallel=True) for _ in delays]
    stop_after(started, delays)
    first = [assert_stopped_with_everything_kept(info.path) for info in started]

    resumed = [runs.resume_run(info.path, allow_parallel=True) for info in first]
    assert all(info.state == "running" for info in resumed)
    stop_after(resumed, delays)
    for before, info in zip(first, resumed, strict=True):
        after = assert_stopped_with_everything_kept(info.path)
        assert after.step >= before.step


def test_a_stop_at_any_delay_after_start_and_after_resume_ends_stopped(tmp_path):
    start_stop_resume_stop(tmp_path, DELAYS_S)


def test_a_stop_at_any_delay_ends_stopped_under_cpu_load(tmp_path, cpu_load):
    start_stop_resume_stop(tmp_path, DELAYS_S)


def test_a_stop_mid_training_keeps_every_step_and_resume_continues(tmp_path):
    info = runs.start_run(TINY, LONG, directory=tmp_path)
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= 3)
    assert runs.stop_run(info.path)
    stopped = assert_stopped_with_everything_kept(info.path)
    assert stopped.has_checkpoint and stopped.step >= 3

    runs.resume_run(info.path, directory=tmp_path)
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= stopped.step + 3)
    assert runs.stop_run(info.path)
    again = assert_stopped_with_everything_kept(info.path)
    assert again.step >= stopped.step + 3


def test_a_stop_before_the_first_step_leaves_no_checkpoint_and_resume_starts_over(tmp_path):
    info = runs.start_run(TINY, LONG, directory=tmp_path)
    assert runs.stop_run(info.path)  # at once: the trainer is not even importing yet
    stopped = assert_stopped_with_everything_kept(info.path)
    assert not stopped.has_checkpoint

    runs.resume_run(info.path, directory=tmp_path)  # from the beginning, in the same folder
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= 2)
    assert runs.stop_run(info.path)
    again = assert_stopped_with_everything_kept(info.path)
    assert again.has_checkpoint and again.step >= 2


def test_a_trainer_killed_for_real_is_still_interrupted(tmp_path):
    """ "Interrupted" stays for processes that died: SIGKILL, after the first steps."""
    info = runs.start_run(TINY, LONG, directory=tmp_path)
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= 2)
    pid = runs.get_run(info.path).pid
    subprocess.run(["kill", "-KILL", str(pid)], check=True)
    assert ended(info.path).state == "interrupted"


def test_a_stale_stop_request_does_not_stop_the_next_trainer(tmp_path):
    """A request left behind (its trainer ended as it was written) never stops the next Resume."""
    info = runs.start_run(TINY, LONG, directory=tmp_path)
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= 2)
    assert runs.stop_run(info.path)
    ended(info.path)
    run_folder.request_stop(info.path)  # as if written just after the trainer's final state
    runs.resume_run(info.path, directory=tmp_path)
    before = runs.get_run(info.path).step
    wait_for(lambda: len(runs.read_metrics(info.path).steps) >= before + 3)
    assert runs.get_run(info.path).state == "running"
    assert runs.stop_run(info.path)
    assert_stopped_with_everything_kept(info.path)
