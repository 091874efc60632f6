"""``python -m alexnet bench`` with tiny settings (numbers are checked for shape and sign, never
for speed: timings belong to the benchmark's printed ratios), and the trainer's launcher env."""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from alexnet.bench import (
    RandomImages,
    format_table,
    probe_rows,
    tabulate,
    timing,
    training_gflop_per_image,
    with_changed_width,
)
from alexnet.bench.baseline import BASELINE_SCRIPT
from alexnet.bench.ceiling import CeilingPlan, ceiling_conv, ceiling_plan, ceiling_probe, cpu_name, machine_info
from alexnet.cli import main as cli_main
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.training import environment, precision, run_folder
from alexnet.training.data import DataSplit
from alexnet.training.run import train_run
from alexnet.training.settings import TrainSettings


class SteppingClock:
    """``time.perf_counter`` for alexnet.bench.timing: every reading 2.5 ms after the one before, so each
    timed call of the probes takes 2.5 ms whatever this machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.0025
        return self.now


class ScriptedClock:
    """``time.perf_counter`` for alexnet.bench.timing that returns the readings it is given, in order."""

    def __init__(self, seconds: list[float]) -> None:
        self.times = [t for k, s in enumerate(seconds) for t in (10.0 * k, 10.0 * k + s)]  # start, end of each call

    def perf_counter(self) -> float:
        return self.times.pop(0)


# the cifar network's mult-adds per 32 x 32 image (torchinfo's count, tests/test_app_summary.py)
CIFAR_MULT_ADDS = 14_790_986


def test_bench_cli_writes_every_row_as_json(tmp_path, capsys, monkeypatch):
    # mallopt would keep this test process's freed memory for the rest of the suite
    monkeypatch.setattr(environment, "tune_this_process", lambda: True)
    monkeypatch.setattr(timing, "time", SteppingClock())  # the probes' timer; the training rows time themselves
    out = tmp_path / "bench.json"
    argv = ["bench", "--preset", "cifar", "--batch-size", "4", "--steps", "1", "--rounds", "2", "--warmup-steps", "1"]
    threads = torch.get_num_threads()
    assert cli_main([*argv, "--json", str(out)]) == 0
    assert torch.get_num_threads() == threads  # the ceiling's thread count is put back
    result = json.loads(out.read_text())
    rows = {row["name"]: row for row in result["rows"]}
    assert list(rows) == ["baseline", "default", "fp32", "ceiling"]
    ceiling = result["ceiling"]
    # the training work of one image: forward and backward's two products, 3 x 2 x mult-adds
    assert result["gflop_per_training_image"] == pytest.approx(6 * CIFAR_MULT_ADDS / 1e9)
    for name in ("baseline", "default", "fp32"):
        row = rows[name]
        # a row's rate is the median of its rounds' (of two: their mean), GFLOP/s that times the work per image
        assert len(row["rounds"]) == 2
        assert row["images_per_sec"] == pytest.approx(statistics.median(row["rounds"]))
        assert row["gflops"] == pytest.approx(row["images_per_sec"] * 6 * CIFAR_MULT_ADDS / 1e9)
        assert row["ratio_to_baseline"] == pytest.approx(row["images_per_sec"] / rows["baseline"]["images_per_sec"])
        # a fraction of the ceiling, or none at all when a row beat it (at batch 4 either can happen)
        assert (0 < row["fraction_of_ceiling"] <= 1) if ceiling["valid"] else row["fraction_of_ceiling"] is None
    assert rows["baseline"]["ratio_to_baseline"] == 1.0
    # the ceiling is its best burst over every layout and round; its row's rounds the best of each round
    by_layout = ceiling["rounds_by_layout"]
    assert rows["ceiling"]["gflops"] == ceiling["gflops"] == max(max(rates) for rates in by_layout.values())
    assert max(by_layout[ceiling["layout"]]) == ceiling["gflops"]
    assert rows["ceiling"]["rounds"] == [max(rates) for rates in zip(*by_layout.values(), strict=True)]
    above = [name for name in ("baseline", "default", "fp32") if rows[name]["gflops"] > ceiling["gflops"]]
    assert ceiling["rows_above"] == above
    assert ceiling["valid"] == (not ceiling["rows_above"])
    # the ceiling ran in the precision the default mode ran in (the child decides on the same CPU)
    assert ceiling["precision"] == result["modes"]["default"]["precision"] == ceiling["default_mode_precision"]
    assert ceiling["layout"] in ceiling["rounds_by_layout"]
    assert ceiling["layout"] in rows["ceiling"]["what"] or result["device"] != "cpu"  # CUDA: a matmul
    assert all(len(rates) == 2 for rates in ceiling["rounds_by_layout"].values())
    # the trainer rows say which mode ran; plain fp32 is plain fp32
    assert result["modes"]["fp32"]["precision"] == "fp32"
    assert set(result["machine"]) >= {"cpu", "isa", "bf16_native", "threads"}
    assert result["machine"]["bf16_native"] == (ceiling["precision"] == "bf16")
    assert {probe["name"] for probe in result["probes"]} == {"table", "probe", "summary"}
    assert [probe["ms"] for probe in result["probes"]] == pytest.approx([2.5, 2.5, 2.5])  # the clock's step
    printed = capsys.readouterr().out
    assert re.findall(r"([\d.]+) ms \(target < (\d+) ms\)", printed) == [("2.5", "15"), ("2.5", "60"), ("2.5", "300")]
    assert printed.startswith("machine: ") and f"threads: {result['machine']['threads']}" in printed
    assert "(a) a learner's plain fp32 loop" in printed and "x base" in printed
    assert all(int(share) <= 100 for share in re.findall(r"(\d+)%", printed))


def test_bench_refuses_zero_steps(capsys):
    assert cli_main(["bench", "--steps", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_training_work_is_three_forward_passes():
    paper = PRESETS["paper"]
    # the figure for the paper network: about 6.8 GFLOP per training image
    assert 6.5 < training_gflop_per_image(paper) < 7.0


def test_probe_rows_time_fresh_configurations(monkeypatch):
    tiny = replace(PRESETS["cifar"], input_size=16)
    assert with_changed_width(tiny, 1).blocks[0].out_channels == tiny.blocks[0].out_channels + 8
    # three calls of each: the table's take 10, 40 and 20 ms, the probe's 5, 1, 3, the summary's 200, 100, 400
    clock = ScriptedClock([0.010, 0.040, 0.020, 0.005, 0.001, 0.003, 0.200, 0.100, 0.400])
    monkeypatch.setattr(timing, "time", clock)
    rows = probe_rows(tiny, repeats=3)
    assert not clock.times  # three timed calls of each, nothing else
    assert [row["name"] for row in rows] == ["table", "probe", "summary"]
    assert [row["ms"] for row in rows] == pytest.approx([20.0, 3.0, 200.0])  # the medians, in milliseconds
    assert [row["target_ms"] for row in rows] == [15.0, 60.0, 300.0]  # issue 8's targets, in milliseconds


def test_trainer_env_fills_in_allocator_and_threads_but_keeps_the_users(monkeypatch):
    monkeypatch.setattr(environment, "usable_cores", lambda: 6)  # a 6-core machine, whatever this one is
    env = environment.trainer_env({"PATH": "/bin", "OMP_NUM_THREADS": "7"}, processes=1)
    assert env["MALLOC_MMAP_MAX_"] == "0" and int(env["MALLOC_TRIM_THRESHOLD_"]) >= 1 << 30
    assert env["OMP_NUM_THREADS"] == "7"  # the user's choice wins
    assert env["MKL_NUM_THREADS"] == "6"  # one thread per core
    assert env["PATH"] == "/bin" and env[environment.LAUNCHED_FLAG] == "1"
    # torchrun's processes share the cores: 6 // 2 = 3 each, 6 // 4 = 1, and never 0
    assert [environment.trainer_env({}, processes=n)["OMP_NUM_THREADS"] for n in (2, 4, 12)] == ["3", "1", "1"]
    assert environment.default_env(env) == {"PATH": "/bin"}


def test_a_launched_child_sees_the_settings():
    # glibc reads MALLOC_* when the process starts: the child must get them in its environment
    code = "import os, json; print(json.dumps({k: os.environ.get(k) for k in ('MALLOC_MMAP_MAX_', 'OMP_NUM_THREADS')}))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=environment.trainer_env(dict(os.environ)), capture_output=True
    )
    seen = json.loads(out.stdout)
    assert seen["MALLOC_MMAP_MAX_"] == "0" and int(seen["OMP_NUM_THREADS"]) >= 1


def test_tune_this_process_applies_mallopt():
    # in a child: the settings last for the rest of a process's life
    code = (
        "import os; from alexnet.training import environment; "
        "print(environment.tune_this_process(), os.environ['MALLOC_MMAP_MAX_'])"
    )
    env = environment.default_env() | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "0"]  # glibc on Linux


CPU = torch.device("cpu")


@pytest.fixture(params=[False, True], ids=["emulated-bf16", "native-bf16"])
def native_bf16(request, monkeypatch):
    """Both kinds of CPU, whichever this one is: the capability check every decision asks."""
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: request.param)
    return request.param


def test_default_mode_and_ceiling_follow_the_cpus_bf16(native_bf16):
    chosen = precision.resolve_precision("auto", CPU)
    assert chosen == ("bf16" if native_bf16 else "fp32")
    assert precision.use_channels_last(chosen, CPU) == native_bf16
    plan = ceiling_plan(CPU)
    if native_bf16:  # the trainer's bf16 and layout
        assert plan == CeilingPlan("bf16", ("channels-last",), "conv3")
    else:  # emulated bf16 would be a ceiling below fp32 training: fp32, in whichever layout is faster
        assert plan == CeilingPlan("fp32", ("NCHW", "channels-last"), "conv3")
    assert machine_info(CPU)["bf16_native"] == native_bf16
    tiny = replace(PRESETS["cifar"], input_size=16)
    for layout in plan.layouts:
        layer, x, flop = ceiling_conv(tiny, 2, plan.precision, layout)
        assert layer.weight.dtype == x.dtype == (torch.bfloat16 if native_bf16 else torch.float32)
        assert x.is_contiguous(memory_format=torch.channels_last) == (layout == "channels-last")
        assert layer(x).shape == (2, 96, 3, 3)  # conv3 of the 16 px cifar network
        assert flop == 2 * 2 * (96 * 3 * 3) * (64 * 3 * 3 + 1)  # 2 FLOP per mult-add, batch 2, bias counted
    rates = {layout: measure() for layout, measure in ceiling_probe(tiny, 2, CPU, plan, burst_s=0.01).items()}
    assert set(rates) == set(plan.layouts) and all(rate > 0 for rate in rates.values())


def test_a_run_records_the_default_mode_it_took(native_bf16, tmp_path):
    config = replace(PRESETS["cifar"], input_size=16)
    data = DataSplit("random", RandomImages(config, 4, 8), RandomImages(config, 2, 2), ("x",) * config.num_classes)
    settings = TrainSettings(epochs=1, batch_size=4, max_steps=1, device="cpu")  # precision "auto"
    _, run_dir = train_run(config, settings, runs_dir=tmp_path, progress=False, data=data)
    recorded = json.loads((run_dir / run_folder.CONFIG).read_text())
    assert recorded["training"]["precision"] == recorded["mode"]["precision"] == ("bf16" if native_bf16 else "fp32")
    assert recorded["mode"]["channels_last"] == recorded["mode"]["bf16_native"] == native_bf16


def fake_result(default_gflops: float, ceiling_gflops: float) -> dict:
    """A result as ``run_bench`` returns it, from made-up times: one image per round, 1 GFLOP each."""
    modes = {"default": {"precision": "fp32", "channels_last": False, "threads": 2}, "fp32": {"precision": "fp32"}}
    seconds = {"baseline": [1 / 10, 1 / 10], "default": [1 / default_gflops] * 2, "fp32": [1 / 30, 1 / 30]}
    ceilings = {"NCHW": [ceiling_gflops, 0.9 * ceiling_gflops], "channels-last": [0.8 * ceiling_gflops] * 2}
    plan = CeilingPlan("fp32", ("NCHW", "channels-last"), "conv3")
    machine = {"cpu": "Fake CPU 9000", "isa": "AVX2", "bf16_native": False, "threads": 2}
    result = tabulate(plan, seconds, ceilings, modes, images_per_round=1, gflop_per_image=1.0)
    return result | {"machine": machine, "modes": modes, "device": "cpu"}


def percentages(text: str) -> list[int]:
    return [int(share) for share in re.findall(r"(\d+)%", text)]


def test_table_names_the_machine_and_the_ceilings_precision_and_layout():
    result = fake_result(default_gflops=40, ceiling_gflops=50)
    ceiling = result["ceiling"]
    assert ceiling["valid"] and ceiling["rows_above"] == [] and ceiling["layout"] == "NCHW"
    assert [row["fraction_of_ceiling"] for row in result["rows"]] == pytest.approx([10 / 50, 40 / 50, 30 / 50, 1])
    table = format_table(result)
    first = table.splitlines()[0]
    assert first == "machine: Fake CPU 9000 | ISA torch uses: AVX2 | native bf16: no | threads: 2"
    assert "(b) the trainer, default mode (fp32, NCHW)" in table
    assert "(d) ceiling: fp32 conv3, NCHW (best round)" in table
    assert percentages(table) == [20, 80, 60, 100] and "!" not in table


def test_a_row_above_the_ceiling_prints_no_fraction_and_says_the_ceiling_is_wrong():
    result = fake_result(default_gflops=60, ceiling_gflops=50)
    # in the JSON: the ceiling is marked, and no row carries a fraction of it
    assert result["ceiling"]["valid"] is False and result["ceiling"]["rows_above"] == ["default"]
    assert all(row["fraction_of_ceiling"] is None for row in result["rows"])
    table = format_table(result)
    assert percentages(table) == []
    assert "! the ceiling burst (50 GFLOP/s) measured below (b): it is wrong for this machine" in table
    # a result written by an older bench, its fraction above 1 kept: still nothing over 100 % printed
    stale = fake_result(default_gflops=60, ceiling_gflops=50)
    stale["rows"][1]["fraction_of_ceiling"] = 1.2
    del stale["machine"]
    assert percentages(format_table(stale)) == [] and "measured below (b)" in format_table(stale)


def test_a_default_mode_in_another_precision_than_the_ceiling_is_pointed_out():
    result = fake_result(default_gflops=40, ceiling_gflops=50)
    result["ceiling"]["default_mode_precision"] = "bf16"
    assert "! the default mode ran in bf16, the ceiling in fp32" in format_table(result)


def test_cpu_name_reads_the_model_name(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n")
    assert cpu_name(cpuinfo) == "AMD EPYC 7B13 64-Core Processor"
    assert cpu_name(tmp_path / "missing") != ""  # not Linux: platform.processor(), or a placeholder


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_the_baseline_loop_builds_the_same_network(activation, monkeypatch):
    """Row (a)'s plain nn.Sequential: same parameters and the same activation as build_model's."""
    config = replace(PRESETS["cifar"], input_size=16, activation=activation)
    monkeypatch.setattr(sys, "argv", ["baseline", json.dumps(config.to_dict()), "2"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("quit\n"))
    namespace: dict = {"__name__": "baseline"}
    exec(BASELINE_SCRIPT, namespace)
    model, ours = namespace["model"], build_model(config, device="meta")
    wanted, other = (torch.nn.Tanh, torch.nn.ReLU) if activation == "tanh" else (torch.nn.ReLU, torch.nn.Tanh)
    assert sum(isinstance(m, wanted) for m in model.modules()) == len(config.blocks) + len(config.hidden_sizes)
    assert not any(isinstance(m, other) for m in model.modules())
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in ours.parameters())
