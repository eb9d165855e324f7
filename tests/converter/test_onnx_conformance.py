"""The ONNX conformance tool on a few ops, and the committed report's shape.

The full run (every onnx.backend node case) is `python tools/onnx_conformance.py`;
here only a small subset runs, through the same worker process and report code.
"""
import pathlib
import re
import sys

import pytest

pytest.importorskip("onnx")
REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import onnx_conformance as oc  # noqa: E402

SUMMARY = re.compile(r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", re.M)
OP_ROW = re.compile(r"^\| ([A-Za-z]\w*) \| (\d+) \| (\d+) \| (\d+) \|$", re.M)


def _check_report(text):
    assert text.startswith("# ONNX conformance\n")
    for heading in ("## Summary", "## Per op", "## Failures",
                    "## Unsupported ops (cases skipped)"):
        assert f"\n{heading}\n" in text, heading
    ran, passed, failed, _ = map(int, SUMMARY.search(text).groups())
    assert ran == passed + failed
    rows = OP_ROW.findall(text)
    assert rows
    for op, run, ok, bad in rows:
        assert int(run) == int(ok) + int(bad), op
    failures = text.split("\n## Failures\n", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    if failures != ["None."]:
        assert len(failures) == failed
        for line in failures:
            assert re.match(r"^- `test_\w+`: \S", line), line
    return rows, passed, failed


def test_tool_runs_a_subset_of_ops(tmp_path):
    ops = ["Relu", "LeakyRelu"]
    results = oc.run(ops, timeout=60)
    ran = {n: r for n, r in results.items() if r[0] != "unsupported"}
    assert "test_relu" in ran and "test_leakyrelu" in ran
    assert all(r[0] == "pass" for r in ran.values()), ran
    out = tmp_path / "report.md"
    assert oc.main(["--ops", ",".join(ops), "--output", str(out)]) == 0
    rows, passed, failed = _check_report(out.read_text())
    assert {r[0] for r in rows} >= set(ops)
    assert failed == 0 and passed >= 2


def test_a_failing_case_is_reported_with_its_reason():
    cases = oc._cases()
    status, reason, _ = oc.run_case(cases["test_maxpool_2d_dilations"])
    assert status == "fail" and "dilations" in reason


def test_committed_report_is_well_formed_and_current():
    text = (REPO / "docs" / "onnx-conformance.md").read_text()
    rows, passed, failed = _check_report(text)
    supported = oc.supported()
    for op, *_ in rows:
        assert op in supported, f"{op} is in the report but no longer supported: regenerate it"
    assert passed > 500
