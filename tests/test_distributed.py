"""torchrun: two processes train one run with DistributedDataParallel over gloo on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tensorboard_support import scalars

from alexnet import runs
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import build_model
from alexnet.training import run_folder
from alexnet.training.run_folder import read as run_files

ROOT = Path(__file__).resolve().parents[1]


def test_two_processes_share_the_epoch_and_only_rank_0_writes(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += ["-m", "alexnet", "train", "--preset", "cifar", "--input-size", "16", "--batch-size", "16"]
    command += ["--max-steps", "4", "--device", "cpu", "--runs-dir", str(tmp_path), "--run-id", "ddp", "--no-progress"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]

    assert [p.name for p in tmp_path.iterdir()] == ["ddp"]  # one run directory, written once
    run_dir = tmp_path / "ddp"
    config = json.loads((run_dir / run_folder.CONFIG).read_text())
    assert config["world_size"] == 2
    # each process takes every second image: ceil(1438 / 2 / 16) = 45 steps make an epoch
    assert config["steps_per_epoch"] == 45
    info = runs.get_run(run_dir)
    assert info.state == "finished" and info.step == 4
    steps = runs.read_metrics(run_dir).steps
    assert [r["step"] for r in steps] == [1, 2, 3, 4]  # rank 1 wrote nothing: no duplicates
    assert all(0 < r["loss"] < 10 for r in steps)  # the mean over both processes, a real number
    assert all(0 <= r["accuracy"] <= 1 for r in steps)  # right answers over both processes' 32 images
    assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1  # TensorBoard's events: rank 0's only
    assert scalars(run_dir, "train/loss") == [(r["step"], pytest.approx(r["loss"], rel=1e-6)) for r in steps]
    # the checkpoint holds the bare model's weights (no DistributedDataParallel "module." prefix)
    model = build_model(AlexNetConfig.from_dict(config["network"]))
    model.load_state_dict(run_files.load_checkpoint(run_dir)["model"])
    assert torch.isfinite(model.classifier[-1].weight).all()


def test_two_processes_train_the_papers_recipe_through_epoch_ends(tmp_path):
    """The plateau schedule under torchrun: rank 0 validates, and every process takes its lr decision
    (a process that did not would hang the next all-reduce, or train at another rate)."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    command += ["-m", "alexnet", "train", "--preset", "cifar", "--input-size", "16", "--recipe", "paper"]
    command += ["--max-steps", "13", "--device", "cpu", "--runs-dir", str(tmp_path), "--run-id", "ddp", "--no-progress"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "ddp"
    assert json.loads((run_dir / run_folder.CONFIG).read_text())["steps_per_epoch"] == 6  # ceil(1438 / 2 / 128)
    steps = runs.read_metrics(run_dir).steps
    assert [r["step"] for r in steps] == list(range(1, 14)) and all(0 <= r["accuracy"] <= 1 for r in steps)
    # validated at both epoch ends, and where max_steps ended (no epoch end: the plateau does not count it)
    assert [r["step"] for r in runs.read_metrics(run_dir).epochs] == [6, 12, 13]
    divisions = run_files.load_checkpoint(run_dir)["plateau"]["divisions"]
    assert steps[-1]["lr"] == steps[0]["lr"] * 0.1**divisions  # rank 0's decision, which both processes trained at
