"""Why the Architecture page probes shapes on the meta device: side-by-side timings in one run.

Prints the median of several repetitions for each way of getting every layer's real shape,
and their ratio. Run: ``python -m benchmarks.bench_probe [--preset paper] [--repeat 5]`` from the repository root.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch

from alexnet.bench.timing import median_seconds
from alexnet.inspect.probe import probe, probe_shapes
from alexnet.network.config import PRESETS
from alexnet.network.model import build_model
from alexnet.network.shapes import analyze


def warm_median_seconds(work: Callable[[], object], repeat: int) -> float:
    work()  # warm-up: first calls pay for lazy initialisation
    return median_seconds(lambda _: work(), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", choices=list(PRESETS), default="paper")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = PRESETS[args.preset]

    def cpu_probe() -> object:
        model = build_model(config, device="cpu")
        return probe(model, torch.zeros(1, config.in_channels, config.input_size, config.input_size)).shapes

    timings = {
        "analytic (shapes.analyze)": warm_median_seconds(lambda: analyze(config), args.repeat),
        "meta build + forward (probe_shapes)": warm_median_seconds(lambda: probe_shapes(config), args.repeat),
        "cpu build + forward": warm_median_seconds(cpu_probe, args.repeat),
    }
    baseline = timings["cpu build + forward"]
    threads = torch.get_num_threads()
    print(f"preset {args.preset}, median of {args.repeat} runs, torch {torch.__version__}, {threads} threads")
    for name, seconds in timings.items():
        print(f"  {name:38} {seconds * 1e3:9.2f} ms   {baseline / seconds:8.1f}x faster than cpu")


if __name__ == "__main__":
    main()
