"""An experiment run in this process, one run after another (``python -m alexnet experiment``).

The runs are ordinary runs of the runs folder and the experiment its ordinary file, so the
Experiments page shows a command-line experiment as it shows its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alexnet.experiments.store import Experiment, save, with_run
from alexnet.runs import runs_dir
from alexnet.training import run_folder


def run_in_foreground(
    experiment: Experiment,
    directory: str | Path | None = None,
    *,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> tuple[Experiment, bool]:
    """Train every run of ``experiment`` not yet started, here and now, in ``Experiment.slots`` order.

    Returns the saved experiment and whether every run ended (False: a run was stopped, by Ctrl-C
    or SIGTERM, and the rest were not started).
    """
    from alexnet.training.run import train_run  # torch: only when training

    root = runs_dir(directory)
    experiment = save(experiment, root)
    for number, (variant, seed_index) in enumerate(experiment.slots(), start=1):
        if experiment.run_ids[variant][seed_index] is not None:
            continue
        settings = experiment.run_settings(seed_index)
        run_id = run_folder.new_run_id(root, settings.dataset)
        experiment = save(with_run(experiment, variant, seed_index, run_id), root)
        echo(f"[{number}/{experiment.runs_count}] {experiment.labels[variant]}, seed {settings.seed}: run {run_id}")
        state, _ = train_run(experiment.networks[variant], settings, runs_dir=root, run_id=run_id, progress=progress)
        if state == "stopped":
            return experiment, False
    return experiment, True
