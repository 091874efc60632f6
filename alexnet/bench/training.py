"""Rows (a)-(d): the plain loop, the trainer's two modes and the machine's ceiling, taking turns."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import torch

from alexnet.bench.baseline import BASELINE_SCRIPT
from alexnet.bench.ceiling import ceiling_plan, ceiling_probe, machine_info
from alexnet.bench.report import VARIANTS, tabulate
from alexnet.bench.worker import Worker, child_env
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.training import environment


def training_gflop_per_image(config: AlexNetConfig) -> float:
    """3 * 2 * mult_adds / 1e9: forward, plus backward's gradients for inputs and weights."""
    return 6 * analyze(config).total_mult_adds / 1e9


def run_bench(
    config: AlexNetConfig,
    *,
    batch_size: int = 64,
    steps: int = 3,
    rounds: int = 3,
    warmup_steps: int = 1,
    say: Callable[[str], None] = lambda text: None,
) -> dict[str, Any]:
    """Measure rows (a)-(d) as described above; returns the JSON-ready result."""
    environment.tune_this_process()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    plan = ceiling_plan(device)
    net = json.dumps(config.to_dict())
    workers: dict[str, Worker] = {}
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    ceilings: dict[str, list[float]] = {layout: [] for layout in plan.layouts}
    threads = torch.get_num_threads()
    # The ceiling burst runs with the trainer's threads (one per usable core, or the user's
    # OMP_NUM_THREADS): torch's own default can be fewer, and a ceiling on fewer threads than the
    # trainer's is no ceiling.
    trainer_threads = environment.trainer_env()["OMP_NUM_THREADS"]
    torch.set_num_threads(max(1, int(trainer_threads)) if trainer_threads.isdigit() else environment.usable_cores())
    try:
        with tempfile.TemporaryDirectory(prefix="alexnet-bench-") as runs_dir:
            try:
                say("starting: baseline (default environment), trainer default and fp32 (tuned environment)")
                workers["baseline"] = Worker(
                    [sys.executable, "-c", BASELINE_SCRIPT, net, str(batch_size)], child_env(environment.default_env())
                )
                for name, precision in (("default", "auto"), ("fp32", "fp32")):
                    command = [sys.executable, "-m", "alexnet.bench.worker", net, str(batch_size), precision, runs_dir]
                    workers[name] = Worker(command, child_env(environment.trainer_env()))
                measures = ceiling_probe(config, batch_size, device, plan)
                for name in VARIANTS:  # warm-up: first steps allocate, pick kernels, fill caches
                    workers[name].run(warmup_steps)
                for measure in measures.values():
                    measure()
                for round_number in range(rounds):
                    for name in VARIANTS:
                        seconds[name].append(workers[name].run(steps))
                    for layout, measure in measures.items():
                        ceilings[layout].append(measure())
                    say(
                        f"round {round_number + 1}/{rounds}: "
                        + ", ".join(f"{n} {batch_size * steps / seconds[n][-1]:.1f} img/s" for n in VARIANTS)
                        + ", ceiling "
                        + ", ".join(f"{layout} {rates[-1]:.0f}" for layout, rates in ceilings.items())
                        + " GFLOP/s"
                    )
                modes = {name: workers[name].mode for name in ("default", "fp32")}
            finally:
                for worker in workers.values():
                    worker.close()
        machine = machine_info(device)
    finally:
        torch.set_num_threads(threads)
    gflop = training_gflop_per_image(config)
    return {
        "preset_input": config.input_size,
        "batch_size": batch_size,
        "steps_per_round": steps,
        "rounds": rounds,
        "device": str(device),
        "threads": machine["threads"],
        "machine": machine,
        "gflop_per_training_image": gflop,
        "modes": modes,
        **tabulate(plan, seconds, ceilings, modes, images_per_round=batch_size * steps, gflop_per_image=gflop),
    }
