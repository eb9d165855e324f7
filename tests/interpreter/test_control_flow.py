"""IF, WHILE, CALL_ONCE and resource variables against LiteRT."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import assert_matches_litert, ember as run_ember


def _if_model():
    b = ModelBuilder()
    c = b.input("cond", [], "bool")
    x = b.input("x", [2, 3], "float32")
    y = b.tensor("y", [2, 3], "float32")
    then = b.subgraph("then")
    tx = then.input("tx", [2, 3], "float32")
    two = then.const("two", np.full((1,), 2.0, np.float32))
    ty = then.tensor("ty", [2, 3], "float32")
    then.op("MUL", [tx, two], [ty], options=("MulOptions", {}))
    then.output(ty)
    other = b.subgraph("else")
    ex = other.input("ex", [2, 3], "float32")
    ey = other.tensor("ey", [2, 3], "float32")
    other.op("NEG", [ex], [ey])
    other.output(ey)
    b.op("IF", [c, x], [y], options=("IfOptions", {"then_subgraph_index": then.index,
                                                   "else_subgraph_index": other.index}))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("cond", [True, False])
def test_if_takes_the_right_branch(cond):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = assert_matches_litert(_if_model(), [np.array(cond), x])
    np.testing.assert_array_equal(got[0], x * 2 if cond else -x)


def _while_model(limit=10.0):
    """i = 0; acc = x; while i < limit: i += 1; acc = acc * 1.5"""
    b = ModelBuilder()
    i0 = b.input("i", [1], "float32")
    x = b.input("x", [4], "float32")
    io = b.tensor("i_out", [1], "float32")
    xo = b.tensor("x_out", [4], "float32")
    cond = b.subgraph("cond")
    ci = cond.input("ci", [1], "float32")
    cond.input("cx", [4], "float32")
    lim = cond.const("limit", np.array([limit], np.float32))
    less = cond.tensor("less", [1], "bool")
    cond.op("LESS", [ci, lim], [less])
    flag = cond.tensor("flag", [], "bool")
    shape = cond.const("scalar", np.array([], np.int32))
    cond.op("RESHAPE", [less, shape], [flag])
    cond.output(flag)
    body = b.subgraph("body")
    bi = body.input("bi", [1], "float32")
    bx = body.input("bx", [4], "float32")
    one = body.const("one", np.array([1.0], np.float32))
    k = body.const("k", np.array([1.5], np.float32))
    bi2 = body.tensor("bi2", [1], "float32")
    bx2 = body.tensor("bx2", [4], "float32")
    body.op("ADD", [bi, one], [bi2], options=("AddOptions", {}))
    body.op("MUL", [bx, k], [bx2], options=("MulOptions", {}))
    body.output(bi2, bx2)
    b.op("WHILE", [i0, x], [io, xo], options=("WhileOptions", {"cond_subgraph_index": cond.index,
                                                              "body_subgraph_index": body.index}))
    b.output(io, xo)
    return b.build()


def test_while_loops_until_the_condition_fails():
    x = np.array([1, -2, 3, 0.5], np.float32)
    got = assert_matches_litert(_while_model(), [np.zeros(1, np.float32), x])
    assert got[0][0] == 10.0
    np.testing.assert_allclose(got[1], x * 1.5 ** 10, rtol=1e-6)


def test_while_that_never_runs_passes_inputs_through():
    x = np.array([1, 2, 3, 4], np.float32)
    got = assert_matches_litert(_while_model(), [np.array([20.0], np.float32), x])
    np.testing.assert_array_equal(got[1], x)


def _variable_model():
    """CALL_ONCE initialises a variable to 10; each invoke adds x to it and returns it."""
    b = ModelBuilder()
    x = b.input("x", [2], "float32")
    init = b.subgraph("init")
    h0 = init.tensor("h0", [], "resource")
    init.op("VAR_HANDLE", [], [h0], options=("VarHandleOptions", {"shared_name": "acc"}))
    ten = init.const("ten", np.full((2,), 10.0, np.float32))
    init.op("ASSIGN_VARIABLE", [h0, ten], [])
    b.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": init.index}))
    h = b.tensor("h", [], "resource")
    b.op("VAR_HANDLE", [], [h], options=("VarHandleOptions", {"shared_name": "acc"}))
    cur = b.tensor("cur", [2], "float32")
    b.op("READ_VARIABLE", [h], [cur])
    new = b.tensor("new", [2], "float32")
    b.op("ADD", [cur, x], [new], options=("AddOptions", {}))
    b.op("ASSIGN_VARIABLE", [h, new], [])
    b.output(new)
    return b.build()


def test_resource_variables_persist_across_invokes_like_litert():
    from ai_edge_litert import interpreter as lrt
    model = _variable_model()
    results = []
    for mod in (ember, lrt):
        it = mod.Interpreter(model_content=model)
        it.allocate_tensors()
        seq = []
        for step in range(3):
            it.set_tensor(it.get_input_details()[0]["index"], np.full((2,), step, np.float32))
            it.invoke()
            seq.append(it.get_tensor(it.get_output_details()[0]["index"]).copy())
        results.append(seq)
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(results[0][-1], [13.0, 13.0])


def test_subgraph_calling_itself_is_refused():
    b = ModelBuilder()
    c = b.input("cond", [], "bool")
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    b.op("IF", [c, x], [y], options=("IfOptions", {"then_subgraph_index": 0, "else_subgraph_index": 0}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError, match="recursive"):
        it.allocate_tensors()


def test_mutually_recursive_subgraphs_are_refused():
    b = ModelBuilder()
    c = b.input("cond", [], "bool")
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    sub = b.subgraph("sub")
    sc = sub.input("sc", [], "bool")
    sx = sub.input("sx", [2], "float32")
    sy = sub.tensor("sy", [2], "float32")
    sub.op("IF", [sc, sc, sx], [sy], options=("IfOptions", {"then_subgraph_index": 0, "else_subgraph_index": 0}))
    sub.output(sy)
    b.op("IF", [c, c, x], [y], options=("IfOptions", {"then_subgraph_index": sub.index,
                                                   "else_subgraph_index": sub.index}))
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError, match="recursive|nest deeper"):
        it.allocate_tensors()


def test_missing_subgraph_index_is_refused():
    b = ModelBuilder()
    c = b.input("cond", [], "bool")
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    b.op("IF", [c, x], [y], options=("IfOptions", {"then_subgraph_index": 7, "else_subgraph_index": 0}))
    b.output(y)
    with pytest.raises(ember.EmberError, match="subgraph 7 does not exist"):
        run_ember(b.build(), [np.array(True), np.zeros(2, np.float32)])
