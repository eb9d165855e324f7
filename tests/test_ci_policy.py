"""Under CI=true nothing passes silently: skips and xfails fail (tests/conftest.py)."""
import os
import shutil
import subprocess
import sys

from conftest import TESTS

CASES = '''
import pytest
def test_skip(): pytest.skip("no tool")
@pytest.mark.xfail(reason="pending")
def test_xfail(): assert 0
def test_ok(): pass
'''


def _run(tmp_path, ci):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_cases.py").write_text(CASES)
    env = dict(os.environ, CI="true" if ci else "")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path)


def test_ci_turns_skips_and_xfails_into_failures(tmp_path):
    r = _run(tmp_path, ci=True)
    assert r.returncode == 1
    assert "2 failed, 1 passed" in r.stdout, r.stdout


def test_outside_ci_they_stay_skips(tmp_path):
    r = _run(tmp_path, ci=False)
    assert r.returncode == 0
    assert "1 passed, 1 skipped, 1 xfailed" in r.stdout, r.stdout
