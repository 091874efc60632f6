"""torchrun: two processes train one run with DistributedDataParallel over gloo on the CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from alexnet import runs
from alexnet.network.config import AlexNetConfig
from alexnet.network.model import build_model
from alexnet.training import run_files, run_folder

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
    # the checkpoint holds the bare model's weights (no DistributedDataParallel "module." prefix)
    model = build_model(AlexNetConfig.from_dict(config["network"]))
    model.load_state_dict(run_files.load_checkpoint(run_dir)["model"])
    assert torch.isfinite(model.classifier[-1].weight).all()
