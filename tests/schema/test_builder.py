"""ModelBuilder output loads and runs in LiteRT and round-trips via read_model."""
import math

import numpy as np
import pytest

from ember.schema import schema_generated as fb
from ember.schema.builder import ModelBuilder, read_model

from conftest import need

try:
    from ai_edge_litert import interpreter as litert
except ImportError:  # outside CI: skip with a reason; under CI=true: fail
    litert = None


@pytest.fixture(autouse=True)
def _needs_litert():
    need(litert is not None, "LiteRT (pip install ai-edge-litert) is the oracle for these tests")


def run(data, *inputs, delegates=True):
    kw = {}
    if not delegates:
        kw["experimental_op_resolver_type"] = litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = litert.Interpreter(model_content=data, **kw)
    it.allocate_tensors()
    for d, v in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], v)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def buffer_data_offsets(data):
    """Absolute file offset of each non-empty buffer's data."""
    m = fb.Model.GetRootAs(data, 0)
    out = []
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        o = b._tab.Offset(4)  # field id 0 (data)
        if o and b.DataLength():
            out.append((i, b._tab.Vector(o), b.DataLength()))
    return out


def test_add_broadcast_const():
    b = ModelBuilder(description="add")
    x = b.input("x", [2, 3], "float32")
    c = b.const("c", np.array([1.0, 2.0, 3.0], np.float32))
    y = b.tensor("y", [2, 3], "float32")
    b.op("ADD", [x, c], [y], options=("AddOptions", {"fused_activation_function": "NONE"}))
    b.output(y)
    data = b.build()
    assert data[4:8] == b"TFL3"
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    (got,) = run(data, xv)
    np.testing.assert_array_equal(got, xv + np.array([1, 2, 3], np.float32))
    m = read_model(data)
    assert m.version == 3
    assert m.description == b"add"
    assert m.buffers[0].data is None or len(m.buffers[0].data) == 0
    assert (m.operatorCodes[0].builtinCode, m.operatorCodes[0].deprecatedBuiltinCode) == (0, 0)


def conv_ref(x, w, bias, stride, relu):
    n, h, wd, _ = x.shape
    oc, kh, kw, _ = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, oc), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.einsum("nhwc,ohwc->no", patch, w) + bias
    return np.maximum(out, 0) if relu else out


def test_conv2d_with_options():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((1, 9, 9, 3)).astype(np.float32)
    wv = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bv = rng.standard_normal(4).astype(np.float32)
    b = ModelBuilder(description="conv")
    x = b.input("x", [1, 9, 9, 3], np.float32)
    w = b.const("w", wv)
    bias = b.const("bias", bv)
    y = b.tensor("y", [1, 4, 4, 4], "float32")
    b.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {
        "padding": "VALID", "stride_w": 2, "stride_h": 2, "fused_activation_function": "RELU"}))
    b.output(y)
    data = b.build()
    (got,) = run(data, xv)
    np.testing.assert_allclose(got, conv_ref(xv, wv, bv, 2, True), rtol=1e-4, atol=1e-4)
    opts = read_model(data).subgraphs[0].operators[0].builtinOptions
    assert isinstance(opts, fb.Conv2DOptionsT)
    assert (opts.padding, opts.strideW, opts.strideH, opts.fusedActivationFunction) == (
        fb.Padding.VALID, 2, 2, fb.ActivationFunctionType.RELU)
    assert opts.dilationWFactor == 1


def test_conv2d_same_padding_and_omitted_input():
    b = ModelBuilder()
    x = b.input("x", [1, 8, 8, 3], "float32")
    w = b.const("w", np.ones((4, 3, 3, 3), np.float32))
    bias = b.const("bias", np.zeros(4, np.float32))
    y = b.tensor("y", [1, 8, 8, 4], "float32")
    b.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "fused_activation_function": "RELU"}))
    b.output(y)
    (got,) = run(b.build(), np.ones((1, 8, 8, 3), np.float32))
    assert got.shape == (1, 8, 8, 4)
    assert got[0, 4, 4, 0] == 27.0 and got[0, 0, 0, 0] == 12.0
    # -1 marks an omitted optional input and survives serialisation
    b2 = ModelBuilder()
    x = b2.input("x", [1, 8, 8, 3], "float32")
    w = b2.const("w", np.ones((4, 3, 3, 3), np.float32))
    y = b2.tensor("y", [1, 8, 8, 4], "float32")
    b2.op("CONV_2D", [x, w, -1], [y], options=("Conv2DOptions", {"padding": "SAME"}))
    b2.output(y)
    assert list(read_model(b2.build()).subgraphs[0].operators[0].inputs) == [x, w, -1]


def test_opcode_ge_127_gelu():
    b = ModelBuilder()
    x = b.input("x", [5], "float32")
    y = b.tensor("y", [5], "float32")
    b.op("GELU", [x], [y], options=("GeluOptions", {"approximate": False}))
    b.output(y)
    data = b.build()
    oc = read_model(data).operatorCodes[0]
    assert oc.builtinCode == 150
    assert oc.deprecatedBuiltinCode == 127
    xv = np.array([-2, -0.5, 0, 0.5, 2], np.float32)
    (got,) = run(data, xv)
    want = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xv.tolist()]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_opcode_dedup():
    b = ModelBuilder()
    x = b.input("x", [4], "float32")
    y1, y2, y3 = (b.tensor(n, [4], "float32") for n in ("y1", "y2", "y3"))
    b.op("RELU", [x], [y1])
    b.op("RELU", [y1], [y2])
    b.op("RELU", [y2], [y3], version=2)
    b.output(y3)
    m = read_model(b.build())
    assert len(m.operatorCodes) == 2
    assert [o.opcodeIndex for o in m.subgraphs[0].operators] == [0, 0, 1]


def test_custom_op_round_trip():
    b = ModelBuilder()
    x = b.input("x", [1, 4, 4, 2], "float32")
    y = b.tensor("y", [1, 8, 8, 2], "float32")
    b.op("CUSTOM", [x], [y], custom_code="Convolution2DTransposeBias", custom_options=b"\x01\x02")
    b.output(y)
    m = read_model(b.build())
    oc = m.operatorCodes[0]
    assert oc.builtinCode == fb.BuiltinOperator.CUSTOM
    assert oc.deprecatedBuiltinCode == fb.BuiltinOperator.CUSTOM
    assert oc.customCode == b"Convolution2DTransposeBias"
    assert bytes(bytearray(m.subgraphs[0].operators[0].customOptions)) == b"\x01\x02"


def test_signature_visible():
    b = ModelBuilder()
    x = b.input("x", [3], "float32")
    y = b.tensor("y", [3], "float32")
    b.op("NEG", [x], [y])
    b.output(y)
    b.signature("serving_default", inputs={"x": x}, outputs={"y": y}, subgraph=0)
    data = b.build()
    it = litert.Interpreter(model_content=data)
    assert it.get_signature_list() == {"serving_default": {"inputs": ["x"], "outputs": ["y"]}}
    out = it.get_signature_runner("serving_default")(x=np.array([1, -2, 3], np.float32))
    np.testing.assert_array_equal(out["y"], [-1, 2, -3])


def test_float16_const_behind_dequantize():
    cv = np.array([[0.5, -1.25, 3.0]], np.float16)
    b = ModelBuilder()
    x = b.input("x", [1, 3], "float32")
    c16 = b.const("c16", cv)
    c32 = b.tensor("c32", [1, 3], "float32")
    b.op("DEQUANTIZE", [c16], [c32])
    y = b.tensor("y", [1, 3], "float32")
    b.op("MUL", [x, c32], [y], options=("MulOptions", {}))
    b.output(y)
    data = b.build()
    assert read_model(data).subgraphs[0].tensors[c16].type == fb.TensorType.FLOAT16
    (got,) = run(data, np.array([[2, 2, 2]], np.float32))
    np.testing.assert_array_equal(got, 2 * cv.astype(np.float32))


def test_int8_quantized_const_dequantize():
    q = np.array([-128, 0, 10, 127], np.int8)
    b = ModelBuilder()
    c = b.const("q", q, quant=dict(scale=[0.5], zero_point=[10], quantized_dimension=0))
    y = b.tensor("y", [4], "float32")
    b.op("DEQUANTIZE", [c], [y])
    b.output(y)
    (got,) = run(b.build(), delegates=False)
    np.testing.assert_allclose(got, 0.5 * (q.astype(np.float32) - 10))


def test_if_with_subgraphs():
    b = ModelBuilder()
    cond = b.input("cond", [1], "bool")
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    branches = []
    for name, opname in (("then", "ABS"), ("else", "NEG")):
        sg = b.subgraph(name)
        i = sg.input("i", [2], "float32")
        o = sg.tensor("o", [2], "float32")
        sg.op(opname, [i], [o])
        sg.output(o)
        branches.append(sg.index)
    assert branches == [1, 2]
    b.op("IF", [cond, x], [y], options=("IfOptions", {
        "then_subgraph_index": branches[0], "else_subgraph_index": branches[1]}))
    b.output(y)
    data = b.build()
    xv = np.array([-1.5, 2.0], np.float32)
    np.testing.assert_array_equal(run(data, np.array([True]), xv)[0], np.abs(xv))
    np.testing.assert_array_equal(run(data, np.array([False]), xv)[0], -xv)


def test_buffers_16_byte_aligned():
    b = ModelBuilder()
    x = b.input("x", [3], "int32")
    consts = [b.const("c%d" % i, np.arange(n, dtype=dt))
              for i, (n, dt) in enumerate([(3, np.int32), (3, np.int8), (5, np.uint8), (7, np.int16),
                                           (1, np.float32), (9, np.int64), (2, np.bool_),
                                           (33, np.float16)])]
    y = b.tensor("y", [3], "int32")
    b.op("ADD", [x, consts[0]], [y])
    b.output(y)
    b.metadata("name", b"abc")
    data = b.build()
    offs = buffer_data_offsets(data)
    assert len(offs) == len(consts) + 1
    for i, off, n in offs:
        assert off % 16 == 0, (i, off)
    m = read_model(data)
    for t in consts:
        buf = m.buffers[m.subgraphs[0].tensors[t].buffer]
        assert len(buf.data) > 0
    assert bytes(bytearray(m.buffers[m.metadata[0].buffer].data)) == b"abc"
    assert m.metadata[0].name == b"name"
    (got,) = run(data, np.array([1, 2, 3], np.int32))
    np.testing.assert_array_equal(got, [1, 3, 5])


def test_dtype_names():
    b = ModelBuilder()
    for name, tt in [("float32", 0), ("int8", 9), ("bool", 6), ("string", 5),
                     ("resource", 13), (np.int16, 7), (np.dtype("uint8"), 3)]:
        t = b.tensor("t_%s" % len(b.tensors), [1], name)
        assert b.tensors[t].type == tt


@pytest.mark.parametrize("call, word", [
    (lambda b, x, y: b.op("NOT_AN_OP", [x], [y]), "NOT_AN_OP"),
    (lambda b, x, y: b.op("ADD", [x, x], [y], options=("NoSuchOptions", {})), "NoSuchOptions"),
    (lambda b, x, y: b.op("ADD", [x, x], [y], options=("AddOptions", {"bogus": 1})), "bogus"),
    (lambda b, x, y: b.op("ADD", [x, x], [y], options=(
        "AddOptions", {"fused_activation_function": "SWISHY"})), "SWISHY"),
    (lambda b, x, y: b.tensor("z", [1], "float99"), "float99"),
])
def test_unknown_names_raise(call, word):
    b = ModelBuilder()
    x = b.input("x", [1], "float32")
    y = b.tensor("y", [1], "float32")
    with pytest.raises(ValueError, match=word):
        call(b, x, y)
