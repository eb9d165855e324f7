"""fold_constants: ops on constants become constants, computed exactly as the core would."""
import numpy as np
import pytest

from ember.converter.passes import fold_constants
from test_passes import Net, check, op_types

rng = np.random.default_rng(7)


def _consumed(n, value, shape):
    """x + value: a graph output that reads the folded tensor (folding never makes outputs const)."""
    x = n.input(shape)
    return n.output(n.op("ADD", [x, value], shape, name="y"))


def test_data_movement_is_folded_in_numpy_and_keeps_names():
    n = Net()
    a = n.const(rng.standard_normal((2, 3, 4)))
    t = n.op("TRANSPOSE", [a, n.const([2, 0, 1], np.int32)], (4, 2, 3))
    r = n.op("RESHAPE", [t, n.const([4, 6], np.int32)], (4, 6), name="reshaped")
    s = n.op("EXPAND_DIMS", [r, n.const(0, np.int32)], (1, 4, 6))
    q = n.op("SQUEEZE", [s], (4, 6), squeeze_dims=[0])
    c = n.op("CONCATENATION", [q, q], (8, 6), axis=0)
    p = n.op("PACK", [c, c], (8, 2, 6), axis=1, values_count=2)
    _consumed(n, p, (8, 2, 6))
    m = check(n, fold_constants.run)
    assert op_types(m) == {"ADD": 1}
    assert m.main.ops[0].inputs[1].is_const


def test_arithmetic_runs_on_the_core():
    n = Net()
    a, b = n.const(rng.standard_normal((3, 4))), n.const(rng.standard_normal((4,)))
    s = n.op("ADD", [a, b], (3, 4), fused_activation_function="RELU6")
    d = n.op("DIV", [s, n.const(np.full((3, 4), 3.0))], (3, 4))
    e = n.op("EXP", [d], (3, 4))
    m2 = n.op("MEAN", [e, n.const([0], np.int32)], (4,), keep_dims=False)
    _consumed(n, m2, (3, 4))
    m = check(n, fold_constants.run)
    assert op_types(m) == {"ADD": 1}


def test_shape_of_a_known_tensor_folds_but_not_with_an_unknown_batch():
    for batch, folded in ((2, True), (None, False)):
        n = Net()
        x = n.input((batch, 3))
        s = n.op("SHAPE", [x], (2,), np.int32, out_type="INT32")
        r = n.op("RESHAPE", [x, s], (batch, 3))
        n.output(n.op("RELU", [r], (batch, 3)))
        m = check(n, fold_constants.run, changed=folded)
        assert ("SHAPE" in op_types(m)) != folded


def test_casts():
    n = Net()
    i = n.const([[-3, 7, 1 << 20]], np.int32)
    f = n.op("CAST", [i], (1, 3), np.float32)                     # numpy: exact
    g = n.op("CAST", [n.const([[-1.7, 2.5, 1e9]])], (1, 3), np.int32)   # core: truncation rules
    gf = n.op("CAST", [g], (1, 3), np.float32)
    _consumed(n, n.op("ADD", [f, gf], (1, 3)), (1, 3))
    m = check(n, fold_constants.run)
    assert op_types(m) == {"ADD": 1}


def test_dequantize_of_compact_weights_is_kept():
    n = Net()
    x = n.input((1, 4))
    w16 = n.const(rng.standard_normal((2, 4)), np.float16)
    w = n.op("DEQUANTIZE", [w16], (2, 4))
    n.output(n.op("FULLY_CONNECTED", [x, w, None], (1, 2)))
    m = check(n, fold_constants.run, changed=False)
    assert op_types(m)["DEQUANTIZE"] == 1


@pytest.mark.parametrize("size,folded", [(16, True), (1 << 19, False)])
def test_fill_that_would_blow_up_is_kept(size, folded):
    n = Net()
    f = n.op("FILL", [n.const([size], np.int32), n.const(1.5)], (size,))
    _consumed(n, f, (size,))
    m = check(n, fold_constants.run, changed=folded)
    assert ("FILL" in op_types(m)) != folded


def test_graph_outputs_stay_computed():
    n = Net()
    y = n.op("ADD", [n.const([1.0, 2.0]), n.const([3.0, 4.0])], (2,), name="y")
    x = n.input((2,))
    n.output(y, n.op("MUL", [x, y], (2,)))
    check(n, fold_constants.run, changed=False)


def test_folding_cascades_through_a_chain():
    n = Net()
    a = n.const(rng.standard_normal((2, 2)))
    for _ in range(5):
        a = n.op("MUL", [a, n.const(1.25)], (2, 2))
    _consumed(n, a, (2, 2))
    m = check(n, fold_constants.run)
    assert op_types(m) == {"ADD": 1}
