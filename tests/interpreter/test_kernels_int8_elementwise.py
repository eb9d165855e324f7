"""Quantised (int8/uint8/int16) element-wise, activation, softmax and data-movement kernels.

Every case is checked bit for bit against TFLite Micro and LiteRT's BUILTIN_REF
kernels (tests/oracle_int8.py). uint8 cases skip TFLite Micro (it has no uint8
paths for these ops); so do the few variants TFLite Micro computes differently
or lacks, each saying why.
"""
import zlib

import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import ember as run_ember
from oracle_int8 import assert_matches_reference

INFO = {"int8": np.iinfo(np.int8), "uint8": np.iinfo(np.uint8), "int16": np.iinfo(np.int16)}


def q(scale, zp=0):
    return {"scale": [scale], "zero_point": [zp]}


def rand_q(rng, dtype, shape):
    i = INFO[dtype]
    return rng.integers(i.min, i.max + 1, size=shape, dtype=np.int64).astype(dtype)


def check(model, inputs, dtype="int8", *, use_tflm=True):
    return assert_matches_reference(model, inputs, use_tflm=use_tflm and dtype != "uint8")


def refused(model, inputs, match):
    with pytest.raises(ember.EmberError, match=match):
        it = ember.Interpreter(model_content=model)
        it.allocate_tensors()


# ---- binary arithmetic ------------------------------------------------------------

def binary_model(op, dtype, sa, sb, shape_a, shape_b, qa, qb, qy, options=None, out_dtype=None):
    b = ModelBuilder()
    x = b.input("a", list(shape_a), dtype, quant=qa)
    if isinstance(sb, np.ndarray):
        c = b.const("b", sb, quant=qb)
    else:
        c = b.input("b", list(shape_b), dtype, quant=qb)
    oshape = list(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)))
    y = b.tensor("y", oshape, out_dtype or dtype, quant=qy)
    b.op(op, [x, c], [y], options=options)
    b.output(y)
    return b.build()


OPT = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}
SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((1, 5, 1, 3), (2, 1, 4, 1)), ((3, 1), ()),
          ((), (7,))]
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("shapes", range(len(SHAPES)))
def test_add_sub_mul(op, dtype, shapes):
    # A stable seed per case (str hashes change between runs).
    rng = np.random.default_rng(zlib.crc32(f"{op}/{dtype}/{shapes}".encode()))
    sa, sb = SHAPES[shapes]
    sym = dtype == "int16"
    zp = (lambda: 0) if sym else (lambda: int(rng.integers(INFO[dtype].min, INFO[dtype].max + 1)))
    scale = lambda: float(rng.uniform(0.002, 0.2)) * (1 / 128 if sym else 1)  # noqa: E731
    for act in ACTS:
        qa, qb = q(scale(), zp()), q(scale(), zp())
        qy = q(scale() * (2.0 if op != "MUL" else 0.3), zp())
        model = binary_model(op, dtype, None, None, sa, sb, qa, qb, qy,
                             options=(OPT[op], {"fused_activation_function": act,
                                                **({"pot_scale_int16": False} if op != "MUL" else {})}))
        check(model, [rand_q(rng, dtype, sa), rand_q(rng, dtype, sb)], dtype)


@pytest.mark.parametrize("op", ["ADD", "SUB"])
@pytest.mark.parametrize("shift", [(0, 0), (-3, 0), (0, -5), (-1, 0)])
def test_int16_power_of_two_scales(op, shift):
    # With pot_scale_int16 (the schema default) and power-of-two scales LiteRT
    # adds with shifts only; TFLite Micro always takes the general path, so
    # the two oracles disagree and only LiteRT is consulted. LiteRT aborts on
    # a broadcasting int16 pot ADD (its broadcast loop reads the general
    # path's unset parameters), so that case is checked against LiteRT on the
    # inputs broadcast beforehand.
    rng = np.random.default_rng(7)
    so = 2.0 ** -10
    qa, qb, qy = q(so * 2.0 ** shift[0]), q(so * 2.0 ** shift[1]), q(so)
    for act in ACTS:
        opts = (OPT[op], {"fused_activation_function": act})
        full, bshape = (3, 4, 5), (5,)
        model = binary_model(op, "int16", None, None, full, full, qa, qb, qy, options=opts)
        xs = [rand_q(rng, "int16", full), rand_q(rng, "int16", full)]
        assert_matches_reference(model, xs, use_tflm=False)
        bmodel = binary_model(op, "int16", None, None, full, bshape, qa, qb, qy, options=opts)
        xb = rand_q(rng, "int16", bshape)
        want = assert_matches_reference(model, [xs[0], np.broadcast_to(xb, full).copy()],
                                        use_tflm=False)
        got = run_ember(bmodel, [xs[0], xb])
        np.testing.assert_array_equal(got[0], want[0])


def test_int16_pot_bad_shift_refused():
    model = binary_model("ADD", "int16", None, None, (4,), (4,), q(2.0 ** -8), q(2.0 ** -8),
                         q(2.0 ** -10), options=("AddOptions", {}))
    refused(model, [], "power-of-two")


def test_squared_difference_int8():
    rng = np.random.default_rng(3)
    for sa, sb in SHAPES[:4]:
        for _ in range(3):
            qa = q(float(rng.uniform(0.01, 0.1)), int(rng.integers(-128, 128)))
            qb = q(float(rng.uniform(0.01, 0.1)), int(rng.integers(-128, 128)))
            qy = q(float(rng.uniform(0.05, 0.5)), int(rng.integers(-128, 128)))
            model = binary_model("SQUARED_DIFFERENCE", "int8", None, None, sa, sb, qa, qb, qy)
            check(model, [rand_q(rng, "int8", sa), rand_q(rng, "int8", sb)])


def test_binary_const_operand():
    rng = np.random.default_rng(4)
    c = rand_q(rng, "int8", (1, 4))
    model = binary_model("ADD", "int8", None, c, (3, 4), (1, 4), q(0.05, 3), q(0.02, -7),
                         q(0.06, 10), options=("AddOptions", {}))
    check(model, [rand_q(rng, "int8", (3, 4))])


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum(op, dtype):
    rng = np.random.default_rng(5)
    qq = q(0.05 / (128 if dtype == "int16" else 1), 0 if dtype == "int16" else 4)
    for sa, sb in SHAPES[:3]:
        model = binary_model(op, dtype, None, None, sa, sb, qq, qq, qq)
        check(model, [rand_q(rng, dtype, sa), rand_q(rng, dtype, sb)], dtype)


def test_binary_errors():
    bad_zp = binary_model("ADD", "int16", None, None, (4,), (4,), q(0.01, 3), q(0.01), q(0.01),
                          options=("AddOptions", {"pot_scale_int16": False}))
    refused(bad_zp, [], "zero point must be 0")
    noq = binary_model("MUL", "int8", None, None, (4,), (4,), None, q(0.1), q(0.1))
    refused(noq, [], "no quantisation")
    sqd16 = binary_model("SQUARED_DIFFERENCE", "int16", None, None, (4,), (4,), q(0.1), q(0.1),
                         q(0.1))
    refused(sqd16, [], "int8 only")


# ---- activations -----------------------------------------------------------------

def unary_model(op, dtype, shape, qx, qy, options=None, out_dtype=None):
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=qx)
    y = b.tensor("y", list(shape), out_dtype or dtype, quant=qy)
    b.op(op, [x], [y], options=options)
    b.output(y)
    return b.build()


def all_values(dtype):
    """Every value of an 8-bit type, or a sweep of int16 with both ends."""
    i = INFO[dtype]
    if dtype == "int16":
        v = np.concatenate([np.arange(-32768, 32768, 113), [32767, -1, 0, 1]])
        return v.astype(np.int16).reshape(1, -1)
    return np.arange(i.min, i.max + 1).astype(dtype).reshape(2, -1)


IN_Q = {"int8": [(0.1, 3), (0.03, -20), (0.5, 127)], "uint8": [(0.1, 128), (0.04, 10)],
        "int16": [(2.0 ** -12, 0), (1.0 / 3000, 0), (0.001, 0), (2.0 ** -11, 0)]}


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_logistic_tanh(op, dtype):
    if dtype == "int16":
        qy = q(2.0 ** -15)
    elif op == "LOGISTIC":
        qy = q(1 / 256, -128 if dtype == "int8" else 0)
    else:
        qy = q(1 / 128, 0 if dtype == "int8" else 128)
    x = all_values(dtype)
    for s, z in IN_Q[dtype]:
        model = unary_model(op, dtype, x.shape, q(s, z), qy)
        check(model, [x], dtype)


def test_logistic_output_params_refused():
    refused(unary_model("LOGISTIC", "int8", (4,), q(0.1), q(1 / 128, -128)), [], "1/256")
    refused(unary_model("TANH", "int16", (4,), q(2.0 ** -12), q(2.0 ** -14)), [], "2\\^-15")
    refused(unary_model("LOGISTIC", "int16", (4,), q(2.0 ** -12, 5), q(2.0 ** -15)), [],
            "zero point must be 0")


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1"])
def test_relu_family(op, dtype):
    if dtype == "int16" and op in ("RELU_N1_TO_1", "RELU_0_TO_1"):
        refused(unary_model(op, dtype, (4,), q(0.001), q(0.001)), [], "does not support")
        return
    if op == "RELU_0_TO_1":
        pytest.importorskip("tflite_micro")  # TFLM lacks it; LiteRT only below
    x = all_values(dtype)
    rng = np.random.default_rng(11)
    for k in range(4):
        s_in = float(rng.uniform(0.005, 0.1)) / (256 if dtype == "int16" else 1)
        s_out = s_in * float(rng.uniform(0.5, 2.0)) if k else s_in
        zi = 0 if dtype == "int16" else int(rng.integers(INFO[dtype].min, INFO[dtype].max))
        zo = 0 if dtype == "int16" else int(rng.integers(INFO[dtype].min, INFO[dtype].max))
        zo = zo if k else zi
        model = unary_model(op, dtype, x.shape, q(s_in, zi), q(s_out, zo))
        # TFLite Micro has no RELU_0_TO_1 or RELU_N1_TO_1, and its RELU6
        # clamps the raw input without rescaling (assuming equal input and
        # output quantisation), so it is consulted only when they are equal.
        tflm_ok = op == "RELU" or (op == "RELU6" and k == 0)
        check(model, [x], dtype, use_tflm=tflm_ok)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_leaky_relu(dtype):
    x = all_values(dtype)
    sym = dtype == "int16"
    for alpha, s_in, s_out, zi, zo in [(0.2, 0.05, 0.04, 5, -3), (-0.5, 0.02, 0.03, -40, 10),
                                       (1.5, 0.1, 0.1, 0, 0), (0.01, 0.3, 0.2, 100, -100)]:
        if sym:
            s_in, s_out, zi, zo = s_in / 256, s_out / 256, 0, 0
        if dtype == "uint8":
            zi, zo = zi + 128, zo + 128
        model = unary_model("LEAKY_RELU", dtype, x.shape, q(s_in, zi), q(s_out, zo),
                            options=("LeakyReluOptions", {"alpha": alpha}))
        check(model, [x], dtype)


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_hard_swish(dtype):
    x = all_values(dtype)
    off = 128 if dtype == "uint8" else 0
    for s_in, zi, s_out, zo in [(0.05, 0, 0.03, -50), (0.1, 30, 0.05, 10), (0.02, -100, 0.02, -128),
                                (0.6, 5, 0.5, 0)]:
        model = unary_model("HARD_SWISH", dtype, x.shape, q(s_in, zi + off), q(s_out, zo + off))
        check(model, [x], dtype)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("approximate", [False, True])
def test_gelu(dtype, approximate):
    x = all_values(dtype)
    qs = {"int8": [(0.05, 3, 0.03, -60)], "uint8": [(0.05, 128, 0.03, 60)],
          "int16": [(0.0004, 0, 0.0003, 0)]}[dtype]
    for s_in, zi, s_out, zo in qs:
        model = unary_model("GELU", dtype, x.shape, q(s_in, zi), q(s_out, zo),
                            options=("GeluOptions", {"approximate": approximate}))
        check(model, [x], dtype, use_tflm=False)  # TFLite Micro has no GELU


def test_elu_int8():
    # LiteRT's BUILTIN_REF resolver has no ELU (and its default kernel is not
    # a reference), so TFLite Micro alone is the oracle.
    x = all_values("int8")
    for s_in, zi, s_out, zo in [(0.05, 3, 0.03, 20), (0.1, -100, 0.04, 0)]:
        model = unary_model("ELU", "int8", x.shape, q(s_in, zi), q(s_out, zo))
        assert_matches_reference(model, [x], use_litert_ref=False)


# ---- data movement ---------------------------------------------------------------

def movement_model(op, dtype, shape, out_shape, consts=(), options=None, qx=None, qy=None):
    qx = qx or q(0.05, 3 if dtype != "int16" else 0)
    qy = qy or qx
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=qx)
    ins = [x] + [b.const(f"c{i}", c, quant=cq) for i, (c, cq) in enumerate(consts)]
    y = b.tensor("y", list(out_shape), dtype, quant=qy)
    b.op(op, ins, [y], options=options)
    b.output(y)
    return b.build()


I32 = lambda *v: np.array(v, np.int32)  # noqa: E731
MOVES = [
    ("TRANSPOSE", (2, 3, 4), (4, 2, 3), [(I32(2, 0, 1), None)], None),
    ("RESHAPE", (2, 3, 4), (6, 4), [(I32(6, 4), None)], None),
    ("PAD", (2, 3, 4), (2, 5, 7), [(np.array([[0, 0], [1, 1], [2, 1]], np.int32), None)], None),
    ("SPACE_TO_BATCH_ND", (1, 4, 3, 2), (4, 3, 2, 2),
     [(I32(2, 2), None), (np.array([[0, 2], [1, 0]], np.int32), None)], None),
    ("DEPTH_TO_SPACE", (1, 2, 3, 8), (1, 4, 6, 2), [], ("DepthToSpaceOptions", {"block_size": 2})),
    ("SLICE", (3, 4, 5), (2, 2, 3), [(I32(1, 1, 2), None), (I32(2, 2, 3), None)], None),
]


# LiteRT has no int16 SPACE_TO_BATCH_ND / DEPTH_TO_SPACE to compare with.
@pytest.mark.parametrize("case,dtype", [(c, d) for c in range(len(MOVES)) for d in ("int8", "int16")
                                        if d == "int8" or MOVES[c][0] not in
                                        ("SPACE_TO_BATCH_ND", "DEPTH_TO_SPACE")])
def test_data_movement(case, dtype):
    op, shape, out_shape, consts, options = MOVES[case]
    model = movement_model(op, dtype, shape, out_shape, consts, options)
    # TFLite Micro pads SPACE_TO_BATCH_ND with 0 rather than the zero point
    # (LiteRT uses the zero point, i.e. real 0), so only LiteRT is consulted.
    check(model, [rand_q(np.random.default_rng(case), dtype, shape)], dtype,
          use_tflm=op != "SPACE_TO_BATCH_ND")


def test_padv2_constant_and_concat():
    rng = np.random.default_rng(12)
    qq = q(0.05, -7)
    model = movement_model("PADV2", "int8", (2, 3), (4, 4),
                           [(np.array([[1, 1], [0, 1]], np.int32), None),
                            (np.array([9], np.int8), qq)], qx=qq)
    check(model, [rand_q(rng, "int8", (2, 3))])
    bad = movement_model("PADV2", "int8", (2, 3), (4, 4),
                         [(np.array([[1, 1], [0, 1]], np.int32), None),
                          (np.array([9], np.int8), q(0.1, -7))], qx=qq)
    refused(bad, [], "constant value quantisation")
    b = ModelBuilder()
    x1 = b.input("x1", [2, 3], "int8", quant=qq)
    x2 = b.input("x2", [2, 2], "int8", quant=qq)
    y = b.tensor("y", [2, 5], "int8", quant=qq)
    b.op("CONCATENATION", [x1, x2], [y], options=("ConcatenationOptions", {"axis": 1}))
    b.output(y)
    check(b.build(), [rand_q(rng, "int8", (2, 3)), rand_q(rng, "int8", (2, 2))])


def test_pack_needs_equal_quantisation():
    b = ModelBuilder()
    x1 = b.input("x1", [3], "int8", quant=q(0.05, 1))
    x2 = b.input("x2", [3], "int8", quant=q(0.07, 1))
    y = b.tensor("y", [2, 3], "int8", quant=q(0.05, 1))
    b.op("PACK", [x1, x2], [y], options=("PackOptions", {"values_count": 2, "axis": 0}))
    b.output(y)
    refused(b.build(), [], "PACK: an input's quantisation")
    bad = movement_model("SPACE_TO_BATCH_ND", "int8", (1, 4, 4, 1), (4, 2, 2, 1),
                         [(I32(2, 2), None), (np.zeros((2, 2), np.int32), None)],
                         qx=q(0.05, 3), qy=q(0.05, 4))
    refused(bad, [], "SPACE_TO_BATCH_ND: input quantisation")


# ---- comparisons -----------------------------------------------------------------

def test_comparisons_int16_refused():
    b = ModelBuilder()
    x = b.input("a", [3], "int16", quant=q(0.001))
    c = b.input("b", [3], "int16", quant=q(0.001))
    y = b.tensor("y", [3], "bool")
    b.op("LESS", [x, c], [y])
    b.output(y)
    refused(b.build(), [], "does not support")


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("op", ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER",
                                "GREATER_EQUAL"])
def test_comparisons(op, dtype):
    rng = np.random.default_rng(13)
    sym = dtype == "int16"
    off = 128 if dtype == "uint8" else 0
    # equal quantisation (exact ties) and different scales / zero points
    for qa, qb in [(q(0.05, off), q(0.05, off)), (q(0.05, 3 + off), q(0.1, -5 + off)),
                   (q(0.02, 0 + off), q(0.04, 0 + off))]:
        if sym:
            qa, qb = q(qa["scale"][0] / 256), q(qb["scale"][0] / 256)
        for sa, sb in SHAPES[:3]:
            b = ModelBuilder()
            x = b.input("a", list(sa), dtype, quant=qa)
            c = b.input("b", list(sb), dtype, quant=qb)
            y = b.tensor("y", list(np.broadcast_shapes(sa, sb)), "bool")
            b.op(op, [x, c], [y])
            b.output(y)
            xa = np.clip(rand_q(rng, dtype, sa).astype(np.int64) // 4 + off, INFO[dtype].min,
                         INFO[dtype].max).astype(dtype)
            xb = np.clip(rand_q(rng, dtype, sb).astype(np.int64) // 4 + off, INFO[dtype].min,
                         INFO[dtype].max).astype(dtype)
            check(b.build(), [xa, xb], dtype)
