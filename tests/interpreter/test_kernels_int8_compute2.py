"""Integer paths of TRANSPOSE_CONV, BATCH_MATMUL and L2_NORMALIZATION (int8,
int16x8, uint8 where TFLite has it), bit-exact against TFLite Micro and LiteRT
BUILTIN_REF (tests/oracle_int8.py), on every Ember kernel path
(EMBER_KERNEL_PATH=ref|generic|avx2|vnni: the fast paths must give the same
bits; vnni is the AVX-512 VNNI int8 GEMM where the CPU has it, else avx2)."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle_int8 import assert_matches_reference

QR = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@pytest.fixture(params=["ref", "generic", "avx2", "vnni"])
def path(request, monkeypatch):
    monkeypatch.setenv("EMBER_KERNEL_PATH", request.param)
    return request.param


def qdata(rng, shape, dtype):
    lo, hi = QR[dtype]
    return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)


def act_q(dtype):
    """(input scale, zp, output scale, zp) typical of each variant."""
    if dtype == "int16":
        return 0.0005, 0, 0.002, 0
    if dtype == "uint8":
        return 0.02, 131, 0.1, 117
    return 0.02, -3, 0.1, 5


# ---- TRANSPOSE_CONV ----------------------------------------------------------------

def tconv_model(rng, dtype, in_shape, O, KH, KW, stride, padding, *, per_channel=True, bias=True,
                act=None, bias_type=None):
    N, H, W, C = in_shape
    b = ModelBuilder()
    s_in, z_in, s_out, z_out = act_q(dtype)
    if padding == "SAME":
        OH, OW = H * stride[0], W * stride[1]
    else:
        OH, OW = (H - 1) * stride[0] + KH, (W - 1) * stride[1] + KW
    shape = b.const("shape", np.array([N, OH, OW, O], np.int32))
    if dtype == "uint8":
        w = rng.integers(0, 255, (O, KH, KW, C), endpoint=True).astype(np.uint8)
        ws = np.array([0.01])
        wq = dict(scale=ws, zero_point=[7])
    else:
        w = rng.integers(-127, 127, (O, KH, KW, C), endpoint=True).astype(np.int8)
        ws = rng.uniform(0.002, 0.02, O) if per_channel else np.array([0.01])
        wq = dict(scale=ws, zero_point=np.zeros(len(ws), np.int64), quantized_dimension=0)
    wt = b.const("w", w, quant=wq)
    x = b.input("x", in_shape, dtype, quant=dict(scale=[s_in], zero_point=[z_in]))
    ins = [shape, wt, x]
    if bias:
        bt = bias_type or (np.int64 if dtype == "int16" else np.int32)
        bs = s_in * np.broadcast_to(ws, (O,))
        bq = dict(scale=bs, zero_point=np.zeros(O, np.int64), quantized_dimension=0) if len(ws) > 1 \
            else dict(scale=[bs[0]], zero_point=[0])
        ins.append(b.const("b", rng.integers(-3000, 3000, O).astype(bt), quant=bq))
    y = b.tensor("y", [N, OH, OW, O], dtype, quant=dict(scale=[s_out], zero_point=[z_out]))
    opts = {"padding": padding, "stride_h": stride[0], "stride_w": stride[1]}
    version = 3 if bias else 2
    if act is not None:
        opts["fused_activation_function"] = act
        version = 4
    b.op("TRANSPOSE_CONV", ins, [y], options=("TransposeConvOptions", opts), version=version)
    b.output(y)
    return b.build(), [qdata(rng, in_shape, dtype)]


TCONV_CASES = [
    # in_shape, O, KH, KW, stride, padding
    ([1, 4, 4, 3], 5, 3, 3, (2, 2), "SAME"),
    ([2, 3, 5, 8], 4, 2, 2, (2, 2), "VALID"),
    ([1, 5, 4, 6], 7, 3, 2, (1, 2), "SAME"),
    ([1, 3, 3, 17], 16, 4, 4, (2, 2), "VALID"),
    ([1, 6, 6, 4], 3, 1, 1, (1, 1), "SAME"),
]


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("case", range(len(TCONV_CASES)))
def test_tconv(path, dtype, case):
    in_shape, O, KH, KW, st, pad = TCONV_CASES[case]
    rng = np.random.default_rng(200 + case)
    m, ins = tconv_model(rng, dtype, in_shape, O, KH, KW, st, pad)
    assert_matches_reference(m, ins)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_tconv_per_tensor_no_bias(path, dtype):
    rng = np.random.default_rng(210)
    m, ins = tconv_model(rng, dtype, [1, 4, 3, 5], 6, 3, 3, (2, 1), "SAME", per_channel=False,
                         bias=False)
    assert_matches_reference(m, ins)


@pytest.mark.parametrize("act", ACTS)
def test_tconv_activation(path, act):
    rng = np.random.default_rng(211)
    m, ins = tconv_model(rng, "int8", [1, 4, 4, 3], 4, 3, 3, (2, 2), "SAME", act=act)
    assert_matches_reference(m, ins)


def test_tconv_uint8(path):
    # TFLite Micro has no uint8 TRANSPOSE_CONV: LiteRT BUILTIN_REF only.
    rng = np.random.default_rng(212)
    m, ins = tconv_model(rng, "uint8", [1, 4, 4, 3], 5, 3, 3, (2, 2), "SAME")
    assert_matches_reference(m, ins, use_tflm=False)


def test_tconv_quant_refused():
    b = ModelBuilder()
    shape = b.const("shape", np.array([1, 4, 4, 2], np.int32))
    w = b.const("w", np.ones((2, 3, 3, 2), np.int8))          # no quantisation parameters
    x = b.input("x", [1, 2, 2, 2], "int8", quant=dict(scale=[0.1], zero_point=[0]))
    y = b.tensor("y", [1, 4, 4, 2], "int8", quant=dict(scale=[0.1], zero_point=[0]))
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], options=("TransposeConvOptions", {
        "padding": "SAME", "stride_h": 2, "stride_w": 2}))
    b.output(y)
    with pytest.raises(ember.EmberError, match="weights tensor 'w'.*no quantization"):
        ember.Interpreter(model_content=b.build()).allocate_tensors()


# ---- BATCH_MATMUL ----------------------------------------------------------------------

def bmm_model(rng, dtype, ls, rs, adj_x, adj_y, *, const_rhs=False):
    b = ModelBuilder()
    if dtype == "int16":
        lq, rq, oq = (0.001, 0), (0.0007, 0), (0.004, 0)
    else:
        lq, rq, oq = (0.02, -5), (0.03, 9), (0.15, 3)
    lhs = b.input("lhs", ls, dtype, quant=dict(scale=[lq[0]], zero_point=[lq[1]]))
    rdata = qdata(rng, rs, dtype)
    if const_rhs:
        rhs = b.const("rhs", rdata, quant=dict(scale=[rq[0]], zero_point=[rq[1]]))
    else:
        rhs = b.input("rhs", rs, dtype, quant=dict(scale=[rq[0]], zero_point=[rq[1]]))
    M = ls[-1] if adj_x else ls[-2]
    N = rs[-2] if adj_y else rs[-1]
    batch = np.broadcast_shapes(tuple(ls[:-2]), tuple(rs[:-2]))
    y = b.tensor("y", list(batch) + [M, N], dtype, quant=dict(scale=[oq[0]], zero_point=[oq[1]]))
    b.op("BATCH_MATMUL", [lhs, rhs], [y], options=("BatchMatMulOptions", {"adj_x": adj_x, "adj_y": adj_y}))
    b.output(y)
    ins = [qdata(rng, ls, dtype)] + ([] if const_rhs else [rdata])
    return b.build(), ins


BMM_CASES = [
    # lhs shape, rhs shape, adj_x, adj_y
    ([2, 3, 4], [2, 4, 5], False, False),
    ([3, 7], [7, 6], False, False),
    ([2, 5, 3], [2, 5, 4], True, False),
    ([2, 3, 6], [2, 4, 6], False, True),
    ([1, 6, 3], [1, 5, 6], True, True),
    ([2, 1, 3, 8], [3, 8, 4], False, False),      # broadcast batch dims
    ([4, 2, 9], [1, 9, 3], False, False),
]


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("case", range(len(BMM_CASES)))
def test_batch_matmul(dtype, case):
    ls, rs, ax, ay = BMM_CASES[case]
    rng = np.random.default_rng(300 + case)
    m, ins = bmm_model(rng, dtype, ls, rs, ax, ay)
    assert_matches_reference(m, ins)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_batch_matmul_const_rhs(dtype):
    rng = np.random.default_rng(320)
    m, ins = bmm_model(rng, dtype, [2, 4, 10], [10, 7], False, False, const_rhs=True)
    assert_matches_reference(m, ins)


def test_batch_matmul_int16_zero_point_refused():
    b = ModelBuilder()
    lhs = b.input("lhs", [2, 3], "int16", quant=dict(scale=[0.1], zero_point=[2]))
    rhs = b.input("rhs", [3, 2], "int16", quant=dict(scale=[0.1], zero_point=[0]))
    y = b.tensor("y", [2, 2], "int16", quant=dict(scale=[0.1], zero_point=[0]))
    b.op("BATCH_MATMUL", [lhs, rhs], [y], options=("BatchMatMulOptions", {}))
    b.output(y)
    with pytest.raises(ember.EmberError, match="zero point 0"):
        ember.Interpreter(model_content=b.build()).allocate_tensors()


# ---- L2_NORMALIZATION ------------------------------------------------------------------

def l2_model(dtype, shape, in_q, out_q):
    b = ModelBuilder()
    x = b.input("x", shape, dtype, quant=dict(scale=[in_q[0]], zero_point=[in_q[1]]))
    y = b.tensor("y", shape, dtype, quant=dict(scale=[out_q[0]], zero_point=[out_q[1]]))
    b.op("L2_NORMALIZATION", [x], [y], options=("L2NormOptions", {}))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("shape", [[3, 8], [2, 3, 5], [1, 1], [4, 300], [2, 2, 2, 16]])
@pytest.mark.parametrize("in_zp", [0, -17, 40])
def test_l2norm_int8(shape, in_zp):
    rng = np.random.default_rng(len(shape) * 10 + in_zp)
    m = l2_model("int8", shape, (0.05, in_zp), (1 / 128, 0))
    x = qdata(rng, shape, "int8")
    x.reshape(-1, shape[-1])[0] = in_zp      # an all-zero row (zero norm)
    assert_matches_reference(m, [x])


@pytest.mark.parametrize("shape", [[3, 8], [2, 3, 5], [4, 300]])
@pytest.mark.parametrize("in_zp", [128, 100])
def test_l2norm_uint8(shape, in_zp):
    # TFLite Micro has no uint8 L2_NORMALIZATION: LiteRT BUILTIN_REF only.
    rng = np.random.default_rng(len(shape) + in_zp)
    m = l2_model("uint8", shape, (0.05, in_zp), (1 / 128, 128))
    assert_matches_reference(m, [qdata(rng, shape, "uint8")], use_tflm=False)


@pytest.mark.parametrize("dtype,out_q", [("int8", (1 / 64, 0)), ("int8", (1 / 128, 3)),
                                         ("uint8", (1 / 128, 0))])
def test_l2norm_output_quant_refused(dtype, out_q):
    m = l2_model(dtype, [2, 4], (0.05, 0), out_q)
    with pytest.raises(ember.EmberError, match="scale 1/128"):
        ember.Interpreter(model_content=m).allocate_tensors()


def test_tconv_runtime_output_shape(path):
    # output_shape fed at run time (TensorFlow's converter computes it with
    # SHAPE/STRIDED_SLICE/PACK): the output is sized at invoke.
    rng = np.random.default_rng(213)
    b = ModelBuilder()
    shape = b.input("shape", [4], "int32")
    w = b.const("w", rng.integers(-127, 127, (5, 3, 3, 4), endpoint=True).astype(np.int8),
                quant=dict(scale=rng.uniform(0.002, 0.02, 5), zero_point=np.zeros(5, np.int64),
                           quantized_dimension=0))
    x = b.input("x", [1, 3, 4, 4], "int8", quant=dict(scale=[0.02], zero_point=[-3]))
    y = b.tensor("y", [1, 6, 8, 5], "int8", quant=dict(scale=[0.1], zero_point=[5]))
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], options=("TransposeConvOptions", {
        "padding": "SAME", "stride_h": 2, "stride_w": 2}), version=2)
    b.output(y)
    assert_matches_reference(b.build(), [np.array([1, 6, 8, 5], np.int32), qdata(rng, [1, 3, 4, 4], "int8")])


# ---- the fast int8/uint8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED paths -----------
# test_kernels_int8_compute.py runs these ops on the best path; here every path
# (plain loops, portable GEMM, AVX2 requantisation and direct depthwise, VNNI)
# must give TFLite's bits on shapes that exercise the vector blocks and tails.

def _q(s, z):
    return dict(scale=[s], zero_point=[z])


def fast_conv_model(rng, dtype, in_shape, O, K, stride, padding, *, act="RELU6"):
    N, H, W, C = in_shape
    b = ModelBuilder()
    s_in, z_in, s_out, z_out = act_q(dtype)
    x = b.input("x", in_shape, dtype, quant=_q(s_in, z_in))
    if dtype == "uint8":
        w = b.const("w", rng.integers(0, 255, (O, K, K, C), endpoint=True).astype(np.uint8), quant=_q(0.01, 120))
        bias = b.const("b", rng.integers(-3000, 3000, O).astype(np.int32), quant=_q(s_in * 0.01, 0))
    else:
        ws = rng.uniform(0.002, 0.02, O)
        w = b.const("w", rng.integers(-128, 127, (O, K, K, C), endpoint=True).astype(np.int8),
                    quant=dict(scale=ws, zero_point=np.zeros(O, np.int64), quantized_dimension=0))
        bias = b.const("b", rng.integers(-3000, 3000, O).astype(np.int32),
                       quant=dict(scale=s_in * ws, zero_point=np.zeros(O, np.int64), quantized_dimension=0))
    OH = (H + stride - 1) // stride if padding == "SAME" else (H - K + stride) // stride
    OW = (W + stride - 1) // stride if padding == "SAME" else (W - K + stride) // stride
    y = b.tensor("y", [N, OH, OW, O], dtype, quant=_q(s_out * max(1, np.sqrt(K * K * C) / 4), z_out))
    b.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {
        "padding": padding, "stride_h": stride, "stride_w": stride, "fused_activation_function": act}))
    b.output(y)
    return b.build(), [qdata(rng, in_shape, dtype)]


FAST_CONV = [
    ([1, 6, 7, 40], 37, 1, 1, "VALID"),     # 1x1 direct, ragged blocks
    ([2, 5, 5, 13], 20, 1, 1, "SAME"),      # odd K
    ([1, 9, 8, 24], 33, 3, 2, "SAME"),      # im2col, strided, border taps
    ([1, 7, 7, 64], 16, 3, 1, "VALID"),
    ([1, 4, 4, 3], 8, 3, 1, "SAME"),        # K = 27
]


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("case", range(len(FAST_CONV)))
def test_fast_conv(path, dtype, case):
    in_shape, O, K, st, pad = FAST_CONV[case]
    rng = np.random.default_rng(400 + case)
    m, ins = fast_conv_model(rng, dtype, in_shape, O, K, st, pad)
    assert_matches_reference(m, ins, use_tflm=dtype == "int8")


def fast_dw_model(rng, dtype, in_shape, K, stride, padding, dil=1, act="NONE"):
    N, H, W, C = in_shape
    b = ModelBuilder()
    s_in, z_in, s_out, z_out = act_q(dtype)
    x = b.input("x", in_shape, dtype, quant=_q(s_in, z_in))
    if dtype == "uint8":
        w = b.const("w", rng.integers(0, 255, (1, K, K, C), endpoint=True).astype(np.uint8), quant=_q(0.01, 131))
        bias = b.const("b", rng.integers(-3000, 3000, C).astype(np.int32), quant=_q(s_in * 0.01, 0))
    else:
        ws = rng.uniform(0.002, 0.02, C)
        w = b.const("w", rng.integers(-128, 127, (1, K, K, C), endpoint=True).astype(np.int8),
                    quant=dict(scale=ws, zero_point=np.zeros(C, np.int64), quantized_dimension=3))
        bias = b.const("b", rng.integers(-3000, 3000, C).astype(np.int32),
                       quant=dict(scale=s_in * ws, zero_point=np.zeros(C, np.int64), quantized_dimension=0))
    ek = (K - 1) * dil + 1
    OH = (H + stride - 1) // stride if padding == "SAME" else (H - ek + stride) // stride
    OW = (W + stride - 1) // stride if padding == "SAME" else (W - ek + stride) // stride
    y = b.tensor("y", [N, OH, OW, C], dtype, quant=_q(s_out * 0.5, z_out))
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], options=("DepthwiseConv2DOptions", {
        "padding": padding, "stride_h": stride, "stride_w": stride, "depth_multiplier": 1,
        "dilation_h_factor": dil, "dilation_w_factor": dil, "fused_activation_function": act}))
    b.output(y)
    return b.build(), [qdata(rng, in_shape, dtype)]


FAST_DW = [
    ([1, 7, 6, 40], 3, 1, "SAME", 1),       # two 16-blocks + 8-channel tail
    ([2, 9, 9, 16], 3, 2, "SAME", 1),
    ([1, 8, 8, 32], 5, 1, "SAME", 1),       # 25 taps: odd pair
    ([1, 10, 9, 19], 3, 1, "VALID", 2),     # dilation
    ([1, 5, 5, 7], 2, 1, "SAME", 1),        # tail only
    ([1, 6, 5, 91], 3, 1, "SAME", 1),       # 32-blocks (AVX-512), a 16, an 8 and 3 channels
]


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
@pytest.mark.parametrize("case", range(len(FAST_DW)))
def test_fast_depthwise(path, dtype, case):
    in_shape, K, st, pad, dil = FAST_DW[case]
    rng = np.random.default_rng(500 + case)
    m, ins = fast_dw_model(rng, dtype, in_shape, K, st, pad, dil, act="RELU6" if case % 2 else "NONE")
    assert_matches_reference(m, ins, use_tflm=dtype == "int8")


@pytest.mark.parametrize("batch,K,O", [(1, 45, 37), (33, 64, 20), (3, 300, 9)])
def test_fast_fc(path, batch, K, O):
    rng = np.random.default_rng(600 + K)
    b = ModelBuilder()
    x = b.input("x", [batch, K], "int8", quant=_q(0.02, -3))
    ws = rng.uniform(0.002, 0.02, O)
    w = b.const("w", rng.integers(-128, 127, (O, K), endpoint=True).astype(np.int8),
                quant=dict(scale=ws, zero_point=np.zeros(O, np.int64), quantized_dimension=0))
    bias = b.const("b", rng.integers(-3000, 3000, O).astype(np.int32),
                   quant=dict(scale=0.02 * ws, zero_point=np.zeros(O, np.int64), quantized_dimension=0))
    y = b.tensor("y", [batch, O], "int8", quant=_q(0.1 * np.sqrt(K) / 4, 5))
    b.op("FULLY_CONNECTED", [x, w, bias], [y], options=("FullyConnectedOptions", {}))
    b.output(y)
    # FULLY_CONNECTED: LiteRT BUILTIN_REF requantises in double (see
    # test_kernels_int8_compute.check_fc); TFLite Micro is the exact oracle.
    assert_matches_reference(b.build(), [qdata(rng, [batch, K], "int8")], use_litert_ref=False)


def test_fast_paths_threaded(path):
    """Large enough to split across threads: 2 threads give the 1-thread bits,
    which are LiteRT BUILTIN_REF's (TFLite Micro's default arena is too small
    for these models)."""
    from oracle import ember as run_ember
    rng = np.random.default_rng(700)
    cases = [fast_conv_model(rng, "int8", [1, 16, 16, 32], 40, 3, 1, "SAME"),
             fast_conv_model(rng, "int8", [2, 12, 12, 48], 36, 1, 1, "VALID"),
             fast_dw_model(rng, "int8", [1, 32, 32, 72], 3, 1, "SAME")]
    for m, ins in cases:
        one = assert_matches_reference(m, ins, use_tflm=False)
        two = run_ember(m, ins, num_threads=2)
        np.testing.assert_array_equal(one[0], two[0])
