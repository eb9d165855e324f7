"""ONNX frontend, op by op: small onnx.helper models against onnxruntime.

Each case is converted twice -- by ``ember.convert`` (whatever passes it runs)
and by the frontend plus the layout pass alone -- and each result runs in Ember
and in LiteRT; every output must match onnxruntime to 1e-4 x max|output|.
"""
import numpy as np
import pytest

from conftest import need

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

import ember  # noqa: E402
from ember.converter import ConversionError, load  # noqa: E402
from ember.converter.passes import layout  # noqa: E402
from ember.schema.writer import write  # noqa: E402
from oracle import assert_close, ember as run_ember, litert  # noqa: E402

RNG = np.random.default_rng(0)


def rnd(*shape, lo=-2.0, hi=2.0, dtype=np.float32):
    return RNG.uniform(lo, hi, shape).astype(dtype)


class C:
    """A constant operand: becomes an initializer."""
    def __init__(self, value):
        self.value = np.asarray(value)


def model(op_type, inputs, attrs=None, *, opset=13, nout=1, extra_nodes=()):
    """One-node model; ``inputs`` is a list of arrays (graph inputs), C(...) or None."""
    names, g_inputs, inits, feeds = [], [], [], {}
    for i, v in enumerate(inputs):
        if v is None:
            names.append("")
            continue
        name = f"in{i}"
        names.append(name)
        if isinstance(v, C):
            inits.append(numpy_helper.from_array(v.value, name))
        else:
            g_inputs.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape))
            feeds[name] = v
    outs = [f"out{k}" for k in range(nout)]
    node = helper.make_node(op_type, names, outs, name=f"{op_type.lower()}_node", **(attrs or {}))
    g = helper.make_graph([node, *extra_nodes], "case", g_inputs,
                          [helper.make_value_info(o, onnx.TypeProto()) for o in outs], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(m)
    types = {vi.name: vi for vi in inferred.graph.output}
    for o in m.graph.output:
        o.CopyFrom(types[o.name])
    return m, feeds


def onnxruntime_outputs(m, feeds):
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def converted(m, nhwc=False):
    """(label, tflite bytes): ember.convert, and the frontend + layout pass alone."""
    yield "convert", ember.convert(m, nhwc=nhwc)
    ir_model = load(m, nhwc=nhwc)
    layout.run(ir_model)
    yield "layout", write(ir_model)


def check(m, feeds, *, nhwc=False, rtol=1e-4):
    want = onnxruntime_outputs(m, feeds)
    inits = {t.name for t in m.graph.initializer}
    xs = [feeds[vi.name] for vi in m.graph.input if vi.name not in inits]
    if nhwc:
        xs = [x.transpose(0, 2, 3, 1) if x.ndim == 4 else x for x in xs]
        want = [w.transpose(0, 2, 3, 1) if w.ndim == 4 else w for w in want]
    for label, data in converted(m, nhwc):
        for runner in (run_ember, litert):
            got = runner(data, xs)
            assert len(got) == len(want)
            for k, (g, w) in enumerate(zip(got, want)):
                assert_close(g, w, rtol=rtol, what=f"{label}/{runner.__name__} output {k}")


X4 = rnd(2, 3, 6, 7)
POS4 = rnd(2, 3, 6, 7, lo=0.1, hi=3.0)

CASES = {
    # ---- elementwise ----
    **{f"unary_{op}": ("model", (op, [X4])) for op in
       ["Abs", "Neg", "Exp", "Floor", "Ceil", "Sin", "Cos", "Relu", "Sigmoid", "Tanh",
        "Softplus", "Softsign", "Erf", "Identity"]},
    **{f"unary_pos_{op}": ("model", (op, [POS4])) for op in ["Sqrt", "Log", "Reciprocal"]},
    "round_halves": ("model", ("Round", [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3],
                                                  np.float32)])),
    "hardswish_14": ("model", ("HardSwish", [X4 * 3], None), {"opset": 14}),
    "gelu_20": ("model", ("Gelu", [X4]), {"opset": 20}),
    "gelu_tanh_20": ("model", ("Gelu", [X4], {"approximate": "tanh"}), {"opset": 20}),
    "elu": ("model", ("Elu", [X4])),
    "elu_alpha": ("model", ("Elu", [X4], {"alpha": 0.5})),
    "selu": ("model", ("Selu", [X4])),
    "leaky_relu": ("model", ("LeakyRelu", [X4], {"alpha": 0.2})),
    "hard_sigmoid": ("model", ("HardSigmoid", [X4 * 4], {"alpha": 0.3, "beta": 0.4})),
    "prelu_channel": ("model", ("PRelu", [X4, C(rnd(3, 1, 1))])),
    "clip_6_attrs": ("model", ("Clip", [X4 * 4], {"min": 0.0, "max": 6.0}), {"opset": 7}),
    "clip_6_odd": ("model", ("Clip", [X4], {"min": -0.5, "max": 0.7}), {"opset": 7}),
    "clip_11_relu6": ("model", ("Clip", [X4 * 4, C(np.float32(0)), C(np.float32(6))]),
                      {"opset": 11}),
    "clip_11_min_only": ("model", ("Clip", [X4, C(np.float32(-0.3))]), {"opset": 11}),
    "clip_13_bounds": ("model", ("Clip", [X4, C(np.float32(-0.5)), C(np.float32(0.5))])),
    "add_broadcast": ("model", ("Add", [X4, rnd(7)])),
    "sub_const_channel": ("model", ("Sub", [X4, C(rnd(3, 1, 1))])),
    "mul_two_inputs": ("model", ("Mul", [X4, rnd(2, 1, 6, 1)])),
    "div": ("model", ("Div", [X4, POS4])),
    "pow": ("model", ("Pow", [POS4, C(np.float32(1.5))])),
    "max3": ("model", ("Max", [X4, rnd(7), C(rnd(3, 1, 1))])),
    "min2": ("model", ("Min", [X4, rnd(2, 3, 6, 7)])),
    "sum3": ("model", ("Sum", [X4, X4 * 2, rnd(7)])),
    "mean3": ("model", ("Mean", [X4, X4 * 2, rnd(7)])),
    "equal_int": ("model", ("Equal", [np.array([1, 2, 3, 4], np.int32),
                                      np.array([1, 0, 3, 0], np.int32)])),
    "less": ("model", ("Less", [X4, rnd(7)])),
    "greater_equal": ("model", ("GreaterOrEqual", [X4, C(np.float32(0.1))]), {"opset": 12}),
    "and_or_not": ("model", ("And", [X4 > 0, rnd(7) > 0])),
    "or": ("model", ("Or", [X4 > 0, rnd(7) > 0])),
    "xor": ("model", ("Xor", [X4 > 0, rnd(7) > 0])),
    "not": ("model", ("Not", [X4 > 0])),
    "where": ("model", ("Where", [X4 > 0, X4, C(rnd(7))])),
    "cast_to_int": ("model", ("Cast", [X4 * 10], {"to": onnx.TensorProto.INT32})),
    "cast_to_float": ("model", ("Cast", [np.arange(12, dtype=np.int32).reshape(3, 4)],
                                {"to": onnx.TensorProto.FLOAT})),
    # ---- conv ----
    "conv_pads": ("model", ("Conv", [X4, C(rnd(4, 3, 3, 3)), C(rnd(4))], {"pads": [1, 1, 1, 1]})),
    "conv_asym_pads_strides": ("model", ("Conv", [X4, C(rnd(4, 3, 3, 2))],
                                         {"pads": [0, 1, 2, 0], "strides": [2, 1]})),
    "conv_dilations": ("model", ("Conv", [X4, C(rnd(4, 3, 2, 3))], {"dilations": [2, 2]})),
    "conv_same_upper_s2": ("model", ("Conv", [X4, C(rnd(4, 3, 3, 3))],
                                     {"auto_pad": "SAME_UPPER", "strides": [2, 2]})),
    "conv_same_lower": ("model", ("Conv", [X4, C(rnd(4, 3, 2, 2))], {"auto_pad": "SAME_LOWER"})),
    "conv_valid": ("model", ("Conv", [X4, C(rnd(5, 3, 3, 3))], {"auto_pad": "VALID"})),
    "conv_groups": ("model", ("Conv", [rnd(1, 4, 5, 5), C(rnd(6, 2, 3, 3)), C(rnd(6))],
                              {"group": 2, "pads": [1, 1, 1, 1]})),
    "conv_depthwise": ("model", ("Conv", [X4, C(rnd(3, 1, 3, 3)), C(rnd(3))],
                                 {"group": 3, "pads": [1, 1, 1, 1]})),
    "conv_depthwise_mult2": ("model", ("Conv", [X4, C(rnd(6, 1, 3, 3))],
                                       {"group": 3, "strides": [2, 2]})),
    "conv_1d": ("model", ("Conv", [rnd(2, 3, 9), C(rnd(4, 3, 3)), C(rnd(4))],
                          {"pads": [1, 1], "strides": [2]})),
    "conv_runtime_weights": ("model", ("Conv", [X4, rnd(4, 3, 3, 3)], {"pads": [1, 1, 1, 1]})),
    "conv_transpose_s2": ("model", ("ConvTranspose", [X4, C(rnd(3, 4, 3, 3)), C(rnd(4))],
                                    {"strides": [2, 2], "pads": [1, 1, 1, 1],
                                     "output_padding": [1, 1]})),
    "conv_transpose_plain": ("model", ("ConvTranspose", [X4, C(rnd(3, 2, 2, 2))],
                                       {"strides": [2, 2]})),
    "conv_transpose_1d": ("model", ("ConvTranspose", [rnd(1, 3, 5), C(rnd(3, 2, 3))],
                                    {"strides": [2]})),
    # ---- matrix products ----
    "gemm_transb_bias": ("model", ("Gemm", [rnd(4, 5), C(rnd(3, 5)), C(rnd(3))],
                                   {"transB": 1})),
    "gemm_alpha_beta_matrix_c": ("model", ("Gemm", [rnd(5, 4), C(rnd(5, 3)), C(rnd(4, 3))],
                                           {"transA": 1, "alpha": 0.5, "beta": 2.0})),
    "gemm_runtime_b": ("model", ("Gemm", [rnd(4, 5), rnd(5, 3), C(rnd(1, 3))], {"alpha": 1.5})),
    "matmul_2d_const": ("model", ("MatMul", [rnd(4, 5), C(rnd(5, 3))])),
    "matmul_3d_const": ("model", ("MatMul", [rnd(2, 4, 5), C(rnd(5, 3))])),
    "matmul_batched": ("model", ("MatMul", [rnd(2, 4, 5), rnd(2, 5, 3)])),
    "matmul_broadcast": ("model", ("MatMul", [rnd(2, 3, 4, 5), rnd(3, 5, 2)])),
    # ---- normalisation ----
    "batchnorm": ("model", ("BatchNormalization", [X4, C(rnd(3)), C(rnd(3)), C(rnd(3)),
                                                   C(rnd(3, lo=0.5, hi=2))], {"epsilon": 1e-3})),
    "batchnorm_2d": ("model", ("BatchNormalization", [rnd(4, 3), C(rnd(3)), C(rnd(3)),
                                                      C(rnd(3)), C(rnd(3, lo=0.5, hi=2))])),
    "instancenorm": ("model", ("InstanceNormalization", [X4, C(rnd(3)), C(rnd(3))])),
    "layernorm": ("model", ("LayerNormalization", [rnd(2, 5, 8), C(rnd(8)), C(rnd(8))]),
                  {"opset": 17}),
    "layernorm_axis": ("model", ("LayerNormalization", [rnd(2, 5, 8), C(rnd(5, 8))],
                                 {"axis": -2}), {"opset": 17}),
    "lrn": ("model", ("LRN", [rnd(1, 6, 4, 4)], {"size": 3, "alpha": 0.01, "beta": 0.75,
                                                  "bias": 1.5})),
    # ---- pools ----
    "maxpool_pads_strides": ("model", ("MaxPool", [X4], {"kernel_shape": [3, 3],
                                                         "strides": [2, 2],
                                                         "pads": [1, 1, 1, 1]})),
    "maxpool_ceil": ("model", ("MaxPool", [X4], {"kernel_shape": [2, 2], "strides": [2, 2],
                                                 "ceil_mode": 1})),
    "maxpool_1d": ("model", ("MaxPool", [rnd(2, 3, 9)], {"kernel_shape": [3], "strides": [2]})),
    "avgpool_same": ("model", ("AveragePool", [X4], {"kernel_shape": [3, 3],
                                                     "auto_pad": "SAME_UPPER"})),
    "avgpool_pads_exclude": ("model", ("AveragePool", [X4], {"kernel_shape": [3, 3],
                                                             "pads": [1, 1, 1, 1],
                                                             "strides": [2, 2]})),
    "avgpool_pads_include": ("model", ("AveragePool", [X4], {"kernel_shape": [3, 2],
                                                             "pads": [1, 0, 1, 1],
                                                             "count_include_pad": 1})),
    "avgpool_ceil": ("model", ("AveragePool", [X4], {"kernel_shape": [2, 2], "strides": [2, 2],
                                                     "ceil_mode": 1})),
    "global_avg": ("model", ("GlobalAveragePool", [X4])),
    "global_max": ("model", ("GlobalMaxPool", [X4])),
    # ---- softmax: opset < 13 flattens at axis, >= 13 works on one axis ----
    "softmax_11_axis1": ("model", ("Softmax", [rnd(2, 3, 4)], {"axis": 1}), {"opset": 11}),
    "logsoftmax_11_default": ("model", ("LogSoftmax", [rnd(2, 3, 4)]), {"opset": 11}),
    "softmax_13_axis1": ("model", ("Softmax", [rnd(2, 3, 4)], {"axis": 1})),
    "softmax_13_default": ("model", ("Softmax", [rnd(2, 3, 4)])),
    "logsoftmax_13_axis0": ("model", ("LogSoftmax", [rnd(2, 3, 4)], {"axis": 0})),
    # ---- shapes ----
    "reshape_zero_minus1": ("model", ("Reshape", [X4, C(np.array([0, -1, 7], np.int64))])),
    "flatten_axis2": ("model", ("Flatten", [X4], {"axis": 2})),
    "transpose": ("model", ("Transpose", [X4], {"perm": [0, 2, 3, 1]})),
    "transpose_default": ("model", ("Transpose", [rnd(2, 3, 4)])),
    "squeeze_11_attr": ("model", ("Squeeze", [rnd(2, 1, 4, 1)], {"axes": [1, -1]}),
                        {"opset": 11}),
    "squeeze_13_input": ("model", ("Squeeze", [rnd(2, 1, 4, 1), C(np.array([1], np.int64))])),
    "unsqueeze_11_attr": ("model", ("Unsqueeze", [rnd(2, 4)], {"axes": [0, 3]}), {"opset": 11}),
    "unsqueeze_13_input": ("model", ("Unsqueeze", [rnd(2, 4), C(np.array([-1, 1], np.int64))])),
    "concat": ("model", ("Concat", [X4, rnd(2, 2, 6, 7), C(rnd(2, 1, 6, 7))], {"axis": 1})),
    "split_11_attr": ("model", ("Split", [X4], {"axis": 3, "split": [3, 4]}),
                      {"opset": 11, "nout": 2}),
    "split_13_input": ("model", ("Split", [X4, C(np.array([1, 2], np.int64))], {"axis": 1}),
                       {"nout": 2}),
    "split_13_equal": ("model", ("Split", [X4], {"axis": 2}), {"nout": 3}),
    "split_18_num_outputs": ("model", ("Split", [X4], {"axis": 3, "num_outputs": 3}),
                             {"opset": 18, "nout": 3}),
    "slice_negative_steps": ("model", ("Slice", [X4, C(np.array([-1, 5], np.int64)),
                                                 C(np.array([-2 ** 63, 0], np.int64)),
                                                 C(np.array([3, 2], np.int64)),
                                                 C(np.array([-1, -2], np.int64))])),
    "slice_int_max": ("model", ("Slice", [X4, C(np.array([1], np.int64)),
                                          C(np.array([2 ** 31 - 1], np.int64)),
                                          C(np.array([1], np.int64))])),
    "slice_9_attrs": ("model", ("Slice", [X4], {"starts": [1, 0], "ends": [3, -1],
                                                "axes": [2, 3]}), {"opset": 9}),
    "gather_axis1_negative": ("model", ("Gather", [X4, C(np.array([2, -1, 0], np.int64))],
                                        {"axis": 1})),
    "gather_scalar": ("model", ("Gather", [X4, C(np.array(1, np.int64))], {"axis": 2})),
    "gather_runtime_indices": ("model", ("Gather", [rnd(5, 3), np.array([[4, 0], [1, 1]],
                                                                          np.int64)])),
    "pad_constant_value": ("model", ("Pad", [X4, C(np.array([0, 1, 2, 0, 0, 0, 1, 3],
                                                            np.int64)),
                                             C(np.float32(1.5))])),
    "pad_reflect": ("model", ("Pad", [X4, C(np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64))],
                              {"mode": "reflect"})),
    "pad_edge": ("model", ("Pad", [X4, C(np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64))],
                           {"mode": "edge"})),
    "pad_2_attrs": ("model", ("Pad", [X4], {"pads": [0, 0, 1, 1, 0, 0, 1, 1], "value": 0.0}),
                    {"opset": 7}),
    "expand": ("model", ("Expand", [rnd(3, 1), C(np.array([2, 3, 4], np.int64))])),
    "tile": ("model", ("Tile", [rnd(2, 3), C(np.array([2, 3], np.int64))])),
    "depth_to_space_dcr": ("model", ("DepthToSpace", [rnd(1, 8, 3, 2)], {"blocksize": 2})),
    "depth_to_space_crd": ("model", ("DepthToSpace", [rnd(1, 8, 3, 2)],
                                     {"blocksize": 2, "mode": "CRD"})),
    "space_to_depth": ("model", ("SpaceToDepth", [rnd(1, 2, 4, 6)], {"blocksize": 2})),
    # ---- reductions: axes as attribute (< 18; ReduceSum < 13) or input ----
    **{f"{op}_13_attr_keep{k}": ("model", (op, [X4], {"axes": [1, 3], "keepdims": k}))
       for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
                  "ReduceSumSquare", "ReduceL1"] for k in (0, 1)},
    "ReduceSum_11_attr": ("model", ("ReduceSum", [X4], {"axes": [2], "keepdims": 0}),
                          {"opset": 11}),
    "ReduceSum_13_input": ("model", ("ReduceSum", [X4, C(np.array([-1, 1], np.int64))])),
    "ReduceMean_18_input": ("model", ("ReduceMean", [X4, C(np.array([2, 3], np.int64))],
                                      {"keepdims": 0}), {"opset": 18}),
    "ReduceMax_all": ("model", ("ReduceMax", [X4])),
    "ReduceLogSumExp": ("model", ("ReduceLogSumExp", [X4], {"axes": [1]})),
    "argmax_keep": ("model", ("ArgMax", [X4], {"axis": 1})),
    "argmin_nokeep": ("model", ("ArgMin", [X4], {"axis": -1, "keepdims": 0})),
    "argmax_last_index": ("model", ("ArgMax", [np.array([[1, 3, 3, 0], [2, 2, 1, 2]],
                                                        np.float32)],
                                    {"axis": 1, "select_last_index": 1})),
    # ---- resize ----
    "resize_11_nearest_asymmetric": ("model", ("Resize", [X4, C(np.zeros(0, np.float32)),
                                                          C(np.array([1, 1, 2, 2], np.float32))],
                                               {"mode": "nearest",
                                                "coordinate_transformation_mode": "asymmetric",
                                                "nearest_mode": "floor"}), {"opset": 11}),
    "resize_13_linear_half_pixel": ("model", ("Resize", [X4, None,
                                                         C(np.array([1, 1, 2, 1.5], np.float32))],
                                              {"mode": "linear"})),
    "resize_13_linear_align": ("model", ("Resize", [X4, None, None,
                                                    C(np.array([2, 3, 11, 5], np.int64))],
                                         {"mode": "linear",
                                          "coordinate_transformation_mode": "align_corners"})),
    "resize_13_nearest_half_pixel": ("model", ("Resize", [X4, None,
                                                          C(np.array([1, 1, 3, 3], np.float32))],
                                               {"mode": "nearest",
                                                "coordinate_transformation_mode": "half_pixel",
                                                "nearest_mode": "round_prefer_ceil"})),
    "resize_18_cubic_sizes": ("model", ("Resize", [X4, None, None,
                                                   C(np.array([9, 5], np.int64))],
                                        {"mode": "cubic", "axes": [2, 3]}), {"opset": 18}),
    "resize_18_nearest_down": ("model", ("Resize", [X4, None,
                                                    C(np.array([1, 1, 0.5, 0.6], np.float32))],
                                         {"mode": "nearest"}), {"opset": 18}),
    "upsample_9": ("model", ("Upsample", [X4, C(np.array([1, 1, 2, 3], np.float32))]),
                   {"opset": 9}),
    "upsample_7_attrs": ("model", ("Upsample", [X4], {"scales": [1.0, 1.0, 2.0, 2.0],
                                                      "mode": "linear"}), {"opset": 7}),
}


def build(spec):
    _, args, *kw = spec
    op_type, inputs, *attrs = args
    return model(op_type, inputs, attrs[0] if attrs else None, **(kw[0] if kw else {}))


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_onnxruntime(name):
    m, feeds = build(CASES[name])
    check(m, feeds)


@pytest.mark.parametrize("name", ["conv_pads", "maxpool_ceil", "resize_13_linear_half_pixel",
                                  "depth_to_space_crd", "concat", "global_avg", "batchnorm"])
def test_nhwc_io(name):
    m, feeds = build(CASES[name])
    check(m, feeds, nhwc=True)


def test_shape_arithmetic_folds_to_constants():
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exporters write x.view(n, -1)."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["r"]),
        helper.make_node("Relu", ["r"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array([0], np.int64), "ax0"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [2, 3, 4, 5])],
                          [helper.make_tensor_value_info("y", 1, [2, 60])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    ir_model = load(m)
    assert [op.type for op in ir_model.main.ops] == ["RESHAPE", "RELU"]
    check(m, {"x": X4[:, :, :4, :5].copy()})


def test_erf_gelu_pattern_becomes_one_gelu():
    x = "x"
    nodes = [
        helper.make_node("Div", [x, "sqrt2"], ["d"]),
        helper.make_node("Erf", ["d"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["a"]),
        helper.make_node("Mul", [x, "a"], ["m"]),
        helper.make_node("Mul", ["m", "half"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(np.sqrt(2), np.float32), "sqrt2"),
             numpy_helper.from_array(np.array(1, np.float32), "one"),
             numpy_helper.from_array(np.array(0.5, np.float32), "half")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [2, 8])],
                          [helper.make_tensor_value_info("y", 1, [2, 8])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    assert [op.type for op in load(m).main.ops] == ["GELU"]
    check(m, {"x": rnd(2, 8, lo=-4, hi=4)})


def test_initializers_listed_as_inputs_are_not_model_inputs():
    w = rnd(4, 3)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", 1, [2, 4]),
                           helper.make_tensor_value_info("w", 1, [4, 3])],
                          [helper.make_tensor_value_info("y", 1, [2, 3])],
                          [numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 8)])
    m.ir_version = 3
    assert [t.name for t in load(m).main.inputs] == ["x"]
    check(m, {"x": rnd(2, 4)})


def test_dynamic_batch_runs_at_other_batch_sizes():
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                           helper.make_node("Relu", ["c"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", 1, ["N", 3, 6, 7])],
                          [helper.make_tensor_value_info("y", 1, ["N", 4, 6, 7])],
                          [numpy_helper.from_array(rnd(4, 3, 3, 3), "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    check(m, {"x": X4})
    check(m, {"x": rnd(5, 3, 6, 7)})


def test_unsupported_op_names_type_node_index_and_opset():
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="first"),
                           helper.make_node("Det", ["r"], ["y"], name="the_det")], "g",
                          [helper.make_tensor_value_info("x", 1, [3, 3])],
                          [helper.make_tensor_value_info("y", 1, [])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(ConversionError) as e:
        ember.convert(m)
    msg = str(e.value)
    for part in ("Det", "the_det", "index 1", "opset 13"):
        assert part in msg, msg


def test_unknown_non_batch_dim_asks_for_input_shapes():
    g = helper.make_graph([helper.make_node("Relu", ["image"], ["y"])], "g",
                          [helper.make_tensor_value_info("image", 1, ["N", 3, "H", "W"])],
                          [helper.make_tensor_value_info("y", 1, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(ConversionError) as e:
        ember.convert(m)
    msg = str(e.value)
    assert "'image'" in msg and "input_shapes=" in msg and "--input-shape image=" in msg, msg
    data = ember.convert(m, input_shapes={"image": (1, 3, 4, 5)})
    x = rnd(1, 3, 4, 5)
    assert_close(run_ember(data, [x])[0], np.maximum(x, 0))
    with pytest.raises(ConversionError, match="not an input"):
        ember.convert(m, input_shapes={"nope": (1, 2)})


def test_constant_output_and_passthrough_outputs_keep_their_names():
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["same"]),
                           helper.make_node("Shape", ["x"], ["shape"])], "g",
                          [helper.make_tensor_value_info("x", 1, [2, 3])],
                          [helper.make_tensor_value_info("same", 1, [2, 3]),
                           helper.make_tensor_value_info("shape", 7, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    data = ember.convert(m)
    it = ember.Interpreter(model_content=data)
    assert [d["name"] for d in it.get_output_details()] == ["same", "shape"]
    check(m, {"x": rnd(2, 3)})


def test_malformed_source_is_a_conversion_error(tmp_path):
    p = tmp_path / "bad.onnx"
    p.write_bytes(b"not a protobuf at all")
    with pytest.raises(ConversionError):
        ember.convert(str(p))


def test_litert_is_available():
    try:
        import ai_edge_litert  # noqa: F401
        ok = True
    except ImportError:
        ok = False
    need(ok, "LiteRT (ai-edge-litert) is not installed")
