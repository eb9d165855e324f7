"""Reductions (MEAN SUM REDUCE_PROD REDUCE_MAX REDUCE_MIN) and ARG_MAX/ARG_MIN vs LiteRT."""
import numpy as np
import pytest

from ember.schema.builder import ModelBuilder
from oracle import assert_matches_litert, ember as run_ember, litert as run_litert, assert_close

REDUCERS = ["MEAN", "SUM", "REDUCE_PROD", "REDUCE_MAX", "REDUCE_MIN"]
NP = {"MEAN": np.mean, "SUM": np.sum, "REDUCE_PROD": np.prod, "REDUCE_MAX": np.max,
      "REDUCE_MIN": np.min}


def _data(shape, dtype, seed=0, op=None):
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        x = rng.standard_normal(shape).astype(np.float32)
        if op == "REDUCE_PROD":
            x = (0.5 + rng.random(shape)).astype(np.float32) * rng.choice([-1, 1], shape)
        return x.astype(np.float32)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -1000), min(info.max, 1000)
    if op == "REDUCE_PROD":
        lo, hi = -3, 4
    return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)


def _out_shape(shape, axes, keep):
    nd = len(shape)
    red = {a % nd for a in axes} if nd else set()
    out = []
    for d, s in enumerate(shape):
        if d in red:
            if keep:
                out.append(1)
        else:
            out.append(s)
    return out


def _reduce_model(op, shape, dtype, axes, keep, const_axis=True, quant=None, axis_dtype=np.int32):
    b = ModelBuilder()
    x = b.input("x", shape, dtype, quant=quant)
    axes_arr = np.asarray(axes, axis_dtype)
    if const_axis:
        a = b.const("axis", axes_arr)
    else:
        a = b.input("axis", list(axes_arr.shape), np.dtype(axis_dtype).name)
    y = b.tensor("y", _out_shape(shape, axes, keep), dtype, quant=quant)
    b.op(op, [x, a], [y], options=("ReducerOptions", {"keep_dims": keep}))
    b.output(y)
    return b.build(), axes_arr


CASES = [
    ([2, 5, 7, 3], [1, 2]),          # MEAN over H,W of NHWC, the hot case
    ([2, 5, 7, 3], [-3, -2]),        # negative axes
    ([2, 5, 7, 3], [2, 1, 2]),       # duplicates
    ([4, 6], [1]),
    ([4, 6], [0]),
    ([3, 4, 5], [0, 2]),
    ([3, 4, 5], [0, 1, 2]),
    ([6], [0]),
    ([2, 1, 3, 1, 4], [1, 3, 4]),
    ([3, 4], []),                    # empty axis list: copy
    ([2, 3, 4, 5, 2], [0, 3]),
]


@pytest.mark.parametrize("op", REDUCERS)
@pytest.mark.parametrize("shape,axes", CASES)
@pytest.mark.parametrize("keep", [False, True])
def test_reduce_float(op, shape, axes, keep):
    model, _ = _reduce_model(op, shape, "float32", axes, keep)
    assert_matches_litert(model, [_data(shape, "float32", op=op)], rtol=2e-6)


@pytest.mark.parametrize("op", REDUCERS)
@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("shape,axes", [([3, 4, 5], [1]), ([3, 4, 5], [0, 2]), ([4, 6], [-1]),
                                        ([2, 3, 4], [0, 1, 2])])
@pytest.mark.parametrize("keep", [False, True])
def test_reduce_int(op, dtype, shape, axes, keep):
    model, _ = _reduce_model(op, shape, dtype, axes, keep)
    x = _data(shape, dtype, op=op)
    if op == "MEAN":
        x = x - 500  # negative sums: truncation toward zero
    assert_matches_litert(model, [x])


@pytest.mark.parametrize("op", ["REDUCE_MAX", "REDUCE_MIN"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_reduce_maxmin_quantized(op, dtype):
    q = {"scale": [0.5], "zero_point": [0 if dtype == "int16" else 3]}
    model, _ = _reduce_model(op, [2, 4, 5], dtype, [1, 2], False, quant=q)
    assert_matches_litert(model, [_data([2, 4, 5], dtype)])


@pytest.mark.parametrize("op", ["MEAN", "SUM", "REDUCE_MAX"])
@pytest.mark.parametrize("keep", [False, True])
@pytest.mark.parametrize("axis_dtype", [np.int32, np.int64])
def test_reduce_runtime_axis(op, keep, axis_dtype):
    shape, axes = [2, 3, 4], [2, 0]
    model, a = _reduce_model(op, shape, "float32", axes, keep, const_axis=False,
                             axis_dtype=axis_dtype)
    x = _data(shape, "float32")
    if axis_dtype == np.int32:
        assert_matches_litert(model, [x, a], rtol=2e-6)
        return
    # LiteRT refuses int64 axes; TFLite's schema allows them, so check against numpy.
    reduce = {"MEAN": np.mean, "SUM": np.sum, "REDUCE_MAX": np.max}[op]
    want = reduce(x, axis=tuple(axes), keepdims=keep)
    assert_close(run_ember(model, [x, a])[0], want.astype(np.float32), rtol=2e-6)


def test_mean_large_hw_threads():
    """The hot case at model size, single- and multi-threaded."""
    shape = [1, 28, 28, 320]
    model, _ = _reduce_model("MEAN", shape, "float32", [1, 2], True)
    x = _data(shape, "float32", seed=3)
    for nt in (1, 4):
        assert_matches_litert(model, [x], rtol=1e-5, num_threads=nt)
    model, _ = _reduce_model("SUM", [64, 40, 40], "float32", [2], False)
    x = _data([64, 40, 40], "float32", seed=4)
    assert_matches_litert(model, [x], rtol=1e-5, num_threads=4)


def test_reduce_scalar_input():
    b = ModelBuilder()
    x = b.input("x", [], "float32")
    a = b.const("axis", np.asarray([], np.int32))
    y = b.tensor("y", [], "float32")
    b.op("SUM", [x, a], [y], options=("ReducerOptions", {"keep_dims": False}))
    b.output(y)
    assert_matches_litert(b.build(), [np.float32(2.5)])


@pytest.mark.parametrize("axes", [[3], [-4]])
def test_reduce_bad_axis(axes):
    import ember
    model, _ = _reduce_model("SUM", [2, 3, 4], "float32", [0], False)
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], "float32")
    a = b.const("axis", np.asarray(axes, np.int32))
    y = b.tensor("y", [2, 3], "float32")
    b.op("SUM", [x, a], [y], options=("ReducerOptions", {"keep_dims": False}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError):
        it.allocate_tensors()


def test_reduce_bad_type():
    import ember
    b = ModelBuilder()
    x = b.input("x", [2, 3], "float32")
    a = b.const("axis", np.asarray([0], np.int32))
    y = b.tensor("y", [3], "int32")
    b.op("SUM", [x, a], [y], options=("ReducerOptions", {"keep_dims": False}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError):
        it.allocate_tensors()


# ---- ARG_MAX / ARG_MIN -------------------------------------------------------

def _arg_model(op, shape, dtype, axis, out_type, const_axis=True, axis_dtype=np.int32):
    b = ModelBuilder()
    x = b.input("x", shape, dtype)
    axis_arr = np.asarray([axis], axis_dtype)
    a = b.const("axis", axis_arr) if const_axis else b.input("axis", [1], np.dtype(axis_dtype).name)
    nd = len(shape)
    oshape = [s for d, s in enumerate(shape) if d != axis % nd]
    y = b.tensor("y", oshape, out_type)
    table = "ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"
    b.op(op, [x, a], [y], options=(table, {"output_type": out_type.upper()}))
    b.output(y)
    return b.build(), axis_arr


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("shape,axis", [([2, 3, 4], 0), ([2, 3, 4], 1), ([2, 3, 4], -1),
                                        ([10], 0), ([1, 1, 1, 1001], 3), ([3, 5, 2, 2], 2)])
@pytest.mark.parametrize("out_type", ["int32", "int64"])
def test_arg_float(op, shape, axis, out_type):
    model, _ = _arg_model(op, shape, "float32", axis, out_type)
    assert_matches_litert(model, [_data(shape, "float32", seed=5)])


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("dtype", ["int32", "int8", "uint8", "bool"])
def test_arg_types_and_ties(op, dtype):
    shape = [4, 6, 5]
    rng = np.random.default_rng(7)
    if dtype == "bool":
        x = rng.random(shape) > 0.5
    else:
        x = rng.integers(0, 3, shape).astype(dtype)   # many ties
    for axis in (0, 1, 2):
        model, _ = _arg_model(op, shape, dtype, axis, "int32")
        assert_matches_litert(model, [x])


def test_arg_float_ties():
    x = np.array([[1, 3, 3, 0], [2, 2, 2, 2], [-1, -5, -5, 0]], np.float32)
    for op in ("ARG_MAX", "ARG_MIN"):
        for axis in (0, 1):
            model, _ = _arg_model(op, [3, 4], "float32", axis, "int64")
            assert_matches_litert(model, [x])


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("axis_dtype", [np.int32, np.int64])
def test_arg_runtime_axis(op, axis_dtype):
    model, a = _arg_model(op, [3, 4, 5], "float32", 1, "int32", const_axis=False,
                          axis_dtype=axis_dtype)
    assert_matches_litert(model, [_data([3, 4, 5], "float32"), a])


def test_arg_bad_output_type():
    import ember
    b = ModelBuilder()
    x = b.input("x", [3, 4], "float32")
    a = b.const("axis", np.asarray([1], np.int32))
    y = b.tensor("y", [3], "int32")
    b.op("ARG_MAX", [x, a], [y], options=("ArgMaxOptions", {"output_type": "INT64"}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError):
        it.allocate_tensors()


def test_arg_bad_axis():
    import ember
    b = ModelBuilder()
    x = b.input("x", [3, 4], "float32")
    a = b.const("axis", np.asarray([2], np.int32))
    y = b.tensor("y", [3], "int32")
    b.op("ARG_MAX", [x, a], [y], options=("ArgMaxOptions", {"output_type": "INT32"}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError):
        it.allocate_tensors()


# ---- NaN / infinity semantics -----------------------------------------------

_SPECIAL = np.array([[np.nan] + list(range(1, 18)),
                     [1, np.nan, -np.inf] + list(range(3, 18)),
                     [-np.inf] * 18,
                     [np.nan] * 18], np.float32)


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("axis", [0, 1])
def test_arg_nan(op, axis):
    """NaN never wins (TFLite's NaN-aware comparator); all-NaN gives index 0."""
    x = _SPECIAL if axis == 1 else _SPECIAL.T.copy()
    model, _ = _arg_model(op, list(x.shape), "float32", axis, "int32")
    assert_matches_litert(model, [x])


@pytest.mark.parametrize("op", ["REDUCE_MAX", "REDUCE_MIN"])
def test_reduce_maxmin_inf_nan(op):
    """Max of all -inf is -inf (LiteRT's default path; its BUILTIN_REF kernel
    starts from -FLT_MAX instead); NaNs are skipped."""
    x = _SPECIAL[:3]
    model, _ = _reduce_model(op, list(x.shape), "float32", [1], False)
    np.testing.assert_array_equal(run_ember(model, [x])[0], run_litert(model, [x])[0])
