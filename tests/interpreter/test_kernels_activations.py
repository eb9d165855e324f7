"""Unary maths, activations, PRELU, SOFTMAX/LOG_SOFTMAX, L2_NORMALIZATION and CAST vs LiteRT."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import assert_close, assert_matches_litert, ember as run_ember, litert as run_litert


def _unary_model(op, shape, dtype, out_dtype=None, options=None):
    b = ModelBuilder()
    x = b.input("x", shape, dtype)
    y = b.tensor("y", shape, out_dtype or dtype)
    b.op(op, [x], [y], options=options)
    b.output(y)
    return b.build()


def _data(shape, dtype="float32", seed=0, lo=-4.0, hi=4.0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape,
                            endpoint=True).astype(dtype)
    return (lo + (hi - lo) * rng.random(shape)).astype(dtype)


def _assert_same(model, inputs, num_threads=1):
    """Exact equality (NaN == NaN, inf allowed)."""
    want = run_litert(model, inputs)
    got = run_ember(model, inputs, num_threads=num_threads)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


SHAPES = [[7], [2, 3, 4], [1, 5, 5, 3], [2, 1, 2, 3, 2], []]

UNARY = {  # op: (lo, hi) input range
    "EXP": (-10, 10), "LOG": (0.01, 100), "SQRT": (0, 100), "RSQRT": (0.01, 100),
    "SQUARE": (-10, 10), "ABS": (-10, 10), "NEG": (-10, 10), "SIN": (-10, 10),
    "COS": (-10, 10), "FLOOR": (-10, 10), "CEIL": (-10, 10), "ROUND": (-10, 10),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_unary_f32(op, shape):
    lo, hi = UNARY[op]
    assert_matches_litert(_unary_model(op, shape, "float32"), [_data(shape, lo=lo, hi=hi)])


@pytest.mark.parametrize("op", ["FLOOR", "CEIL", "ROUND"])
def test_rounding_exact(op):
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.5, 0.49999997, -0.49999997, 1e10,
                  -1e10, 8388607.5, -8388607.5, 8388609.0, 4194303.5, np.inf, -np.inf, np.nan,
                  0.0, -0.0, 1.0, -1.0, 2.0000002, -7.25], np.float32)
    _assert_same(_unary_model(op, [x.size], "float32"), [x])


NUMPY_UNARY = {"EXP": np.exp, "LOG": np.log, "SQRT": np.sqrt, "RSQRT": lambda v: 1 / np.sqrt(v),
               "SQUARE": np.square, "ABS": np.abs, "NEG": np.negative, "SIN": np.sin,
               "COS": np.cos}


@pytest.mark.parametrize("op", sorted(NUMPY_UNARY))
def test_unary_special_values(op):
    # LiteRT (XNNPACK) bends IEEE special cases (EXP(nan) = 0, LOG(inf) = 88.4,
    # LOG(subnormal) = -inf), so these are checked against NumPy instead.
    x = np.array([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan, 1e-38, 88.0, 89.0, -104.0, 1e30],
                 np.float32)
    with np.errstate(all="ignore"):
        want = NUMPY_UNARY[op](x.astype(np.float64)).astype(np.float32)
    got = run_ember(_unary_model(op, [x.size], "float32"), [x])[0]
    np.testing.assert_allclose(got, want, rtol=2e-6, equal_nan=True, err_msg=op)


@pytest.mark.parametrize("op,dtype", [("ABS", "int32"), ("NEG", "int32"), ("NEG", "int64")])
def test_unary_int(op, dtype):
    info = np.iinfo(dtype)
    x = np.concatenate([_data([20], dtype), np.array([info.min, info.max, 0, -1], dtype)])
    assert_matches_litert(_unary_model(op, [x.size], dtype), [x])


def test_unary_errors():
    for op, dtype in [("EXP", "int32"), ("ABS", "int64"), ("NEG", "bool"), ("FLOOR", "int32")]:
        with pytest.raises(ember.EmberError):
            ember.Interpreter(model_content=_unary_model(op, [3], dtype)).allocate_tensors()
    with pytest.raises(ember.EmberError):   # type change
        ember.Interpreter(model_content=_unary_model("EXP", [3], "float32", "int32")).allocate_tensors()


def test_unary_threads():
    x = _data([4, 64, 64, 8], lo=-5, hi=5)
    for op in ["EXP", "FLOOR", "ABS"]:
        assert_matches_litert(_unary_model(op, list(x.shape), "float32"), [x], num_threads=4)


# ---- activations -------------------------------------------------------------

ACTS = ["LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "ELU", "HARD_SWISH"]


@pytest.mark.parametrize("op", ACTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation(op, shape):
    assert_matches_litert(_unary_model(op, shape, "float32"), [_data(shape, lo=-8, hi=8)])


@pytest.mark.parametrize("op", ACTS + ["GELU", "LEAKY_RELU"])
def test_activation_special_values(op):
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, -100.0, 100.0, -3.0, 3.0, 1e-30],
                 np.float32)
    want = run_litert(_unary_model(op, [x.size], "float32"), [x])[0]
    got = run_ember(_unary_model(op, [x.size], "float32"), [x])[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("alpha", [0.2, 2.0, -0.5, 0.0, None])
def test_leaky_relu(alpha):
    opts = None if alpha is None else ("LeakyReluOptions", {"alpha": alpha})
    x = _data([2, 3, 8])
    assert_matches_litert(_unary_model("LEAKY_RELU", [2, 3, 8], "float32", options=opts), [x])


@pytest.mark.parametrize("approximate", [False, True, None])
@pytest.mark.parametrize("shape", [[2, 3, 16], [100]])
def test_gelu(approximate, shape):
    opts = None if approximate is None else ("GeluOptions", {"approximate": approximate})
    assert_matches_litert(_unary_model("GELU", shape, "float32", options=opts),
                          [_data(shape, lo=-6, hi=6)])


def test_activation_errors():
    for op in ["RELU", "LOGISTIC", "HARD_SWISH"]:
        with pytest.raises(ember.EmberError):
            ember.Interpreter(model_content=_unary_model(op, [3], "int32")).allocate_tensors()


def test_activation_threads():
    x = _data([2, 96, 96, 8], lo=-8, hi=8)
    for op in ["LOGISTIC", "RELU6", "HARD_SWISH"]:
        assert_matches_litert(_unary_model(op, list(x.shape), "float32"), [x], num_threads=4)


# Float LOGISTIC / TANH run the fast_math.h loops at the width of each kernel
# path (SSE2 for ref/generic, 8 lanes on avx2, 16 on avx512; unset = best).
F32_PATHS = ["ref", "generic", "avx2", "avx512", None]


@pytest.fixture(params=F32_PATHS, ids=lambda p: p or "default")
def f32_path(request, monkeypatch):
    if request.param is None:
        monkeypatch.delenv("EMBER_KERNEL_PATH", raising=False)
    else:
        monkeypatch.setenv("EMBER_KERNEL_PATH", request.param)
    return request.param


def _sigmoid64(v):
    # e^-|v| form: no overflow, and the tiny (subnormal) results for v << 0.
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _edge_inputs():
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-30,
                         -1e-30, 0.625, -0.625, 9.0, -9.0, 17.0, -17.0, 44.3, -44.3, 87.33,
                         -87.33, -87.34, -88.0, -100.0, -103.28, -103.97, -103.98, -104.0,
                         -105.0, 88.73, 89.0, 100.0, -902.6, 902.6, 3.4e38, -3.4e38],
                        np.float32)
    # dense over the range where the results go subnormal, then to 0 (selfie's
    # mask logits sit there), and the usual range; odd length for the tails
    dense = [np.linspace(-110.0, 95.0, 20011, dtype=np.float32),
             np.linspace(-8.0, 8.0, 4001, dtype=np.float32)]
    return np.concatenate([specials] + dense)


def _ulps(got, want64):
    """|got - want| in ulps of float32(want) (2^-149 steps below 2^-126)."""
    a = np.abs(want64)
    with np.errstate(divide="ignore"):
        ulp = np.exp2(np.floor(np.log2(np.maximum(a, 2.0**-126))) - 23)
    return np.abs(got.astype(np.float64) - want64) / ulp


@pytest.mark.parametrize("op,ref,bound", [("LOGISTIC", _sigmoid64, 3.0), ("TANH", np.tanh, 2.0)])
def test_logistic_tanh_every_path(f32_path, op, ref, bound):
    x = _edge_inputs()
    model = _unary_model(op, [x.size], "float32")
    got = run_ember(model, [x])[0]
    nan = np.isnan(x)
    assert np.array_equal(np.isnan(got), nan), f"{op} on {f32_path}: NaN positions"
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    err = _ulps(got[~nan], want[~nan])
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (f"{op} on {f32_path}: {err[worst]:.2f} ulp at "
                                 f"x={x[~nan][worst]!r}, got {got[~nan][worst]!r}")
    # exact limits at +-inf and where the result saturates
    lim = {"LOGISTIC": {np.inf: 1.0, -np.inf: 0.0, 100.0: 1.0, -105.0: 0.0, -902.6: 0.0},
           "TANH": {np.inf: 1.0, -np.inf: -1.0, 100.0: 1.0, -100.0: -1.0, 902.6: 1.0}}[op]
    for v, w in lim.items():
        assert got[np.flatnonzero(x == np.float32(v))[0]] == w, f"{op}({v}) on {f32_path}"
    # and LiteRT (XNNPACK flushes results below 2^-126 to 0, within any tolerance)
    assert_close(got, run_litert(model, [x])[0])


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_logistic_tanh_position_independent(f32_path, op):
    # Vector body, masked/scalar tails and thread splits give each element the
    # same value wherever it falls in the tensor.
    x = np.linspace(-95.0, 12.0, 53, dtype=np.float32)
    want = run_ember(_unary_model(op, [x.size], "float32"), [x])[0]
    for pad in range(1, 18):
        xp = np.concatenate([np.full(pad, 0.5, np.float32), x])
        got = run_ember(_unary_model(op, [xp.size], "float32"), [xp])[0]
        np.testing.assert_array_equal(got[pad:], want)
    for n in (1, 7, 16, 17):
        got = run_ember(_unary_model(op, [n], "float32"), [x[-n:]])[0]
        np.testing.assert_array_equal(got, want[-n:])
    big = np.tile(x, 2000)
    a = run_ember(_unary_model(op, [big.size], "float32"), [big], num_threads=1)[0]
    b = run_ember(_unary_model(op, [big.size], "float32"), [big], num_threads=3)[0]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:x.size], want)


# ---- PRELU ---------------------------------------------------------------------

@pytest.mark.parametrize("sx,sa,const", [
    ([1, 4, 4, 3], [3], True),
    ([1, 4, 4, 3], [1, 1, 3], True),
    ([2, 5, 6], [5, 6], False),
    ([2, 3, 4], [2, 3, 4], False),
    ([1, 2, 3, 4, 5], [5], False),
    ([3, 4], [1], True),
])
def test_prelu(sx, sa, const):
    b = ModelBuilder()
    x = b.input("x", sx, "float32")
    alpha = _data(sa, seed=2, lo=-1, hi=1)
    a = b.const("alpha", alpha) if const else b.input("alpha", sa, "float32")
    y = b.tensor("y", sx, "float32")
    b.op("PRELU", [x, a], [y])
    b.output(y)
    inputs = [_data(sx)] + ([] if const else [alpha])
    assert_matches_litert(b.build(), inputs)


def test_prelu_errors():
    b = ModelBuilder()
    x = b.input("x", [2, 3], "float32")
    a = b.const("alpha", np.ones([4], np.float32))
    y = b.tensor("y", [2, 3], "float32")
    b.op("PRELU", [x, a], [y])
    b.output(y)
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=b.build()).allocate_tensors()


# ---- SOFTMAX / LOG_SOFTMAX / L2_NORMALIZATION -----------------------------------

@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, -1.0, None])
@pytest.mark.parametrize("shape", [[5], [2, 10], [1, 3, 4, 6], [2, 1, 2, 2, 7], [1, 1000]])
def test_softmax(beta, shape):
    opts = None if beta is None else ("SoftmaxOptions", {"beta": beta})
    assert_matches_litert(_unary_model("SOFTMAX", shape, "float32", options=opts),
                          [_data(shape, lo=-10, hi=10)])


@pytest.mark.parametrize("shape", [[5], [2, 10], [1, 3, 4, 6], [2, 1, 2, 2, 7], [1, 1000], []])
def test_log_softmax(shape):
    m, x = _unary_model("LOG_SOFTMAX", shape, "float32"), [_data(shape, lo=-10, hi=10)]
    if not shape:
        # log_softmax of a single value is exactly 0. LiteRT is no oracle here: its
        # rank-0 LOG_SOFTMAX returns whatever its output buffer held (seen: ~1e-19,
        # -0.37) and aborts the process under numpy 1.26.
        np.testing.assert_array_equal(run_ember(m, x)[0], np.float32(0))
        return
    assert_matches_litert(m, x)


def test_log_softmax_large_inputs_keep_precision():
    """x - max is taken first: large |x| (ONNX's test_logsoftmax_large_number) stays exact."""
    m = _unary_model("LOG_SOFTMAX", [2, 4], "float32")
    x = np.array([[0, 1, 2, 3], [10000, 10001, 10002, 10003]], np.float32)
    want = x.astype(np.float64) - x.max(1, keepdims=True)
    want -= np.log(np.exp(want).sum(1, keepdims=True))
    got = run_ember(m, [x])[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)
    assert_matches_litert(m, [x])


def test_softmax_threads():
    x = _data([64, 1024], lo=-10, hi=10)
    for op, opts in [("SOFTMAX", ("SoftmaxOptions", {"beta": 1.0})), ("LOG_SOFTMAX", None)]:
        assert_matches_litert(_unary_model(op, [64, 1024], "float32", options=opts), [x],
                              num_threads=4)


@pytest.mark.parametrize("shape", [[5], [2, 10], [1, 3, 4, 6], [2, 1, 2, 2, 7]])
def test_l2_normalization(shape):
    assert_matches_litert(_unary_model("L2_NORMALIZATION", shape, "float32"), [_data(shape)])


def test_l2_normalization_tiny_rows():
    x = np.array([[0, 0, 0], [1e-4, 0, 0], [3, 4, 0], [1e-7, 1e-7, 0]], np.float32)
    assert_matches_litert(_unary_model("L2_NORMALIZATION", [4, 3], "float32"), [x])


def test_softmax_l2_errors():
    bad = [
        _unary_model("SOFTMAX", [3], "int32"),
        _unary_model("L2_NORMALIZATION", [], "float32"),
        _unary_model("L2_NORMALIZATION", [2, 3], "float32",
                     options=("L2NormOptions", {"fused_activation_function": "RELU"})),
    ]
    for m in bad:
        with pytest.raises(ember.EmberError):
            ember.Interpreter(model_content=m).allocate_tensors()


# ---- CAST ------------------------------------------------------------------------

CAST_TYPES = ["float32", "float16", "float64", "int32", "int64", "uint8", "int8", "int16",
              "uint16", "uint32", "bool"]


def _cast_input(src):
    if src in ("float32", "float16", "float64"):
        x = np.array([-300.7, -2.5, -1.5, -0.7, 0.7, 2.5, 300.2, 70000.5, 1e10, -1e10, 3e9,
                      -0.0, 0.999, -0.999, 127.9, 128.0, 255.5, 256.0, -128.9, -129.0,
                      65535.9, 2147483520.0, 2147483648.0, -2147483648.0, 4294967296.0,
                      1e19, -1e19, np.inf, -np.inf, np.nan, 1e-8, 65504.0, 65520.0, 1.00048828125])
        with np.errstate(over="ignore", invalid="ignore"):
            return x.astype(src)
    if src == "bool":
        return np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)
    info = np.iinfo(src)
    vals = [info.min, info.min + 1, -1, 0, 1, 2, 127, 128, 255, 256, 300, 32767, 32768, 65535,
            65536, 2**24 + 1, 2**31 - 1, 2**31, 2**32 - 1, info.max - 1, info.max]
    vals = [v for v in vals if info.min <= v <= info.max]
    return np.array(vals, dtype=np.int64 if info.min < 0 else np.uint64).astype(src)


@pytest.mark.parametrize("src", CAST_TYPES)
@pytest.mark.parametrize("dst", CAST_TYPES)
def test_cast(src, dst):
    x = _cast_input(src)
    b = ModelBuilder()
    i = b.input("x", [x.size], src)
    y = b.tensor("y", [x.size], dst)
    b.op("CAST", [i], [y], options=("CastOptions", {"in_data_type": src.upper(),
                                                     "out_data_type": dst.upper()}))
    b.output(y)
    _assert_same(b.build(), [x])


def test_cast_no_options_and_shapes():
    x = _data([2, 3, 4], lo=-50, hi=50)
    assert_matches_litert(_unary_model("CAST", [2, 3, 4], "float32", "int32"), [x])
    assert_matches_litert(_unary_model("CAST", [], "float32", "int8"), [np.float32(3.7)])


def test_cast_threads():
    x = _data([4, 128, 128], lo=-300, hi=300)
    assert_matches_litert(_unary_model("CAST", [4, 128, 128], "float32", "uint8"), [x],
                          num_threads=4)


def test_cast_errors():
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=_unary_model("CAST", [3], "float32", "string")
                          ).allocate_tensors()


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("sx,sa", [([3, 37, 41, 13], [13]), ([2, 30, 40, 24], [1, 1, 24]),
                                   ([2, 30, 40, 24], [30, 40, 24])])
def test_prelu_row_blocks(sx, sa, threads):
    b = ModelBuilder()
    x = b.input("x", sx, "float32")
    alpha = _data(sa, seed=2, lo=-1, hi=1)
    a = b.const("alpha", alpha)
    y = b.tensor("y", sx, "float32")
    b.op("PRELU", [x, a], [y])
    b.output(y)
    xv = _data(sx)
    got = run_ember(b.build(), [xv], num_threads=threads)[0]
    np.testing.assert_array_equal(got, np.where(xv >= 0, xv, xv * alpha))
