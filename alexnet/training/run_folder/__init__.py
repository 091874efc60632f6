"""A run folder, its format in one place: names and ids (``layout``), writers (``write``), the one
reader (``read``), and what a run learned per epoch (``results``).

One folder per run, under the runs directory (``ALEXNET_RUNS_DIR``, else ``<repo>/runs``). Every
file, who writes it, when, and what a reader may assume::

    runs/20250101-120000-digits/
        config.json    network and training settings, dataset facts, step counts, and "startup_s" (seconds
                       from the launcher's Popen to the first step). Written by ``alexnet.runs.lifecycle``
                       before the trainer starts (a preliminary copy, so a queued or failed run has one),
                       then by the trainer (``training.recorder``) at its start. Replaced atomically.
        network.json   the network alone (loadable with ``--config``). Written once, beside config.json.
        metrics.jsonl  append-only, one JSON object per line, flushed as written, by the trainer only:
                       {"kind": "step", "step", "epoch", "loss", "accuracy", "lr", "images_per_sec", "elapsed"}
                       {"kind": "epoch", "step", "epoch", "train_loss", "val_loss", "val_accuracy", "elapsed"}
                       {"kind": "resume", "step", "elapsed"}  (training restarted from a checkpoint)
                       A reader may meet a torn last line (a kill mid-write) and skips it.
        status.json    {"state", "pid", "message", "updated_at", "step", "total_steps", ...}. Written by
                       the trainer (every state change and checkpoint), by ``alexnet.runs.trainer_process``
                       as it launches one ("pid"), and by ``alexnet.runs.queue`` for a queued run
                       ("queued_at" and how to launch it). Replaced atomically. A "running" status whose
                       pid is gone is read as "interrupted" (``alexnet.runs.catalog``).
        checkpoint.pt  model, optimizer, step, epoch, elapsed seconds, RNG state, and the plateau
                       schedule's state. Written by the trainer after each epoch and as it stops. Atomic.
        train.log      the trainer's own output, appended by the process ``alexnet.runs`` launched.
        stop.request   {"requested_at"}: the Stop button's (``alexnet.runs.stop_run``). The trainer stops
                       after its current step, or before its first (``training.stop_signal``). Removed by
                       the launcher before a trainer starts, and by the trainer as it writes its final state.
        results/       filters-<step>.npz, predictions-<step>.npz per epoch: see ``results``.
        events.out.tfevents.*  TensorBoard's (``training.tensorboard_log``): read by TensorBoard only.

Readers go through ``read`` (and ``results`` for results/), which check every field and turn a
broken file into an ``AlexNetError`` that names the run, the file and the field. Times are Unix
seconds; ``elapsed`` is training seconds, carried across resumes.
"""

from alexnet.training.run_folder.layout import (
    CHECKPOINT,
    CONFIG,
    EXAMPLE,
    LAUNCHED_AT_ENV,
    LOG,
    MAX_RUN_ID_LENGTH,
    METRICS,
    NETWORK,
    REPO_ROOT,
    RUN_ID_PATTERN,
    RUNS_DIR_ENV,
    STATES,
    STATUS,
    STOP,
    check_run_id,
    default_runs_dir,
    new_run_id,
    resolve_run_dir,
    run_path,
    runs_dir,
)
from alexnet.training.run_folder.read import (
    MetricsRecords,
    RunConfig,
    RunStatus,
    last_log_line,
    load_checkpoint,
    load_results_file,
    metric_record,
    read_config,
    read_metrics,
    read_object,
    read_status,
)
from alexnet.training.run_folder.write import (
    MetricsWriter,
    read_json,
    request_stop,
    save_checkpoint,
    withdraw_stop,
    write_json,
)

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "EXAMPLE",
    "LAUNCHED_AT_ENV",
    "LOG",
    "MAX_RUN_ID_LENGTH",
    "METRICS",
    "NETWORK",
    "REPO_ROOT",
    "RUNS_DIR_ENV",
    "RUN_ID_PATTERN",
    "STATES",
    "STATUS",
    "STOP",
    "MetricsRecords",
    "MetricsWriter",
    "RunConfig",
    "RunStatus",
    "check_run_id",
    "default_runs_dir",
    "last_log_line",
    "load_checkpoint",
    "load_results_file",
    "metric_record",
    "new_run_id",
    "read_config",
    "read_json",
    "read_metrics",
    "read_object",
    "read_status",
    "request_stop",
    "resolve_run_dir",
    "run_path",
    "runs_dir",
    "save_checkpoint",
    "withdraw_stop",
    "write_json",
]
