"""Oracle tests for the convolution family: CONV_2D, DEPTHWISE_CONV_2D,
TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL, AVERAGE_POOL_2D, MAX_POOL_2D and
MediaPipe's Convolution2DTransposeBias.

Every float case runs on each kernel path (EMBER_KERNEL_PATH=ref|generic|avx2,
read by the kernels at allocate time): the plain-loop reference, the portable
blocked GEMM, and the AVX2 build where the CPU has it. The path actually used is
the best the machine allows, capped by the variable.
"""
import struct

import numpy as np
import pytest

from ember.schema.builder import ModelBuilder
from oracle import assert_close, assert_matches_litert, ember, litert

PATHS = ["ref", "generic", "avx2"]
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    monkeypatch.setenv("EMBER_KERNEL_PATH", request.param)
    return request.param


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(r, *shape, scale=1.0):
    return (r.standard_normal(shape) * scale).astype(np.float32)


def build_conv(x_shape, w, bias, opts, op="CONV_2D", table="Conv2DOptions", version=1,
               const_weights=True, absent_bias=False):
    b = ModelBuilder()
    x = b.input("x", list(x_shape), "float32")
    inputs, feeds = [x], []
    if const_weights:
        wt = b.const("w", w)
    else:
        wt = b.input("w", list(w.shape), "float32")
        feeds.append(w)
    inputs.append(wt)
    if bias is not None:
        inputs.append(b.const("b", bias))
    elif absent_bias:
        inputs.append(-1)     # LiteRT's CONV_2D rejects this form; Ember treats it as no bias
    y = b.tensor("y", [1], "float32")
    b.op(op, inputs, [y], options=(table, opts), version=version)
    b.output(y)
    return b.build(), feeds


# ---- CONV_2D -----------------------------------------------------------------

CONV_CASES = [
    # x_shape, (O, KH, KW, Cg), padding, (sh, sw), (dh, dw)
    ((1, 8, 8, 3), (4, 3, 3, 3), "SAME", (1, 1), (1, 1)),
    ((2, 9, 7, 5), (6, 3, 2, 5), "VALID", (2, 1), (1, 1)),
    ((1, 10, 10, 8), (16, 1, 1, 8), "VALID", (1, 1), (1, 1)),      # direct 1x1
    ((1, 7, 7, 20), (33, 1, 1, 20), "SAME", (1, 1), (1, 1)),       # 1x1, ragged N
    ((1, 9, 9, 8), (8, 1, 1, 8), "SAME", (2, 2), (1, 1)),          # 1x1 strided
    ((1, 12, 11, 4), (5, 3, 3, 4), "SAME", (1, 1), (2, 3)),        # dilation
    ((1, 13, 13, 6), (7, 5, 5, 6), "SAME", (2, 2), (1, 1)),
    ((1, 16, 16, 32), (40, 3, 3, 32), "SAME", (2, 2), (1, 1)),     # K=288 > KC
    ((1, 6, 6, 8), (6, 3, 3, 4), "SAME", (1, 1), (1, 1)),          # grouped: 2 groups
    ((1, 6, 5, 12), (8, 1, 1, 3), "VALID", (1, 1), (1, 1)),        # grouped 1x1: 4 groups
    ((3, 5, 5, 2), (3, 5, 5, 2), "VALID", (1, 1), (1, 1)),         # 1x1 output
    ((1, 5, 6, 400), (9, 3, 3, 400), "SAME", (1, 2), (1, 1)),      # wide filter row: im2col
    ((2, 11, 10, 3), (24, 3, 3, 3), "SAME", (2, 2), (2, 1)),       # dilation_h only
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d(path, case):
    xs, ws, pad, (sh, sw), (dh, dw) = CONV_CASES[case]
    r = rng(case)
    w = f32(r, *ws, scale=0.3)
    bias = f32(r, ws[0])
    act = ACTS[case % len(ACTS)]
    model, feeds = build_conv(xs, w, bias, {
        "padding": pad, "stride_h": sh, "stride_w": sw, "dilation_h_factor": dh,
        "dilation_w_factor": dw, "fused_activation_function": act})
    # Float sums of K = kh*kw*cin products in another order than LiteRT's: the rounding
    # difference grows about like sqrt(K) (K = 3600 in the wide-row case).
    k = ws[1] * ws[2] * ws[3]
    assert_matches_litert(model, [f32(r, *xs)], rtol=max(1e-5, 4e-7 * np.sqrt(k)))


def assert_no_bias_matches(xs, w, opts, r, **kw):
    """Ember without bias (2 inputs, and -1) against LiteRT with a zero bias:
    LiteRT's float CONV_2D insists on a bias tensor."""
    x = f32(r, *xs, scale=2.0)
    want = litert(build_conv(xs, w, np.zeros(w.shape[0] if kw.get("op") != "DEPTHWISE_CONV_2D"
                                             else w.shape[3], np.float32), opts, **kw)[0], [x])[0]
    for absent in (False, True):
        got = ember(build_conv(xs, w, None, opts, absent_bias=absent, **kw)[0], [x])[0]
        assert_close(got, want)


@pytest.mark.parametrize("act", ACTS)
def test_conv2d_activations_no_bias(path, act):
    r = rng(5)
    assert_no_bias_matches((1, 7, 6, 5), f32(r, 9, 3, 3, 5, scale=0.5), {
        "padding": "SAME", "stride_h": 1, "stride_w": 1, "fused_activation_function": act}, r)


def test_conv2d_dynamic_weights(path):
    r = rng(7)
    xs, w = (1, 6, 6, 4), f32(r, 5, 3, 3, 4)
    model, feeds = build_conv(xs, w, f32(r, 5), {"padding": "SAME", "stride_h": 1,
                                                 "stride_w": 1}, const_weights=False)
    assert_matches_litert(model, [f32(r, *xs)] + feeds)


@pytest.mark.parametrize("num_threads", [2, 3])
def test_conv2d_threads(path, num_threads):
    r = rng(9)
    xs = (2, 20, 19, 16)
    for stride in (1, 2):
        model, _ = build_conv(xs, f32(r, 24, 3, 3, 16, scale=0.2), f32(r, 24), {
            "padding": "SAME", "stride_h": stride, "stride_w": stride,
            "fused_activation_function": "RELU6"})
        assert_matches_litert(model, [f32(r, *xs)], num_threads=num_threads)


# ---- DEPTHWISE_CONV_2D -----------------------------------------------------------

DW_CASES = [
    # x_shape, (KH, KW), dm, padding, strides, dilations
    ((1, 8, 8, 16), (3, 3), 1, "SAME", (1, 1), (1, 1)),
    ((1, 9, 9, 19), (3, 3), 1, "SAME", (2, 2), (1, 1)),    # channel tail
    ((2, 10, 7, 32), (5, 5), 1, "VALID", (1, 2), (1, 1)),
    ((1, 12, 12, 24), (3, 3), 1, "SAME", (1, 1), (2, 2)),  # dilation
    ((1, 6, 6, 3), (3, 3), 2, "SAME", (1, 1), (1, 1)),     # depth multiplier
    ((1, 7, 5, 4), (2, 3), 3, "VALID", (2, 1), (1, 2)),
    ((1, 4, 4, 8), (5, 5), 1, "SAME", (1, 1), (1, 1)),     # window wider than image
    ((1, 3, 40, 48), (1, 1), 1, "VALID", (1, 1), (1, 1)),
]


@pytest.mark.parametrize("case", range(len(DW_CASES)))
def test_depthwise(path, case):
    xs, (kh, kw), dm, pad, (sh, sw), (dh, dw) = DW_CASES[case]
    r = rng(100 + case)
    oc = xs[3] * dm
    act = ACTS[case % len(ACTS)]
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw, "depth_multiplier": dm,
            "dilation_h_factor": dh, "dilation_w_factor": dw, "fused_activation_function": act}
    opkw = dict(op="DEPTHWISE_CONV_2D", table="DepthwiseConv2DOptions", version=2)
    if case % 3 == 0:
        assert_no_bias_matches(xs, f32(r, 1, kh, kw, oc), opts, r, **opkw)
        return
    model, _ = build_conv(xs, f32(r, 1, kh, kw, oc), f32(r, oc), opts, **opkw)
    assert_matches_litert(model, [f32(r, *xs)])


def test_depthwise_threads(path):
    r = rng(120)
    xs = (1, 32, 32, 32)
    model, _ = build_conv(xs, f32(r, 1, 3, 3, 32), f32(r, 32), {
        "padding": "SAME", "stride_h": 1, "stride_w": 1, "depth_multiplier": 1},
        op="DEPTHWISE_CONV_2D", table="DepthwiseConv2DOptions")
    assert_matches_litert(model, [f32(r, *xs)], num_threads=2)


# ---- FULLY_CONNECTED ---------------------------------------------------------------

FC_CASES = [
    # x_shape, O, keep_num_dims, bias
    ((1, 16), 10, False, True),
    ((3, 40), 33, False, False),
    ((2, 3, 24), 17, True, True),
    ((2, 3, 24), 17, False, True),       # flattened to [6, 24]
    ((4, 2, 3, 20), 5, True, True),
    ((1, 300), 64, False, True),         # K > KC
    ((7, 9), 1, False, True),
    ((2, 6, 4), 3, False, True),         # K=8 taken across rows: [6, 8]
]


@pytest.mark.parametrize("case", range(len(FC_CASES)))
def test_fully_connected(path, case):
    xs, o, keep, has_bias = FC_CASES[case]
    r = rng(200 + case)
    k = xs[-1] if case != 7 else 8
    b = ModelBuilder()
    x = b.input("x", list(xs), "float32")
    w = b.const("w", f32(r, o, k))
    bias = b.const("b", f32(r, o)) if has_bias else -1
    y = b.tensor("y", [1], "float32")
    b.op("FULLY_CONNECTED", [x, w, bias], [y], options=("FullyConnectedOptions", {
        "keep_num_dims": keep, "fused_activation_function": ACTS[case % len(ACTS)]}),
        version=5 if keep else 1)
    b.output(y)
    assert_matches_litert(b.build(), [f32(r, *xs)])


def test_fully_connected_dynamic_weights(path):
    r = rng(250)
    b = ModelBuilder()
    x = b.input("x", [2, 12], "float32")
    w = b.input("w", [7, 12], "float32")
    y = b.tensor("y", [2, 7], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y], options=("FullyConnectedOptions", {}))
    b.output(y)
    assert_matches_litert(b.build(), [f32(r, 2, 12), f32(r, 7, 12)])


def test_fully_connected_threads(path):
    r = rng(260)
    b = ModelBuilder()
    x = b.input("x", [1, 512], "float32")
    w = b.const("w", f32(r, 1000, 512, scale=0.05))
    y = b.tensor("y", [1, 1000], "float32")
    b.op("FULLY_CONNECTED", [x, w, b.const("b", f32(r, 1000))], [y],
         options=("FullyConnectedOptions", {}))
    b.output(y)
    assert_matches_litert(b.build(), [f32(r, 1, 512)], num_threads=2)


# ---- BATCH_MATMUL -------------------------------------------------------------------

BMM_CASES = [
    # lhs shape, rhs shape, adj_x, adj_y
    ((2, 3), (3, 4), False, False),
    ((2, 5, 7), (2, 7, 3), False, False),
    ((2, 5, 7), (2, 3, 7), False, True),
    ((2, 7, 5), (2, 7, 3), True, False),
    ((2, 7, 5), (2, 3, 7), True, True),
    ((3, 1, 4, 6), (2, 6, 20), False, False),      # broadcast batch dims
    ((4, 6), (2, 3, 6, 5), False, False),          # rank broadcast
    ((2, 1, 9, 40), (3, 40, 17), False, False),
    ((1, 2, 1, 3, 4), (1, 1, 3, 4, 5), False, False),   # rank 5
]


@pytest.mark.parametrize("case", range(len(BMM_CASES)))
@pytest.mark.parametrize("const_rhs", [False, True])
def test_batch_matmul(path, case, const_rhs):
    ls, rs, ax, ay = BMM_CASES[case]
    r = rng(300 + case)
    lhs, rhs = f32(r, *ls), f32(r, *rs)
    b = ModelBuilder()
    x = b.input("x", list(ls), "float32")
    feeds = [lhs]
    if const_rhs:
        w = b.const("w", rhs)
    else:
        w = b.input("w", list(rs), "float32")
        feeds.append(rhs)
    y = b.tensor("y", [1], "float32")
    b.op("BATCH_MATMUL", [x, w], [y], options=("BatchMatMulOptions", {"adj_x": ax, "adj_y": ay}))
    b.output(y)
    assert_matches_litert(b.build(), feeds)


# ---- pooling ---------------------------------------------------------------------------

POOL_CASES = [
    # x_shape, (fh, fw), (sh, sw), padding
    ((1, 8, 8, 3), (2, 2), (2, 2), "VALID"),
    ((2, 9, 7, 5), (3, 3), (2, 2), "SAME"),
    ((1, 5, 5, 17), (3, 2), (1, 1), "SAME"),
    ((1, 7, 7, 4), (7, 7), (1, 1), "VALID"),
    ((1, 4, 6, 2), (5, 5), (3, 2), "SAME"),
]


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pool(op, case):
    xs, (fh, fw), (sh, sw), pad = POOL_CASES[case]
    r = rng(400 + case)
    b = ModelBuilder()
    x = b.input("x", list(xs), "float32")
    y = b.tensor("y", [1], "float32")
    b.op(op, [x], [y], options=("Pool2DOptions", {
        "padding": pad, "stride_h": sh, "stride_w": sw, "filter_height": fh, "filter_width": fw,
        "fused_activation_function": ACTS[case % len(ACTS)]}))
    b.output(y)
    assert_matches_litert(b.build(), [f32(r, *xs, scale=3.0)])


# ---- TRANSPOSE_CONV ------------------------------------------------------------------------

TC_CASES = [
    # x_shape, (O, KH, KW), out HW, padding, strides, bias
    ((1, 4, 4, 3), (5, 3, 3), (8, 8), "SAME", (2, 2), True),
    ((2, 3, 5, 4), (2, 2, 2), (6, 10), "VALID", (2, 2), False),
    ((1, 5, 5, 8), (6, 3, 3), (11, 11), "VALID", (2, 2), True),
    ((1, 6, 4, 2), (3, 4, 3), (6, 4), "SAME", (1, 1), True),
    ((1, 3, 3, 16), (20, 5, 5), (9, 9), "SAME", (3, 3), True),
    ((1, 4, 4, 3), (2, 3, 3), (7, 8), "SAME", (2, 2), True),      # odd output size
]


@pytest.mark.parametrize("case", range(len(TC_CASES)))
@pytest.mark.parametrize("const_shape", [True, False])
def test_transpose_conv(path, case, const_shape):
    xs, (o, kh, kw), (oh, ow), pad, (sh, sw), has_bias = TC_CASES[case]
    r = rng(500 + case)
    b = ModelBuilder()
    oshape = np.array([xs[0], oh, ow, o], np.int32)
    feeds = []
    if const_shape:
        s = b.const("s", oshape)
    else:
        s = b.input("s", [4], "int32")
        feeds.append(oshape)
    w = b.const("w", f32(r, o, kh, kw, xs[3]))
    x = b.input("x", list(xs), "float32")
    feeds.insert(0, f32(r, *xs)) if not const_shape else feeds.append(f32(r, *xs))
    inputs = [s, w, x]
    version = 1
    opts = {"padding": pad, "stride_h": sh, "stride_w": sw}
    if has_bias:
        inputs.append(b.const("b", f32(r, o)))
        version = 3
    if case % 2 == 0:
        opts["fused_activation_function"] = "RELU6" if case else "RELU"
        version = 4
    y = b.tensor("y", [xs[0], oh, ow, o], "float32")
    b.op("TRANSPOSE_CONV", inputs, [y], options=("TransposeConvOptions", opts), version=version)
    b.output(y)
    model = b.build()
    # input order: s (if an input) comes before x in the model's input list
    if not const_shape:
        feeds = [oshape, feeds[0]]
    assert_matches_litert(model, feeds)


# ---- Convolution2DTransposeBias (MediaPipe) -----------------------------------------------

def mp_tconv_options(padding, sw, sh):
    # TfLitePadding: 1 = SAME, 2 = VALID; then stride_width, stride_height
    return struct.pack("<iii", {"SAME": 1, "VALID": 2}[padding], sw, sh)


def np_tconv(x, w, bias, stride, pad, out_hw):
    n, h, wd, ic = x.shape
    o, kh, kw, _ = w.shape
    out = np.zeros((n, out_hw[0], out_hw[1], o), np.float64) + bias
    for iy in range(h):
        for ix in range(wd):
            for ky in range(kh):
                oy = iy * stride[0] - pad[0] + ky
                if not 0 <= oy < out_hw[0]:
                    continue
                for kx in range(kw):
                    ox = ix * stride[1] - pad[1] + kx
                    if 0 <= ox < out_hw[1]:
                        out[:, oy, ox, :] += x[:, iy, ix, :] @ w[:, ky, kx, :].T
    return out.astype(np.float32)


CTB_CASES = [
    # x_shape, (O, KH, KW), padding, strides
    ((1, 8, 8, 16), (1, 2, 2), "SAME", (2, 2)),       # selfie_segmentation's shape class
    ((1, 5, 6, 4), (3, 3, 3), "SAME", (2, 2)),
    ((2, 4, 4, 3), (2, 4, 4), "SAME", (2, 2)),
    ((1, 4, 5, 6), (4, 3, 2), "VALID", (2, 1)),
    ((1, 3, 3, 8), (16, 3, 3), "SAME", (1, 1)),
]


def build_ctb(xs, w, bias, pad, strides, out_shape):
    b = ModelBuilder()
    x = b.input("x", list(xs), "float32")
    y = b.tensor("y", list(out_shape), "float32")    # XNNPACK needs the static shape
    b.op("CUSTOM", [x, b.const("w", w), b.const("b", bias)], [y],
         custom_code="Convolution2DTransposeBias",
         custom_options=mp_tconv_options(pad, strides[1], strides[0]))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("case", range(len(CTB_CASES)))
def test_conv2d_transpose_bias(path, case):
    xs, (o, kh, kw), pad, strides = CTB_CASES[case]
    r = rng(600 + case)
    w, bias, x = f32(r, o, kh, kw, xs[3]), f32(r, o), f32(r, *xs)
    if pad == "SAME":
        out_hw = (xs[1] * strides[0], xs[2] * strides[1])
        p = (max(kh - strides[0], 0) // 2, max(kw - strides[1], 0) // 2)
    else:
        out_hw = ((xs[1] - 1) * strides[0] + kh, (xs[2] - 1) * strides[1] + kw)
        p = (0, 0)
    model = build_ctb(xs, w, bias, pad, strides, (xs[0],) + out_hw + (o,))
    got = ember(model, [x])[0]
    # LiteRT runs this custom op through its XNNPACK delegate.
    want = litert(model, [x])[0]
    assert_close(got, want)
    assert_close(got, np_tconv(x, w, bias, strides, p, out_hw))


# ---- errors ---------------------------------------------------------------------------------

def _expect_error(model, feeds):
    import ember as em
    it = em.Interpreter(model_content=bytes(model))
    with pytest.raises(em.EmberError):
        for d, f in zip(it.get_input_details(), feeds):
            if list(d["shape"]) != list(f.shape):
                it.resize_tensor_input(d["index"], list(f.shape))
        it.allocate_tensors()


def test_conv2d_errors():
    r = rng(700)
    # channels not a multiple of filter channels
    m, _ = build_conv((1, 5, 5, 5), f32(r, 4, 3, 3, 2), None, {"padding": "SAME", "stride_h": 1,
                                                               "stride_w": 1})
    _expect_error(m, [])
    # zero stride
    m, _ = build_conv((1, 5, 5, 2), f32(r, 4, 3, 3, 2), None, {"padding": "SAME", "stride_h": 0,
                                                               "stride_w": 1})
    _expect_error(m, [])
    # bias of the wrong length
    m, _ = build_conv((1, 5, 5, 2), f32(r, 4, 3, 3, 2), f32(r, 3), {"padding": "SAME",
                                                                   "stride_h": 1, "stride_w": 1})
    _expect_error(m, [])
    # VALID window larger than the input
    m, _ = build_conv((1, 2, 2, 2), f32(r, 4, 3, 3, 2), None, {"padding": "VALID", "stride_h": 1,
                                                               "stride_w": 1})
    _expect_error(m, [])


def test_depthwise_errors():
    r = rng(701)
    m, _ = build_conv((1, 5, 5, 4), f32(r, 1, 3, 3, 6), None, {"padding": "SAME", "stride_h": 1,
                      "stride_w": 1, "depth_multiplier": 1}, op="DEPTHWISE_CONV_2D",
                      table="DepthwiseConv2DOptions")
    _expect_error(m, [])
    m, _ = build_conv((1, 5, 5, 4), f32(r, 2, 3, 3, 4), None, {"padding": "SAME", "stride_h": 1,
                      "stride_w": 1, "depth_multiplier": 1}, op="DEPTHWISE_CONV_2D",
                      table="DepthwiseConv2DOptions")
    _expect_error(m, [])


def test_fully_connected_errors():
    r = rng(702)
    b = ModelBuilder()
    x = b.input("x", [2, 7], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("FULLY_CONNECTED", [x, b.const("w", f32(r, 3, 4)), -1], [y],
         options=("FullyConnectedOptions", {}))
    b.output(y)
    _expect_error(b.build(), [])
    b = ModelBuilder()
    x = b.input("x", [2, 4], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("FULLY_CONNECTED", [x, b.const("w", f32(r, 3, 4)), -1], [y],
         options=("FullyConnectedOptions", {"weights_format": "SHUFFLED4x16INT8"}))
    b.output(y)
    _expect_error(b.build(), [])


def test_batch_matmul_errors():
    r = rng(703)
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("BATCH_MATMUL", [x, b.const("w", f32(r, 3, 5, 2))], [y],
         options=("BatchMatMulOptions", {}))
    b.output(y)
    _expect_error(b.build(), [])


def test_int8_refused():
    """int8 CONV_2D runs (tests/interpreter/test_kernels_int8_compute.py); int8
    weights without quantisation parameters are refused, naming the tensor."""
    import ember as em
    q = {"scale": [0.1], "zero_point": [0]}
    b = ModelBuilder()
    x = b.input("x", [1, 4, 4, 2], "int8", quant=q)
    w = b.const("w_noq", np.ones((2, 1, 1, 2), np.int8))
    y = b.tensor("y", [1, 4, 4, 2], "int8", quant=q)
    b.op("CONV_2D", [x, w, -1], [y], options=("Conv2DOptions", {"stride_h": 1, "stride_w": 1}))
    b.output(y)
    it = em.Interpreter(model_content=b.build())
    with pytest.raises(em.EmberError, match="weights tensor 'w_noq'.*no quantization parameters"):
        it.allocate_tensors()


def test_ctb_errors():
    r = rng(704)
    b = ModelBuilder()
    x = b.input("x", [1, 4, 4, 3], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("CUSTOM", [x, b.const("w", f32(r, 2, 2, 2, 3)), b.const("b", f32(r, 2))], [y],
         custom_code="Convolution2DTransposeBias", custom_options=b"\x01\x00\x00\x00")
    b.output(y)
    _expect_error(b.build(), [])


# ---- re-prepare after an input resize ---------------------------------------------------

def test_resize_reprepare(path):
    """One Ember interpreter, resized between invokes: packed weights and
    scratch must follow the new shapes (checked against fresh LiteRT runs)."""
    import ember as em
    r = rng(800)
    b = ModelBuilder()
    x = b.input("x", [1, 8, 8, 4], "float32")
    c1 = b.tensor("c1", [1, 8, 8, 6], "float32")
    b.op("CONV_2D", [x, b.const("w1", f32(r, 6, 3, 3, 4)), b.const("b1", f32(r, 6))], [c1],
         options=("Conv2DOptions", {"padding": "SAME", "stride_h": 1, "stride_w": 1}))
    c2 = b.tensor("c2", [1, 8, 8, 6], "float32")
    b.op("DEPTHWISE_CONV_2D", [c1, b.const("w2", f32(r, 1, 3, 3, 6)), b.const("b2", f32(r, 6))],
         [c2], options=("DepthwiseConv2DOptions", {"padding": "SAME", "stride_h": 1,
                                                   "stride_w": 1, "depth_multiplier": 1}))
    c3 = b.tensor("c3", [1, 8, 8, 5], "float32")
    b.op("FULLY_CONNECTED", [c2, b.const("w3", f32(r, 5, 6)), b.const("b3", f32(r, 5))], [c3],
         options=("FullyConnectedOptions", {"keep_num_dims": True}), version=5)
    b.output(c3)
    model = b.build()
    it = em.Interpreter(model_content=model)
    for shape in ([1, 8, 8, 4], [2, 11, 7, 4], [1, 3, 5, 4], [1, 8, 8, 4]):
        xv = f32(r, *shape)
        idx = it.get_input_details()[0]["index"]
        it.resize_tensor_input(idx, shape)
        it.allocate_tensors()
        it.set_tensor(idx, xv)
        it.invoke()
        got = it.get_tensor(it.get_output_details()[0]["index"])
        assert_close(got, litert(model, [xv])[0])
