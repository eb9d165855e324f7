"""Each quantisation mode on a small weight-dominated CNN: size, accuracy vs float,
and the file runs in LiteRT, TFLite Micro (integer modes) and Ember.

SQNR thresholds: int8 with per-channel weights keeps each layer's error near the
8-bit step (~6 dB/bit, ~40 dB for a layer); through eight layers the output of
this net measures ~35-40 dB on LiteRT, so 25 dB leaves margin for seeds while
still failing on any real mistake (a wrong scale or axis gives < 10 dB). int16x8
activations remove most of the activation error: 30 dB. float16 weights are
accurate to ~3 decimal digits: 50 dB. dynamic (int8 weights, float maths): 30 dB.
"""
import numpy as np
import pytest

from oracle import litert
from oracle_int8 import assert_bitexact, tflm
from qhelp import cnn, ember_or_pending, images, ops_of, quantize, sqnr_db

CAL = images(32)
TEST = images(4, seed=99)


@pytest.fixture(scope="module")
def model():
    return cnn()


def _float(model, x):
    return litert(model, [x], reference=True)[0]


def _sizes_ratio(model, q):
    return len(q) / len(model)


def test_float16(model):
    q, warns = quantize(model, "float16")
    assert not warns
    assert 0.45 < _sizes_ratio(model, q) < 0.6
    types = {op.type for op in ops_of(q)}
    assert "DEQUANTIZE" in types
    consts = [t for op in ops_of(q) for t in op.inputs if t is not None and t.is_const]
    assert all(t.dtype != np.float32 or t.data.size <= 1 for t in consts)
    for x in TEST:
        want = _float(model, x[None])
        got_l = litert(q, [x[None]])[0]
        got_e = ember_or_pending(q, [x[None]])[0]
        assert sqnr_db(got_l, want) > 50
        np.testing.assert_allclose(got_e, got_l, atol=1e-5)


def test_dynamic_dequantize_form(model):
    q = ember_import().quantize_bytes(model, "dynamic", hybrid=False)
    # Only the FC weights have >= 1024 elements (TensorFlow's threshold): only they are int8.
    deq = {op.outputs[0].name: op.inputs[0] for op in ops_of(q) if op.type == "DEQUANTIZE"}
    assert sorted(deq) == ["wf", "wo"] and all(t.dtype == np.int8 for t in deq.values())
    w = deq["wf"]
    assert w.quant.scale.size == w.data.shape[0] and w.quant.axis == 0     # per output channel
    assert np.all(w.quant.zero_point == 0) and np.abs(w.data).max() == 127
    assert len(q) < 0.5 * len(model)
    for x in TEST:
        want = _float(model, x[None])
        got_l = litert(q, [x[None]])[0]
        got_e = ember_or_pending(q, [x[None]])[0]
        assert sqnr_db(got_l, want) > 30
        np.testing.assert_allclose(got_e, got_l, atol=1e-5)


def test_dynamic_all_weights_and_per_tensor_for_micro(model):
    m = ember_import()
    q_all = m.quantize_bytes(model, "dynamic", min_elements=1, hybrid=False)
    ops = ops_of(q_all)
    deq = {op.outputs[0].name: op.inputs[0] for op in ops if op.type == "DEQUANTIZE"}
    assert set(deq) == {"w1", "wd", "w2", "wf", "wo"}
    assert deq["wd"].quant.axis == 3 and deq["wd"].quant.scale.size == deq["wd"].data.shape[3]
    # TFLite Micro's DEQUANTIZE reads one scale: per-tensor weights run there correctly.
    q_pt = m.quantize_bytes(model, "dynamic", min_elements=1, per_channel=False, hybrid=False)
    x = TEST[:1]
    want = _float(model, x)
    assert sqnr_db(tflm(q_pt, [x])[0], want) > 20
    np.testing.assert_allclose(tflm(q_pt, [x])[0], litert(q_pt, [x], reference=True)[0], atol=1e-5)


def test_dynamic_hybrid_is_the_default_and_runs_in_litert_and_ember(model):
    """As TensorFlow writes it: int8 FC/conv weights fed straight to hybrid kernels."""
    q, _ = quantize(model, "dynamic")
    ops = ops_of(q)
    fc = [op for op in ops if op.type == "FULLY_CONNECTED"]
    assert fc[0].inputs[1].dtype == np.int8 and "DEQUANTIZE" not in {op.type for op in ops}
    assert fc[0].options["asymmetric_quantize_inputs"] is True
    q_all = ember_import().quantize_bytes(model, "dynamic", min_elements=1)
    types = {op.type: op.inputs[1].dtype for op in ops_of(q_all)
             if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")}
    assert set(types.values()) == {np.dtype(np.int8)}, types
    for qq in (q, q_all):
        for x in TEST:
            want = _float(model, x[None])
            ref = litert(qq, [x[None]], reference=True)[0]
            got = ember_or_pending(qq, [x[None]])[0]
            assert sqnr_db(ref, want) > 25
            np.testing.assert_allclose(got, ref, atol=1e-5 * max(1.0, float(np.abs(ref).max())))


@pytest.mark.parametrize("mode,act,threshold", [("int8", np.int8, 25), ("int16x8", np.int16, 30)])
def test_full_integer(model, mode, act, threshold):
    q, warns = quantize(model, mode, CAL)
    assert not warns, warns
    ops = ops_of(q)
    assert [op.type for op in ops][0] == "QUANTIZE" and ops[-1].type == "DEQUANTIZE"
    for op in ops[1:-1]:
        assert op.outputs[0].dtype == act, op
    # int8 ~ 1/4 of the float file (weights dominate; int32 biases and headers add a little).
    if mode == "int8":
        assert 0.25 < _sizes_ratio(model, q) < 0.33
    lsb = 1 / 256 if mode == "int8" else 1 / 32768        # the softmax output's scale
    for x in TEST:
        want = _float(model, x[None])
        ref = litert(q, [x[None]], reference=True)[0]
        micro = tflm(q, [x[None]])[0]
        assert sqnr_db(ref, want) > threshold
        if mode == "int8":
            assert_bitexact(micro, ref, "TFLite Micro vs LiteRT BUILTIN_REF")
        else:
            # The two references' int16 FULLY_CONNECTED (int64 bias) round differently.
            assert np.max(np.abs(micro - ref)) <= 8 * lsb
        dflt = litert(q, [x[None]])[0]
        assert np.max(np.abs(dflt - ref)) <= 8 * lsb, "LiteRT default kernels drift > 8 LSB"
    for x in TEST:
        got = ember_or_pending(q, [x[None]])[0]
        assert_bitexact(got, tflm(q, [x[None]])[0], "Ember vs TFLite Micro")
        if mode == "int8":
            assert_bitexact(got, litert(q, [x[None]], reference=True)[0], "Ember vs LiteRT BUILTIN_REF")


def ember_import():
    """quantize_bytes: ember.quantize.quantize on bytes, for options convert() does not take."""
    import types

    import ember
    from ember.converter import load
    from ember.schema.writer import write

    def quantize_bytes(model, mode, calibration=None, **kw):
        return write(ember.quantize.quantize(load(bytes(model)), mode, calibration, **kw))
    return types.SimpleNamespace(quantize_bytes=quantize_bytes)
