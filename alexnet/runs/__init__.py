"""The runs folder: every training run, its process, its files and its table.

A run is a separate process (``python -m alexnet train ...``) that writes its run directory
(``alexnet.training.run_folder``); this package only starts or signals that process and reads the
directory, so a web page can watch a run, be reloaded, and find the run still there.

- ``paths``: the runs directory and one run's folder (``runs_dir``, ``run_path``).
- ``catalog``: what each run is now and how far (``RunInfo``, ``get_run``, ``list_runs``, ``active_run``,
  ``progress``, ``logged_speed``, ``typical_startup``).
- ``curves``: its step and epoch records (``Metrics``, ``read_metrics``, ``metrics_csv``, ``runs_csv``).
- ``lifecycle``: ``start_run``, ``resume_run``, ``stop_run``: a run starts now, or queues when
  ``max_runs()`` already train (``ALEXNET_MAX_RUNS``, default 1).
- ``queue``: the queue of runs waiting their turn, kept in the runs folder (``queued_runs``,
  ``queue_position``, ``advance_queue``, ``cancel_queued``, ``max_runs``).
- ``trainer_process``: the detached trainer process, its pid and the start lock.
- ``weights``: a run's trained network (``load_run_model``, ``run_config``, ``run_classes``, ``checkpoint_stamp``,
  ``run_safetensors``).
- ``table``: one plain row per run for the runs table (``table_rows``).
- ``standing``: a run among the published results on its test set (``run_standing``), and which
  images validated it (``validated_on``).

The names above are offered here too, so ``from alexnet import runs; runs.get_run(...)`` reads well.
"""

from alexnet.runs.catalog import (
    Progress,
    RunInfo,
    active_run,
    get_run,
    list_runs,
    logged_speed,
    progress,
    typical_startup,
)
from alexnet.runs.curves import Metrics, RunsCsv, metrics_csv, read_metrics, runs_csv
from alexnet.runs.lifecycle import resume_run, start_run, stop_run
from alexnet.runs.queue import advance_queue, cancel_queued, max_runs, queue_position, queued_runs
from alexnet.runs.standing import run_standing, validated_on
from alexnet.runs.table import table_rows
from alexnet.runs.weights import checkpoint_stamp, load_run_model, run_classes, run_config, run_safetensors
from alexnet.training.run_folder import run_path, runs_dir

__all__ = [
    "Metrics",
    "Progress",
    "RunInfo",
    "RunsCsv",
    "active_run",
    "advance_queue",
    "cancel_queued",
    "checkpoint_stamp",
    "get_run",
    "list_runs",
    "load_run_model",
    "logged_speed",
    "max_runs",
    "metrics_csv",
    "progress",
    "queue_position",
    "queued_runs",
    "read_metrics",
    "resume_run",
    "run_classes",
    "run_config",
    "run_path",
    "run_safetensors",
    "run_standing",
    "runs_csv",
    "runs_dir",
    "start_run",
    "stop_run",
    "table_rows",
    "typical_startup",
    "validated_on",
]
