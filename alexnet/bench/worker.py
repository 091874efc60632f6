"""The bench's child processes and the line protocol they speak with the parent.

Parent side: ``Worker`` starts a child, waits for "ready" (after an optional "mode {json}" line),
then for each ``run(steps)`` writes the number of steps and reads back ``{"seconds": ...}``.
Child side (``python -m alexnet.bench.worker NET BATCH PRECISION RUNS_DIR``): ``train_run`` on
random images, paced by ``_pause_hook``, so the trainer rows time exactly the code path that
``python -m alexnet train`` and the app use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from alexnet.network.config import AlexNetConfig
from alexnet.training.data import DataSplit

READY = "ready"  # a child's first line of its own (after start-up warnings): it waits for steps now


class Worker:
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


def child_env(base: dict[str, str]) -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    return base | {"PYTHONPATH": os.pathsep.join(filter(None, [root, base.get("PYTHONPATH")]))}


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


def main(argv: list[str]) -> None:
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
    main(sys.argv[1:])
