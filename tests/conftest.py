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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI nothing passes silently: a skip or an xfail, wherever it comes from, fails."""
    outcome = yield
    report = outcome.get_result()
    if not IN_CI or report.when not in ("setup", "call"):
        return
    if report.skipped:
        why = getattr(report, "wasxfail", None)
        if why is None and isinstance(report.longrepr, tuple):
            why = report.longrepr[2]
        report.outcome = "failed"
        report.longrepr = f"CI=true: {'xfail' if hasattr(report, 'wasxfail') else 'skip'} " \
                          f"is a failure here ({why})"
