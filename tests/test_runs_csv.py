"""All runs as one CSV (``alexnet.runs.runs_csv``, ``python -m alexnet runs --csv``, the Training
page's button): every record of every run, read back with plain ``csv`` and compared with each
run's ``metrics.jsonl`` read with plain ``json``; a run that cannot be read is named, not fatal."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from app_support import open_page, record_deferred_downloads

from alexnet import runs
from alexnet.cli.main import main
from alexnet.training import run_folder


@pytest.fixture(scope="module")
def two_runs(digits_run: Path, tmp_path_factory) -> Path:
    """The module's digits run and a copy of it under another name, with its last epoch cut off."""
    root = digits_run.parent
    other = root / "20250101-120000-digits"
    shutil.copytree(digits_run, other)
    lines = (other / run_folder.METRICS).read_text().splitlines(keepends=True)
    last_epoch = max(i for i, line in enumerate(lines) if json.loads(line)["kind"] == "epoch")
    (other / run_folder.METRICS).write_text("".join(lines[:last_epoch]))
    return root


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / run_folder.METRICS).read_text().splitlines()]


def rows_by_run(text: str) -> dict[str, list[dict]]:
    table = list(csv.DictReader(io.StringIO(text)))
    assert table and list(table[0])[:4] == ["run_id", "kind", "step", "epoch"]
    grouped: dict[str, list[dict]] = {}
    for row in table:
        grouped.setdefault(row["run_id"], []).append(row)
    return grouped


def assert_every_record(text: str, root: Path) -> None:
    grouped = rows_by_run(text)
    assert set(grouped) == {path.name for path in root.iterdir() if (path / run_folder.METRICS).is_file()}
    for run_id, rows in grouped.items():
        expected = records(root / run_id)
        assert len(rows) == len(expected), run_id
        for kind in ("step", "epoch"):
            want = [r for r in expected if r["kind"] == kind]
            got = [r for r in rows if r["kind"] == kind]
            assert [int(r["step"]) for r in got] == [r["step"] for r in want]
            for field in ("loss", "val_accuracy"):
                if field in want[0]:
                    assert [float(r[field]) for r in got] == pytest.approx([r[field] for r in want], rel=1e-12)


def test_one_csv_holds_every_record_of_every_run(two_runs):
    table = runs.runs_csv([info.path for info in runs.list_runs(two_runs)])
    assert table.unreadable == {}
    assert_every_record(table.text, two_runs)


def test_the_cli_writes_it_and_names_an_unreadable_run(two_runs, tmp_path, capsys):
    broken = two_runs / "20250102-120000-digits"
    shutil.copytree(two_runs / "20250101-120000-digits", broken)
    (broken / run_folder.METRICS).unlink()
    (broken / run_folder.METRICS).mkdir()  # a folder where the file should be: it cannot be read
    try:
        out = tmp_path / "all.csv"
        assert main(["runs", "--csv", str(out), "--runs-dir", str(two_runs)]) == 0
        said = capsys.readouterr()
        assert f"note: {broken.name} has no records in the CSV" in said.err and "metrics.jsonl" in said.err
        assert_every_record(out.read_text(), two_runs)
        total = sum(len(records(p)) for p in two_runs.iterdir() if (p / run_folder.METRICS).is_file())
        assert said.out.strip() == f"{out}: {total} records of 3 runs"
        assert main(["runs", "--runs-dir", str(two_runs)]) == 0  # the table: one line per run
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split()[:2] == ["run", "state"] and len(lines) == 4
        assert any(line.startswith(broken.name) for line in lines[1:])
    finally:
        shutil.rmtree(broken)


def test_the_training_page_button_downloads_the_same_csv(two_runs, monkeypatch):
    monkeypatch.setenv(run_folder.RUNS_DIR_ENV, str(two_runs))
    deferred = record_deferred_downloads(monkeypatch)
    at = open_page("pages/training.py", timeout=120)
    assert not at.exception
    button = at.download_button(key="train_all_csv")
    assert button.proto.label == "Every record of all 2 runs (CSV)"
    text = deferred[button.proto.deferred_file_id]()
    assert_every_record(text, two_runs)
