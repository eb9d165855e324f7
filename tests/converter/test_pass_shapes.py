"""infer_shapes: every tensor's shape from the C core's prepare, checked against LiteRT's."""
import numpy as np
import pytest

from ember.converter import ir
from ember.converter.passes import shapes
from ember.schema.writer import write
from oracle import assert_close, ember, litert
from test_passes import Net, inputs_for


def _small_cnn(batch=1):
    n = Net()
    x = n.input((batch, 8, 8, 3), name="image")
    w = n.const(np.random.default_rng(1).standard_normal((4, 3, 3, 3)))
    b = n.const(np.zeros(4))
    c = n.op("CONV_2D", [x, w, b], (batch, 4, 4, 4), padding="SAME", stride_w=2, stride_h=2)
    p = n.op("MAX_POOL_2D", [c], (batch, 2, 2, 4), padding="VALID", stride_w=2, stride_h=2,
             filter_width=2, filter_height=2)
    r = n.op("RESHAPE", [p, n.const([-1, 16], np.int32)], (batch, 16))
    fw = n.const(np.random.default_rng(2).standard_normal((5, 16)))
    y = n.op("FULLY_CONNECTED", [r, fw, None], (batch, 5), name="logits")
    return n.output(y)


def _litert_shapes(model):
    from ai_edge_litert import interpreter as lrt
    it = lrt.Interpreter(model_content=write(model))
    it.allocate_tensors()
    return {d["name"]: tuple(int(v) for v in d["shape"]) for d in it.get_tensor_details()}


def test_unknown_shapes_are_filled_as_litert_computes_them():
    n = _small_cnn()
    want = _litert_shapes(n.model)
    for t in n.g.tensors():
        if not t.is_const and t not in n.g.inputs:
            t.shape = None
    assert shapes.infer_shapes(n.model)
    got = {t.name: t.shape for t in n.g.tensors()}
    assert got == {k: v for k, v in want.items() if k in got}
    assert not shapes.infer_shapes(n.model)           # a second run has nothing to do


def test_wrong_frontend_shapes_are_corrected():
    n = _small_cnn()
    want = _litert_shapes(n.model)
    n.g.ops[1].outputs[0].shape = (1, 3, 3, 4)       # the pool's output, wrongly stated
    assert shapes.infer_shapes(n.model)
    assert n.g.ops[1].outputs[0].shape == want[n.g.ops[1].outputs[0].name]


def test_unknown_batch_is_found_by_preparing_at_two_batch_sizes():
    n = _small_cnn(batch=None)
    for t in n.g.tensors():
        if not t.is_const and t not in n.g.inputs:
            t.shape = None
    shapes.infer_shapes(n.model)
    by_name = {t.name: t.shape for t in n.g.tensors() if not t.is_const}
    assert by_name["logits"] == (None, 5)
    assert all(s[0] is None for s in by_name.values())
    data = write(n.model)
    xs = inputs_for(n.model, batch=3)
    from ember import Interpreter
    sig = [list(d["shape_signature"]) for d in Interpreter(model_content=data).get_output_details()]
    assert sig == [[-1, 5]]
    for a, b in zip(ember(data, xs), litert(data, xs)):
        assert a.shape == (3, 5)
        assert_close(a, b, rtol=1e-5)


def test_a_graph_pinned_to_batch_one_keeps_batch_one_shapes():
    n = Net()
    x = n.input((None, 4))
    r = n.op("RESHAPE", [x, n.const([2, 2], np.int32)], None)      # only runs at batch 1
    n.output(n.op("RELU", [r], None))
    shapes.infer_shapes(n.model)
    assert n.g.outputs[0].shape == (2, 2)


def test_duplicate_names_map_back_to_the_right_tensors():
    n = Net()
    x = n.input((2, 3))
    a = n.op("RESHAPE", [x, n.const([3, 2], np.int32)], None, name="same")
    b = n.op("RESHAPE", [a, n.const([6], np.int32)], None, name="same")
    n.output(n.op("RELU", [b], None, name="y"))
    shapes.infer_shapes(n.model)
    assert [a.shape, b.shape, n.g.outputs[0].shape] == [(3, 2), (6,), (6,)]
    assert a.name == b.name == "same"                 # names are left as the frontend gave them


def test_a_node_the_core_refuses_is_named():
    n = Net()
    x = n.input((2, 3))
    y = n.op("ADD", [x, n.const(np.ones(4))], None)
    n.output(y)
    with pytest.raises(ir.ConversionError, match=r"ADD producing 'add\d+' \(from test ADD\)"):
        shapes.infer_shapes(n.model)


def test_an_input_without_a_shape_asks_for_input_shapes():
    n = Net()
    x = n.input(None, name="tokens")
    n.output(n.op("RELU", [x], None))
    n.g.inputs[0].shape = None
    with pytest.raises(ir.ConversionError, match=r"input_shapes=\{'tokens'"):
        shapes.infer_shapes(n.model)


def test_control_flow_bodies_get_shapes_too():
    m = ir.Model()
    main, body = m.main, ir.Graph("then")
    cond_x = ir.Tensor("flag", np.bool_, shape=(1,))
    x = ir.Tensor("x", np.float32, shape=(2, 3))
    y = ir.Tensor("y", np.float32, shape=None)
    main.inputs, main.outputs = [cond_x, x], [y]
    main.add("IF", [cond_x, x], [y], {"then_subgraph_index": 1, "else_subgraph_index": 1})
    bx = ir.Tensor("bx", np.float32, shape=(2, 3))
    by = ir.Tensor("by", np.float32, shape=None)
    mid = ir.Tensor("mid", np.float32, shape=None)
    body.inputs, body.outputs = [bx], [by]
    body.add("RESHAPE", [bx, ir.Tensor("s", np.int32, data=np.array([3, 2], np.int32))], [mid])
    body.add("RELU", [mid], [by])
    m.subgraphs.append(body)
    shapes.infer_shapes(m)
    assert (mid.shape, by.shape, y.shape) == ((3, 2), (3, 2), (3, 2))


def test_an_unknown_non_batch_dim_asks_for_input_shapes_unless_the_file_has_all_shapes():
    n = Net()
    x = n.input((1, None, 3), name="seq")
    y = n.op("RELU", [x], None)
    n.output(y)
    with pytest.raises(ir.ConversionError, match=r"input 'seq' has an unknown dimension .*input_shapes="):
        shapes.infer_shapes(n.model)
    y.shape = (1, None, 3)
    assert not shapes.infer_shapes(n.model)
