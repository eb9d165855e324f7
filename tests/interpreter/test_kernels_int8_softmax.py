"""Quantised SOFTMAX and LOG_SOFTMAX (int8/uint8/int16), bit for bit against
TFLite Micro and LiteRT's BUILTIN_REF kernels (tests/oracle_int8.py).

TFLite Micro has no uint8 softmax and no uint8 / int16 paths for these ops
beyond those noted; each case that skips an oracle says why. Where TFLite's
reference kernels abort (tiny input scale, rows summing past their 31-bit
shift), no oracle can run: Ember's answer is compared with the float softmax
instead (within one quantisation step).
"""
import zlib

import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import ember as run_ember
from oracle_int8 import assert_matches_reference

INFO = {"int8": np.iinfo(np.int8), "uint8": np.iinfo(np.uint8), "int16": np.iinfo(np.int16)}
OUT_Q = {("int8", "int8"): (1 / 256, -128), ("uint8", "uint8"): (1 / 256, 0),
         ("int8", "int16"): (1 / 65536, -32768), ("uint8", "int16"): (1 / 65536, -32768),
         ("int16", "int16"): (1 / 32768, 0)}


def q(scale, zp=0):
    return {"scale": [scale], "zero_point": [zp]}


def rand_q(rng, dtype, shape, lo=None, hi=None):
    i = INFO[dtype]
    lo = i.min if lo is None else lo
    hi = i.max if hi is None else hi
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(dtype)


def model(op, shape, tin, tout, qx, qy, beta=None):
    b = ModelBuilder()
    x = b.input("x", list(shape), tin, quant=qx)
    y = b.tensor("y", list(shape), tout, quant=qy)
    opts = ("SoftmaxOptions", {"beta": beta}) if beta is not None else None
    b.op(op, [x], [y], options=opts)
    b.output(y)
    return b.build()


def refused(m, match):
    with pytest.raises(ember.EmberError, match=match):
        ember.Interpreter(model_content=m).allocate_tensors()


def seed(*key):
    """A generator seeded by the test's parameters (stable across runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def float_softmax(xq, scale, zp, beta, axis=-1):
    v = (xq.astype(np.float64) - zp) * scale * beta
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


SHAPES = [(1, 10), (3, 7), (2, 3, 16), (40,), (4, 1), (2, 2, 2, 9)]


@pytest.mark.parametrize("tin,tout", [("int8", "int8"), ("uint8", "uint8"), ("int8", "int16"),
                                      ("uint8", "int16"), ("int16", "int16")])
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax(tin, tout, shape):
    rng = seed(tin, tout, shape)
    sym = tin == "int16"
    so, zo = OUT_Q[(tin, tout)]
    # TFLite Micro has no uint8 softmax.
    use_tflm = tin != "uint8"
    for beta, s_in in [(1.0, 0.1), (1.0, 0.02), (0.5, 0.3), (2.0, 0.05), (1.0, 1.7)]:
        if sym:
            s_in /= 128
        zi = 0 if sym else int(rng.integers(INFO[tin].min, INFO[tin].max + 1))
        m = model("SOFTMAX", shape, tin, tout, q(s_in, zi), q(so, zo), beta=beta)
        x = rand_q(rng, tin, shape)
        # LiteRT multiplies scale and beta in float for int16 input, TFLite
        # Micro in double: with beta != 1 their multipliers may differ, so
        # only LiteRT is consulted there.
        tflm = use_tflm and not (sym and beta != 1.0)
        assert_matches_reference(m, [x], use_tflm=tflm)


@pytest.mark.parametrize("tin,tout", [("int8", "int8"), ("int8", "int16"), ("int16", "int16")])
def test_softmax_full_range_rows(tin, tout):
    # every input value appears, with ties, narrow and wide rows
    i = INFO[tin]
    so, zo = OUT_Q[(tin, tout)]
    if tin == "int16":
        x = np.concatenate([np.arange(-32768, 32768, 257), [32767, 32767, -32768, 0]])
    else:
        x = np.arange(i.min, i.max + 1)
    x = x.astype(tin).reshape(-1, 4 if tin == "int16" else 8)
    for s_in in ([0.001, 0.00003, 0.0004] if tin == "int16" else [0.5, 0.05, 0.004]):
        m = model("SOFTMAX", x.shape, tin, tout, q(s_in, 0 if tin == "int16" else 3), q(so, zo),
                  beta=1.0)
        assert_matches_reference(m, [x])
        assert_matches_reference(m, [np.full_like(x, 5)])


def test_softmax_int16_beta_vs_tflm():
    # beta * scale exactly representable in float: both oracles agree
    rng = np.random.default_rng(3)
    for beta, s_in in [(0.5, 2.0 ** -10), (2.0, 2.0 ** -12), (4.0, 3 * 2.0 ** -14)]:
        m = model("SOFTMAX", (3, 9), "int16", "int16", q(s_in), q(1 / 32768), beta=beta)
        assert_matches_reference(m, [rand_q(rng, "int16", (3, 9))])


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("shape", SHAPES[:4])
def test_log_softmax(dtype, shape):
    rng = seed(dtype, shape)
    zo = 127 if dtype == "int8" else 255
    for s_in in [0.1, 0.02, 0.3, 1.5, 0.004]:
        zi = int(rng.integers(INFO[dtype].min, INFO[dtype].max + 1))
        m = model("LOG_SOFTMAX", shape, dtype, dtype, q(s_in, zi), q(16 / 256, zo))
        # TFLite Micro has no uint8 LOG_SOFTMAX.
        assert_matches_reference(m, [rand_q(rng, dtype, shape)], use_tflm=dtype == "int8")


def test_log_softmax_full_range():
    x = np.arange(-128, 128).astype(np.int8).reshape(32, 8)
    for s_in in [0.5, 0.05, 0.004, 0.2]:
        m = model("LOG_SOFTMAX", x.shape, "int8", "int8", q(s_in, -5), q(16 / 256, 127))
        assert_matches_reference(m, [x])
        assert_matches_reference(m, [np.full_like(x, -100)])


# ---- beyond TFLite's reference: compared with the float function ----------------

def check_vs_float(tin, tout, shape, s_in, beta, x, op="SOFTMAX"):
    so, zo = OUT_Q[(tin, tout)] if op == "SOFTMAX" else (16 / 256, 127 if tin == "int8" else 255)
    zi = 0
    m = model(op, shape, tin, tout, q(s_in, zi), q(so, zo), beta=beta if op == "SOFTMAX" else None)
    got = run_ember(m, [x])[0].astype(np.int64)
    p = float_softmax(x, s_in, zi, beta)
    real = np.log(p) if op == "LOG_SOFTMAX" else p
    want = np.clip(np.round(real / so) + zo, INFO[tout].min, INFO[tout].max)
    assert np.max(np.abs(got - want)) <= 1, (got, want)


@pytest.mark.parametrize("tin,tout", [("int8", "int8"), ("uint8", "uint8"), ("int8", "int16"),
                                      ("int16", "int16")])
def test_softmax_tiny_input_scale(tin, tout):
    # beta * scale * 2^26 <= 1: TFLite's reference aborts (multiplier check);
    # every exp is ~1, so the answer is the uniform distribution.
    rng = np.random.default_rng(8)
    for shape in [(2, 8), (1, 3), (5,)]:
        x = rand_q(rng, tin, shape)
        for s_in, beta in [(1e-9, 1.0), (1e-12, 3.0), (2e-10, 0.0), (1e-30, 1.0)]:
            check_vs_float(tin, tout, shape, s_in, beta, x)


@pytest.mark.parametrize("tin,tout", [("int8", "int8"), ("int8", "int16"), ("uint8", "int16"),
                                      ("int16", "int16")])
def test_softmax_long_rows(tin, tout):
    # Rows whose exps sum to 512 or more (TFLite aborts for 8-bit outputs)
    # and past its 32-bit accumulators (4096 for 8-bit inputs, 65536 for
    # int16), which Ember widens.
    rng = np.random.default_rng(9)
    for depth in [600, 5000] + ([70000] if tin == "int16" else []):
        s_in = 0.01 / (128 if tin == "int16" else 1)
        x = rand_q(rng, tin, (1, depth), lo=INFO[tin].max - 3, hi=INFO[tin].max)
        check_vs_float(tin, tout, (1, depth), s_in, 1.0, x)
        x[0, depth // 2] = INFO[tin].max            # one clear winner among ties
        x[0, :depth // 2] = INFO[tin].min
        check_vs_float(tin, tout, (1, depth), 0.2, 1.0, x)


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_log_softmax_tiny_scale_and_long_rows(dtype):
    rng = np.random.default_rng(10)
    for s_in, depth in [(1e-9, 8), (1e-20, 3), (0.01, 5000), (0.5, 700)]:
        x = rand_q(rng, dtype, (2, depth))
        check_vs_float(dtype, dtype, (2, depth), s_in, 1.0, x, op="LOG_SOFTMAX")


# ---- refusals ---------------------------------------------------------------------

@pytest.mark.parametrize("tin,tout,qy,match", [
    ("int8", "int8", q(1 / 128, -128), "scale 1/256 and zero point -128"),
    ("int8", "int8", q(1 / 256, 0), "zero point -128"),
    ("uint8", "uint8", q(1 / 256, 128), "zero point 0"),
    ("int8", "int16", q(1 / 32768, 0), "1/65536 and zero point -32768"),
    ("int16", "int16", q(1 / 65536, 0), "1/32768"),
    ("int16", "int8", q(1 / 256, -128), "int16 input needs an int16 output"),
    ("int8", "uint8", q(1 / 256, 0), "does not support INT8 -> UINT8"),
    ("int8", "int8", None, "no quantisation"),
])
def test_softmax_refused(tin, tout, qy, match):
    refused(model("SOFTMAX", (2, 4), tin, tout, q(0.1, 0), qy, beta=1.0), match)


def test_softmax_refused_input():
    refused(model("SOFTMAX", (2, 4), "int8", "int8", None, q(1 / 256, -128)), "no quantisation")
    refused(model("SOFTMAX", (2, 4), "int16", "int16", q(0.001, 4), q(1 / 32768)),
            "zero point must be 0")
    refused(model("SOFTMAX", (2, 4), "int8", "int8", q(0.1), q(1 / 256, -128), beta=-1.0),
            "beta >= 0")


@pytest.mark.parametrize("dtype,qy,match", [
    ("int8", q(1 / 16, 0), "16/256 and zero point 127"),
    ("int8", q(1 / 8, 127), "16/256"),
    ("uint8", q(1 / 16, 127), "zero point 255"),
    ("int16", q(1 / 16, 0), "does not support INT16"),
])
def test_log_softmax_refused(dtype, qy, match):
    refused(model("LOG_SOFTMAX", (2, 4), dtype, dtype, q(0.1, 0), qy), match)
