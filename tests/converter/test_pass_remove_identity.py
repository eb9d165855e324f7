"""remove_identity: no-op ops go; graph output names stay."""
import numpy as np
import pytest

from ember.converter import ir
from ember.converter.passes import remove_identity
from ember.schema.writer import write
from test_passes import Net, check, op_types, output_names

S = (2, 3, 4)


def _noop(n, kind, x):
    if kind == "RESHAPE":
        return n.op(kind, [x, n.const(list(S), np.int32)], S)
    if kind == "SQUEEZE":
        return n.op(kind, [x], S)
    if kind == "TRANSPOSE":
        return n.op(kind, [x, n.const([0, 1, 2], np.int32)], S)
    if kind == "CAST":
        return n.op(kind, [x], S)
    if kind in ("ADD", "SUB"):
        return n.op(kind, [x, n.const(np.zeros(4))], S)
    if kind == "ADD0":
        return n.op("ADD", [n.const(0.0), x], S)
    if kind in ("MUL", "DIV"):
        return n.op(kind, [x, n.const(np.ones((1, 1, 4)))], S)
    if kind == "PAD":
        return n.op(kind, [x, n.const(np.zeros((3, 2)), np.int32)], S)
    if kind == "SLICE":
        return n.op(kind, [x, n.const([0, 0, 0], np.int32), n.const([-1, 3, -1], np.int32)], S)
    if kind == "STRIDED_SLICE":
        return n.op(kind, [x, n.const([0, 0, 0], np.int32), n.const([2, 3, 4], np.int32),
                           n.const([1, 1, 1], np.int32)], S)
    if kind == "CONCATENATION":
        return n.op(kind, [x], S, axis=1)
    if kind == "TILE":
        return n.op(kind, [x, n.const([1, 1, 1], np.int32)], S)
    raise AssertionError(kind)


KINDS = ["RESHAPE", "SQUEEZE", "TRANSPOSE", "CAST", "ADD", "ADD0", "SUB", "MUL", "DIV", "PAD",
         "SLICE", "STRIDED_SLICE", "CONCATENATION", "TILE"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_no_op_is_removed(kind):
    n = Net()
    x = n.input(S)
    y = _noop(n, kind, n.op("ABS", [x], S))
    n.output(n.op("NEG", [y], S))
    m = check(n, remove_identity.run)
    assert op_types(m) == {"ABS": 1, "NEG": 1}


@pytest.mark.parametrize("kind", ["RESHAPE", "ADD"])
def test_removed_op_writing_a_graph_output_keeps_the_output_name(kind):
    n = Net()
    x = n.input(S)
    y = _noop(n, kind, n.op("ABS", [x], S, name="hidden"))
    y.name = "result"
    n.output(y)
    n.model.default_signature()
    m = check(n, remove_identity.run)
    assert op_types(m) == {"ABS": 1}
    assert output_names(write(m)) == ["result"]


def test_an_identity_straight_from_the_input_stays():
    n = Net()
    x = n.input(S)
    n.output(_noop(n, "RESHAPE", x))
    check(n, remove_identity.run, changed=False)


@pytest.mark.parametrize("why", ["broadcasting add", "add of nonzero", "zero minus x",
                                 "activation", "real reshape", "slice of part"])
def test_kept(why):
    n = Net()
    x = n.input(S)
    a = n.op("ABS", [x], S)
    if why == "broadcasting add":
        y = n.op("ADD", [a, n.const(np.zeros((5, 1, 1, 1)))], (5,) + S)
    elif why == "add of nonzero":
        y = n.op("ADD", [a, n.const(np.full(4, 1e-30))], S)
    elif why == "zero minus x":
        y = n.op("SUB", [n.const(np.zeros(4)), a], S)
    elif why == "activation":
        y = n.op("ADD", [a, n.const(np.zeros(4))], S, fused_activation_function="RELU")
    elif why == "real reshape":
        y = n.op("RESHAPE", [a, n.const([3, 2, 4], np.int32)], (3, 2, 4))
    else:
        y = n.op("SLICE", [a, n.const([0, 1, 0], np.int32), n.const([-1, 2, -1], np.int32)], (2, 2, 4))
    n.output(n.op("NEG", [y], y.shape))
    check(n, remove_identity.run, changed=False)


def test_quantize_of_dequantize_back_to_the_same_parameters():
    n = Net()
    x = n.input((1, 8), np.int8)
    q = ir.Quant(0.05, 3)
    x.quant = q
    d = n.op("DEQUANTIZE", [x], (1, 8))
    r = n.op("QUANTIZE", [d], (1, 8), np.int8)
    r.quant = ir.Quant(0.05, 3)
    y = n.op("ADD", [r, r], (1, 8), np.int8)
    y.quant = ir.Quant(0.1, 3)
    n.output(y)
    m = check(n, remove_identity.run)
    assert op_types(m) == {"DEQUANTIZE": 1, "ADD": 1}       # the DEQUANTIZE is dead now (DCE)
    assert all(t is m.main.inputs[0] for t in m.main.ops[-1].inputs)


def test_unknown_batch_reshape_to_the_same_shape_is_removed():
    n = Net()
    x = n.input((None, 3, 4))
    a = n.op("ABS", [x], (None, 3, 4))
    y = n.op("RESHAPE", [a, n.const([-1, 3, 4], np.int32)], (None, 3, 4))
    n.output(n.op("NEG", [y], (None, 3, 4)))
    m = check(n, remove_identity.run, batch=3)
    assert op_types(m) == {"ABS": 1, "NEG": 1}


def test_a_subgraph_output_keeps_its_tensor_when_its_no_op_goes():
    m = ir.Model()
    main, body = m.main, ir.Graph("branch")
    flag = ir.Tensor("flag", np.bool_, shape=(1,))
    x = ir.Tensor("x", np.float32, shape=S)
    y = ir.Tensor("y", np.float32, shape=S)
    main.inputs, main.outputs = [flag, x], [y]
    main.add("IF", [flag, x], [y], {"then_subgraph_index": 1, "else_subgraph_index": 1})
    bx, a, by = (ir.Tensor(n, np.float32, shape=S) for n in ("bx", "a", "by"))
    body.inputs, body.outputs = [bx], [by]
    body.add("ABS", [bx], [a])
    body.add("RESHAPE", [a, ir.Tensor("s", np.int32, data=np.array(S, np.int32))], [by])
    m.subgraphs.append(body)
    out = check(m, remove_identity.run)
    (op,) = out.subgraphs[1].ops
    assert op.type == "ABS" and op.outputs[0] is out.subgraphs[1].outputs[0]
