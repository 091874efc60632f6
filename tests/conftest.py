"""Shared fixtures and settings for the test suite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with many more examples than a quick local run.
settings.register_profile("ci", max_examples=2000, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


DIGITS_RUN_EPOCHS = 2


@pytest.fixture(scope="session")
def digits_run_epochs() -> int:
    """How many epochs ``digits_run`` trained (its filters and predictions exist for each)."""
    return DIGITS_RUN_EPOCHS


@pytest.fixture(scope="session")
def digits_run_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cifar preset trained for two epochs on the digits (about 70 % right; tens of seconds on
    two cores), once per session: Grad-CAM's tests and the browser's insight tests read the same
    run. Use ``digits_run`` for a module's own copy."""
    from alexnet.network.config import PRESETS
    from alexnet.training.run import train_run
    from alexnet.training.settings import TrainSettings

    settings = TrainSettings(epochs=DIGITS_RUN_EPOCHS, lr=3e-3, warmup_steps=5, checkpoint_every=10**6, seed=0)
    state, path = train_run(PRESETS["cifar"], settings, runs_dir=tmp_path_factory.mktemp("runs"), progress=False)
    assert state == "finished"
    return path


@pytest.fixture(scope="module")
def digits_run(digits_run_once: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module's own copy of ``digits_run_once`` (alone in its runs folder), so no module sees
    another's changes to it."""
    copy = tmp_path_factory.mktemp("runs") / digits_run_once.name
    shutil.copytree(digits_run_once, copy)
    return copy


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for the browser tests: skipped where it is missing, but a failure in CI."""
    from browser_support import find_chromium

    path = find_chromium()
    if path is None:
        reason = "Chromium not found (install Debian's chromium, or set ALEXNET_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
def timing_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A training-speed timing that follows the network's own arithmetic (three times its forward
    mult-adds per trained image, at 20 G mult-adds/s, a modest 2-core CPU): the paper's network is
    then slow and the small preset fast on every machine. The real timing moves with the CPU (on a
    Zen 4 or an AMX Xeon the paper's network trains the digits in under a minute an epoch, and the
    Training and Experiments pages rightly give no advice), so a test of the advice cannot ask the CPU."""
    from app_support import stand_in_timing

    from alexnet.network.shapes import analyze

    stand_in_timing(monkeypatch, lambda config: 3 * analyze(config).total_mult_adds / 20e9)
