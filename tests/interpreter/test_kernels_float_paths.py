"""Every float fast path against the reference path and LiteRT, on many shapes.

Ember's float convolution family has several engines behind EMBER_KERNEL_PATH
(read at allocate time; the x86 float kernels also when a task starts):
``ref`` (plain loops, the oracle), ``generic`` (portable blocked GEMM and
depthwise rows), ``avx2`` (the same on AVX2+FMA), and ``avx512`` / ``vnni`` /
unset (AVX-512F GEMM tiles and depthwise rows where the CPU has AVX-512F,
otherwise AVX2). Each case runs on every value and checks:

* against LiteRT (XNNPACK) and against Ember's ``ref`` path: within
  max(1e-5, 4e-7 sqrt(K)) of the largest output magnitude (float sums of K
  products in another order: the rounding difference grows like sqrt(K));
* NaN positions equal everywhere;
* ``avx512`` bit-identical to ``avx2``: both add each output's bias and
  products in the same order, one FMA per product, so only the vector width
  differs (this holds on machines without AVX-512 too, trivially).

Shapes cover the engines' edges: column counts around the 16/32-lane tiles
(partial panels, an odd last panel), row counts around the 8-row tiles and
the single-row (matrix-vector) kernel, row blocks just past their cap (the
last two share the rows), depths past the 256-deep K block,
depthwise tiles of 8/4/1 pixels with channel tails, the filters the AVX-512
depthwise rows specialise (3x3, 5x5, stride 1 and 2) and those they hand back
to AVX2 (dilation, other widths), and several threads.
"""
import numpy as np
import pytest

from ember.schema.builder import ModelBuilder
from oracle import assert_close, ember, litert

PATHS = ["ref", "generic", "avx2", "avx512", "vnni", None]   # None: variable unset
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def f32(r, *shape, scale=1.0):
    return (r.standard_normal(shape) * scale).astype(np.float32)


def tol(k):
    return max(1e-5, 4e-7 * np.sqrt(k))


def run_paths(monkeypatch, model, feeds, k, *, num_threads=1, oracle=True):
    """Runs every path; checks each against ref/LiteRT and avx512 against avx2."""
    outs = {}
    for p in PATHS:
        if p is None:
            monkeypatch.delenv("EMBER_KERNEL_PATH", raising=False)
        else:
            monkeypatch.setenv("EMBER_KERNEL_PATH", p)
        outs[p] = ember(model, feeds, num_threads=num_threads)
    monkeypatch.delenv("EMBER_KERNEL_PATH", raising=False)
    want = litert(model, feeds) if oracle else None
    for p, got in outs.items():
        for i, g in enumerate(got):
            if want is not None:
                assert_close(g, want[i], rtol=tol(k), what=f"path {p} vs LiteRT, output {i}")
            assert_close(g, outs["ref"][i], rtol=tol(k), what=f"path {p} vs ref, output {i}")
    for i, (a, b) in enumerate(zip(outs["avx512"], outs["avx2"])):
        assert a.tobytes() == b.tobytes(), f"output {i}: avx512 and avx2 differ in bits"
    for p in ("vnni", None):
        for a, b in zip(outs[p], outs["avx512"]):
            assert a.tobytes() == b.tobytes(), f"path {p} differs from avx512"
    return outs


def conv_model(xs, w, bias, opts, op="CONV_2D", table="Conv2DOptions", const_w=True):
    b = ModelBuilder()
    x = b.input("x", list(xs), "float32")
    wt = b.const("w", w) if const_w else b.input("w", list(w.shape), "float32")
    inputs = [x, wt] + ([b.const("b", bias)] if bias is not None else [])
    y = b.tensor("y", [1], "float32")
    b.op(op, inputs, [y], options=(table, opts))
    b.output(y)
    return b.build()


# ---- CONV_2D -------------------------------------------------------------------------

CONV_CASES = [
    # x shape, (O, KH, KW, C), padding, stride, dilation
    ((1, 10, 10, 8), (16, 1, 1, 8), "VALID", 1, 1),      # 1x1 direct, one full panel
    ((1, 9, 7, 16), (32, 1, 1, 16), "VALID", 1, 1),      # one panel pair
    ((1, 7, 7, 20), (33, 1, 1, 20), "SAME", 1, 1),       # pair + 1-column panel
    ((1, 6, 5, 24), (24, 1, 1, 24), "VALID", 1, 1),      # pair, second half partial
    ((1, 5, 5, 32), (48, 1, 1, 32), "VALID", 1, 1),      # pair + full lone panel
    ((1, 11, 3, 12), (6, 1, 1, 12), "VALID", 1, 1),      # N < 16
    ((1, 4, 4, 7), (108, 1, 1, 7), "VALID", 1, 1),       # 7 panels, K = 7
    ((1, 3, 3, 300), (40, 1, 1, 300), "VALID", 1, 1),    # K = 300 > 256: K blocks
    ((1, 13, 13, 272), (36, 1, 1, 272), "VALID", 1, 1),  # M = 169, K blocks, 3 panels
    ((2, 1, 1, 64), (50, 1, 1, 64), "VALID", 1, 1),      # M = 2
    ((1, 1, 1, 70), (70, 1, 1, 70), "VALID", 1, 1),      # M = 1: matrix-vector kernel
    ((1, 1, 1, 3), (17, 1, 1, 3), "VALID", 1, 1),        # M = 1, K < 4
    ((1, 24, 24, 3), (32, 5, 5, 3), "SAME", 2, 1),       # palm's first layer
    ((1, 16, 16, 3), (24, 3, 3, 3), "SAME", 2, 1),
    ((1, 12, 11, 16), (20, 3, 3, 16), "SAME", 1, 1),     # implicit GEMM, border im2col
    ((1, 9, 9, 32), (64, 3, 3, 32), "VALID", 1, 1),
    ((1, 10, 12, 9), (11, 3, 3, 9), "SAME", 1, 2),       # dilation: im2col
    ((1, 8, 8, 40), (19, 3, 3, 40), "SAME", 2, 1),
    ((1, 5, 6, 100), (9, 3, 3, 100), "SAME", 1, 1),      # K = 900
    ((1, 14, 15, 32), (20, 3, 3, 32), "VALID", 1, 2),    # im2col, M = 110 = cap 108 + 2
    ((1, 7, 7, 672), (40, 1, 1, 672), "VALID", 1, 1),    # M = 49 = cap 48 + 1
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_paths(monkeypatch, case):
    xs, ws, pad, s, d = CONV_CASES[case]
    r = np.random.default_rng(case)
    w = f32(r, *ws, scale=0.3)
    model = conv_model(xs, w, f32(r, ws[0]), {
        "padding": pad, "stride_h": s, "stride_w": s, "dilation_h_factor": d,
        "dilation_w_factor": d, "fused_activation_function": ACTS[case % 4]})
    run_paths(monkeypatch, model, [f32(r, *xs)], ws[1] * ws[2] * ws[3])


def test_conv2d_paths_dynamic_weights(monkeypatch):
    r = np.random.default_rng(40)
    xs, w = (1, 7, 9, 12), f32(r, 35, 3, 3, 12, scale=0.3)
    model = conv_model(xs, w, f32(r, 35), {"padding": "SAME", "stride_h": 1, "stride_w": 1},
                       const_w=False)
    run_paths(monkeypatch, model, [f32(r, *xs), w], 108)


@pytest.mark.parametrize("num_threads", [2, 3])
def test_conv2d_paths_threads(monkeypatch, num_threads):
    r = np.random.default_rng(41)
    for xs, ws, s in (((1, 30, 30, 32), (48, 1, 1, 32), 1), ((2, 20, 19, 16), (40, 3, 3, 16), 2)):
        model = conv_model(xs, f32(r, *ws, scale=0.2), f32(r, ws[0]), {
            "padding": "SAME", "stride_h": s, "stride_w": s, "fused_activation_function": "RELU6"})
        run_paths(monkeypatch, model, [f32(r, *xs)], ws[1] * ws[2] * ws[3], num_threads=num_threads)


def test_conv2d_paths_nan(monkeypatch):
    """NaN inputs stay NaN through every path's clamp (RELU6 here)."""
    r = np.random.default_rng(42)
    xs, ws = (1, 6, 6, 16), (40, 1, 1, 16)
    x = f32(r, *xs)
    x[0, 2, 3, 5] = np.nan
    model = conv_model(xs, f32(r, *ws), f32(r, 40), {
        "padding": "VALID", "stride_h": 1, "stride_w": 1, "fused_activation_function": "RELU6"})
    outs = run_paths(monkeypatch, model, [x], 16)
    assert np.isnan(outs["avx512"][0][0, 2, 3]).all()


# ---- DEPTHWISE_CONV_2D ---------------------------------------------------------------

DW_CASES = [
    # x shape, (KH, KW), padding, (sh, sw), (dh, dw)
    ((1, 12, 21, 16), (3, 3), "SAME", (1, 1), (1, 1)),   # 8 + 8 + 4 + 1 pixel tiles
    ((1, 9, 30, 40), (3, 3), "SAME", (2, 2), (1, 1)),    # 2 full blocks + 8-channel tail
    ((1, 11, 26, 24), (5, 5), "SAME", (1, 1), (1, 1)),   # BlazeFace-like channels
    ((1, 14, 33, 32), (5, 5), "SAME", (2, 2), (1, 1)),   # palm's downsampling layers
    ((2, 10, 19, 3), (3, 3), "VALID", (1, 2), (1, 1)),   # C < 16: masked block only
    ((1, 8, 17, 64), (5, 5), "VALID", (1, 1), (1, 1)),
    ((1, 7, 15, 19), (5, 5), "SAME", (2, 1), (1, 1)),    # stride_h only
    ((1, 6, 6, 256), (5, 5), "SAME", (1, 1), (1, 1)),    # mostly border pixels
    ((1, 12, 16, 20), (3, 3), "SAME", (1, 1), (2, 2)),   # dilation: AVX2 rows
    ((1, 9, 20, 18), (4, 2), "SAME", (1, 1), (1, 1)),    # other widths: AVX2 rows
    ((1, 10, 23, 33), (7, 7), "SAME", (3, 3), (1, 1)),
    ((1, 4, 4, 8), (5, 5), "SAME", (1, 1), (1, 1)),      # window wider than the image
]


@pytest.mark.parametrize("case", range(len(DW_CASES)))
def test_depthwise_paths(monkeypatch, case):
    xs, (kh, kw), pad, (sh, sw), (dh, dw) = DW_CASES[case]
    r = np.random.default_rng(100 + case)
    c = xs[3]
    model = conv_model(xs, f32(r, 1, kh, kw, c, scale=0.3), f32(r, c), {
        "padding": pad, "stride_h": sh, "stride_w": sw, "dilation_h_factor": dh,
        "dilation_w_factor": dw, "depth_multiplier": 1, "fused_activation_function": ACTS[case % 4]},
        op="DEPTHWISE_CONV_2D", table="DepthwiseConv2DOptions")
    run_paths(monkeypatch, model, [f32(r, *xs)], kh * kw)


def test_depthwise_paths_dynamic_weights_threads(monkeypatch):
    r = np.random.default_rng(120)
    xs, w = (2, 13, 18, 37), f32(r, 1, 5, 5, 37, scale=0.3)
    model = conv_model(xs, w, f32(r, 37), {"padding": "SAME", "stride_h": 1, "stride_w": 1,
                                           "depth_multiplier": 1},
                       op="DEPTHWISE_CONV_2D", table="DepthwiseConv2DOptions", const_w=False)
    for nt in (1, 3):
        run_paths(monkeypatch, model, [f32(r, *xs), w], 25, num_threads=nt)


def test_depthwise_paths_no_bias_nan(monkeypatch):
    r = np.random.default_rng(121)
    xs = (1, 9, 18, 20)
    x = f32(r, *xs)
    x[0, 4, 9, 3] = np.nan
    x[0, 0, 0, 17] = np.nan     # a border pixel, a tail channel
    model = conv_model(xs, f32(r, 1, 3, 3, 20), None, {
        "padding": "SAME", "stride_h": 1, "stride_w": 1, "depth_multiplier": 1,
        "fused_activation_function": "RELU"}, op="DEPTHWISE_CONV_2D", table="DepthwiseConv2DOptions")
    # LiteRT's float depthwise insists on a bias: Ember's paths are held to ref alone
    run_paths(monkeypatch, model, [x], 9, oracle=False)


# ---- FULLY_CONNECTED, BATCH_MATMUL, TRANSPOSE_CONV -------------------------------------

FC_CASES = [(1, 1280, 1000), (1, 1152, 63), (1, 5, 1), (3, 40, 31), (9, 64, 48), (64, 256, 256),
            (17, 300, 20), (49, 672, 112), (11, 96, 70)]


@pytest.mark.parametrize("case", range(len(FC_CASES)))
def test_fully_connected_paths(monkeypatch, case):
    batch, k, o = FC_CASES[case]
    r = np.random.default_rng(200 + case)
    b = ModelBuilder()
    x = b.input("x", [batch, k], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("FULLY_CONNECTED", [x, b.const("w", f32(r, o, k, scale=0.1)), b.const("b", f32(r, o))], [y],
         options=("FullyConnectedOptions", {"fused_activation_function": ACTS[case % 4]}))
    b.output(y)
    run_paths(monkeypatch, b.build(), [f32(r, batch, k)], k)


def test_batch_matmul_paths(monkeypatch):
    r = np.random.default_rng(300)
    b = ModelBuilder()
    x = b.input("x", [2, 19, 40], "float32")
    w = b.input("w", [2, 40, 45], "float32")
    y = b.tensor("y", [1], "float32")
    b.op("BATCH_MATMUL", [x, w], [y], options=("BatchMatMulOptions", {}))
    b.output(y)
    run_paths(monkeypatch, b.build(), [f32(r, 2, 19, 40), f32(r, 2, 40, 45)], 40)


def test_transpose_conv_paths(monkeypatch):
    r = np.random.default_rng(301)
    b = ModelBuilder()
    s = b.const("s", np.array([1, 12, 12, 20], np.int32))
    w = b.const("w", f32(r, 20, 3, 3, 24, scale=0.3))
    x = b.input("x", [1, 6, 6, 24], "float32")
    y = b.tensor("y", [1, 12, 12, 20], "float32")
    b.op("TRANSPOSE_CONV", [s, w, x, b.const("b", f32(r, 20))], [y],
         options=("TransposeConvOptions", {"padding": "SAME", "stride_h": 2, "stride_w": 2}),
         version=3)
    b.output(y)
    run_paths(monkeypatch, b.build(), [f32(r, 1, 6, 6, 24)], 24 * 9)


# ---- PRELU -----------------------------------------------------------------------------

PRELU_CASES = [
    # x shape, alpha shape
    ((1, 9, 7, 32), (32,)),          # per channel: blocks of rows
    ((1, 5, 6, 37), (1, 1, 37)),     # per channel with a tail
    ((2, 4, 3, 8), (1,)),            # one alpha for everything
    ((3, 50), (3, 50)),              # alpha per element
    ((2, 6, 5, 3), (6, 1, 3)),       # alpha broadcast over W
    ((4, 1, 19), (4, 7, 1)),         # x broadcast too: output [4, 7, 19]
]


@pytest.mark.parametrize("case", range(len(PRELU_CASES)))
def test_prelu_paths(monkeypatch, case):
    xs, als = PRELU_CASES[case]
    r = np.random.default_rng(400 + case)
    x = f32(r, *xs)
    x.flat[::7] = -0.0
    x.flat[3] = np.nan
    b = ModelBuilder()
    xi = b.input("x", list(xs), "float32")
    y = b.tensor("y", [1], "float32")
    b.op("PRELU", [xi, b.const("a", f32(r, *als, scale=0.5))], [y])
    b.output(y)
    outs = run_paths(monkeypatch, b.build(), [x], 1)
    # one rounding (x * alpha) on every path: exact, as LiteRT
    want = litert(b.build(), [x])[0]
    for p, got in outs.items():
        assert_close(got[0], want, rtol=0.0, what=f"path {p}")
