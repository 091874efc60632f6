"""``python -m alexnet bench`` with tiny settings (numbers are checked for shape and sign, never
for speed: timings belong to the benchmark's printed ratios), and the trainer's launcher env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from alexnet import launch
from alexnet.bench import probe_rows, training_gflop_per_image, with_changed_width
from alexnet.cli import main as cli_main
from alexnet.config import PRESETS


def test_bench_cli_writes_every_row_as_json(tmp_path, capsys, monkeypatch):
    # mallopt would keep this test process's freed memory for the rest of the suite
    monkeypatch.setattr(launch, "tune_this_process", lambda: True)
    out = tmp_path / "bench.json"
    argv = ["bench", "--preset", "cifar", "--batch-size", "4", "--steps", "1", "--rounds", "2", "--warmup-steps", "1"]
    assert cli_main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    rows = {row["name"]: row for row in result["rows"]}
    assert list(rows) == ["baseline", "default", "fp32", "ceiling"]
    for name in ("baseline", "default", "fp32"):
        row = rows[name]
        assert len(row["rounds"]) == 2 and all(rate > 0 for rate in row["rounds"])
        assert row["images_per_sec"] > 0 and row["gflops"] > 0 and row["fraction_of_ceiling"] > 0
        # GFLOP/s is images/s times the training work of one image (3 x 2 x mult-adds)
        assert row["gflops"] == pytest.approx(row["images_per_sec"] * result["gflop_per_training_image"])
    assert rows["baseline"]["ratio_to_baseline"] == 1.0
    assert rows["ceiling"]["gflops"] > 0 and rows["ceiling"]["fraction_of_ceiling"] == 1.0
    # the trainer rows say which mode ran; plain fp32 is plain fp32
    assert result["modes"]["fp32"]["precision"] == "fp32" and result["modes"]["default"]["precision"] in (
        "bf16",
        "fp32",
    )
    assert {probe["name"] for probe in result["probes"]} == {"table", "probe", "summary"}
    assert all(probe["ms"] > 0 for probe in result["probes"])
    printed = capsys.readouterr().out
    assert "(a) a learner's plain fp32 loop" in printed and "x base" in printed


def test_bench_refuses_zero_steps(capsys):
    assert cli_main(["bench", "--steps", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_training_work_is_three_forward_passes():
    paper = PRESETS["paper"]
    # the figure for the paper network: about 6.8 GFLOP per training image
    assert 6.5 < training_gflop_per_image(paper) < 7.0


def test_probe_rows_time_fresh_configurations():
    tiny = replace(PRESETS["cifar"], input_size=16)
    assert with_changed_width(tiny, 1).blocks[0].out_channels == tiny.blocks[0].out_channels + 8
    rows = probe_rows(tiny, repeats=2)
    assert [row["name"] for row in rows] == ["table", "probe", "summary"]
    assert all(row["ms"] > 0 and row["target_ms"] > 0 for row in rows)


def test_trainer_env_fills_in_allocator_and_threads_but_keeps_the_users():
    env = launch.trainer_env({"PATH": "/bin", "OMP_NUM_THREADS": "7"}, processes=1)
    assert env["MALLOC_MMAP_MAX_"] == "0" and int(env["MALLOC_TRIM_THRESHOLD_"]) >= 1 << 30
    assert env["OMP_NUM_THREADS"] == "7"  # the user's choice wins
    assert int(env["MKL_NUM_THREADS"]) == launch.usable_cores()
    assert env["PATH"] == "/bin" and env[launch.LAUNCHED_FLAG] == "1"
    split = launch.trainer_env({}, processes=2)
    assert int(split["OMP_NUM_THREADS"]) == max(1, launch.usable_cores() // 2)
    assert launch.default_env(env) == {"PATH": "/bin"}


def test_a_launched_child_sees_the_settings():
    # glibc reads MALLOC_* when the process starts: the child must get them in its environment
    code = "import os, json; print(json.dumps({k: os.environ.get(k) for k in ('MALLOC_MMAP_MAX_', 'OMP_NUM_THREADS')}))"
    out = subprocess.run([sys.executable, "-c", code], env=launch.trainer_env(dict(os.environ)), capture_output=True)
    seen = json.loads(out.stdout)
    assert seen["MALLOC_MMAP_MAX_"] == "0" and int(seen["OMP_NUM_THREADS"]) >= 1


def test_tune_this_process_applies_mallopt():
    # in a child: the settings last for the rest of a process's life
    code = "import os; from alexnet import launch; print(launch.tune_this_process(), os.environ['MALLOC_MMAP_MAX_'])"
    env = launch.default_env() | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "0"]  # glibc on Linux
