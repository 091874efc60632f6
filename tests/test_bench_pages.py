"""The page benchmark's pure parts: the blank baseline app, the server command, the summary and the
table (no browser; the timings themselves belong to ``python -m benchmarks.bench_pages``)."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_pages
from benchmarks.bench_pages import REPO_ROOT, cpu_model, format_table, server_command, summarise, write_blank_app


def test_blank_app_is_a_title_and_a_line_with_the_apps_config(tmp_path):
    directory = write_blank_app(tmp_path / "blank")
    config = directory / ".streamlit" / "config.toml"
    assert config.read_bytes() == (REPO_ROOT / ".streamlit" / "config.toml").read_bytes()
    source = (directory / "app.py").read_text()
    compile(source, "app.py", "exec")
    assert "st.title(" in source and "st.write(" in source


def test_both_apps_start_headless_on_loopback_without_usage_stats():
    command = server_command(8765)
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert command[2:5] == ["streamlit", "run", "app.py"]
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8765"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"


def test_cpu_model_is_read_from_cpuinfo():
    text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14 96-Core Processor\n"
    assert cpu_model(text) == "AMD EPYC 9R14 96-Core Processor"
    assert cpu_model("processor : 0\n") == "unknown"


def test_the_probed_elements_are_what_the_architecture_page_draws():
    """The benchmark finds the page's figures and slider by their widget keys: a renamed key must
    be renamed here too, or every run would time out waiting for the element."""
    sources = "".join(path.read_text() for path in (REPO_ROOT / "pages").rglob("*.py"))
    keys = re.findall(r"\.st-key-(\w+)", " ".join(selector for _, selector, _ in bench_pages.ARCHITECTURE_ELEMENTS))
    for key in [*keys, bench_pages.SLIDER_KEY]:
        assert f'"{key}"' in sources, key


def _start(kind, paint, filled, **more):
    times = {"first_paint_s": paint, "filled_s": filled, "server_s": 1.0, "launch_to_filled_s": 9.0}
    return {"kind": kind, **times, **more}


def test_summary_gives_ratios_to_the_blank_app_and_each_targets_verdict():
    starts = [
        _start("blank", 0.9, 1.0),
        _start("app", 1.8, 2.5, switches={"Summary": [0.9, 0.3], "Activations": [1.5, 0.6]}, slider_steps_s=[0.2]),
        _start("blank", 1.1, 2.0),
        _start("app", 2.2, 3.5, switches={"Summary": [0.7, 0.4], "Activations": [1.3, 0.8]}, slider_steps_s=[0.4]),
    ]
    summary = summarise(starts, think_s=8)
    assert summary["blank_filled_s"] == pytest.approx(1.5)
    assert summary["first_paint_x_blank"] == pytest.approx(2.0 / 1.5)
    assert summary["filled_x_blank"] == pytest.approx(3.0 / 1.5)
    assert summary["pair_ratios"][0] == pytest.approx({"first_paint": 1.8, "filled": 2.5})
    assert summary["switches"]["Summary"] == {"first": [0.9, 0.7], "again": [0.3, 0.4]}
    verdicts = {target["what"]: target["met"] for target in summary["targets"]}
    assert verdicts["first paint, x blank"] and verdicts["PyTorch filled, x blank"]
    assert verdicts["switch to Summary, first visit (s)"] and verdicts["switch to Summary, again (s)"]
    assert not verdicts["switch to Activations, first visit (s)"] and not verdicts["switch to Activations, again (s)"]
    assert verdicts["slider step (s)"]

    table = format_table(starts, summary)
    assert re.search(r"app: open -> PyTorch column filled\s+3\.00 s\s+2\.50 3\.50\s+2\.00\s+<= 3x met", table)
    assert re.search(r"switch to Activations, first visit\s+1\.40 s\s+1\.50 1\.30\s+< 1 s MISSED", table)
    assert "in 0 of 2 app starts" in table and "last 'Checking" not in table
    starts[1]["checking_last_s"] = 2.25
    table = format_table(starts, summarise(starts, think_s=8))
    assert "in 1 of 2 app starts" in table
    assert re.search(r"app: open -> last 'Checking with PyTorch'\s+2\.25 s", table)
