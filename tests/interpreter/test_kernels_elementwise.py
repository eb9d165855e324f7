"""Element-wise binary ops, comparisons, logical ops and SELECT_V2 vs LiteRT."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import assert_close, assert_matches_litert, ember as run_ember, litert as run_litert

ACT_OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _data(shape, dtype, seed, kind="normal"):
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        if kind == "positive":
            return (0.2 + 2.5 * rng.random(shape)).astype(np.float32)
        if kind == "nonzero":
            return ((0.5 + rng.random(shape)) * rng.choice([-1, 1], shape)).astype(np.float32)
        if kind == "small":
            return rng.integers(-3, 4, shape).astype(np.float32)
        return (2 * rng.standard_normal(shape)).astype(np.float32)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if kind == "nonzero":
        x = rng.integers(1, 50, shape) * rng.choice([-1, 1], shape)
    elif kind == "exponent":
        x = rng.integers(0, 5, shape)
    elif kind == "small":
        x = rng.integers(-4, 5, shape)
    else:
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -100), min(info.max, 100), shape, endpoint=True)
    return np.asarray(x).astype(dtype)


def _bshape(*shapes):
    try:
        return list(np.broadcast_shapes(*map(tuple, shapes)))
    except ValueError:          # for error tests: shapes that do not broadcast
        return list(shapes[0])


def _binary_model(op, sa, sb, dtype, out_dtype=None, act=None, const_b=None):
    b = ModelBuilder()
    x = b.input("a", sa, dtype)
    y = b.const("b", const_b) if const_b is not None else b.input("b", sb, dtype)
    z = b.tensor("z", _bshape(sa, sb), out_dtype or dtype)
    opts = None
    if act is not None:
        opts = (ACT_OPTIONS[op], {"fused_activation_function": act})
    b.op(op, [x, y], [z], options=opts)
    b.output(z)
    return b.build()


# shapes: equal, scalar either side, row broadcast, two-sided broadcasts, high rank
SHAPES = [
    ([2, 3, 4], [2, 3, 4]),
    ([], [3, 5]),
    ([3, 5], []),
    ([1], [2, 7]),
    ([2, 3, 4], [4]),
    ([4], [2, 3, 4]),
    ([2, 3, 4], [2, 1, 4]),
    ([2, 3, 1], [1, 3, 4]),
    ([1, 3, 1, 5], [2, 1, 4, 1]),
    ([1, 6, 6, 8], [1, 6, 6, 1]),
    ([1, 1, 1, 1], [1, 1, 1, 1]),
    ([0, 3], [3]),
]
SHAPES_HIGH = [
    ([2, 1, 3, 1, 2], [1, 2, 1, 4, 2]),
    ([2, 1, 3, 1, 2, 3], [1, 2, 1, 4, 1, 3]),
]

BINARY_F32 = ["ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "POW"]
MAX_RANK = {"POW": 4, "MAXIMUM": 5, "MINIMUM": 5, "SQUARED_DIFFERENCE": 4}
NUMPY_F32 = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide,
             "SQUARED_DIFFERENCE": lambda a, b: np.square(a - b),
             "MAXIMUM": np.maximum, "MINIMUM": np.minimum, "POW": np.power}


def _kinds(op, dtype):
    if op == "DIV":
        return "normal", "nonzero"
    if op == "POW":
        return ("positive", "normal") if dtype == "float32" else ("small", "exponent")
    return "normal", "normal"


def _check_binary(op, sa, sb, dtype, act=None, num_threads=1, seed=0):
    ka, kb = _kinds(op, dtype)
    a, b = _data(sa, dtype, seed, ka), _data(sb, dtype, seed + 1, kb)
    assert_matches_litert(_binary_model(op, sa, sb, dtype, act=act), [a, b],
                          num_threads=num_threads)


@pytest.mark.parametrize("op", BINARY_F32)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_f32(op, sa, sb):
    _check_binary(op, sa, sb, "float32")


@pytest.mark.parametrize("op", BINARY_F32)
@pytest.mark.parametrize("sa,sb", SHAPES_HIGH)
def test_binary_f32_high_rank(op, sa, sb):
    if len(sa) <= MAX_RANK.get(op, 6):
        _check_binary(op, sa, sb, "float32")
        return
    # LiteRT refuses broadcasts of this rank for this op: NumPy is the oracle.
    ka, kb = _kinds(op, "float32")
    a, b = _data(sa, "float32", 0, ka), _data(sb, "float32", 1, kb)
    with np.errstate(all="ignore"):
        want = NUMPY_F32[op](a, b).astype(np.float32)
    got = run_ember(_binary_model(op, sa, sb, "float32"), [a, b])[0]
    assert got.shape == want.shape
    assert_close(got, want, rtol=1e-5)


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL", "DIV"])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("sa,sb", [([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [1, 4]), ([], [5])])
def test_binary_f32_fused_activation(op, act, sa, sb):
    _check_binary(op, sa, sb, "float32", act=act)


INT_CASES = ([("ADD", t) for t in ("int32", "int64")] + [("SUB", t) for t in ("int32", "int64")]
             + [("MUL", t) for t in ("int32", "int64")] + [("DIV", "int32")]
             + [("SQUARED_DIFFERENCE", "int32")]
             + [("MAXIMUM", t) for t in ("int32", "int64", "int8", "uint8", "int16")]
             + [("MINIMUM", t) for t in ("int32", "int64", "int8", "uint8", "int16")]
             + [("POW", "int32")])


@pytest.mark.parametrize("op,dtype", INT_CASES)
@pytest.mark.parametrize("sa,sb", [([2, 3, 4], [2, 3, 4]), ([], [3, 5]), ([3, 5], [1]),
                                   ([2, 3, 1], [1, 3, 4])])
def test_binary_int(op, dtype, sa, sb):
    _check_binary(op, sa, sb, dtype)


@pytest.mark.parametrize("op,dtype", [("ADD", "int32"), ("ADD", "int64"), ("SUB", "int32"),
                                      ("SUB", "int64"), ("MUL", "int32"), ("MUL", "int64"),
                                      ("DIV", "int32")])
@pytest.mark.parametrize("act", ACTS[1:])
def test_binary_int_fused_activation(op, dtype, act):
    _check_binary(op, [2, 3, 4], [4], dtype, act=act)


def test_int32_wraparound_and_div_semantics():
    a = np.array([2147483647, -2147483648, -7, 7, -2147483648, 5], np.int32)
    b = np.array([1, -1, 2, -2, -1, 3], np.int32)
    for op in ["ADD", "SUB", "MUL", "SQUARED_DIFFERENCE", "DIV"]:
        assert_matches_litert(_binary_model(op, [6], [6], "int32"), [a, b])


def test_int32_pow_overflow():
    a = np.array([2, -3, 0, 5, 2, 46341], np.int32)
    b = np.array([3, 3, 0, 0, 31, 2], np.int32)
    assert_matches_litert(_binary_model("POW", [6], [6], "int32"), [a, b])


def _assert_same(model, inputs, num_threads=1):
    """Bit-for-bit equal up to NaN payloads and the sign of zero (handles inf)."""
    want = run_litert(model, inputs)
    got = run_ember(model, inputs, num_threads=num_threads)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_float_special_values():
    nan, inf = np.nan, np.inf
    a = np.array([nan, 1, nan, -0.0, 0.0, 1, -1, inf, 0], np.float32)
    b = np.array([1, nan, nan, 0.0, -0.0, 0, 0, inf, 0], np.float32)
    for op in ["ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "POW", "SQUARED_DIFFERENCE"]:
        _assert_same(_binary_model(op, [9], [9], "float32"), [a, b])


def test_div_f32_by_zero_with_activation():
    a = np.array([-7, 7, 1, 5], np.float32)
    b = np.array([0, -0.0, 0, 3], np.float32)
    _assert_same(_binary_model("DIV", [4], [4], "float32", act="RELU6"), [a, b])


@pytest.mark.parametrize("op", ["ADD", "MUL", "MAXIMUM"])
def test_binary_threads(op):
    # large enough to be split over the pool
    sa, sb = [2, 64, 64, 24], [1, 1, 64, 24]
    _check_binary(op, sa, sb, "float32", num_threads=4)
    _check_binary(op, sa, sa, "float32", num_threads=4, act=None)
    _check_binary(op, [1], sa, "float32", num_threads=3)


def test_binary_const_operand():
    c = _data([1, 1, 8], "float32", 5)
    m = _binary_model("MUL", [2, 3, 8], [1, 1, 8], "float32", const_b=c)
    assert_matches_litert(m, [_data([2, 3, 8], "float32", 1)])


def test_div_int32_zero_divisor_fails_at_invoke():
    m = _binary_model("DIV", [3], [3], "int32")
    it = ember.Interpreter(model_content=m)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], np.array([1, 2, 3], np.int32))
    it.set_tensor(it.get_input_details()[1]["index"], np.array([1, 0, 3], np.int32))
    with pytest.raises(ember.EmberError):
        it.invoke()


def test_div_int32_const_zero_divisor_fails_at_allocate():
    m = _binary_model("DIV", [3], [3], "int32", const_b=np.array([1, 0, 3], np.int32))
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=m).allocate_tensors()


def test_pow_int32_negative_exponent_fails_at_invoke():
    m = _binary_model("POW", [2], [2], "int32")
    it = ember.Interpreter(model_content=m)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], np.array([2, 2], np.int32))
    it.set_tensor(it.get_input_details()[1]["index"], np.array([1, -1], np.int32))
    with pytest.raises(ember.EmberError):
        it.invoke()


def _expect_error(model):
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=model).allocate_tensors()


def test_binary_errors():
    # shapes that do not broadcast
    b = ModelBuilder()
    x, y = b.input("a", [2, 3], "float32"), b.input("b", [4], "float32")
    z = b.tensor("z", [2, 3], "float32")
    b.op("ADD", [x, y], [z])
    b.output(z)
    _expect_error(b.build())
    # mismatched input types
    b = ModelBuilder()
    x, y = b.input("a", [3], "float32"), b.input("b", [3], "int32")
    z = b.tensor("z", [3], "float32")
    b.op("MUL", [x, y], [z])
    b.output(z)
    _expect_error(b.build())
    # unsupported types
    _expect_error(_binary_model("ADD", [3], [3], "bool"))
    _expect_error(_binary_model("DIV", [3], [3], "int64"))
    _expect_error(_binary_model("POW", [3], [3], "int64"))
    _expect_error(_binary_model("SQUARED_DIFFERENCE", [3], [3], "int64"))
    # fused activations TFLite never fuses into arithmetic
    _expect_error(_binary_model("ADD", [3], [3], "float32", act="TANH"))
    # wrong number of inputs
    b = ModelBuilder()
    x = b.input("a", [3], "float32")
    z = b.tensor("z", [3], "float32")
    b.op("ADD", [x], [z])
    b.output(z)
    _expect_error(b.build())


# ---- comparisons -------------------------------------------------------------

COMPARISONS = ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"]


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
@pytest.mark.parametrize("sa,sb", [([2, 3, 4], [2, 3, 4]), ([], [3, 5]), ([3, 5], [1]),
                                   ([2, 3, 1], [1, 3, 4]), ([1, 3, 1, 5], [2, 1, 4, 1])])
def test_comparison(op, dtype, sa, sb):
    a, b = _data(sa, dtype, 0, "small"), _data(sb, dtype, 1, "small")
    assert_matches_litert(_binary_model(op, sa, sb, dtype, out_dtype="bool"), [a, b])


@pytest.mark.parametrize("op", ["EQUAL", "NOT_EQUAL"])
@pytest.mark.parametrize("sa,sb", [([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([], [6])])
def test_comparison_bool(op, sa, sb):
    a, b = _data(sa, "bool", 0), _data(sb, "bool", 1)
    assert_matches_litert(_binary_model(op, sa, sb, "bool", out_dtype="bool"), [a, b])


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparison_nan(op):
    a = np.array([np.nan, 1, np.nan, -0.0, np.inf], np.float32)
    b = np.array([1, np.nan, np.nan, 0.0, np.inf], np.float32)
    assert_matches_litert(_binary_model(op, [5], [5], "float32", out_dtype="bool"), [a, b])


def test_comparison_errors():
    _expect_error(_binary_model("LESS", [3], [3], "float32", out_dtype="float32"))
    _expect_error(_binary_model("LESS", [3], [3], "bool", out_dtype="bool"))
    _expect_error(_binary_model("EQUAL", [2, 3], [2], "float32", out_dtype="bool"))


# ---- logical ---------------------------------------------------------------------

@pytest.mark.parametrize("op", ["LOGICAL_AND", "LOGICAL_OR"])
@pytest.mark.parametrize("sa,sb", [([2, 3, 4], [2, 3, 4]), ([], [3, 5]), ([3, 5], [1]),
                                   ([2, 3, 1], [1, 3, 4])])
def test_logical_binary(op, sa, sb):
    a, b = _data(sa, "bool", 0), _data(sb, "bool", 1)
    assert_matches_litert(_binary_model(op, sa, sb, "bool"), [a, b])


@pytest.mark.parametrize("shape", [[7], [2, 3, 4], []])
def test_logical_not(shape):
    b = ModelBuilder()
    x = b.input("x", shape, "bool")
    y = b.tensor("y", shape, "bool")
    b.op("LOGICAL_NOT", [x], [y])
    b.output(y)
    assert_matches_litert(b.build(), [_data(shape, "bool", 3)])


def test_logical_errors():
    _expect_error(_binary_model("LOGICAL_AND", [3], [3], "float32"))
    b = ModelBuilder()
    x = b.input("x", [3], "int32")
    y = b.tensor("y", [3], "int32")
    b.op("LOGICAL_NOT", [x], [y])
    b.output(y)
    _expect_error(b.build())


# ---- SELECT_V2 -------------------------------------------------------------------

def _select_model(sc, sx, sy, dtype):
    b = ModelBuilder()
    c = b.input("c", sc, "bool")
    x = b.input("x", sx, dtype)
    y = b.input("y", sy, dtype)
    z = b.tensor("z", _bshape(sc, sx, sy), dtype)
    b.op("SELECT_V2", [c, x, y], [z])
    b.output(z)
    return b.build()


@pytest.mark.parametrize("sc,sx,sy", [
    ([2, 3, 4], [2, 3, 4], [2, 3, 4]),
    ([2, 1], [2, 3], [3]),
    ([], [2, 3], [2, 3]),
    ([2, 3], [], []),
    ([1, 3, 1], [2, 1, 4], [2, 3, 1]),
    ([2, 1, 3, 1, 2], [1, 2, 1, 1, 2], [2, 2, 1, 4, 1]),
    ([4], [3, 1], [1]),
])
def test_select_v2_broadcast(sc, sx, sy):
    inputs = [_data(sc, "bool", 0), _data(sx, "float32", 1), _data(sy, "float32", 2)]
    assert_matches_litert(_select_model(sc, sx, sy, "float32"), inputs)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8", "int16", "bool"])
def test_select_v2_types(dtype):
    sc, sx, sy = [2, 1], [2, 3], [3]
    inputs = [_data(sc, "bool", 0), _data(sx, dtype, 1), _data(sy, dtype, 2)]
    assert_matches_litert(_select_model(sc, sx, sy, dtype), inputs)


def test_select_v2_errors():
    b = ModelBuilder()
    c = b.input("c", [3], "float32")
    x = b.input("x", [3], "float32")
    y = b.input("y", [3], "float32")
    z = b.tensor("z", [3], "float32")
    b.op("SELECT_V2", [c, x, y], [z])
    b.output(z)
    _expect_error(b.build())
    _expect_error(_select_model([2], [3], [3], "float32"))


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("op", ["ADD", "MUL", "MAXIMUM"])
@pytest.mark.parametrize("sa,sb", [
    ([3, 37, 41, 13], [13]),                 # per-channel (row blocks of C)
    ([1, 37, 41, 13], [1, 1, 1, 13]),
    ([3, 37, 41, 13], [3, 37, 41, 1]),       # per-pixel scalar
    ([2, 1, 40, 30], [1, 50, 1, 30]),        # blocks end at an outer-dim carry
    ([5, 7], [3, 1, 1, 7]),
])
def test_binary_row_blocks(op, sa, sb, threads):
    """Blocked rows, split over threads mid-row and across odometer carries."""
    a, b = _data(sa, "float32", 0), _data(sb, "float32", 1)
    got = run_ember(_binary_model(op, sa, sb, "float32"), [a, b], num_threads=threads)[0]
    want = {"ADD": np.add, "MUL": np.multiply, "MAXIMUM": np.maximum}[op](a, b)
    np.testing.assert_array_equal(got, want)
