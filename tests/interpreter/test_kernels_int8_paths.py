"""Fast int8/uint8 paths of the non-GEMM kernels (ADD/SUB/MUL, PRELU, table-driven
activations, QUANTIZE, MAX/AVERAGE_POOL_2D, RESIZE_BILINEAR, the direct depthwise tap
walk) and whole quantised models equal the scalar reference path bit for bit.

Ember picks a kernel's path in prepare from EMBER_KERNEL_PATH (ref | generic | avx2 |
vnni | avx512, where vnni — also the default — allows the int8 AVX-512 variants on CPUs that have
them). The reference path is the oracle here: it is TFLite's reference integer maths,
itself held bit-exact against LiteRT BUILTIN_REF and TFLite Micro by
test_kernels_int8_elementwise.py and friends (a few cases here check LiteRT too).
Shapes are chosen to hit every vector width's ragged end, the broadcast modes
(same shape, one operand a scalar, a row repeated per pixel) and parameters that
exercise every shift the prepare code can produce.
"""
import os
import zlib

import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle_int8 import litert_ref

FAST = ["generic", "avx2", "avx512", "vnni"]
INFO = {"int8": np.iinfo(np.int8), "uint8": np.iinfo(np.uint8)}


def run(model, inputs, path, threads=1):
    old = os.environ.get("EMBER_KERNEL_PATH")
    os.environ["EMBER_KERNEL_PATH"] = path
    try:
        it = ember.Interpreter(model_content=bytes(model), num_threads=threads)
        it.allocate_tensors()
    finally:
        if old is None:
            del os.environ["EMBER_KERNEL_PATH"]
        else:
            os.environ["EMBER_KERNEL_PATH"] = old
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]))
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def assert_paths_equal(model, inputs, paths=FAST, threads=1):
    """Every fast path gives the reference path's output, bit for bit."""
    want = run(model, inputs, "ref")
    for p in paths:
        got = run(model, inputs, p, threads)
        for i, (g, w) in enumerate(zip(got, want)):
            assert g.dtype == w.dtype and g.shape == w.shape, (p, i)
            if np.issubdtype(w.dtype, np.floating):
                ok = np.array_equal(g.view(np.uint32), w.view(np.uint32))
            else:
                ok = np.array_equal(g, w)
            if not ok:
                bad = np.flatnonzero(g.ravel() != w.ravel())
                raise AssertionError(f"path {p}, output {i}: {bad.size} of {g.size} elements differ "
                                     f"from ref, first at {bad[0]}: {g.ravel()[bad[0]]} != "
                                     f"{w.ravel()[bad[0]]}")
    return want


def seed(*parts):
    return zlib.crc32(repr(parts).encode())


def q(scale, zp=0):
    return {"scale": [float(scale)], "zero_point": [int(zp)]}


def rand_q(rng, dtype, shape):
    i = INFO[dtype]
    return rng.integers(i.min, i.max + 1, size=shape, dtype=np.int64).astype(dtype)


def rand_zp(rng, dtype):
    return int(rng.integers(-20, 21)) if dtype == "int8" else int(rng.integers(100, 156))


# ---- ADD / SUB / MUL ------------------------------------------------------------------

OPT = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}
BIN_SHAPES = [
    ((1, 64, 64, 24), (1, 64, 64, 24)),     # same shape (BlazeFace's residual ADD)
    ((7,), (7,)), ((33,), (33,)), ((2, 3, 47), (2, 3, 47)),   # ragged ends
    ((1, 9, 9, 16), (1, 1, 1, 16)),          # a row repeated per pixel (SE-block MUL)
    ((1, 5, 5, 13), (13,)),                  # ... of odd length
    ((1, 4, 4, 40), ()), ((), (3, 37)),      # one operand a scalar
    ((1, 6, 6, 5), (1, 6, 6, 1)),            # per-pixel scalar against a row
    ((2, 1, 17), (2, 3, 1)),                 # both broadcast
]
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def binary_model(op, dtype, shape_a, shape_b, qa, qb, qy, act, const_b=None):
    b = ModelBuilder()
    x = b.input("a", list(shape_a), dtype, quant=qa)
    c = b.const("b", const_b, quant=qb) if const_b is not None else b.input("b", list(shape_b), dtype, quant=qb)
    y = b.tensor("y", list(np.broadcast_shapes(tuple(shape_a), tuple(shape_b))), dtype, quant=qy)
    b.op(op, [x, c], [y], options=(OPT[op], {"fused_activation_function": act}))
    b.output(y)
    return b.build()


def scales(rng, op):
    """Input/output scales over the ranges real models produce, including equal input
    scales (a rescale of exactly 1/2: shift 0), far-apart ones and, for MUL, output
    scales small enough that the multiplier exceeds 1 (a left shift)."""
    sa = float(10 ** rng.uniform(-3, 0))
    kind = rng.integers(0, 3)
    sb = sa if kind == 0 else float(sa * 10 ** rng.uniform(-2, 2))
    if op == "MUL":
        sy = float(sa * sb * 10 ** rng.uniform(-2.5, 2))
    else:
        sy = float(max(sa, sb) * 10 ** rng.uniform(-0.5, 1.5))
    return sa, sb, sy


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("shapes", BIN_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_binary_paths(op, dtype, shapes):
    rng = np.random.default_rng(seed(op, dtype, shapes))
    for trial in range(3):
        sa, sb, sy = scales(rng, op)
        qa, qb, qy = q(sa, rand_zp(rng, dtype)), q(sb, rand_zp(rng, dtype)), q(sy, rand_zp(rng, dtype))
        act = ACTS[trial % 4] if trial else "NONE"
        m = binary_model(op, dtype, *shapes, qa, qb, qy, act)
        assert_paths_equal(m, [rand_q(rng, dtype, shapes[0]), rand_q(rng, dtype, shapes[1])])


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_binary_extreme_params(op):
    """Zero points at the type's ends, scales 1000x apart, a constant operand."""
    rng = np.random.default_rng(seed("extreme", op))
    shape = (3, 21)
    for sa, sb, sy, za, zb, zy in [(1.0, 0.001, 0.5, -128, 127, -128), (0.001, 1.0, 2.0, 127, -128, 127),
                                  (0.05, 0.05, 0.05, 0, 0, 0), (0.02, 0.03, 1e-4, 5, -7, 0)]:
        m = binary_model(op, "int8", shape, shape, q(sa, za), q(sb, zb), q(sy, zy), "NONE",
                         const_b=rand_q(rng, "int8", shape))
        assert_paths_equal(m, [rand_q(rng, "int8", shape)])


def test_binary_threads_and_litert():
    """A large same-shape ADD split over threads equals one thread and LiteRT BUILTIN_REF."""
    rng = np.random.default_rng(7)
    shape = (1, 96, 96, 32)
    m = binary_model("ADD", "int8", shape, shape, q(0.05, 3), q(0.08, -9), q(0.1, 2), "RELU")
    xs = [rand_q(rng, "int8", shape), rand_q(rng, "int8", shape)]
    want = assert_paths_equal(m, xs, threads=2)
    np.testing.assert_array_equal(want[0], litert_ref(m, xs)[0])


# ---- PRELU ----------------------------------------------------------------------------

PRELU_SHAPES = [((1, 12, 12, 32), (1, 1, 32)), ((1, 5, 7, 13), (13,)), ((2, 3, 40), (2, 3, 40)),
                ((1, 4, 4, 24), (1,)), ((37,), (37,)), ((3, 1, 5), (4, 1))]


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("shapes", PRELU_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_prelu_paths(dtype, shapes):
    rng = np.random.default_rng(seed("prelu", dtype, shapes))
    xs, als = shapes
    for trial in range(4):
        sx = float(10 ** rng.uniform(-2.5, 0))
        sa = float(10 ** rng.uniform(-3, -0.5))
        # output scale from 30x finer than the input's (a left shift) to 10x coarser
        sy = float(sx * 10 ** rng.uniform(-1.5, 1))
        b = ModelBuilder()
        x = b.input("x", list(xs), dtype, quant=q(sx, rand_zp(rng, dtype)))
        alpha = b.const("alpha", rand_q(rng, dtype, als), quant=q(sa, rand_zp(rng, dtype)))
        y = b.tensor("y", list(np.broadcast_shapes(xs, als)), dtype, quant=q(sy, rand_zp(rng, dtype)))
        b.op("PRELU", [x, alpha], [y])
        b.output(y)
        assert_paths_equal(b.build(), [rand_q(rng, dtype, xs)])


# ---- 8-bit activations as tables --------------------------------------------------------

ACT_OPS = {"HARD_SWISH": ("int8", "uint8"), "LEAKY_RELU": ("int8", "uint8"), "RELU": ("int8", "uint8"),
           "RELU6": ("int8", "uint8"), "RELU_N1_TO_1": ("int8", "uint8"), "LOGISTIC": ("int8", "uint8"),
           "TANH": ("int8", "uint8"), "ELU": ("int8",)}


@pytest.mark.parametrize("op,dtype", [(o, t) for o, ts in ACT_OPS.items() for t in ts])
@pytest.mark.parametrize("n", [1, 63, 64, 200, 4099])
def test_activation_paths(op, dtype, n):
    rng = np.random.default_rng(seed("act", op, dtype, n))
    for trial in range(2):
        sx = float(10 ** rng.uniform(-2, -0.5))
        sy = 1 / 256 if op == "LOGISTIC" else float(sx * 10 ** rng.uniform(-0.3, 0.7))
        zy = (-128 if dtype == "int8" else 0) if op == "LOGISTIC" else rand_zp(rng, dtype)
        b = ModelBuilder()
        x = b.input("x", [n], dtype, quant=q(sx, rand_zp(rng, dtype)))
        y = b.tensor("y", [n], dtype, quant=q(sy, zy))
        opts = ("LeakyReluOptions", {"alpha": float(rng.uniform(-1.5, 1.5))}) if op == "LEAKY_RELU" else None
        b.op(op, [x], [y], options=opts)
        b.output(y)
        # every byte value appears (the table covers all 256 inputs)
        xin = rand_q(rng, dtype, [n])
        xin[: min(n, 256)] = np.arange(256, dtype=np.int64)[: min(n, 256)].astype(np.uint8).view(dtype)
        assert_paths_equal(b.build(), [xin])


# ---- MAX_POOL_2D / AVERAGE_POOL_2D --------------------------------------------------------

POOLS = [((1, 16, 16, 28), 2, 2, 2, "VALID"), ((1, 15, 17, 13), 3, 3, 2, "SAME"),
         ((2, 9, 9, 70), 3, 2, 1, "SAME"), ((1, 32, 32, 16), 32, 32, 1, "VALID"),
         ((1, 8, 8, 5), 4, 4, 3, "SAME"), ((1, 7, 7, 96), 7, 7, 1, "VALID")]


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("geom", POOLS, ids=str)
def test_pool_paths(op, dtype, geom):
    shape, fh, fw, stride, padding = geom
    rng = np.random.default_rng(seed("pool", op, dtype, geom))
    for act in ["NONE", "RELU6"]:
        qq = q(float(10 ** rng.uniform(-2, -0.5)), rand_zp(rng, dtype))
        b = ModelBuilder()
        x = b.input("x", list(shape), dtype, quant=qq)
        oh = -(-shape[1] // stride) if padding == "SAME" else (shape[1] - fh) // stride + 1
        ow = -(-shape[2] // stride) if padding == "SAME" else (shape[2] - fw) // stride + 1
        y = b.tensor("y", [shape[0], oh, ow, shape[3]], dtype, quant=qq)
        b.op(op, [x], [y], options=("Pool2DOptions", {"padding": padding, "stride_w": stride, "stride_h": stride,
                                                      "filter_width": fw, "filter_height": fh,
                                                      "fused_activation_function": act}))
        b.output(y)
        assert_paths_equal(b.build(), [rand_q(rng, dtype, shape)])


# ---- QUANTIZE ----------------------------------------------------------------------------

def special_floats(rng, n, scale):
    """Values on and next to rounding ties, huge, infinite and NaN, and ordinary ones."""
    k = rng.integers(-300, 300, n).astype(np.float32)
    v = np.concatenate([
        (k + 0.5) * np.float32(scale), (k - 0.5) * np.float32(scale),
        np.nextafter((k + 0.5) * np.float32(scale), np.float32(0)),
        rng.normal(0, 200 * scale, n), [np.inf, -np.inf, np.nan, 3e38, -3e38, 0.0, -0.0, 1e-30]]).astype(np.float32)
    return v[rng.permutation(v.size)]


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("n", [5, 16, 77, 1000])
def test_quantize_float_paths(dtype, n):
    rng = np.random.default_rng(seed("quantize", dtype, n))
    for trial in range(3):
        scale = float(10 ** rng.uniform(-3, 0))
        x = special_floats(rng, n, scale)
        b = ModelBuilder()
        xi = b.input("x", [x.size], "float32")
        y = b.tensor("y", [x.size], dtype, quant=q(scale, rand_zp(rng, dtype)))
        b.op("QUANTIZE", [xi], [y])
        b.output(y)
        m = b.build()
        want = assert_paths_equal(m, [x])
        # LiteRT converts out-of-int32-range quotients (inf, NaN, 3e38) undefined-ly;
        # Ember clamps them (NaN to the low end): compare the rest
        ok = np.abs(x.astype(np.float64) / scale) < 2.0 ** 31
        np.testing.assert_array_equal(want[0][ok], litert_ref(m, [x])[0][ok])


@pytest.mark.parametrize("src,dst", [("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"), ("uint8", "uint8")])
def test_requantize_paths(src, dst):
    rng = np.random.default_rng(seed("requant", src, dst))
    for trial in range(4):
        si = float(10 ** rng.uniform(-3, 0))
        so = float(si * 10 ** rng.uniform(-1.5, 1.5))
        b = ModelBuilder()
        x = b.input("x", [300], src, quant=q(si, rand_zp(rng, src)))
        y = b.tensor("y", [300], dst, quant=q(so, rand_zp(rng, dst)))
        b.op("QUANTIZE", [x], [y])
        b.output(y)
        xin = rand_q(rng, src, [300])
        xin[:256] = np.arange(256).astype(np.uint8).view(src)
        assert_paths_equal(b.build(), [xin])


# ---- RESIZE_BILINEAR ---------------------------------------------------------------------

RESIZES = [((1, 16, 16, 128), (32, 32)), ((1, 5, 7, 13), (11, 3)), ((2, 4, 4, 24), (9, 15)),
           ((1, 3, 3, 8), (1, 1)), ((1, 6, 6, 17), (6, 6))]


@pytest.mark.parametrize("geom", RESIZES, ids=str)
@pytest.mark.parametrize("mode", ["plain", "align_corners", "half_pixel_centers"])
def test_resize_bilinear_int8_paths(geom, mode):
    shape, size = geom
    rng = np.random.default_rng(seed("resize", geom, mode))
    qq = q(0.05, int(rng.integers(-10, 10)))
    b = ModelBuilder()
    x = b.input("x", list(shape), "int8", quant=qq)
    s = b.const("size", np.array(size, np.int32))
    y = b.tensor("y", [shape[0], *size, shape[3]], "int8", quant=qq)
    b.op("RESIZE_BILINEAR", [x, s], [y], options=("ResizeBilinearOptions", {
        "align_corners": mode == "align_corners", "half_pixel_centers": mode == "half_pixel_centers"}))
    b.output(y)
    xs = [rand_q(rng, "int8", shape)]
    m = b.build()
    want = assert_paths_equal(m, xs, threads=2)
    np.testing.assert_array_equal(want[0], litert_ref(m, xs)[0])


# ---- DEPTHWISE_CONV_2D (direct int8 path: taps moved along a row) ------------------------------

DW = [((1, 12, 12, 24), 3, 1, 1, "SAME"), ((1, 13, 11, 32), 5, 1, 1, "SAME"), ((1, 14, 14, 16), 3, 2, 1, "SAME"),
      ((1, 9, 10, 40), 5, 2, 1, "VALID"), ((2, 11, 9, 13), 3, 1, 2, "SAME"), ((1, 7, 16, 64), 3, 3, 1, "VALID"),
      ((1, 6, 6, 8), 5, 1, 1, "SAME")]


@pytest.mark.parametrize("geom", DW, ids=str)
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_depthwise_paths(geom, dtype):
    shape, k, stride, dil, padding = geom
    C = shape[3]
    rng = np.random.default_rng(seed("dw", geom, dtype))
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=q(0.05, rand_zp(rng, dtype)))
    if dtype == "int8":
        w = b.const("w", rng.integers(-127, 128, (1, k, k, C)).astype(np.int8),
                    quant={"scale": list(rng.uniform(0.002, 0.02, C)), "zero_point": [0] * C,
                           "quantized_dimension": 3})
    else:
        w = b.const("w", rng.integers(0, 256, (1, k, k, C)).astype(np.uint8), quant=q(0.01, 128))
    bias = b.const("b", rng.integers(-2000, 2000, C).astype(np.int32),
                   quant={"scale": [0.0005] * C, "zero_point": [0] * C})
    eff = (k - 1) * dil + 1
    oh = -(-shape[1] // stride) if padding == "SAME" else (shape[1] - eff) // stride + 1
    ow = -(-shape[2] // stride) if padding == "SAME" else (shape[2] - eff) // stride + 1
    y = b.tensor("y", [shape[0], oh, ow, C], dtype, quant=q(0.1, rand_zp(rng, dtype)))
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], options=("DepthwiseConv2DOptions", {
        "padding": padding, "stride_w": stride, "stride_h": stride, "depth_multiplier": 1,
        "dilation_w_factor": dil, "dilation_h_factor": dil, "fused_activation_function": "RELU6"}))
    b.output(y)
    xs = [rand_q(rng, dtype, shape)]
    m = b.build()
    want = assert_paths_equal(m, xs, threads=2)
    np.testing.assert_array_equal(want[0], litert_ref(m, xs)[0])


# ---- whole models ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["face_detection_short_range.tflite", "hand_landmark_lite.tflite",
                                  "palm_detection_lite.tflite", "selfie_segmentation.tflite"])
def test_real_models_int8_paths(name):
    """The four real models quantised to int8 by Ember give the same bits on every path."""
    import warnings

    from real_models import INPUT_RANGE, model_file

    path = model_file(name)
    shape = [int(d) for d in ember.Interpreter(model_path=str(path)).get_input_details()[0]["shape"]]
    lo, hi = INPUT_RANGE[name]
    rng = np.random.default_rng(seed("real", name))

    def image_like(n):
        # 8x8 blocks of colour plus noise in the model's input range, as the quantiser tests use
        small = rng.uniform(lo, hi, [n, 8, 8, shape[3]])
        x = np.repeat(np.repeat(small, -(-shape[1] // 8), 1), -(-shape[2] // 8), 2)[:, :shape[1], :shape[2]]
        return np.clip(x + rng.normal(0, 0.05 * (hi - lo), x.shape), lo, hi).astype(np.float32)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qm = ember.convert(path.read_bytes(), quantize="int8", calibration=image_like(3))
    assert_paths_equal(qm, [image_like(1)])
