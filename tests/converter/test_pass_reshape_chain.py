"""reshape_chain: RESHAPE/SQUEEZE/EXPAND_DIMS chains become one RESHAPE with a constant shape."""
import numpy as np

from ember.converter.passes import reshape_chain
from test_passes import Net, check, op_types


def _chain(n, batch):
    x = n.input((batch, 2, 3))
    a = n.op("ABS", [x], (batch, 2, 3))
    r = n.op("RESHAPE", [a, n.const([-1, 6], np.int32)], (batch, 6))
    e = n.op("EXPAND_DIMS", [r, n.const(1, np.int32)], (batch, 1, 6))
    s = n.op("EXPAND_DIMS", [e, n.const(-1, np.int32)], (batch, 1, 6, 1))
    q = n.op("SQUEEZE", [s], (batch, 6, 1), squeeze_dims=[1])
    return n.output(n.op("NEG", [q], (batch, 6, 1), name="y"))


def test_a_chain_becomes_one_reshape():
    n = _chain(Net(), 2)
    m = check(n, reshape_chain.run)
    assert op_types(m) == {"ABS": 1, "RESHAPE": 1, "NEG": 1}
    np.testing.assert_array_equal(m.main.ops[1].inputs[1].data, [2, 6, 1])


def test_an_unknown_batch_stays_minus_one():
    n = _chain(Net(), None)
    m = check(n, reshape_chain.run, batch=3)
    assert op_types(m) == {"ABS": 1, "RESHAPE": 1, "NEG": 1}
    np.testing.assert_array_equal(m.main.ops[1].inputs[1].data, [-1, 6, 1])


def test_a_computed_shape_becomes_a_constant():
    n = Net()
    x = n.input((None, 2, 3))
    s = n.op("SHAPE", [x], (3,), np.int32, out_type="INT32")
    b = n.op("STRIDED_SLICE", [s, n.const([0], np.int32), n.const([1], np.int32), n.const([1], np.int32)],
             (1,), np.int32)
    shape = n.op("CONCATENATION", [b, n.const([6], np.int32)], (2,), np.int32, axis=0)
    n.output(n.op("RESHAPE", [x, shape], (None, 6)))
    m = check(n, reshape_chain.run, batch=4)
    np.testing.assert_array_equal(m.main.ops[-1].inputs[1].data, [-1, 6])


def test_a_reader_elsewhere_or_two_unknown_dims_keep_the_chain():
    n = Net()
    x = n.input((None, 2, None))
    r = n.op("EXPAND_DIMS", [x, n.const(0, np.int32)], (1, None, 2, None))
    n.output(n.op("SQUEEZE", [r], (None, 2, None), squeeze_dims=[0]))
    check(n, reshape_chain.run, changed=False)
    n = Net()
    x = n.input((2, 3))
    r = n.op("RESHAPE", [x, n.const([6], np.int32)], (6,))
    n.output(n.op("EXPAND_DIMS", [r, n.const(0, np.int32)], (1, 6)), r)
    check(n, reshape_chain.run, changed=False)
