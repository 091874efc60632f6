"""The memory budget: the estimate against a measured peak, and the 262 GB network refused everywhere.

The network of issue 9: the paper's, input 1024, every block 1024 channels at stride 1. Its fc6
alone has 16,000,000 x 4096 weights (262 GB). Every path that would run it for real must refuse it
with the estimate and the budget, before anything is allocated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alexnet import runs
from alexnet.errors import AlexNetError
from alexnet.inspect.probe import check_probe_memory
from alexnet.inspect.summary import summarize
from alexnet.network import memory
from alexnet.network.config import PRESETS, AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.training.run import train_run
from alexnet.training.settings import TrainSettings
from alexnet.units import format_bytes

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
PAPER = PRESETS["paper"]
HUGE = replace(
    PAPER, input_size=1024, blocks=tuple(replace(block, out_channels=1024, stride=1) for block in PAPER.blocks)
)


def assert_refused(error: AlexNetError, mode: str = "inference", batch: int = 1) -> None:
    """The message gives the estimate, the budget, a layer and a fix."""
    text = error.message
    assert "memory budget" in text and " GB" in text, text
    assert error.layer and error.fix, text
    estimate = format_bytes(memory.estimate_memory(HUGE, mode=mode, batch=batch).total)
    assert estimate in text  # the number itself, not just a word


def test_the_huge_network_really_is_262_gb_of_weights():
    assert analyze(HUGE).total_params * 4 > 262e9  # the arithmetic the issue measured
    assert memory.estimate_memory(HUGE).weights == analyze(HUGE).total_params * 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8GB", 8 * 10**9), ("512MB", 512 * 10**6), ("1.5GiB", int(1.5 * 2**30)), ("2000", 2000), (" 3 gb ", 3 * 10**9)],
)
def test_budget_sizes_parse(text, expected):
    assert memory.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "-1GB", "0", "8 parsecs", "1e9", "GB"])
def test_a_bad_budget_is_a_plain_message(text, monkeypatch):
    monkeypatch.setenv(memory.BUDGET_ENV, text or "none")
    with pytest.raises(AlexNetError, match="not a memory size"):
        memory.parse_size(text)
    with pytest.raises(AlexNetError, match=memory.BUDGET_ENV):
        memory.memory_budget()


def test_the_default_budget_is_half_of_what_is_available(monkeypatch):
    monkeypatch.delenv(memory.BUDGET_ENV, raising=False)
    monkeypatch.setattr(memory, "available_memory", lambda: 24_000_000_000)  # a 24 GB machine, all free
    budget, source = memory.memory_budget()
    assert budget == 12_000_000_000 and source == "50% of the memory available on this machine now"


def test_available_memory_is_read_from_the_kernel():
    """MemAvailable of /proc/meminfo, in bytes (the file counts in kB of 1024 bytes)."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo (not Linux)")
    line = next(line for line in meminfo.read_text().splitlines() if line.startswith("MemAvailable:"))
    kernel = int(line.split()[1]) * 1024
    assert abs(memory.available_memory() - kernel) < 0.05 * kernel  # it moves between the two reads


def test_the_environment_sets_the_budget(monkeypatch):
    monkeypatch.setenv(memory.BUDGET_ENV, "1MB")
    with pytest.raises(AlexNetError, match=r"over the memory budget of 1\.0 MB"):
        summarize(PRESETS["cifar"])
    monkeypatch.setenv(memory.BUDGET_ENV, "1TB")
    assert summarize(PRESETS["cifar"]).total_params == analyze(PRESETS["cifar"]).total_params


def test_training_counts_gradients_and_optimizer_state():
    adamw = memory.estimate_memory(PAPER, mode="training", batch=4)
    sgd = memory.estimate_memory(PAPER, mode="training", batch=4, optimizer="sgd")
    weights = memory.estimate_memory(PAPER).weights
    assert adamw.training_state == 3 * weights and sgd.training_state == 2 * weights
    assert memory.estimate_memory(PAPER, mode="training", batch=8).activations == 2 * adamw.activations


# --------------------------------------------------------------- estimate against a measured peak

MEASURE = textwrap.dedent(
    """
    import json, sys
    import torch
    from alexnet.network.config import AlexNetConfig
    from alexnet.network.memory import estimate_memory
    from alexnet.network.model import build_model
    from alexnet.inspect.probe import probe

    torch.set_num_threads(1)
    mode, batch, config = sys.argv[1], int(sys.argv[2]), AlexNetConfig.from_json(sys.argv[3])
    images = torch.randn(batch, config.in_channels, config.input_size, config.input_size)

    def status_bytes(field):  # VmRSS / VmHWM of this process's own memory (kB in /proc/self/status)
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    # Resident now, not the high-water mark: importing torch peaks higher than it stays. Writing 5 to
    # clear_refs resets VmHWM to the current RSS (Linux 4.0+), where the kernel allows it.
    try:
        open("/proc/self/clear_refs", "w").write("5")
    except OSError:
        pass
    before = status_bytes("VmRSS")
    if mode == "inference":  # a real forward pass (the export check's); the Summary page's runs on meta
        with torch.no_grad():
            build_model(config, seed=0).eval()(images)
    elif mode == "probe":
        probe(build_model(config, seed=0), images, keep=True)
    else:
        model = build_model(config, seed=0)
        optimizer = torch.optim.AdamW(model.parameters())
        for _ in range(2):
            model(images).sum().backward()
            optimizer.step()
            optimizer.zero_grad()
    # VmHWM belongs to this process's memory map. Not ru_maxrss: Linux carries the parent's high-water
    # mark across (v)fork and exec, so after a test that trained in pytest's process it measured pytest.
    peak = status_bytes("VmHWM") - before
    print(json.dumps({"measured": peak, "estimate": estimate_memory(config, mode=mode, batch=batch).total}))
    """
)
CIFAR_WIDE = replace(
    PRESETS["cifar"], input_size=128, blocks=tuple(replace(b, out_channels=192) for b in PRESETS["cifar"].blocks)
)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status (Linux)")
@pytest.mark.parametrize(
    ("mode", "batch", "config"),
    [
        ("inference", 1, PAPER),  # the paper's network on one image: 250 MB of weights
        ("probe", 1, replace(CIFAR_WIDE, input_size=256)),  # every output kept: activations dominate
        ("training", 8, CIFAR_WIDE),  # AdamW: weights x 4, outputs and their gradients
        ("training", 8, PAPER),
    ],
    ids=["inference-paper", "probe-cifar-wide", "train-cifar-wide", "train-paper"],
)
def test_the_estimate_is_within_2x_of_the_measured_peak(mode, batch, config):
    """Peak RSS of a child process (its own VmHWM), less what it held after importing torch, against the estimate."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(batch), config.to_json()],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = result["estimate"] / result["measured"]
    print(f"{mode} batch {batch}: estimate {result['estimate']:,} measured {result['measured']:,} ratio {ratio:.2f}")
    assert 0.5 <= ratio <= 2.0, result


# --------------------------------------------------------------- the 262 GB network, everywhere


@pytest.fixture
def small_budget(monkeypatch):
    """A budget far below 262 GB on any machine (the default would do too, on a machine under 524 GB)."""
    monkeypatch.setenv(memory.BUDGET_ENV, "16GB")


def test_library_refuses_before_allocating(small_budget, tmp_path):
    batch = TrainSettings().batch_size
    for refuse, mode, images in (
        (lambda: summarize(HUGE), "inference", 1),
        (lambda: check_probe_memory(HUGE), "probe", 1),
        (lambda: runs.start_run(HUGE, TrainSettings(), directory=tmp_path), "training", batch),
    ):
        with pytest.raises(AlexNetError) as caught:
            refuse()
        assert_refused(caught.value, mode, images)
    with pytest.raises(AlexNetError, match="memory budget"):
        train_run(HUGE, TrainSettings(), runs_dir=tmp_path, run_id="huge", progress=False)
    assert runs.list_runs(tmp_path) == [] and not (tmp_path / "huge").exists()  # no run directory was made


def test_the_default_budget_refuses_it_too(monkeypatch):
    monkeypatch.delenv(memory.BUDGET_ENV, raising=False)
    if memory.available_memory() > 500e9:
        pytest.skip("this machine could hold it")
    with pytest.raises(AlexNetError) as caught:
        summarize(HUGE)
    assert_refused(caught.value)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alexnet", *args],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_summary_and_train_refuse_it(tmp_path):
    path = tmp_path / "huge.json"
    HUGE.save(path)
    summary = cli("summary", "--config", str(path), "--memory-budget", "16GB")
    assert summary.returncode == 2 and "Traceback" not in summary.stderr
    assert "memory budget of 16.0 GB" in summary.stderr and "alexnet shapes" in summary.stderr
    runs_dir = tmp_path / "runs"
    train = cli("train", "--config", str(path), "--runs-dir", str(runs_dir), "--no-progress", "--memory-budget", "16GB")
    assert train.returncode == 2 and "Traceback" not in train.stderr, train.stderr
    assert "Training this network" in train.stderr and "memory budget of 16.0 GB" in train.stderr
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_cli_budget_flag_and_environment(tmp_path):
    small = cli("summary", "--preset", "cifar", "--memory-budget", "1MB")
    assert small.returncode == 2 and "memory budget of 1.0 MB" in small.stderr
    assert cli("summary", "--preset", "cifar", env={memory.BUDGET_ENV: "100MB"}).returncode == 0
    bad = cli("summary", "--preset", "cifar", env={memory.BUDGET_ENV: "lots"})
    assert bad.returncode == 2 and memory.BUDGET_ENV in bad.stderr and "Traceback" not in bad.stderr


def app_with(config: AlexNetConfig, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["config"] = config
    at.session_state["edit_input_size"] = config.input_size  # the sidebar box would put its own back
    at.session_state["edit_num_classes"] = config.num_classes
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_summary_page_shows_the_message_and_the_analytic_table(small_budget):
    at = app_with(HUGE, "pages/summary.py")
    (error,) = at.error
    assert "memory budget" in error.value and format_bytes(memory.estimate_memory(HUGE).total) in error.value
    table = at.dataframe[0].value
    layers = list(table["layer"])
    assert layers == [layer.name for layer in analyze(HUGE).layers]
    assert int(table.loc[layers.index("fc6"), "params"]) == 16_000_000 * 4096 + 4096
    assert len(at.get("plotly_chart")) == 2  # the cost and receptive-field charts need no memory either


def test_activations_page_shows_the_message(small_budget):
    at = app_with(HUGE, "pages/activations.py")
    assert any("memory budget" in e.value for e in at.error), [e.value for e in at.error]


def test_training_page_start_shows_the_message(small_budget, tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_RUNS_DIR", str(tmp_path))
    at = app_with(HUGE, "pages/training.py")
    at.button(key="train_start").click().run()
    assert not at.exception
    assert any("memory budget" in e.value for e in at.error), [e.value for e in at.error]
    assert runs.list_runs(tmp_path) == []
