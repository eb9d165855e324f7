"""dce: ops nobody reads go; side effects and graph outputs stay."""
import numpy as np

from ember.converter import ir
from ember.converter.passes import dce
from ember.schema.writer import write
from test_passes import Net, check, op_types


def test_a_dead_chain_goes_in_one_run_and_its_constants_with_it():
    n = Net()
    x = n.input((2, 3))
    live = n.op("ABS", [x], (2, 3))
    dead = n.op("MUL", [x, n.const(np.full(3, 7.0), name="dead_const")], (2, 3))
    dead = n.op("EXP", [dead], (2, 3))
    n.op("RESHAPE", [dead, n.const([6], np.int32)], (6,))
    n.output(live)
    m = check(n, dce.run)
    assert op_types(m) == {"ABS": 1}
    from ember import Interpreter
    names = {d["name"] for d in Interpreter(model_content=write(m)).get_tensor_details()}
    assert "dead_const" not in names


def test_unread_outputs_of_a_live_op_and_graph_outputs_stay():
    n = Net()
    x = n.input((4, 2))
    a, b = (ir.Tensor(f"part{i}", np.float32, shape=(2, 2)) for i in range(2))
    n.g.add("SPLIT", [n.const(0, np.int32), x], [a, b], {"num_splits": 2})
    n.output(n.op("NEG", [a], (2, 2)), n.op("ABS", [x], (4, 2)))
    check(n, dce.run, changed=False)


def test_side_effects_stay():
    # Structural only: the IR has no RESOURCE dtype for a runnable VAR_HANDLE graph.
    n = Net()
    x = n.input((2,))
    h = n.op("VAR_HANDLE", [], (), np.int32, shared_name="v")
    n.g.add("ASSIGN_VARIABLE", [h, x], [])
    n.g.add("CUSTOM", [x], [ir.Tensor("unread", np.float32, shape=(2,))], custom_code="Logger")
    n.output(n.op("ABS", [x], (2,)))
    assert not dce.run(n.model)
    assert op_types(n.model) == {"VAR_HANDLE": 1, "ASSIGN_VARIABLE": 1, "CUSTOM": 1, "ABS": 1}
