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

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from alexnet.bench.ceiling import CeilingPlan, ceiling_plan, ceiling_probe, machine_info, machine_line
from alexnet.network.config import AlexNetConfig
from alexnet.network.shapes import analyze
from alexnet.training import environment
from alexnet.training.data import DataSplit

VARIANTS = ("baseline", "default", "fp32")
READY = "ready"

# A learner's loop as they would write it: the network spelled out as nn.Sequential with PyTorch's
# own LRN, PyTorch's default init, SGD with momentum, one batch of random images per step. It reads
# commands on stdin ("<steps>" runs that many steps and prints their seconds; "quit" ends it).
BASELINE_SCRIPT = r"""
import json, sys, time
import torch
from torch import nn

net, batch = json.loads(sys.argv[1]), int(sys.argv[2])
device = "cuda" if torch.cuda.is_available() else "cpu"
layers, channels = [], net["in_channels"]
for b in net["blocks"]:
    layers += [nn.Conv2d(channels, b["out_channels"], b["kernel_size"], b["stride"], b["padding"], groups=b["groups"]),
               nn.ReLU(inplace=True)]
    if b["norm"]:
        lrn = net["lrn"]
        layers.append(nn.LocalResponseNorm(lrn["size"], alpha=lrn["alpha"], beta=lrn["beta"], k=lrn["k"]))
    if b["pool"]:
        layers.append(nn.MaxPool2d(b["pool_kernel"], b["pool_stride"], b["pool_padding"]))
    channels = b["out_channels"]
layers.append(nn.AdaptiveAvgPool2d(net["adaptive_pool"]) if net["adaptive_pool"] else nn.Identity())
layers.append(nn.Flatten())
with torch.no_grad():
    width = nn.Sequential(*layers)(torch.zeros(1, net["in_channels"], net["input_size"], net["input_size"])).shape[1]
for hidden in net["hidden_sizes"]:
    layers += [nn.Dropout(net["dropout"]), nn.Linear(width, hidden), nn.ReLU(inplace=True)]
    width = hidden
layers.append(nn.Linear(width, net["num_classes"]))
model = nn.Sequential(*layers).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
images = torch.randn(batch, net["in_channels"], net["input_size"], net["input_size"], device=device)
labels = torch.randint(0, net["num_classes"], (batch,), device=device)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    start = time.perf_counter()
    for _ in range(int(line)):
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
    loss.item()  # waits for a GPU to finish
    print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
"""


@dataclass(frozen=True)
class BenchRow:
    name: str  # baseline, default, fp32, ceiling
    what: str  # one line: what ran
    images_per_sec: float | None  # median over rounds (None for the ceiling)
    gflops: float  # achieved GFLOP/s (median)
    rounds: list[float]  # per round: images/s (GFLOP/s for the ceiling)


class _Worker:
    """A child process that runs ``steps`` steps when told and answers with their seconds."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.mode: dict[str, Any] = {}
        self._expect_ready()

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker {self.process.args[:4]} ended (exit {self.process.wait()})")
        return line.strip()

    def _expect_ready(self) -> None:
        while (line := self._read()) != READY:  # skips warnings and notes from the child's start-up
            if line.startswith("mode "):
                self.mode = json.loads(line[5:])

    def run(self, steps: int) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{steps}\n")
        self.process.stdin.flush()
        while True:
            line = self._read()
            if line.startswith("{"):
                return float(json.loads(line)["seconds"])

    def close(self) -> None:
        try:
            if self.process.stdin:
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def _child_env(base: dict[str, str]) -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    return base | {"PYTHONPATH": os.pathsep.join(filter(None, [root, base.get("PYTHONPATH")]))}


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
    workers: dict[str, _Worker] = {}
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
                workers["baseline"] = _Worker(
                    [sys.executable, "-c", BASELINE_SCRIPT, net, str(batch_size)], _child_env(environment.default_env())
                )
                for name, precision in (("default", "auto"), ("fp32", "fp32")):
                    command = [sys.executable, "-m", "alexnet.bench", net, str(batch_size), precision, runs_dir]
                    workers[name] = _Worker(command, _child_env(environment.trainer_env()))
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


def tabulate(
    plan: CeilingPlan,
    seconds: dict[str, list[float]],
    ceilings: dict[str, list[float]],
    modes: dict[str, dict[str, Any]],
    *,
    images_per_round: int,
    gflop_per_image: float,
) -> dict[str, Any]:
    """Rows (a)-(d) and the ceiling's record from the measured times (no timing here).

    Args:
        seconds: per variant, each round's seconds for ``images_per_round`` images.
        ceilings: per layout of ``plan``, each round's GFLOP/s; the best burst over layouts and
            rounds is the ceiling (other processes only ever slow a burst down).
        modes: what the trainer rows reported they ran ({"precision", "channels_last", ...}).

    Returns:
        ``{"rows": [...], "ceiling": {...}}``; when a training row beats the ceiling, the ceiling
        is marked ``"valid": False`` with the rows above it, and no row gets a fraction of it.
    """
    layout, peak = max(((name, max(rates)) for name, rates in ceilings.items()), key=lambda item: item[1])
    default = modes.get("default", {})
    whats = {
        "baseline": "(a) a learner's plain fp32 loop, default environment",
        "default": f"(b) the trainer, default mode ({mode_text(default)})",
        "fp32": "(c) the trainer, --precision fp32",
    }
    rows = []
    for name in VARIANTS:
        rates = [images_per_round / s for s in seconds[name]]
        median = statistics.median(rates)
        rows.append(BenchRow(name, whats[name], median, median * gflop_per_image, rates))
    where = "" if plan.layouts == ("-",) else f", {layout}"
    per_round = [max(rates) for rates in zip(*ceilings.values(), strict=True)]
    what = f"(d) ceiling: {plan.precision} {plan.work}{where} (best round)"
    rows.append(BenchRow("ceiling", what, None, peak, per_round))
    baseline = rows[0].images_per_sec or 1.0
    table = [
        {
            "name": row.name,
            "what": row.what,
            "images_per_sec": row.images_per_sec,
            "ratio_to_baseline": row.images_per_sec / baseline if row.images_per_sec else None,
            "gflops": row.gflops,
            "fraction_of_ceiling": row.gflops / peak,
            "rounds": row.rounds,
        }
        for row in rows
    ]
    above = rows_above_ceiling(table)
    if above:
        for row in table:
            row["fraction_of_ceiling"] = None  # a fraction of a wrong ceiling is no number to read
    return {
        "rows": table,
        "ceiling": {
            "precision": plan.precision,
            "work": plan.work,
            "layout": layout,
            "gflops": peak,
            "rounds_by_layout": ceilings,
            "default_mode_precision": default.get("precision"),
            "valid": not above,
            "rows_above": above,
        },
    }


def mode_text(mode: dict[str, Any]) -> str:
    """{"precision": "bf16", "channels_last": True} -> "bf16, channels-last"."""
    layout = "channels-last" if mode.get("channels_last") else "NCHW"
    return f"{mode.get('precision', '?')}, {layout}"


def rows_above_ceiling(rows: list[dict[str, Any]]) -> list[str]:
    """Names of the rows whose GFLOP/s beat the ceiling row's: the ceiling is then wrong."""
    peak = next(row["gflops"] for row in rows if row["name"] == "ceiling")
    return [row["name"] for row in rows if row["name"] != "ceiling" and row["gflops"] > peak]


def format_table(result: dict[str, Any]) -> str:
    """The printed table: the machine, rows (a)-(e), and what is wrong with the ceiling, if anything.

    "of ceil" is computed here from GFLOP/s, so no row ever prints more than 100 %: if a training
    row beats the ceiling, the column is blank and a line says the ceiling was measured wrong."""
    lines = []
    if "machine" in result:
        trainer_threads = result.get("modes", {}).get("default", {}).get("threads")
        differ = trainer_threads and trainer_threads != result["machine"]["threads"]
        lines.append(machine_line(result["machine"]) + (f" (trainer: {trainer_threads})" if differ else ""))
    lines += [f"{'row':<56} {'img/s':>7} {'x base':>7} {'GFLOP/s':>8} {'of ceil':>8}", "-" * 90]
    above = rows_above_ceiling(result["rows"])
    peak = next(row["gflops"] for row in result["rows"] if row["name"] == "ceiling")
    for row in result["rows"]:
        ips = f"{row['images_per_sec']:.1f}" if row["images_per_sec"] else "-"
        ratio = f"{row['ratio_to_baseline']:.2f}" if row["ratio_to_baseline"] else "-"
        share = "-" if above else f"{row['gflops'] / peak:.0%}"
        lines.append(f"{row['what']:<56} {ips:>7} {ratio:>7} {row['gflops']:>8.0f} {share:>8}")
    if above:
        which = ", ".join(row["what"][:3] for row in result["rows"] if row["name"] in above)
        lines.append(
            f"! the ceiling burst ({peak:.0f} GFLOP/s) measured below {which}: it is wrong for this machine,"
            " so no fraction of it is shown"
        )
    ceiling = result.get("ceiling", {})
    ran = ceiling.get("default_mode_precision")
    if ran and result.get("device") == "cpu" and ran != ceiling.get("precision"):
        lines.append(f"! the default mode ran in {ran}, the ceiling in {ceiling['precision']}: they should agree")
    for probe in result.get("probes", []):
        lines.append(f"{probe['what']:<56} {probe['ms']:>7.1f} ms (target < {probe['target_ms']:g} ms)")
    return "\n".join(lines)


def with_changed_width(config: AlexNetConfig, k: int) -> AlexNetConfig:
    """``config`` with its first block 8*k channels wider: a fresh configuration no cache has seen."""
    first = replace(config.blocks[0], out_channels=config.blocks[0].out_channels + 8 * k)
    return replace(config, blocks=(first, *config.blocks[1:]))


PROBE_TARGETS_MS = {"table": 15.0, "probe": 60.0, "summary": 300.0}  # issue 8's targets


def _median_ms(work: Callable[[int], object], repeats: int) -> float:
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        work(k)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def probe_rows(config: AlexNetConfig, repeats: int = 5) -> list[dict[str, Any]]:
    """Row (e): the app's work for a configuration, in milliseconds (median of ``repeats``).

    - table: the analytic layer table plus real shapes from a meta-device forward pass, for a
      configuration seen for the first time (each repeat widens conv1 a little);
    - probe: a real forward pass at the preset's input size, batch 1, keeping every activation
      (the model is built beforehand, as the Activations page caches it);
    - summary: the Summary page's torchinfo data for a configuration seen for the first time.
    """
    from alexnet.inspect.probe import probe, probe_shapes
    from alexnet.inspect.summary import summarize
    from alexnet.inspect.tables import shape_rows
    from alexnet.network.model import build_model

    def table(k: int) -> None:
        changed = with_changed_width(config, k + 1)
        shape_rows(analyze(changed), probe_shapes(changed))

    model = build_model(config, seed=0).eval()
    images = torch.randn(1, config.in_channels, config.input_size, config.input_size)
    probe(model, images, keep=True)  # warm-up: first calls pick kernels
    table(-1)
    summarize(with_changed_width(config, 99))
    measured = {
        "table": _median_ms(table, repeats),
        "probe": _median_ms(lambda k: probe(model, images, keep=True), repeats),
        "summary": _median_ms(lambda k: summarize(with_changed_width(config, 100 + k)), repeats),
    }
    whats = {
        "table": "(e) new config: analytic table + meta-device shapes",
        "probe": f"(e) real probe, every activation, {config.input_size} px, batch 1",
        "summary": "(e) new config: Summary page's torchinfo data",
    }
    return [
        {"name": name, "what": whats[name], "ms": ms, "target_ms": PROBE_TARGETS_MS[name]}
        for name, ms in measured.items()
    ]


def add_arguments(parser: Any) -> None:
    """The options of ``python -m alexnet bench``."""
    from alexnet.network.config import PRESETS

    parser.add_argument("--preset", choices=list(PRESETS), default="paper", help="the network (default: paper)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per step (default: 64)")
    parser.add_argument("--steps", type=int, default=3, help="steps per variant in each round (default: 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the round-robin (default: 3)")
    parser.add_argument("--warmup-steps", type=int, default=1, help="steps each variant runs first, untimed")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE as JSON")
    parser.add_argument("--no-probes", action="store_true", help="leave out the (e) rows")


def run_from_args(args: Any) -> int:
    """Run ``python -m alexnet bench``: print the table, optionally write the JSON."""
    from alexnet.errors import AlexNetError
    from alexnet.network.config import preset

    if min(args.batch_size, args.steps, args.rounds) < 1 or args.warmup_steps < 0:
        raise AlexNetError("--batch-size, --steps and --rounds must be at least 1 (--warmup-steps at least 0).")
    config = preset(args.preset)
    result = run_bench(
        config,
        batch_size=args.batch_size,
        steps=args.steps,
        rounds=args.rounds,
        warmup_steps=args.warmup_steps,
        say=lambda text: print(text, file=sys.stderr, flush=True),
    )
    result["preset"] = args.preset
    result["probes"] = [] if args.no_probes else probe_rows(config)
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


class RandomImages(torch.utils.data.Dataset):
    """``length`` items cycling through a few random images: data costs the trainer its
    DataLoader's batching, as real in-memory data would, and nothing else."""

    def __init__(self, config: AlexNetConfig, pool: int, length: int) -> None:
        generator = torch.Generator().manual_seed(0)
        shape = (pool, config.in_channels, config.input_size, config.input_size)
        self.images = torch.randn(shape, generator=generator)  # (pool, C, S, S)
        self.labels = torch.randint(0, config.num_classes, (pool,), generator=generator)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index % len(self.images)], int(self.labels[index % len(self.labels)])


def _pause_hook(context: Any) -> None:
    """A RunHook: before the first step say the mode and "ready"; then run the number of steps
    read from stdin, answer with their seconds, wait for the next number ("quit" ends at once)."""
    left, started = [0], [0.0]

    def wait_for_command() -> None:
        line = sys.stdin.readline().strip()
        if not line or line == "quit":
            sys.stdout.flush()
            os._exit(0)  # the parent deletes the run directory; no final checkpoint is wanted
        left[0], started[0] = int(line), time.perf_counter()

    def on_train_start(trainer: Any) -> None:
        mode = {"precision": context.settings.precision, "channels_last": trainer.channels_last}
        print("mode " + json.dumps(mode | {"threads": torch.get_num_threads()}), flush=True)
        print(READY, flush=True)
        wait_for_command()

    def on_step_end(trainer: Any) -> None:
        left[0] -= 1
        if left[0] > 0:
            return
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        print(json.dumps({"seconds": time.perf_counter() - started[0]}), flush=True)
        wait_for_command()

    context.trainer.add_callback("on_train_start", on_train_start)
    context.trainer.add_callback("on_step_end", on_step_end)


def _worker(argv: list[str]) -> None:
    """The trainer rows' child process: ``train_run`` on random images, paced by ``_pause_hook``."""
    from alexnet.training.run import train_run
    from alexnet.training.settings import TrainSettings

    config, batch_size, precision, runs_dir = AlexNetConfig.from_dict(json.loads(argv[0])), int(argv[1]), *argv[2:]
    steps = 1000  # more than any benchmark asks for: no epoch ends, so no validation runs
    train = RandomImages(config, pool=2 * batch_size, length=steps * batch_size)
    data = DataSplit(
        "random", train, RandomImages(config, pool=batch_size, length=batch_size), ("x",) * config.num_classes
    )
    settings = TrainSettings.for_optimizer(
        "sgd", lr=0.01, epochs=1, batch_size=batch_size, precision=precision, schedule="constant", warmup_steps=0
    )
    train_run(config, settings, runs_dir=Path(runs_dir), progress=False, hooks=[_pause_hook], data=data)


if __name__ == "__main__":
    _worker(sys.argv[1:])
