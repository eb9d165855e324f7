"""Quantised RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, PRELU, SELECT_V2,
ARG_MAX / ARG_MIN, CONCATENATION and unary ops (int8/uint8/int16), bit for bit
against TFLite Micro and LiteRT's BUILTIN_REF kernels (tests/oracle_int8.py).

TFLite Micro lacks several of these paths (uint8 everywhere, int16 bilinear,
...); each case that leaves an oracle out says why.
"""
import zlib

import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle_int8 import assert_matches_reference

INFO = {"int8": np.iinfo(np.int8), "uint8": np.iinfo(np.uint8), "int16": np.iinfo(np.int16)}


def q(scale, zp=0):
    return {"scale": [scale], "zero_point": [zp]}


def rand_q(rng, dtype, shape):
    i = INFO[dtype]
    return rng.integers(i.min, i.max + 1, size=shape, dtype=np.int64).astype(dtype)


def refused(model, match):
    with pytest.raises(ember.EmberError, match=match):
        ember.Interpreter(model_content=model).allocate_tensors()


def seed(*key):
    """A generator seeded by the test's parameters (stable across runs)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# ---- resize ------------------------------------------------------------------------

def resize_model(op, dtype, shape, size, align, half, qx, qy=None, const_size=True):
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=qx)
    s = b.const("size", np.array(size, np.int32)) if const_size else b.input("size", [2], "int32")
    y = b.tensor("y", [shape[0], size[0], size[1], shape[3]], dtype, quant=qy or qx)
    table = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    b.op(op, [x, s], [y], options=(table, {"align_corners": align, "half_pixel_centers": half}))
    b.output(y)
    return b.build()


RESIZES = [((1, 4, 4, 3), (8, 8)), ((2, 5, 3, 2), (3, 7)), ((1, 3, 6, 1), (7, 2)),
           ((1, 1, 1, 4), (3, 3)), ((1, 6, 6, 2), (6, 6)), ((1, 2, 9, 1), (1, 4))]
FLAGS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("flags", FLAGS)
def test_resize(op, dtype, flags):
    rng = seed(op, dtype, flags)
    qx = q(0.05, 3) if dtype == "int8" else q(0.02, 128) if dtype == "uint8" else q(0.001)
    for shape, size in RESIZES:
        model = resize_model(op, dtype, shape, size, *flags, qx)
        # TFLite Micro has no uint8 resize and no int16 bilinear.
        tflm = dtype == "int8" or (dtype == "int16" and op == "RESIZE_NEAREST_NEIGHBOR")
        assert_matches_reference(model, [rand_q(rng, dtype, shape)], use_tflm=tflm)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_resize_bilinear_runtime_size(dtype):
    # size given at run time: the output is resized in eval (LiteRT only:
    # TFLite Micro needs the size constant)
    rng = seed("rt", dtype)
    model = resize_model("RESIZE_BILINEAR", dtype, (1, 3, 4, 2), (5, 9), False, True, q(0.1),
                         const_size=False)
    assert_matches_reference(model, [rand_q(rng, dtype, (1, 3, 4, 2)), np.array([5, 9], np.int32)],
                             use_tflm=False)


def test_resize_quantisation_mismatch_refused():
    for op in ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"]:
        refused(resize_model(op, "int8", (1, 2, 2, 1), (4, 4), False, False, q(0.1, 2), q(0.2, 2)),
                "quantisation differ")


# ---- PRELU -------------------------------------------------------------------------

def prelu_model(dtype, adtype, xshape, ashape, qx, qa, qy, alpha=None):
    b = ModelBuilder()
    x = b.input("x", list(xshape), dtype, quant=qx)
    a = b.const("alpha", alpha, quant=qa) if alpha is not None else \
        b.input("alpha", list(ashape), adtype, quant=qa)
    y = b.tensor("y", list(np.broadcast_shapes(tuple(xshape), tuple(ashape))), dtype, quant=qy)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    return b.build()


PRELU_SHAPES = [((2, 3, 4), (2, 3, 4)), ((1, 4, 4, 3), (3,)), ((1, 4, 4, 3), (1, 1, 3)),
                ((2, 5), (1, 5)), ((6,), ())]


@pytest.mark.parametrize("dtype,adtype", [("int8", "int8"), ("uint8", "uint8"),
                                          ("int16", "int8")])
@pytest.mark.parametrize("shapes", range(len(PRELU_SHAPES)))
def test_prelu(dtype, adtype, shapes):
    rng = seed("prelu", dtype, shapes)
    xs, as_ = PRELU_SHAPES[shapes]
    sym = dtype == "int16"
    for k in range(4):
        zi = 0 if sym else int(rng.integers(INFO[dtype].min, INFO[dtype].max + 1))
        zo = 0 if sym else int(rng.integers(INFO[dtype].min, INFO[dtype].max + 1))
        za = int(rng.integers(INFO[adtype].min, INFO[adtype].max + 1))
        si, sa, so = (2.0 ** -int(rng.integers(4, 9)) for _ in range(3))
        if k == 2:
            si, sa, so = (float(rng.uniform(0.005, 0.2)) for _ in range(3))
        if sym:
            si, so = si / 256, so / 256
        if k == 3:    # a constant alpha (the usual case)
            alpha = rand_q(rng, adtype, as_)
            model = prelu_model(dtype, adtype, xs, as_, q(si, zi), q(sa, za), q(so, zo), alpha)
            inputs = [rand_q(rng, dtype, xs)]
        else:
            model = prelu_model(dtype, adtype, xs, as_, q(si, zi), q(sa, za), q(so, zo))
            inputs = [rand_q(rng, dtype, xs), rand_q(rng, adtype, as_)]
        # TFLite Micro has no uint8 PRELU.
        assert_matches_reference(model, inputs, use_tflm=dtype != "uint8")


def test_prelu_arbitrary_scales():
    # LiteRT derives its multipliers in float, TFLite Micro in double (Ember
    # follows LiteRT); the two could part by one step of the Q31 multiplier,
    # which none of these scales (nor 300 random ones tried) shows.
    rng = seed("prelu-any")
    for _ in range(8):
        si, sa, so = (float(rng.uniform(0.005, 0.2)) for _ in range(3))
        model = prelu_model("int8", "int8", (2, 4, 3), (3,), q(si, 5), q(sa, -20), q(so, -3))
        assert_matches_reference(model, [rand_q(rng, "int8", (2, 4, 3)),
                                         rand_q(rng, "int8", (3,))])


def test_prelu_refused():
    refused(prelu_model("int16", "int16", (4,), (4,), q(0.001), q(0.01), q(0.001)),
            "int16 with int8 alpha")
    refused(prelu_model("int8", "int8", (4,), (4,), q(0.1), None, q(0.1)), "no quantisation")
    refused(prelu_model("int8", "uint8", (4,), (4,), q(0.1), q(0.1), q(0.1)), "does not support")


# ---- SELECT_V2 ---------------------------------------------------------------------

SEL_SHAPES = [((2, 3), (2, 3), (2, 3)), ((3, 1), (1, 4), (3, 4)), ((), (2, 2), (2, 2)),
              ((2, 1, 3), (4, 1), (3,))]


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint8"])
@pytest.mark.parametrize("shapes", range(len(SEL_SHAPES)))
def test_select_v2(dtype, shapes):
    rng = seed("sel", dtype, shapes)
    cs, xs, ys = SEL_SHAPES[shapes]
    qq = q(0.05, 0 if dtype == "int16" else 7)
    b = ModelBuilder()
    c = b.input("c", list(cs), "bool")
    x = b.input("x", list(xs), dtype, quant=qq)
    y = b.input("y", list(ys), dtype, quant=qq)
    o = b.tensor("o", list(np.broadcast_shapes(cs, xs, ys)), dtype, quant=qq)
    b.op("SELECT_V2", [c, x, y], [o])
    b.output(o)
    inputs = [rng.integers(0, 2, size=cs).astype(bool), rand_q(rng, dtype, xs),
              rand_q(rng, dtype, ys)]
    # TFLite Micro has no uint8 SELECT_V2.
    assert_matches_reference(b.build(), inputs, use_tflm=dtype != "uint8")


def test_select_v2_quantisation_mismatch_refused():
    b = ModelBuilder()
    c = b.input("c", [3], "bool")
    x = b.input("x", [3], "int8", quant=q(0.05, 1))
    y = b.input("y", [3], "int8", quant=q(0.07, 1))
    o = b.tensor("o", [3], "int8", quant=q(0.05, 1))
    b.op("SELECT_V2", [c, x, y], [o])
    b.output(o)
    refused(b.build(), "SELECT_V2: y quantisation")


# ---- ARG_MAX / ARG_MIN -------------------------------------------------------------

def arg_model(op, dtype, shape, axis, out="int32"):
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=q(0.1, 0 if dtype == "int16" else 3))
    a = b.const("axis", np.array([axis], np.int32))
    oshape = [d for i, d in enumerate(shape) if i != axis % len(shape)]
    y = b.tensor("y", oshape, out)
    table = "ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"
    b.op(op, [x, a], [y], options=(table, {"output_type": out.upper()}))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_arg_min_max(op, dtype):
    rng = seed("arg", op, dtype)
    for shape, axis in [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), -1), ((2, 3, 5), 1), ((9,), 0)]:
        for out in ["int32", "int64"]:
            x = rand_q(rng, dtype, shape)
            x.reshape(-1)[::3] = INFO[dtype].max   # ties: the first index wins
            # TFLite Micro has no uint8 ARG_MAX/ARG_MIN and int32 output only.
            assert_matches_reference(arg_model(op, dtype, shape, axis, out), [x],
                                     use_tflm=dtype != "uint8" and out == "int32")


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_min_max_int16(op):
    # Neither LiteRT nor TFLite Micro has int16 ARG_MAX/ARG_MIN; the order of
    # the raw integers is the answer, so NumPy (first index on ties) is the
    # oracle.
    rng = seed("arg16", op)
    f = np.argmax if op == "ARG_MAX" else np.argmin
    for shape, axis in [((4, 7), 1), ((2, 3, 5), 0), ((2, 3, 5), -1)]:
        x = rand_q(rng, "int16", shape)
        x.reshape(-1)[::4] = -32768 if op == "ARG_MIN" else 32767
        got = ember.Interpreter(model_content=arg_model(op, "int16", shape, axis))
        got.allocate_tensors()
        got.set_tensor(got.get_input_details()[0]["index"], x)
        got.invoke()
        np.testing.assert_array_equal(got.get_tensor(got.get_output_details()[0]["index"]),
                                      f(x, axis=axis))


# ---- CONCATENATION -----------------------------------------------------------------

def concat_model(dtype, shapes, qs, qy, axis):
    b = ModelBuilder()
    xs = [b.input(f"x{i}", list(s), dtype, quant=qi) for i, (s, qi) in enumerate(zip(shapes, qs))]
    oshape = list(shapes[0])
    oshape[axis] = sum(s[axis] for s in shapes)
    y = b.tensor("y", oshape, dtype, quant=qy)
    b.op("CONCATENATION", xs, [y], options=("ConcatenationOptions", {"axis": axis}))
    b.output(y)
    return b.build()


CONCATS = [([(2, 3), (2, 4)], 1), ([(1, 2, 3), (2, 2, 3), (3, 2, 3)], 0),
           ([(2, 2, 1), (2, 2, 5), (2, 2, 2)], -1), ([(2, 3, 2), (2, 1, 2)], 1)]


@pytest.mark.parametrize("case", range(len(CONCATS)))
def test_concat_uint8_requantises(case):
    # LiteRT rescales uint8 inputs with other parameters (TFLite Micro has no
    # uint8 CONCATENATION).
    rng = seed("cat", case)
    shapes, axis = CONCATS[case]
    for _ in range(3):
        qs = [q(float(rng.uniform(0.01, 0.2)), int(rng.integers(0, 256))) for _ in shapes]
        qs[0] = q(0.05, 100)
        model = concat_model("uint8", shapes, qs, q(0.05, 100), axis % len(shapes[0]))
        assert_matches_reference(model, [rand_q(rng, "uint8", s) for s in shapes], use_tflm=False)


def requant_like_tflite(x, s_in, z_in, s_out, z_out, lo, hi):
    f32 = np.float32
    scale = f32(s_in) * (f32(1) / f32(s_out))
    bias = f32(-z_in) * scale
    v = np.round((x.astype(f32) * scale) + bias).astype(np.int64) + z_out
    return np.clip(v, lo, hi)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_concat_requantises_int8_int16(dtype):
    # LiteRT and TFLite Micro refuse int8 inputs whose parameters differ from
    # the output's and copy int16 ones unscaled; Ember requantises both with
    # TFLite's uint8 formula, reproduced here in float32.
    rng = seed("cat2", dtype)
    i = INFO[dtype]
    sym = dtype == "int16"
    for shapes, axis in CONCATS:
        qs = [(float(rng.uniform(0.01, 0.2)) / (256 if sym else 1),
               0 if sym else int(rng.integers(-128, 128))) for _ in shapes]
        qy = (0.06 / (256 if sym else 1), 0 if sym else -10)
        ax = axis % len(shapes[0])
        model = concat_model(dtype, shapes, [q(*a) for a in qs], q(*qy), ax)
        xs = [rand_q(rng, dtype, s) for s in shapes]
        it = ember.Interpreter(model_content=model)
        it.allocate_tensors()
        for d, x in zip(it.get_input_details(), xs):
            it.set_tensor(d["index"], x)
        it.invoke()
        got = it.get_tensor(it.get_output_details()[0]["index"])
        want = np.concatenate([requant_like_tflite(x, *a, *qy, i.min, i.max)
                               for x, a in zip(xs, qs)], axis=ax)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_concat_same_params(dtype):
    rng = seed("cat3", dtype)
    qq = q(0.03, 0 if dtype == "int16" else -9)
    for shapes, axis in CONCATS:
        model = concat_model(dtype, shapes, [qq] * len(shapes), qq, axis % len(shapes[0]))
        assert_matches_reference(model, [rand_q(rng, dtype, s) for s in shapes])


def test_concat_refused():
    refused(concat_model("int16", [(2,), (3,)], [q(0.01, 1), q(0.01)], q(0.01), 0),
            "int16 zero points must be 0")
    refused(concat_model("int8", [(2,), (3,)], [q(0.01, 1), None], q(0.01), 0),
            "no quantisation")


# ---- unary maths -------------------------------------------------------------------

def unary_model(op, dtype, shape, qx, qy):
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=qx)
    y = b.tensor("y", list(shape), dtype, quant=qy)
    b.op(op, [x], [y])
    b.output(y)
    return b.build()


def all_values(dtype, lo=None):
    """Every int8 value, or a sweep of int16 with both ends (from lo up)."""
    i = INFO[dtype]
    lo = i.min if lo is None else lo
    if dtype == "int16":
        v = np.unique(np.concatenate([np.arange(lo, 32768, 211), [32767, lo, lo + 1, 0, 1]]))
        v = v[v >= lo]
        return v.astype(np.int16).reshape(1, -1)
    return np.arange(lo, i.max + 1).astype(dtype).reshape(1, -1)


# (scale in, zp in, scale out, zp out) for int8; int16 uses the scales / 256, zero points 0
UNARY_Q = [(0.05, 3, 0.05, 3), (0.05, -20, 0.03, 10), (0.1, 100, 0.2, -128), (0.02, 0, 0.07, 5)]


def unary_cases(dtype):
    for si, zi, so, zo in UNARY_Q:
        yield (si / 256, 0, so / 256, 0) if dtype == "int16" else (si, zi, so, zo)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_abs(dtype):
    for si, zi, so, zo in unary_cases(dtype):
        x = all_values(dtype)
        model = unary_model("ABS", dtype, x.shape, q(si, zi), q(so, zo))
        assert_matches_reference(model, [x])


def test_abs_int16_plain_integers():
    x = all_values("int16")
    assert_matches_reference(unary_model("ABS", "int16", x.shape, None, None), [x])


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_neg(dtype):
    # LiteRT's NEG negates raw integers (TFLite Micro has no quantised NEG):
    # with zero points of 0 and equal scales that is the real negation except
    # at the type's minimum, which LiteRT wraps and Ember saturates.
    i = INFO[dtype]
    x = all_values(dtype, lo=i.min + 1)
    s = 0.05 / (256 if dtype == "int16" else 1)
    assert_matches_reference(unary_model("NEG", dtype, x.shape, q(s), q(s)), [x], use_tflm=False)
    plain = unary_model("NEG", dtype, x.shape, None, None)   # plain integers: raw, as LiteRT
    assert_matches_reference(plain, [all_values(dtype)], use_tflm=False)
    got = run(unary_model("NEG", dtype, (3,), q(s), q(s)), [np.array([i.min, -1, 5], dtype)])
    np.testing.assert_array_equal(got, [i.max, 1, -5])
    # other parameters: zp_out + round((x - zp_in) * -s_in / s_out), saturated
    for si, zi, so, zo in unary_cases(dtype):
        x = all_values(dtype)
        got = run(unary_model("NEG", dtype, x.shape, q(si, zi), q(so, zo)), [x]).astype(np.int64)
        want = np.clip(zo + np.round(-(x.astype(np.float64) - zi) * si / so), i.min, i.max)
        assert np.max(np.abs(got - want)) <= 1


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("op", ["EXP", "LOG"])
def test_exp_log_tables(op, dtype):
    # TFLite Micro computes EXP and LOG in float only.
    for si, zi, so, zo in unary_cases(dtype):
        if op == "EXP":
            so = so * 40    # room for exp of the positive inputs
        x = all_values(dtype)
        assert_matches_reference(unary_model(op, dtype, x.shape, q(si, zi), q(so, zo)), [x],
                                 use_tflm=False)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("op", ["RSQRT", "SQRT"])
def test_rsqrt_sqrt(op, dtype):
    # TFLite Micro has quantised RSQRT only (and computes int16 with the int8
    # formula where LiteRT uses a table): it is consulted for int8 RSQRT.
    for si, zi, so, zo in unary_cases(dtype):
        if op == "RSQRT":
            so = 1.0 / (128 * np.sqrt(si)) if dtype == "int8" else so * 4
        x = all_values(dtype, lo=zi)          # both ops refuse negative inputs
        model = unary_model(op, dtype, x.shape, q(si, zi), q(so, zo))
        assert_matches_reference(model, [x], use_tflm=op == "RSQRT" and dtype == "int8")


def run(model, inputs):
    it = ember.Interpreter(model_content=model)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


@pytest.mark.parametrize("op", ["RSQRT", "SQRT"])
def test_rsqrt_sqrt_negative_input_fails(op):
    model = unary_model(op, "int8", (3,), q(0.1, 10), q(0.1, 0))
    with pytest.raises(ember.EmberError, match="negative"):
        run(model, [np.array([12, 9, 30], np.int8)])


@pytest.mark.parametrize("op", ["SQUARE", "SIN", "COS", "FLOOR", "CEIL", "ROUND"])
def test_unary_without_quantised_form_refused(op):
    refused(unary_model(op, "int8", (4,), q(0.1), q(0.1)), "does not support INT8")


def test_unary_refused():
    refused(unary_model("EXP", "int16", (4,), q(0.001, 3), q(0.001)), "zero point must be 0")
    refused(unary_model("LOG", "int8", (4,), None, q(0.1)), "no quantisation")
