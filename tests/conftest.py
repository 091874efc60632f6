"""Shared fixtures and settings for the test suite."""

from __future__ import annotations

import os

from hypothesis import settings

# CI runs the property tests with many more examples than a quick local run.
settings.register_profile("ci", max_examples=2000, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
