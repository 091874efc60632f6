"""``python -m alexnet bench``: the trainer side by side with a learner's plain loop, in one sitting.

Rows, each measured in this invocation, warm-up excluded, medians over the rounds:

    (a) baseline   a learner's plain fp32 loop (nn.Sequential, nn.LocalResponseNorm, SGD with
                   momentum, cross-entropy, random images), in a child process with the default
                   environment, as a learner runs it (``BASELINE_SCRIPT``)
    (b) default    the project's trainer in its default mode, through ``train_run``: the code
                   path ``python -m alexnet train`` and the app use, run directory included
    (c) fp32       the same trainer in plain fp32: what its bookkeeping costs over (a)
    (d) ceiling    the machine's achievable rate in the default mode's precision, timed in the
                   same run (``ceiling_plan``): on a CPU conv3 at the bench's batch, in bf16 and
                   channels-last where bf16 is native, else in fp32 in both layouts, the faster
                   counting; on CUDA a bf16 matmul
    (e) probes     the app's per-configuration work: the analytic table plus meta-device
                   shapes, a real probe keeping every activation, torchinfo's summary

(a), (b), (c) and (d) take turns round-robin (``--rounds`` rounds of ``--steps`` steps each), so
machine noise from other processes falls on all of them alike; the ratios are what to read.
Training work per image is counted as 3x the forward pass (forward, and backward's two
products per layer): ``GFLOP/s = images/s * 3 * 2 * mult_adds / 1e9``; "of ceiling" is a row's
GFLOP/s over the ceiling's best burst. A training row above the ceiling means the ceiling was
measured wrong for this machine: the table then shows no fractions and says so.
"""

from alexnet.bench.probes import PROBE_TARGETS_MS, probe_rows, with_changed_width
from alexnet.bench.report import VARIANTS, BenchRow, format_table, mode_text, rows_above_ceiling, tabulate
from alexnet.bench.training import run_bench, training_gflop_per_image
from alexnet.bench.worker import RandomImages

__all__ = [
    "PROBE_TARGETS_MS",
    "VARIANTS",
    "BenchRow",
    "RandomImages",
    "format_table",
    "mode_text",
    "probe_rows",
    "rows_above_ceiling",
    "run_bench",
    "tabulate",
    "training_gflop_per_image",
    "with_changed_width",
]
