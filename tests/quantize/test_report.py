"""The quantisation report (Python API and `ember convert --report`) and the CLI's
quantisation flags, through the real entry point (`python -m ember`)."""
import base64
import re
import subprocess
import sys

import numpy as np
import pytest

import ember
from oracle import litert
from qhelp import cnn, images, quantize, sqnr_db

CAL = images(8)


@pytest.fixture(scope="module")
def models():
    m = cnn()
    q, _ = quantize(m, "int8", CAL)
    return m, q


def test_report_numbers_match_an_independent_measurement(models):
    m, q = models
    rep = ember.quantize.report(m, q, CAL)
    # Rows come worst first; every quantised activation is there.
    assert [r.sqnr_db for r in rep.rows] == sorted(r.sqnr_db for r in rep.rows)
    names = {r.name for r in rep.rows}
    assert {"conv1", "dw", "pool", "conv2", "residual", "avg", "flat", "hidden", "logits", "probs"} <= names
    # The output's SQNR equals one computed here from LiteRT's outputs on the same samples.
    got = np.concatenate([litert(q, [x[None]], reference=True)[0] for x in CAL])
    want = np.concatenate([litert(m, [x[None]])[0] for x in CAL])
    out = next(r for r in rep.rows if r.name == "probs")
    assert abs(out.sqnr_db - sqnr_db(got, want)) < 0.05
    assert np.isclose(out.max_err, np.max(np.abs(got - want)), rtol=1e-3, atol=1e-6)
    assert rep.mean_output_sqnr == out.sqnr_db
    conv1 = next(r for r in rep.rows if r.name == "conv1")
    assert conv1.zero_point == "-128" and float(conv1.scale) > 0
    s = rep.summary()
    assert "5 worst layers" in s and len(s.splitlines()) == 3 + 5


def test_report_files(models, tmp_path):
    m, q = models
    ember.quantize.report(m, q, CAL, path=tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    png = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert png and base64.b64decode(png.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table>" in html and "SQNR (dB)" in html
    ember.quantize.report(m, q, CAL, path=tmp_path / "r.md")
    md = (tmp_path / "r.md").read_text().splitlines()
    assert md[0] == "# Quantisation report" and md[4].startswith("| tensor |")
    with pytest.raises(ember.EmberError, match="write .html or .md"):
        ember.quantize.report(m, q, CAL, path=tmp_path / "r.txt")


def test_report_without_matplotlib(models, monkeypatch):
    m, q = models
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import fails
    rep = ember.quantize.report(m, q, CAL)
    assert "matplotlib is not installed" in rep.to_html()


def ember_cli(*args):
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_cli_quantize_with_report(tmp_path):
    src = tmp_path / "m.tflite"
    src.write_bytes(cnn())
    np.save(tmp_path / "cal.npy", CAL)
    r = ember_cli("convert", src, "-o", tmp_path / "q.tflite", "--quantize", "int8", "--calibration",
                  tmp_path / "cal.npy", "--report", tmp_path / "r.html", "--output-type", "uint8")
    assert r.returncode == 0, r.stderr
    assert "5 worst layers" in r.stdout and "wrote" in r.stdout
    worst = [ln for ln in r.stdout.splitlines() if ln.strip().endswith(tuple("abcdefghijklmnopqrstuvwxyz0123456789")) and " dB " in ln]
    assert len(worst) == 5
    assert (tmp_path / "r.html").exists()
    it = ember.Interpreter(model_path=str(tmp_path / "q.tflite"))
    assert it.get_output_details()[0]["dtype"] == np.uint8


def test_cli_strict_and_bad_calibration(tmp_path):
    from test_integer import _with_cos
    src = tmp_path / "cos.tflite"
    src.write_bytes(_with_cos())
    np.save(tmp_path / "cal.npy", np.zeros((4, 1, 16), np.float32))
    r = ember_cli("convert", src, "-o", tmp_path / "q.tflite", "--quantize", "int8",
                  "--calibration", tmp_path / "cal.npy", "--strict-int8")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "COS" in r.stderr
    r = ember_cli("convert", src, "-o", tmp_path / "q.tflite", "--quantize", "int8",
                  "--calibration", tmp_path / "cal.npy")
    assert r.returncode == 0 and "warning" in r.stderr and "COS" in r.stderr
    np.save(tmp_path / "bad.npy", np.zeros((4, 3, 3), np.float32))
    r = ember_cli("convert", src, "-o", tmp_path / "q.tflite", "--quantize", "int8",
                  "--calibration", tmp_path / "bad.npy", "--calibration-method", "mse")
    assert r.returncode == 1 and "Traceback" not in r.stderr and "'x'" in r.stderr, r.stderr
    r = ember_cli("convert", src, "-o", tmp_path / "q.tflite", "--quantize", "float16")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("mode", ["float16", "dynamic"])
def test_report_for_weight_only_modes(tmp_path, mode):
    # The calibration data is only the report's here: these modes need none.
    ember.convert(cnn(), quantize=mode, calibration=CAL, report=tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text()
    assert "| probs |" in text
