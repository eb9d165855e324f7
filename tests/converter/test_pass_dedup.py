"""dedup: equal constants become one tensor and equal ops (CSE) one op."""
import numpy as np

from ember.converter import ir
from ember.converter.passes import dedup
from test_passes import Net, check, op_types


def test_equal_constants_and_then_equal_ops_merge():
    n = Net()
    x = n.input((2, 3))
    a = n.op("ADD", [x, n.const([1.0, 2.0, 3.0])], (2, 3))
    b = n.op("ADD", [x, n.const([1.0, 2.0, 3.0])], (2, 3))
    ea, eb = n.op("EXP", [a], (2, 3)), n.op("EXP", [b], (2, 3))
    n.output(n.op("MUL", [ea, eb], (2, 3)))
    m = check(n, dedup.run)
    assert op_types(m) == {"ADD": 1, "EXP": 1, "MUL": 1}


def test_different_options_dtypes_or_quantisation_keep_both():
    n = Net()
    x = n.input((2, 3))
    a = n.op("ADD", [x, n.const([1.0, 2.0, 3.0])], (2, 3))
    b = n.op("ADD", [x, n.const([1.0, 2.0, 3.0])], (2, 3), fused_activation_function="RELU")
    c = n.op("ADD", [x, n.const([1.0, 2.0, 3.5])], (2, 3))
    n.output(n.op("MUL", [n.op("MUL", [a, b], (2, 3)), c], (2, 3)))
    m = check(n, dedup.run)                 # the two equal constants are shared, nothing else
    assert op_types(m) == {"ADD": 3, "MUL": 2}
    q1 = ir.Tensor("q1", np.int8, data=np.ones(3, np.int8), quant=ir.Quant(0.5, 0))
    q2 = ir.Tensor("q2", np.int8, data=np.ones(3, np.int8), quant=ir.Quant(0.25, 0))
    assert dedup._const_key(q1) != dedup._const_key(q2)


def test_ops_writing_graph_outputs_are_not_merged():
    n = Net()
    x = n.input((2, 3))
    n.output(n.op("EXP", [x], (2, 3), name="one"), n.op("EXP", [x], (2, 3), name="two"))
    check(n, dedup.run, changed=False)
