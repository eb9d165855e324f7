"""Shared test set-up: tests/ on sys.path (for oracle.py) and the real-model location."""
import os
import pathlib
import sys

import pytest

TESTS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

# Keras 3 defaults to the TensorFlow backend, which the tests do not install.
os.environ.setdefault("KERAS_BACKEND", "torch")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition, why):
    """Skip when a tool or oracle is missing — except in CI, where it fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {why}")
    pytest.skip(why)
