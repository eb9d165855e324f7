"""Hybrid (dynamic-range) FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: float32
input and output, int8 symmetric constant weights (per-tensor or per-channel),
inputs quantised on the fly per batch row / image as LiteRT does.

The outputs are floats, so they are compared by tolerance, relative to
max|output|:
- LiteRT BUILTIN_REF runs the same arithmetic (same int8 inputs and scales,
  exact integer sums): only the float rescale's rounding order can differ.
  Measured over these cases: max 1.1e-7 relative (mostly 0, bit-identical).
- LiteRT's default kernels hand hybrid FULLY_CONNECTED / CONV_2D to XNNPACK,
  which quantises the inputs its own way (asymmetric per row), so it differs
  from its own BUILTIN_REF by input-quantisation noise: measured max 1.6%
  relative here (3.6% where RELU_N1_TO_1 clips the outputs to [-1, 1]), the
  same size as LiteRT default vs LiteRT BUILTIN_REF.
(EMBER_HYBRID_REPORT=1 pytest -s prints both errors per case.)
Every Ember kernel path runs (EMBER_KERNEL_PATH=ref|generic|avx2) and the
paths must agree bit for bit.
"""
import os

import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import ember as run_ember, litert

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
# Relative to max|output| (see the module docstring for measured values).
RTOL_REF = 1e-6        # same arithmetic: float rounding order only
RTOL_DEFAULT = 5e-2    # XNNPACK's own input quantisation


def rel_err(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype == np.float32
    return float(np.max(np.abs(got - want), initial=0)) / max(float(np.max(np.abs(want), initial=0)), 1e-30)


def close(model, inputs, *, default_too=True):
    """Ember vs LiteRT BUILTIN_REF (tight) and LiteRT default (loose); returns
    Ember's outputs and the two largest relative errors."""
    got = run_ember(model, inputs)
    ref = litert(model, inputs, reference=True)
    e_ref = max(rel_err(g, w) for g, w in zip(got, ref))
    assert e_ref <= RTOL_REF, f"vs LiteRT BUILTIN_REF: relative error {e_ref:.3g} > {RTOL_REF}"
    e_def = 0.0
    if default_too:
        e_def = max(rel_err(g, w) for g, w in zip(got, litert(model, inputs)))
        assert e_def <= RTOL_DEFAULT, f"vs LiteRT default: relative error {e_def:.3g} > {RTOL_DEFAULT}"
    if os.environ.get("EMBER_HYBRID_REPORT"):
        print(f"\nHYBRID e_ref={e_ref:.3g} e_def={e_def:.3g}")
    return got, (e_ref, e_def)


def paths_agree(model, inputs, monkeypatch):
    outs = []
    for p in ["ref", "generic", "avx2"]:
        monkeypatch.setenv("EMBER_KERNEL_PATH", p)
        outs.append(run_ember(model, inputs))
    monkeypatch.delenv("EMBER_KERNEL_PATH")
    for o in outs[1:]:
        for a, b in zip(outs[0], o):
            np.testing.assert_array_equal(a, b)
    return outs[0]


def qw(rng, b, name, shape, per_channel, qdim):
    w = rng.integers(-127, 127, shape, endpoint=True).astype(np.int8)
    n = shape[qdim]
    if per_channel:
        q = dict(scale=rng.uniform(0.002, 0.02, n), zero_point=np.zeros(n, np.int64), quantized_dimension=qdim)
    else:
        q = dict(scale=[0.01], zero_point=[0])
    return b.const(name, w, quant=q)


def finput(rng, shape, offset=0.0):
    return (rng.standard_normal(shape) + offset).astype(np.float32)


# ---- FULLY_CONNECTED -----------------------------------------------------------------

def fc_model(rng, in_shape, O, *, per_channel, asym, act="NONE", bias=True, keep=False):
    K = in_shape[-1]
    b = ModelBuilder()
    x = b.input("x", in_shape, "float32")
    ins = [x, qw(rng, b, "w", (O, K), per_channel, 0)]
    if bias:
        ins.append(b.const("b", rng.standard_normal(O).astype(np.float32)))
    rows = int(np.prod(in_shape)) // K
    y = b.tensor("y", list(in_shape[:-1]) + [O] if keep else [rows, O], "float32")
    b.op("FULLY_CONNECTED", ins, [y], options=("FullyConnectedOptions", {
        "fused_activation_function": act, "keep_num_dims": keep, "asymmetric_quantize_inputs": asym}))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("asym", [False, True])
@pytest.mark.parametrize("in_shape,O", [([1, 16], 8), ([5, 37], 19), ([40, 64], 33), ([2, 3, 24], 10)])
def test_fc_hybrid(per_channel, asym, in_shape, O, monkeypatch):
    rng = np.random.default_rng(sum(in_shape) + O)
    m = fc_model(rng, in_shape, O, per_channel=per_channel, asym=asym, keep=len(in_shape) > 2)
    # rows with different ranges (and an all-positive row: the asymmetric zero point moves)
    x = finput(rng, in_shape) * rng.uniform(0.1, 10, in_shape[:-1] + [1]).astype(np.float32)
    x.reshape(-1, in_shape[-1])[0] = np.abs(x.reshape(-1, in_shape[-1])[0]) + 0.5
    ins = [x]
    paths_agree(m, ins, monkeypatch)
    close(m, ins)


@pytest.mark.parametrize("act", ACTS)
def test_fc_hybrid_activation(act):
    rng = np.random.default_rng(7)
    m = fc_model(rng, [3, 20], 9, per_channel=True, asym=False, act=act)
    close(m, [finput(rng, [3, 20])])


def test_fc_hybrid_no_bias_zero_input():
    rng = np.random.default_rng(8)
    m = fc_model(rng, [4, 12], 6, per_channel=False, asym=True, bias=False)
    x = finput(rng, [4, 12])
    x[1] = 0.0     # an all-zero row: scale 1, zero point 0
    close(m, [x])
    got, _ = close(m, [np.zeros((4, 12), np.float32)])
    assert not np.any(got[0])


# ---- CONV_2D ---------------------------------------------------------------------------

def conv_model(rng, in_shape, O, KH, KW, *, per_channel, stride=(1, 1), dil=(1, 1), padding="SAME",
               act="NONE", groups=1):
    N, H, W, C = in_shape
    b = ModelBuilder()
    x = b.input("x", in_shape, "float32")
    ins = [x, qw(rng, b, "w", (O, KH, KW, C // groups), per_channel, 0),
           b.const("b", rng.standard_normal(O).astype(np.float32))]
    def osz(n, k, st, d):
        ek = (k - 1) * d + 1
        return (n + st - 1) // st if padding == "SAME" else (n - ek + st) // st
    y = b.tensor("y", [N, osz(H, KH, stride[0], dil[0]), osz(W, KW, stride[1], dil[1]), O], "float32")
    b.op("CONV_2D", ins, [y], options=("Conv2DOptions", {
        "padding": padding, "stride_h": stride[0], "stride_w": stride[1], "dilation_h_factor": dil[0],
        "dilation_w_factor": dil[1], "fused_activation_function": act}))
    b.output(y)
    return b.build()


CONV_CASES = [
    # in_shape, O, KH, KW, stride, dil, padding
    ([1, 5, 5, 3], 4, 3, 3, (1, 1), (1, 1), "SAME"),
    ([2, 7, 6, 8], 16, 3, 3, (2, 2), (1, 1), "SAME"),
    ([1, 9, 9, 5], 7, 3, 2, (1, 2), (2, 1), "VALID"),
    ([2, 8, 8, 16], 17, 1, 1, (1, 1), (1, 1), "VALID"),
]


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_hybrid(per_channel, case, monkeypatch):
    in_shape, O, KH, KW, st, dil, pad = CONV_CASES[case]
    rng = np.random.default_rng(30 + case)
    m = conv_model(rng, in_shape, O, KH, KW, per_channel=per_channel, stride=st, dil=dil, padding=pad)
    x = finput(rng, in_shape, offset=0.7)      # off-centre: the asymmetric zero point matters
    if in_shape[0] > 1:
        x[1] *= 5.0                            # images quantised with their own scales
    paths_agree(m, [x], monkeypatch)
    close(m, [x])


@pytest.mark.parametrize("act", ACTS)
def test_conv_hybrid_activation(act):
    rng = np.random.default_rng(40)
    m = conv_model(rng, [1, 6, 6, 4], 8, 3, 3, per_channel=True, act=act)
    close(m, [finput(rng, [1, 6, 6, 4])])


def test_conv_hybrid_grouped(monkeypatch):
    # Grouped: LiteRT takes its per-channel kernel (asymmetric inputs) even
    # for one weight scale. LiteRT's default kernels refuse grouped hybrid
    # convolutions with one scale, so this one is checked against BUILTIN_REF.
    rng = np.random.default_rng(41)
    m = conv_model(rng, [1, 6, 6, 8], 6, 3, 3, per_channel=True, groups=2)
    x = finput(rng, [1, 6, 6, 8], offset=0.5)
    paths_agree(m, [x], monkeypatch)
    close(m, [x])


# ---- DEPTHWISE_CONV_2D -------------------------------------------------------------------

def dw_model(rng, in_shape, dm, KH, KW, *, per_channel=True, stride=(1, 1), dil=(1, 1),
             padding="SAME", act="NONE", scales=None):
    N, H, W, C = in_shape
    OC = C * dm
    b = ModelBuilder()
    x = b.input("x", in_shape, "float32")
    if scales is not None:
        w = rng.integers(-127, 127, (1, KH, KW, OC), endpoint=True).astype(np.int8)
        wt = b.const("w", w, quant=dict(scale=scales, zero_point=np.zeros(len(scales), np.int64),
                                        quantized_dimension=3))
    else:
        wt = qw(rng, b, "w", (1, KH, KW, OC), per_channel, 3)
    ins = [x, wt, b.const("b", rng.standard_normal(OC).astype(np.float32))]
    def osz(n, k, st, d):
        ek = (k - 1) * d + 1
        return (n + st - 1) // st if padding == "SAME" else (n - ek + st) // st
    y = b.tensor("y", [N, osz(H, KH, stride[0], dil[0]), osz(W, KW, stride[1], dil[1]), OC], "float32")
    b.op("DEPTHWISE_CONV_2D", ins, [y], options=("DepthwiseConv2DOptions", {
        "padding": padding, "stride_h": stride[0], "stride_w": stride[1], "depth_multiplier": dm,
        "dilation_h_factor": dil[0], "dilation_w_factor": dil[1], "fused_activation_function": act}))
    b.output(y)
    return b.build()


DW_CASES = [
    ([1, 6, 6, 4], 1, 3, 3, (1, 1), (1, 1), "SAME"),
    ([2, 7, 5, 3], 2, 3, 3, (2, 2), (1, 1), "SAME"),
    ([1, 9, 9, 16], 1, 5, 3, (1, 2), (2, 1), "VALID"),
    ([1, 10, 10, 24], 1, 3, 3, (1, 1), (1, 1), "SAME"),
]


@pytest.mark.parametrize("case", range(len(DW_CASES)))
def test_depthwise_hybrid(case, monkeypatch):
    in_shape, dm, KH, KW, st, dil, pad = DW_CASES[case]
    rng = np.random.default_rng(50 + case)
    m = dw_model(rng, in_shape, dm, KH, KW, stride=st, dil=dil, padding=pad)
    x = finput(rng, in_shape, offset=-0.6)
    if in_shape[0] > 1:
        x[1] *= 0.1
    paths_agree(m, [x], monkeypatch)
    close(m, [x])


@pytest.mark.parametrize("act", ACTS)
def test_depthwise_hybrid_activation(act):
    rng = np.random.default_rng(60)
    m = dw_model(rng, [1, 5, 5, 6], 2, 3, 3, act=act)
    close(m, [finput(rng, [1, 5, 5, 6])])


def test_depthwise_hybrid_per_tensor_equals_repeated_scale():
    # LiteRT's hybrid depthwise kernel indexes one scale per channel (a single
    # scale is refused there); Ember broadcasts it, which must equal the
    # per-channel form with the scale repeated.
    rng = np.random.default_rng(61)
    x = finput(rng, [1, 6, 6, 5])
    a = run_ember(dw_model(np.random.default_rng(1), [1, 6, 6, 5], 1, 3, 3, scales=[0.01]), [x])[0]
    b = run_ember(dw_model(np.random.default_rng(1), [1, 6, 6, 5], 1, 3, 3, scales=[0.01] * 5), [x])[0]
    np.testing.assert_array_equal(a, b)


# ---- refusals -------------------------------------------------------------------------

def _fc_bad(w_q, wdtype=np.int8):
    b = ModelBuilder()
    x = b.input("x", [2, 4], "float32")
    w = b.const("w_h", np.ones((3, 4), wdtype), quant=w_q)
    y = b.tensor("y", [2, 3], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [y], options=("FullyConnectedOptions", {}))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("model,match", [
    (lambda: _fc_bad(None), "weights tensor 'w_h'.*no quantization"),
    (lambda: _fc_bad(dict(scale=[0.1], zero_point=[3])), "symmetric"),
    (lambda: _fc_bad(dict(scale=[0.1, 0.2], zero_point=[0, 0], quantized_dimension=0)), "scales"),
    (lambda: _fc_bad(dict(scale=[0.1], zero_point=[0]), np.int16), "int8 \\(hybrid\\) weights"),
])
def test_hybrid_refused(model, match):
    with pytest.raises(ember.EmberError, match=match):
        ember.Interpreter(model_content=model()).allocate_tensors()
