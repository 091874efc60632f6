"""The training speed the Training page's epoch estimate comes from: timed on this machine."""

from __future__ import annotations

import pytest

from alexnet.cli.train import build_parser, network_and_settings
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
from alexnet.training import speed
from alexnet.training.settings import OPTIMIZERS, default_settings
from alexnet.training.speed import TrainingSpeed, epoch_seconds_at, measure_training_speed


def test_epoch_seconds_counts_steps_images_and_a_third_for_validation():
    speed = TrainingSpeed(
        seconds_per_image=0.002, seconds_per_step=0.05, batch_size=32, timed_batch=32, precision="fp32", measured_in_s=1
    )
    # 1438 images: ceil(1438 / 32) = 45 optimizer steps
    assert speed.epoch_seconds(1438, 360) == pytest.approx(45 * 0.05 + 1438 * 0.002 + 360 * 0.002 / 3)
    assert speed.images_per_second == pytest.approx(32 / (0.05 + 32 * 0.002))
    assert epoch_seconds_at(456.0, 1438, 360) == pytest.approx((1438 + 360 / 3) / 456)  # a run's logged speed


def test_a_measured_network_is_timed_within_its_batch():
    # no comparison of times here: a test's neighbours on two cores make any timing noisy
    small = measure_training_speed(PRESETS["cifar"], batch_size=8)
    assert 2 <= small.timed_batch <= 8 and small.batch_size == 8
    assert small.precision in ("fp32", "bf16")
    one = measure_training_speed(PRESETS["cifar"], batch_size=1)
    assert one.timed_batch == 1 and one.batch_size == 1


class ScriptedClock:
    """``time.perf_counter`` for alexnet.training.speed: each step takes the seconds it is told, so the
    arithmetic on the times is checked with numbers worked out by hand, whatever this machine's speed."""

    def __init__(self, steps: list[tuple[float, float]]) -> None:
        now, self.times = 100.0, [100.0]  # the measurement's start
        for forward_backward, optimizer in steps:  # sync() before, between and after: three readings a step
            now += 0.5  # making the images: not timed
            self.times += [now, now + forward_backward, now + forward_backward + optimizer]
            now += forward_backward + optimizer
        self.times.append(now + 0.5)  # the end
        self.read = 0

    def perf_counter(self) -> float:
        self.read += 1
        return self.times[self.read - 1]


def test_the_timing_is_split_into_a_cost_per_image_and_a_cost_per_step(monkeypatch):
    """A warm-up of 2 images in 0.1 s (0.05 s each) sizes the timed batch: int(0.25 / 0.05) = 5.
    Batch 5 takes 0.30 and 0.26 s, batch 2 0.14 and 0.12 s (the faster of each counts); the line
    through (2, 0.12) and (5, 0.26) has slope 0.14 / 3 s per image, below 0.26 / 5, and meets
    0.26 - 5 x 0.14 / 3 = 0.02667 s at no image; the optimizer's fastest step, 0.01 s, adds to that."""
    assert speed.TIMED_STEPS == 2  # the script below times two steps of each batch size
    clock = ScriptedClock([(0.1, 0.05), (0.30, 0.02), (0.26, 0.03), (0.14, 0.01), (0.12, 0.04)])
    monkeypatch.setattr(speed, "time", clock)
    timed = measure_training_speed(PRESETS["cifar"], batch_size=8)
    assert clock.read == len(clock.times)  # every step was timed, and only those
    assert timed.timed_batch == 5 and timed.batch_size == 8
    assert timed.seconds_per_image == pytest.approx(0.14 / 3)
    assert timed.seconds_per_step == pytest.approx(0.26 - 5 * 0.14 / 3 + 0.01)
    assert timed.measured_in_s == pytest.approx(clock.times[-1] - 100.0)
    # a line that bends the wrong way (batch 2 slower per image than batch 5) keeps the plain cost per image
    clock = ScriptedClock([(0.1, 0.05), (0.30, 0.02), (0.26, 0.03), (0.02, 0.01), (0.02, 0.04)])
    monkeypatch.setattr(speed, "time", clock)
    timed = measure_training_speed(PRESETS["cifar"], batch_size=8)
    assert timed.seconds_per_image == pytest.approx(0.26 / 5) and timed.seconds_per_step == pytest.approx(0.01)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(PRESETS))
def test_the_command_lines_settings_are_default_settings(name, optimizer):
    args = build_parser().parse_args(["--preset", name, "--optimizer", optimizer])
    config, settings = network_and_settings(args)
    assert config == PRESETS[name]
    assert settings == default_settings(config, optimizer)
    assert settings.lr == (2e-3 if optimizer == "adamw" and name == "cifar" else OPTIMIZERS[optimizer]["lr"])


def test_a_network_over_the_memory_budget_is_not_timed(monkeypatch):
    monkeypatch.setenv("ALEXNET_MEMORY_BUDGET", "1MB")  # the small network's weights alone take 2 MB
    with pytest.raises(AlexNetError, match=r"Timing this network's training.*over the memory budget"):
        measure_training_speed(PRESETS["cifar"], batch_size=32)
