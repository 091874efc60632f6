"""The training speed the Training page's epoch estimate comes from: timed on this machine."""

from __future__ import annotations

import math

import pytest

from alexnet.cli.train import build_parser, network_and_settings
from alexnet.errors import AlexNetError
from alexnet.network.config import PRESETS
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
    assert small.seconds_per_image > 0 and small.seconds_per_step > 0
    assert math.isfinite(small.epoch_seconds(1438, 359)) and small.images_per_second > 0
    one = measure_training_speed(PRESETS["cifar"], batch_size=1)
    assert one.timed_batch == 1 and one.batch_size == 1


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
