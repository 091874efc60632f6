"""Run management: smoothing, reading metrics, liveness, and starting / stopping / resuming real processes."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.plots.smoothing import smooth
from alexnet.training import run_folder
from alexnet.training.run import TrainSettings, train_run
from alexnet.training.run_folder import read as run_files

TINY = replace(PRESETS["cifar"], input_size=16)


# ------------------------------------------------------------------ smoothing


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    """The biased version, for comparison: s_t = w * s_{t-1} + (1 - w) * x_t from s_0 = 0."""
    out, s = [], 0.0
    for x in values:
        s = weight * s + (1 - weight) * x
        out.append(s)
    return out


def test_smoothing_starts_on_the_first_value_instead_of_near_zero():
    values = [2.3, 2.1, 1.9, 1.8]
    smoothed = smooth(values, 0.9)
    assert smoothed[0] == pytest.approx(2.3)  # TensorBoard's would be 0.23
    assert tensorboard_ema(values, 0.9)[0] == pytest.approx(0.23)
    biased = tensorboard_ema(values, 0.9)
    assert smoothed == pytest.approx([b / (1 - 0.9 ** (t + 1)) for t, b in enumerate(biased)])
    assert smooth(values, 0.0) == values


@given(st.floats(0.1, 100), st.integers(1, 50), st.floats(0, 0.99))
def test_a_constant_curve_stays_constant(value, n, weight):
    assert smooth([value] * n, weight) == pytest.approx([value] * n)


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), st.floats(0, 0.99))
def test_smoothed_values_stay_within_the_range_seen_so_far(values, weight):
    for t, s in enumerate(smooth(values, weight)):
        assert min(values[: t + 1]) - 1e-6 <= s <= max(values[: t + 1]) + 1e-6


def debiased_by_hand(values: list[float | None], weight: float) -> list[float]:
    """The formula of alexnet/plots/smoothing.py, one step at a time: s_t / (1 - w^t), gaps skipped."""
    out, s, t = [], 0.0, 0
    for x in values:
        if x is not None and math.isfinite(x):
            t += 1
            s = weight * s + (1 - weight) * x
        out.append(s / (1 - weight**t) if t else math.nan)
    return out


@given(st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3), st.just(math.nan)), max_size=40), st.floats(0, 0.99))
def test_pandas_ewm_is_the_debiased_formula(values, weight):
    assert smooth(values, weight) == pytest.approx(debiased_by_hand(values, weight), rel=1e-9, abs=1e-9, nan_ok=True)


def test_missing_values_are_skipped():
    assert math.isnan(smooth([None, 1.0], 0.5)[0])
    assert smooth([None, 1.0, float("nan"), 3.0], 0.5) == pytest.approx(
        [math.nan, 1.0, 1.0, (0.25 + 1.5) / 0.75], nan_ok=True
    )
    with pytest.raises(ValueError):
        smooth([1.0], 1.0)


# ------------------------------------------------------------------ reading a run directory


def write_run(path: Path, status: dict, lines: list[str]) -> Path:
    path.mkdir(parents=True)
    run_folder.write_json(path / run_folder.STATUS, status)
    (path / run_folder.METRICS).write_text("".join(lines))
    return path


def step(n: int, loss: float) -> str:
    return json.dumps({"kind": "step", "step": n, "epoch": n / 10, "loss": loss, "elapsed": n * 0.5}) + "\n"


def test_a_torn_last_line_is_skipped(tmp_path):
    path = write_run(tmp_path / "r", {"state": "stopped"}, [step(1, 2.3), step(2, 2.2), '{"kind": "step", "st'])
    assert runs.read_metrics(path).column("loss") == [2.3, 2.2]


def test_steps_redone_after_a_resume_replace_the_lost_ones(tmp_path):
    lines = [step(1, 2.3), step(2, 2.2), step(3, 2.1), step(4, 2.0)]
    lines += [json.dumps({"kind": "resume", "step": 2, "elapsed": 1.0}) + "\n", step(3, 2.15), step(4, 2.05)]
    metrics = runs.read_metrics(write_run(tmp_path / "r", {"state": "running"}, lines))
    assert metrics.column("step") == [1, 2, 3, 4] and metrics.column("loss") == [2.3, 2.2, 2.15, 2.05]


def test_a_running_status_whose_process_is_gone_reads_interrupted(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = write_run(
        tmp_path / "gone", {"state": "running", "pid": dead.pid, "updated_at": time.time()}, [step(1, 2.3)]
    )
    info = runs.get_run(path)
    assert info.state == "interrupted" and not info.active and "no checkpoint" in info.message


def test_an_unreaped_child_is_not_running(tmp_path):
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(0.5)  # it has exited, but nobody has waited for it: a zombie, which signal 0 still finds
    path = write_run(tmp_path / "z", {"state": "running", "pid": zombie.pid, "updated_at": time.time()}, [])
    assert runs.get_run(path).state == "interrupted"


def test_a_just_launched_run_without_pid_counts_as_running_for_a_while(tmp_path):
    fresh = write_run(tmp_path / "fresh", {"state": "running", "pid": None, "updated_at": time.time()}, [])
    stale = write_run(tmp_path / "stale", {"state": "running", "pid": None, "updated_at": time.time() - 600}, [])
    assert runs.get_run(fresh).state == "running" and runs.get_run(stale).state == "interrupted"


# ------------------------------------------------------------------ finished runs: listing, CSV, model


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    state, path = train_run(
        TINY, TrainSettings(batch_size=32, max_steps=12, log_every=3), runs_dir=root, run_id="done", progress=False
    )
    assert state == "finished"
    return path


def records_of(run_dir: Path, kind: str) -> list[dict]:
    """The run's metrics file read line by line with plain json, not through alexnet.runs."""
    lines = (run_dir / run_folder.METRICS).read_text().splitlines()
    return [record for record in map(json.loads, lines) if record["kind"] == kind]


def test_list_and_table(finished_run):
    (info,) = runs.list_runs(finished_run.parent)
    assert (info.run_id, info.state, info.dataset, info.step, info.total_steps) == (
        "done",
        "finished",
        "digits",
        12,
        12,
    )
    # what the trainer wrote: one epoch record (at step 12) and steps 3, 6, 9, 12; the run trained for
    # as long as the later of the last step's and the last epoch's clock says
    (epoch,) = records_of(finished_run, "epoch")
    last_step = records_of(finished_run, "step")[-1]
    assert info.best_accuracy == epoch["val_accuracy"]
    assert info.duration_s == max(last_step["elapsed"], epoch["elapsed"])
    assert info.has_checkpoint and (finished_run / "checkpoint.pt").is_file()
    (row,) = runs.table_rows([info])
    assert row["state"] == "finished" and row["steps"] == "12 / 12" and row["network"] == "16 px, 5 blocks"
    assert row["best accuracy (%)"] == round(100 * epoch["val_accuracy"], 1)


def test_metrics_csv_has_every_record(finished_run):
    rows = list(csv.DictReader(io.StringIO(runs.metrics_csv(finished_run))))
    steps = [r for r in rows if r["kind"] == "step"]
    assert [int(r["step"]) for r in steps] == [3, 6, 9, 12]
    (epoch,) = [r for r in rows if r["kind"] == "epoch"]
    assert 0 <= float(epoch["val_accuracy"]) <= 1 and list(rows[0])[:3] == ["kind", "step", "epoch"]


def test_progress_and_eta(finished_run):
    info = runs.get_run(finished_run)
    progress = runs.progress(info, runs.read_metrics(finished_run))
    assert (progress.step, progress.total_steps, progress.fraction) == (12, 12, 1.0)
    assert progress.eta_s is None  # finished: nothing left to wait for
    assert progress.images_per_sec == records_of(finished_run, "step")[-1]["images_per_sec"]  # the latest logged
    assert progress.last_loss == records_of(finished_run, "step")[-1]["loss"]


def test_load_run_model_gives_the_trained_weights(finished_run):
    model = runs.load_run_model("done", directory=finished_run.parent)
    assert not model.training and model.config.num_classes == 10 and model.config.input_size == 16
    saved = run_files.load_checkpoint(finished_run)["model"]
    assert torch.equal(model.classifier[-1].weight, saved["classifier.6.weight"])
    with pytest.raises(AlexNetError, match="no run"):
        runs.load_run_model("missing", directory=finished_run.parent)
    assert runs.checkpoint_stamp(finished_run) == (finished_run / run_folder.CHECKPOINT).stat().st_mtime_ns > 0
    assert runs.run_config(finished_run) == model.config
    assert runs.run_classes(finished_run) == [str(d) for d in range(10)]


# ------------------------------------------------------------------ real processes


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_start_one_at_a_time_stop_and_resume(tmp_path):
    settings = TrainSettings(epochs=100, batch_size=16, checkpoint_every=1000)
    info = runs.start_run(TINY, settings, directory=tmp_path)
    try:
        assert info.state == "running" and info.pid
        waiting = runs.start_run(TINY, settings, directory=tmp_path)  # a second start waits its turn
        assert waiting.state == "queued" and runs.cancel_queued(waiting) and not waiting.path.exists()
        wait_for(lambda: len(runs.read_metrics(info.path).steps) >= 3)
        assert runs.stop_run(info.run_id, directory=tmp_path)
        wait_for(lambda: runs.get_run(info.path).state != "running")
        stopped = runs.get_run(info.path)
        assert stopped.state == "stopped" and stopped.has_checkpoint and stopped.can_resume
        at = stopped.step

        runs.resume_run(info.run_id, directory=tmp_path, max_steps=at + 3)
        wait_for(lambda: runs.get_run(info.path).state != "running")
        resumed = runs.get_run(info.path)
        assert resumed.state == "finished", (tmp_path / info.run_id / run_folder.LOG).read_text()
        assert runs.read_metrics(info.path).column("step") == list(range(1, at + 4))
        log = (info.path / run_folder.LOG).read_text()
        assert "--resume" in log and "Traceback" not in log
    finally:
        runs.stop_run(info.path)


# ------------------------------------------------------------------ figures


def test_loss_figure_of_one_step_shows_a_point():
    """A run stopped after its first step: a line through one point would leave the chart empty."""
    from alexnet.plots.training import loss_figure

    fig = loss_figure([1], [2.43], [2.43])
    assert fig.data[1].mode == "markers" and list(fig.data[1].y) == [2.43]
    assert loss_figure([1, 2], [2.4, 2.3], [2.4, 2.35]).data[1].mode == "lines"


def test_loss_figure_draws_raw_smoothed_and_validation():
    from alexnet.plots.training import accuracy_figure, loss_figure

    losses = [2.3, 2.0, 1.7, 1.5]
    # by hand, w = 0.5: s_t = 0.5 s_{t-1} + 0.5 x_t from s_0 = 0 gives 1.15, 1.575, 1.6375, 1.56875;
    # divided by 1 - 0.5^t (0.5, 0.75, 0.875, 0.9375): 2.3, 2.1, 131/70, 251/150
    by_hand = [2.3, 2.1, 131 / 70, 251 / 150]
    fig = loss_figure([1, 2, 3, 4], losses, smooth(losses, 0.5), val_steps=[4], val_losses=[1.6])
    assert [t.name for t in fig.data] == ["loss (raw)", "loss (smoothed)", "validation loss"]
    assert list(fig.data[0].y) == losses and list(fig.data[2].y) == [1.6]
    assert list(fig.data[1].y) == pytest.approx(by_hand) and fig.layout.yaxis.type != "log"
    assert list(accuracy_figure([1.0, 2.0], [0.5, 0.75]).data[0].y) == [50.0, 75.0]


def test_an_exploding_loss_switches_to_a_log_axis():
    from alexnet.plots.training import loss_figure, overlay_figure

    assert loss_figure([1, 2, 3], [2.3, 4e9, None], [2.3, 2e9, 2e9]).layout.yaxis.type == "log"
    overlay = overlay_figure(
        {"ok": ([1, 2], [2.3, 2.0]), "bad": ([1, 2], [2.3, 1e12])}, title="", x_title="", y_title=""
    )
    assert overlay.layout.yaxis.type == "log" and [t.name for t in overlay.data] == ["ok", "bad"]


def test_a_live_process_that_does_not_look_like_a_trainer_yet_counts_as_running_while_fresh(tmp_path):
    # while a process starts, /proc/<pid>/cmdline may still read empty or show its parent's
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        fresh = write_run(tmp_path / "fresh", {"state": "running", "pid": sleeper.pid, "updated_at": time.time()}, [])
        stale = write_run(
            tmp_path / "stale", {"state": "running", "pid": sleeper.pid, "updated_at": time.time() - 600}, []
        )
        assert runs.get_run(fresh).state == "running"
        assert runs.get_run(stale).state == "interrupted"  # a recycled pid, not our trainer
    finally:
        sleeper.kill()
        sleeper.wait()


def test_an_impossible_network_is_refused_before_a_run_exists(tmp_path):
    with pytest.raises(AlexNetError, match="conv1") as info:
        runs.start_run(replace(PRESETS["paper"], input_size=8), TrainSettings(), directory=tmp_path)
    assert "Fix:" in info.value.message
    assert list(tmp_path.iterdir()) == []


def test_a_runs_logged_speed_is_the_median_of_its_last_steps_not_its_last_one(tmp_path):
    from dataclasses import asdict

    from alexnet.network.config import PRESETS
    from alexnet.training import run_folder
    from alexnet.training.settings import TrainSettings

    run_dir = tmp_path / "r1"
    run_dir.mkdir()
    network = PRESETS["cifar"].to_dict()
    config = {"network": network, "training": asdict(TrainSettings(batch_size=64)), "total_steps": 12}
    (run_dir / run_folder.CONFIG).write_text(json.dumps(config))
    speeds = [2000.0, 2100.0, 1900.0] * 3 + [2050.0, 2000.0, 112.0]  # the last step shared the cores
    lines = [{"kind": "step", "step": i + 1, "epoch": 0.1 * (i + 1), "loss": 1.0, "accuracy": 0.5, "lr": 1e-3,
              "images_per_sec": v, "elapsed": float(i)} for i, v in enumerate(speeds)]  # fmt: skip
    (run_dir / run_folder.METRICS).write_text("".join(json.dumps(line) + "\n" for line in lines))
    (run_dir / run_folder.STATUS).write_text(
        json.dumps({"state": "finished", "pid": None, "message": "Finished.", "updated_at": 1.0, "step": 12,
                    "total_steps": 12, "epoch": 1.2})
    )  # fmt: skip
    infos = runs.list_runs(tmp_path)
    assert runs.logged_speed(infos, network, 64) == (2000.0, "r1")  # the median of the 12, by hand
    assert runs.logged_speed(infos, network, 32) is None  # another batch size: not this speed


def test_the_typical_start_is_the_median_of_the_newest_runs_that_recorded_one(tmp_path):
    from dataclasses import asdict

    from alexnet.training.settings import TrainSettings as Settings

    for number, startup in enumerate([None, 4.0, 30.0, 5.0, 7.0]):  # created in this order, newest last
        path = write_run(tmp_path / f"2026010{number}-000000-digits", {"state": "finished", "updated_at": 1.0}, [])
        config = {"created_at": number + 1.0, "network": PRESETS["cifar"].to_dict(), "training": asdict(Settings())}
        run_folder.write_json(path / run_folder.CONFIG, config | ({} if startup is None else {"startup_s": startup}))
    infos = runs.list_runs(tmp_path)
    assert [info.startup_s for info in infos] == [7.0, 5.0, 30.0, 4.0, None]  # newest first
    assert runs.typical_startup(infos) == (6.0, 4)  # median of 7, 5, 30, 4: (5 + 7) / 2
    assert runs.typical_startup(infos, last=3) == (7.0, 3)  # of 7, 5, 30
    assert runs.typical_startup(infos[-1:]) is None
