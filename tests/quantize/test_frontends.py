"""Quantising models that come through the Keras and ONNX frontends.

The digits CNN (examples/digits.keras, sklearn's digits) is quantised with its own
calibration split; accuracy on the held-out split must stay within 2 points of the
float model's (int8 typically loses < 1 point on this net; a broken rewrite loses
tens). An ONNX MLP exported from torch checks the ONNX path end to end.
"""
import importlib.util
import pathlib

import numpy as np
import pytest

import ember
from conftest import need
from oracle import litert
from oracle_int8 import tflm
from qhelp import ember_or_pending, quantize, sqnr_db

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _accuracy(model, x, y, runner):
    preds = [np.argmax(runner(model, [xi[None]])[0]) for xi in x]
    return float(np.mean(np.array(preds) == y))


@pytest.mark.parametrize("mode", ["int8", "int16x8", "dynamic", "float16"])
def test_keras_digits(mode):
    need(importlib.util.find_spec("keras") is not None, "keras is not installed")
    data = np.load(EXAMPLES / "digits_data.npz")
    x, y = data["x_test"][:120], data["y_test"][:120]
    f = ember.convert(str(EXAMPLES / "digits.keras"))
    q, warns = quantize(str(EXAMPLES / "digits.keras"), mode,
                        data["x_calib"][:100] if mode in ("int8", "int16x8") else None)
    assert not warns, warns
    fa = _accuracy(f, x, y, litert)
    qa = _accuracy(q, x, y, lambda m, i: litert(m, i, reference=True))
    print(f"digits {mode}: float {fa:.3f}, quantised {qa:.3f} ({len(f):,} -> {len(q):,} bytes)")
    assert qa >= fa - 0.02
    if mode in ("int8", "int16x8"):
        xi = [x[:1]]
        want = tflm(q, xi)[0]
        got = ember_or_pending(q, xi)[0]
        np.testing.assert_array_equal(got, want)


def test_onnx_mlp(tmp_path):
    need(importlib.util.find_spec("torch") is not None and importlib.util.find_spec("onnx") is not None,
         "torch and onnx are needed to make the ONNX model")
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    path = tmp_path / "mlp.onnx"
    torch.onnx.export(net, torch.zeros(1, 32), str(path), input_names=["x"], output_names=["y"],
                      dynamo=False)
    cal = np.random.default_rng(0).standard_normal((32, 1, 32)).astype(np.float32)
    f = ember.convert(str(path))
    q, warns = quantize(str(path), "int8", cal)
    assert not warns, warns
    x = np.random.default_rng(1).standard_normal((1, 32)).astype(np.float32)
    ref = litert(q, [x], reference=True)[0]
    assert sqnr_db(ref, litert(f, [x])[0]) > 25
    np.testing.assert_array_equal(tflm(q, [x])[0], ref)
    np.testing.assert_array_equal(ember_or_pending(q, [x])[0], ref)
