"""The full-integer rewrite follows TFLite's quantisation spec, op by op.

Structure (per-channel axes, zero points, bias scales, mandated and shared parameters,
I/O types, fallbacks) is checked on the written file; behaviour against LiteRT's
reference kernels and TFLite Micro (bit for bit with each other for int8), and against
Ember where its integer kernel has landed (xfail naming the kernel otherwise).
"""
import numpy as np
import pytest

import ember
from ember.converter import ConversionError, load
from ember.schema.builder import ModelBuilder
from oracle import litert
from oracle_int8 import assert_bitexact, tflm
from qhelp import cnn, ember_or_pending, images, quantize, sqnr_db

CAL = images(16)


def _tensors(q):
    return {t.name: t for t in load(q).main.tensors()}


def _ops(q):
    return load(q).main.ops


def test_weights_bias_and_activations_follow_the_spec():
    q, _ = quantize(cnn(), "int8", CAL)
    ops = _ops(q)
    for op in ops:
        if op.type not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        x, w, b = op.inputs[:3]
        axis = 3 if op.type == "DEPTHWISE_CONV_2D" else 0
        assert w.dtype == np.int8 and w.quant.axis == axis
        assert w.quant.scale.size == w.data.shape[axis] > 1          # per channel
        assert np.all(w.quant.zero_point == 0) and w.data.min() >= -127
        per_ch = np.moveaxis(np.abs(w.data.astype(int)), axis, 0).reshape(w.data.shape[axis], -1)
        assert np.all(per_ch.max(axis=1) == 127)                      # each channel uses the range
        assert b.dtype == np.int32 and np.all(b.quant.zero_point == 0)
        np.testing.assert_array_equal(b.quant.scale, (np.float32(x.quant.scale[0]) * w.quant.scale).astype(np.float32))
        assert x.dtype == np.int8 and x.quant.scale.size == 1          # per-tensor activations


def test_mandated_and_shared_parameters():
    q, _ = quantize(cnn(), "int8", CAL)
    t = _tensors(q)
    sm = next(op for op in _ops(q) if op.type == "SOFTMAX").outputs[0]
    assert (float(sm.quant.scale[0]), int(sm.quant.zero_point[0])) == (1 / 256, -128)
    for op in _ops(q):
        if op.type in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE"):
            i, o = op.inputs[0], op.outputs[0]
            assert (i.quant.scale[0], i.quant.zero_point[0]) == (o.quant.scale[0], o.quant.zero_point[0]), op
    assert t["conv1"].quant.zero_point[0] == -128          # a ReLU output: the range starts at 0


def test_int16x8_is_symmetric_with_int64_bias():
    q, _ = quantize(cnn(), "int16x8", CAL)
    for op in _ops(q):
        for t in op.inputs + op.outputs:
            if t is not None and t.dtype == np.int16:
                assert np.all(t.quant.zero_point == 0), t
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert op.inputs[1].dtype == np.int8 and op.inputs[2].dtype == np.int64
    sm = next(op for op in _ops(q) if op.type == "SOFTMAX").outputs[0]
    assert (float(sm.quant.scale[0]), int(sm.quant.zero_point[0])) == (1 / 32768, 0)


@pytest.mark.parametrize("itype,otype", [("int8", "int8"), ("uint8", "uint8"), ("int8", "float32"),
                                         ("float32", "uint8")])
def test_integer_io(itype, otype):
    m = cnn()
    q, _ = quantize(m, "int8", CAL, input_type=itype, output_type=otype)
    it = ember.Interpreter(model_content=q)
    din, dout = it.get_input_details()[0], it.get_output_details()[0]
    assert din["dtype"] == np.dtype(itype) and dout["dtype"] == np.dtype(otype)
    assert din["name"] == "image" and dout["name"] == "probs"            # names kept
    sig = it.get_signature_list()["serving_default"]
    assert sig == {"inputs": ["image"], "outputs": ["probs"]}
    x = images(1, seed=5)
    if itype != "float32":
        s, z = din["quantization"]
        xin = np.clip(np.round(x / s) + z, *([0, 255] if itype == "uint8" else [-128, 127])).astype(itype)
    else:
        xin = x
    ref = litert(q, [xin], reference=True)[0]
    assert_bitexact(tflm(q, [xin])[0], ref, "TFLite Micro vs LiteRT BUILTIN_REF")
    if otype != "float32":
        s, z = dout["quantization"]
        ref = (ref.astype(np.float64) - z) * s
    assert sqnr_db(ref, litert(m, [x])[0]) > 25


def test_io_type_needs_integer_mode():
    with pytest.raises(ConversionError, match="needs full-integer quantisation"):
        ember.convert(cnn(), quantize="dynamic", input_type="int8")
    with pytest.raises(ConversionError, match="does not fit int16"):
        ember.convert(cnn(), quantize="int16x8", calibration=CAL, input_type="uint8")
    with pytest.raises(ConversionError, match="need a quantisation mode"):
        ember.convert(cnn(), input_type="int8")


def _with_cos():
    b = ModelBuilder()
    x = b.input("x", [1, 16], "float32")
    w = b.const("w", np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32) * 0.3)
    h = b.tensor("h", [1, 16], "float32")
    b.op("FULLY_CONNECTED", [x, w, -1], [h])
    c = b.tensor("c", [1, 16], "float32")
    b.op("COS", [h], [c])
    y = b.tensor("y", [1, 16], "float32")
    b.op("FULLY_CONNECTED", [c, w, -1], [y])
    b.output(y)
    return b.build()


def test_fallback_warns_and_strict_fails():
    m = _with_cos()
    cal = np.random.default_rng(1).uniform(-1, 1, (8, 1, 16)).astype(np.float32)
    q, warns = quantize(m, "int8", cal)
    assert len(warns) == 1 and "COS" in warns[0] and "'c'" in warns[0], warns
    types = [op.type for op in _ops(q)]
    assert types == ["QUANTIZE", "FULLY_CONNECTED", "DEQUANTIZE", "COS", "QUANTIZE",
                     "FULLY_CONNECTED", "DEQUANTIZE"]
    x = cal[:1]
    assert sqnr_db(litert(q, [x], reference=True)[0], litert(m, [x])[0]) > 25
    with pytest.raises(ConversionError, match=r"strict-int8: 1 op\(s\) cannot run in int8:\n  COS -> 'c'"):
        ember.convert(m, quantize="int8", calibration=cal, strict_int8=True)


def test_large_bias_widens_the_weight_scale():
    b = ModelBuilder()
    x = b.input("x", [1, 4], "float32")
    w = b.const("w", np.full((2, 4), 1e-6, np.float32))
    bias = b.const("b", np.array([5000.0, -1.0], np.float32))
    y = b.tensor("y", [1, 2], "float32")
    b.op("FULLY_CONNECTED", [x, w, bias], [y])
    b.output(y)
    m = b.build()
    cal = np.random.default_rng(0).uniform(-1, 1, (4, 1, 4)).astype(np.float32)
    q, _ = quantize(m, "int8", cal)
    fc = next(op for op in _ops(q) if op.type == "FULLY_CONNECTED")
    bq = fc.inputs[2]
    real = bq.data.astype(np.float64) * bq.quant.scale
    assert abs(real[0] - 5000.0) < 1e-3 * 5000       # not saturated at int32's limit
    assert np.abs(bq.data).max() < 2 ** 31 - 1


# ---- op coverage: each quantisable op alone ------------------------------------

def _unary(op, shape=(1, 4, 4, 8), out_shape=None, options=None, consts=(), lo=-2.0, hi=2.0,
           out_dtype="float32"):
    def build():
        b = ModelBuilder()
        x = b.input("x", list(shape), "float32")
        ins = [x] + [b.const(f"k{i}", c) for i, c in enumerate(consts)]
        y = b.tensor("y", list(out_shape or shape), out_dtype)
        b.op(op, ins, [y], options=options)
        b.output(y)
        return b.build(), [list(shape)], (lo, hi)
    return build


def _binary(op, a=(1, 4, 4, 8), c=(1, 4, 4, 8), options=None, out=None, out_dtype="float32"):
    def build():
        b = ModelBuilder()
        x = b.input("x", list(a), "float32")
        z = b.input("z", list(c), "float32")
        y = b.tensor("y", list(out or a), out_dtype)
        b.op(op, [x, z], [y], options=options)
        b.output(y)
        return b.build(), [list(a), list(c)], (-2.0, 2.0)
    return build


POOL = ("Pool2DOptions", {"padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2})
R = np.random.default_rng(3)
CASES = {
    "ADD": _binary("ADD", options=("AddOptions", {})),
    "ADD_broadcast": _binary("ADD", c=(1, 1, 1, 8), options=("AddOptions", {})),
    "SUB": _binary("SUB", options=("SubOptions", {})),
    "MUL": _binary("MUL", options=("MulOptions", {})),
    "SQUARED_DIFFERENCE": _binary("SQUARED_DIFFERENCE"),
    "MAXIMUM": _binary("MAXIMUM"), "MINIMUM": _binary("MINIMUM"),
    "LESS": _binary("LESS", out_dtype="bool"),
    "CONCATENATION": _binary("CONCATENATION", options=("ConcatenationOptions", {"axis": 3}), out=(1, 4, 4, 16)),
    "BATCH_MATMUL": _binary("BATCH_MATMUL", a=(1, 4, 8), c=(1, 8, 4), out=(1, 4, 4)),
    "MUL_const": _unary("MUL", consts=[R.uniform(-1, 3, (1, 1, 1, 8)).astype(np.float32)], options=("MulOptions", {})),
    "AVERAGE_POOL_2D": _unary("AVERAGE_POOL_2D", out_shape=(1, 2, 2, 8), options=POOL),
    "MAX_POOL_2D": _unary("MAX_POOL_2D", out_shape=(1, 2, 2, 8), options=POOL),
    "MEAN": _unary("MEAN", out_shape=(1, 1, 1, 8), consts=[np.array([1, 2], np.int32)],
                   options=("ReducerOptions", {"keep_dims": True})),
    "SUM": _unary("SUM", out_shape=(1, 8), consts=[np.array([1, 2], np.int32)], options=("ReducerOptions", {})),
    "REDUCE_MAX": _unary("REDUCE_MAX", out_shape=(1, 8), consts=[np.array([1, 2], np.int32)], options=("ReducerOptions", {})),
    "ARG_MAX": _unary("ARG_MAX", out_shape=(1, 4, 4), consts=[np.array([3], np.int32)], options=("ArgMaxOptions", {"output_type": "INT32"}), out_dtype="int32"),
    "RELU": _unary("RELU"), "RELU6": _unary("RELU6", lo=-3, hi=8), "LEAKY_RELU": _unary("LEAKY_RELU", options=("LeakyReluOptions", {"alpha": 0.1})),
    "HARD_SWISH": _unary("HARD_SWISH", lo=-4, hi=4), "LOGISTIC": _unary("LOGISTIC", lo=-6, hi=6),
    "TANH": _unary("TANH"), "SOFTMAX": _unary("SOFTMAX", options=("SoftmaxOptions", {"beta": 1.0})),
    "LOG_SOFTMAX": _unary("LOG_SOFTMAX"), "ABS": _unary("ABS"),
    "RSQRT": _unary("RSQRT", lo=0.1, hi=4), "EXP": _unary("EXP", lo=-3, hi=1),
    "PRELU": _unary("PRELU", consts=[R.uniform(0.05, 0.3, (1, 1, 8)).astype(np.float32)]),
    "L2_NORMALIZATION": _unary("L2_NORMALIZATION"),
    "RESHAPE": _unary("RESHAPE", out_shape=(1, 128), consts=[np.array([1, 128], np.int32)]),
    "TRANSPOSE": _unary("TRANSPOSE", out_shape=(1, 8, 4, 4), consts=[np.array([0, 3, 1, 2], np.int32)]),
    "PAD": _unary("PAD", out_shape=(1, 6, 6, 8), consts=[np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32)]),
    "STRIDED_SLICE": _unary("STRIDED_SLICE", out_shape=(1, 2, 2, 8), consts=[np.array([0, 0, 0, 0], np.int32), np.array([1, 4, 4, 8], np.int32), np.array([1, 2, 2, 1], np.int32)], options=("StridedSliceOptions", {})),
    "SLICE": _unary("SLICE", out_shape=(1, 2, 3, 8), consts=[np.array([0, 1, 0, 0], np.int32), np.array([1, 2, 3, 8], np.int32)]),
    "GATHER": _unary("GATHER", out_shape=(1, 4, 4, 3), consts=[np.array([5, 0, 2], np.int32)], options=("GatherOptions", {"axis": 3})),
    "RESIZE_BILINEAR": _unary("RESIZE_BILINEAR", out_shape=(1, 8, 8, 8), consts=[np.array([8, 8], np.int32)], options=("ResizeBilinearOptions", {})),
    "RESIZE_NEAREST_NEIGHBOR": _unary("RESIZE_NEAREST_NEIGHBOR", out_shape=(1, 8, 8, 8), consts=[np.array([8, 8], np.int32)], options=("ResizeNearestNeighborOptions", {})),
    "DEPTH_TO_SPACE": _unary("DEPTH_TO_SPACE", out_shape=(1, 8, 8, 2), options=("DepthToSpaceOptions", {"block_size": 2})),
    "SPACE_TO_DEPTH": _unary("SPACE_TO_DEPTH", out_shape=(1, 2, 2, 32), options=("SpaceToDepthOptions", {"block_size": 2})),
    "SQUEEZE": _unary("SQUEEZE", shape=(1, 4, 1, 8), out_shape=(1, 4, 8), options=("SqueezeOptions", {"squeeze_dims": [2]})),
    "EXPAND_DIMS": _unary("EXPAND_DIMS", out_shape=(1, 4, 4, 8, 1), consts=[np.array([4], np.int32)]),
    "TRANSPOSE_CONV": None,   # built below (output shape first, weights, input)
    "DEPTHWISE_CONV_2D": None,
}


def _transpose_conv():
    b = ModelBuilder()
    x = b.input("x", [1, 4, 4, 8], "float32")
    w = b.const("w", R.standard_normal((6, 3, 3, 8)).astype(np.float32) * 0.3)
    bias = b.const("b", R.standard_normal(6).astype(np.float32) * 0.1)
    y = b.tensor("y", [1, 8, 8, 6], "float32")
    b.op("TRANSPOSE_CONV", [b.const("shape", np.array([1, 8, 8, 6], np.int32)), w, x, bias], [y],
         options=("TransposeConvOptions", {"padding": "SAME", "stride_w": 2, "stride_h": 2}))
    b.output(y)
    return b.build(), [[1, 4, 4, 8]], (-2.0, 2.0)


def _depthwise():
    b = ModelBuilder()
    x = b.input("x", [1, 6, 6, 4], "float32")
    w = b.const("w", R.standard_normal((1, 3, 3, 8)).astype(np.float32) * 0.3)
    bias = b.const("b", R.standard_normal(8).astype(np.float32) * 0.1)
    y = b.tensor("y", [1, 6, 6, 8], "float32")
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], options=("DepthwiseConv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 2}))
    b.output(y)
    return b.build(), [[1, 6, 6, 4]], (-2.0, 2.0)


def _multi_out(op, n, out_shape, options, axis_const=None, shape=(1, 4, 4, 8)):
    def build():
        b = ModelBuilder()
        x = b.input("x", list(shape), "float32")
        ins = [b.const("axis", np.array(axis_const, np.int32)), x] if axis_const is not None else [x]
        outs = [b.tensor(f"y{i}", list(out_shape), "float32") for i in range(n)]
        b.op(op, ins, outs, options=options)
        b.output(*outs)
        return b.build(), [list(shape)], (-2.0, 2.0)
    return build


def _pack():
    b = ModelBuilder()
    x = b.input("x", [4, 8], "float32")
    z = b.input("z", [4, 8], "float32")
    y = b.tensor("y", [2, 4, 8], "float32")
    b.op("PACK", [x, z], [y], options=("PackOptions", {"values_count": 2, "axis": 0}))
    b.output(y)
    return b.build(), [[4, 8], [4, 8]], (-2.0, 2.0)


def _select():
    b = ModelBuilder()
    c = b.input("c", [1, 4, 8], "bool")
    x = b.input("x", [1, 4, 8], "float32")
    z = b.input("z", [1, 4, 8], "float32")
    y = b.tensor("y", [1, 4, 8], "float32")
    b.op("SELECT_V2", [c, x, z], [y])
    b.output(y)
    return b.build(), [[1, 4, 8]] * 3, (-2.0, 2.0)


CASES.update({
    "SPLIT": _multi_out("SPLIT", 2, (1, 4, 4, 4), ("SplitOptions", {"num_splits": 2}), axis_const=3),
    "UNPACK": _multi_out("UNPACK", 4, (1, 4, 8), ("UnpackOptions", {"num": 4, "axis": 1})),
    "PACK": _pack,
    "PADV2": _unary("PADV2", out_shape=(1, 6, 6, 8), consts=[np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32), np.array([0.5], np.float32)]),
    "MIRROR_PAD": _unary("MIRROR_PAD", out_shape=(1, 6, 6, 8), consts=[np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32)], options=("MirrorPadOptions", {"mode": "REFLECT"})),
    "TILE": _unary("TILE", out_shape=(1, 8, 4, 8), consts=[np.array([1, 2, 1, 1], np.int32)]),
    "GELU": _unary("GELU", options=("GeluOptions", {})),
    "EQUAL": _binary("EQUAL", out_dtype="bool"),
    "GREATER_EQUAL": _binary("GREATER_EQUAL", out_dtype="bool"),
    "REDUCE_MIN": _unary("REDUCE_MIN", out_shape=(1, 8), consts=[np.array([1, 2], np.int32)], options=("ReducerOptions", {})),
})
CASES["TRANSPOSE_CONV"] = _transpose_conv
CASES["DEPTHWISE_CONV_2D"] = _depthwise
CASES["SELECT_V2"] = _select
# (op, mode) pairs TFLite Micro has no kernel for: LiteRT's reference kernels are the oracle.
NOT_IN_MICRO = {("EXP", "int8"), ("GATHER", "int16x8"), ("REDUCE_MAX", "int16x8"),
                ("RESIZE_BILINEAR", "int16x8"), ("GELU", "int8"), ("TILE", "int8"),
                ("TILE", "int16x8"), ("MIRROR_PAD", "int16x8"), ("REDUCE_MIN", "int16x8")}
# LiteRT's BUILTIN_REF int8 SUM (keep_dims false) returns one value everywhere; TFLite Micro
# and LiteRT's default kernels agree with each other and with float: they are the oracle.
REF_BROKEN = {("SUM", "int8")}


def _inputs(shapes, lo, hi, seed, case=None):
    rng = np.random.default_rng(seed)
    out = [rng.uniform(lo, hi, s).astype(np.float32) for s in shapes]
    if case == "SELECT_V2":
        out[0] = out[0] > 0
    return out


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_op(case, mode):
    model, shapes, (lo, hi) = CASES[case]()
    cal = [_inputs(shapes, lo, hi, s, case) for s in range(12)]
    q, warns = quantize(model, mode, cal)
    from ember.quantize.spec import spec_for
    op_type = case.split("_const")[0].split("_broadcast")[0]
    if spec_for(op_type, np.int16 if mode == "int16x8" else np.int8) is None:
        assert warns and op_type in warns[0]          # left in float, and said so
        return
    assert not warns, warns
    x = _inputs(shapes, lo, hi, 100, case)
    key = (case, mode)
    micro = tflm(q, x) if key not in NOT_IN_MICRO else None
    ref = litert(q, x, reference=True) if key not in REF_BROKEN else micro
    want = litert(model, x)
    for r, w in zip(ref, want):
        if r.dtype == np.float32 and w.std() > 0:
            assert sqnr_db(r, w) > (20 if mode == "int8" else 30), case
    if micro is not None:
        for r, m in zip(ref, micro):
            assert_bitexact(m, r, f"{case}: TFLite Micro vs LiteRT BUILTIN_REF")
    if key in REF_BROKEN:
        for d, m in zip(litert(q, x), micro):
            assert_bitexact(m, d, f"{case}: TFLite Micro vs LiteRT default kernels")
    got = ember_or_pending(q, x)
    for g, r in zip(got, ref):
        assert_bitexact(g, r, f"{case}: Ember vs the references")
