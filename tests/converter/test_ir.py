"""The converter IR's own graph operations."""
import numpy as np
import pytest

from ember.converter import ir


def _chain(n):
    g = ir.Graph()
    prev = ir.Tensor("x", np.float32, (1,))
    g.inputs = [prev]
    ops = []
    for i in range(n):
        t = ir.Tensor(f"t{i}", np.float32, (1,))
        ops.append(ir.Op("RELU", [prev], [t]))
        prev = t
    g.outputs = [prev]
    return g, ops


def test_topo_sort_orders_a_chain_deeper_than_the_recursion_limit():
    g, ops = _chain(5000)
    g.ops = ops[::-1]
    g.topo_sort()
    assert g.ops == ops


def test_topo_sort_keeps_a_valid_order_and_handles_diamonds():
    g, (a, b) = _chain(2)
    x, t0 = g.inputs[0], a.outputs[0]
    y = ir.Tensor("y", np.float32, (1,))
    join = ir.Op("ADD", [t0, b.outputs[0]], [y])
    g.ops = [join, b, a]
    g.topo_sort()
    assert g.ops == [a, b, join]
    assert g.inputs == [x]


def test_topo_sort_refuses_a_cycle():
    a = ir.Tensor("a", np.float32, (1,))
    b = ir.Tensor("b", np.float32, (1,))
    g = ir.Graph()
    g.ops = [ir.Op("RELU", [a], [b]), ir.Op("RELU", [b], [a])]
    with pytest.raises(ir.ConversionError, match="cycle"):
        g.topo_sort()
