"""``python -m alexnet runs``: the runs folder as a table, or every run's records as one CSV.

python -m alexnet runs                         # one line per run: state, dataset, network, best accuracy
python -m alexnet runs --csv all-runs.csv      # every step and epoch record of every run, a run_id column first
python -m alexnet runs --csv - | head          # the same CSV on stdout

A run whose files cannot be read is named on stderr with its problem; its readable records are
still in the CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alexnet import runs
from alexnet.errors import AlexNetError

COLUMNS = ("run", "state", "dataset", "network", "best accuracy (%)", "steps")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", metavar="FILE.csv", help="write every run's step and epoch records here ('-': stdout)")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="default: $ALEXNET_RUNS_DIR or runs/")


def run_from_args(args: argparse.Namespace) -> int:
    """Print the table or write the CSV; name every damaged run on stderr.

    Raises:
        AlexNetError: the CSV cannot be written.
    """
    infos = runs.list_runs(args.runs_dir)
    if args.csv:
        table = runs.runs_csv([info.path for info in infos])
        text = table.text
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            target = Path(args.csv)
            try:
                target.write_text(text)
            except OSError as exc:
                raise AlexNetError(f"{target} cannot be written ({exc.strerror or exc}).") from None
            records = text.count("\n") - 1  # the header's line is not a record
            print(f"{target}: {records} record{'s' * (records != 1)} of {len(infos)} run{'s' * (len(infos) != 1)}")
        for run_id, problem in table.unreadable.items():
            print(f"note: {run_id} has no records in the CSV: {problem}", file=sys.stderr)
    elif not infos:
        print(f"No runs in {runs.runs_dir(args.runs_dir)} yet: python -m alexnet train starts one.")
    else:
        rows = runs.table_rows(infos)
        widths = {c: max(len(c), *(len(_cell(row[c])) for row in rows)) for c in COLUMNS}
        print("  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip())
        for row in rows:
            print("  ".join(_cell(row[c]).ljust(widths[c]) for c in COLUMNS).rstrip())
    for info in infos:
        if info.problem:
            print(f"note: {info.run_id}: {info.problem}", file=sys.stderr)
    return 0


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def main(argv: list[str]) -> int:
    """``python -m alexnet runs ARGS``."""
    parser = argparse.ArgumentParser(prog="python -m alexnet runs", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
