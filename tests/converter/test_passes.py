"""The optimisation pipeline (ember.converter.passes.optimize) and the helpers every pass test uses.

A pass is checked the only way that matters: the rewritten graph, written as
.tflite, gives the same outputs as the original in LiteRT and in Ember
(test_pass_<name>.py test each pass on graphs built here by hand).
"""
import collections
import copy

import numpy as np

from ember.converter import ir
from ember.schema.writer import write
from oracle import assert_close, ember, litert


class Net:
    """A tiny IR graph builder: each op has one output whose shape the test states."""

    def __init__(self):
        self.model = ir.Model()
        self.g = self.model.main
        self.n = 0

    def _name(self, base):
        self.n += 1
        return f"{base}{self.n}"

    def input(self, shape, dtype=np.float32, name=None):
        t = ir.Tensor(name or self._name("in"), dtype, shape=shape)
        self.g.inputs.append(t)
        return t

    def const(self, value, dtype=np.float32, name=None):
        return ir.Tensor(name or self._name("c"), dtype, data=np.asarray(value, dtype))

    def op(self, type_, inputs, shape, dtype=np.float32, name=None, version=1, **options):
        out = ir.Tensor(name or self._name(type_.lower()), dtype, shape=shape)
        self.g.add(type_, inputs, [out], options, version=version, origin=f"test {type_}")
        return out

    def output(self, *ts):
        self.g.outputs.extend(ts)
        return self


def inputs_for(model, batch=1, seed=0):
    rng = np.random.default_rng(seed)
    xs = []
    for t in model.main.inputs:
        shape = [batch if d is None else d for d in t.shape]
        if np.issubdtype(t.dtype, np.floating):
            xs.append((rng.standard_normal(shape) * 3).astype(t.dtype))
        else:
            xs.append(rng.integers(-5, 6, shape).astype(t.dtype))
    return xs


def check(net_or_model, run, *, batch=1, rtol=1e-6, changed=True):
    """Runs ``run`` (a pass's run) on a copy; both graphs agree in LiteRT and Ember. Returns the copy."""
    model = getattr(net_or_model, "model", net_or_model)
    before = write(model)
    after_model = copy.deepcopy(model)
    did = run(after_model)
    assert bool(did) == changed, f"pass reported changed={did}, expected {changed}"
    after = write(after_model)
    xs = inputs_for(model, batch)
    for runtime in (litert, ember):
        want = runtime(before, xs)
        got = runtime(after, xs)
        assert len(got) == len(want)
        for i, (a, b) in enumerate(zip(got, want)):
            assert_close(a, b, rtol=rtol, what=f"{runtime.__name__} output {i}")
    return after_model


def op_types(model):
    return collections.Counter(op.type for op in model.main.ops)


def output_names(data):
    import ember as em
    it = em.Interpreter(model_content=data)
    return [d["name"] for d in it.get_output_details()]


# ---- the pipeline --------------------------------------------------------
import pytest  # noqa: E402

from ember.converter import passes  # noqa: E402


def _frontend_like(batch):
    """What a frontend emits: literal ops, BatchNorm as MUL+ADD, activations and no-ops apart."""
    rng = np.random.default_rng(11)
    n = Net()
    x = n.input((batch, 8, 8, 3), name="image")
    t = n.op("TRANSPOSE", [x, n.const([0, 1, 2, 3], np.int32)], (batch, 8, 8, 3))
    c = n.op("CONV_2D", [t, n.const(rng.standard_normal((4, 3, 3, 3))), n.const(rng.standard_normal(4))],
             (batch, 4, 4, 4), padding="SAME", stride_w=2, stride_h=2)
    s = n.op("MUL", [c, n.const(rng.uniform(0.5, 2, 4))], (batch, 4, 4, 4))
    b = n.op("ADD", [s, n.const(rng.standard_normal(4))], (batch, 4, 4, 4))
    r = n.op("MINIMUM", [n.op("MAXIMUM", [b, n.const(0.0)], (batch, 4, 4, 4)), n.const(6.0)],
             (batch, 4, 4, 4))
    scale = n.op("MUL", [n.const(np.full(4, 0.5)), n.const(np.full(4, 2.0))], (4,))   # folds to ones
    r = n.op("MUL", [r, scale], (batch, 4, 4, 4))
    f = n.op("RESHAPE", [r, n.const([-1, 64], np.int32)], (batch, 64))
    f = n.op("EXPAND_DIMS", [f, n.const(1, np.int32)], (batch, 1, 64))
    f = n.op("SQUEEZE", [f], (batch, 64), squeeze_dims=[1])
    y = n.op("FULLY_CONNECTED", [f, n.const(rng.standard_normal((5, 64))), n.const(np.zeros(5))],
             (batch, 5))
    y = n.op("RELU", [y], (batch, 5), name="scores")
    dead = n.op("EXP", [y], (batch, 5))
    n.op("ABS", [dead], (batch, 5))
    return n.output(y)


@pytest.mark.parametrize("batch", [1, None])
def test_optimize_makes_a_frontend_graph_lean_without_changing_it(batch):
    n = _frontend_like(batch)
    n.model.default_signature()
    before = write(n.model)
    m = copy.deepcopy(n.model)
    for t in m.main.tensors():
        if not t.is_const and t not in m.main.inputs:
            t.shape = None                      # a frontend may leave every shape to inference
    passes.optimize(m)
    assert op_types(m) == {"CONV_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1}
    conv, reshape, fc = m.main.ops
    assert list(reshape.inputs[1].data) == [-1 if batch is None else 1, 64]
    assert conv.options["fused_activation_function"] == "RELU6"
    assert fc.options["fused_activation_function"] == "RELU"
    after = write(m)
    assert output_names(after) == ["scores"]
    for nb in ([1] if batch else [1, 3]):
        xs = inputs_for(n.model, nb)
        for runtime in (litert, ember):
            for a, b in zip(runtime(after, xs), runtime(before, xs)):
                assert_close(a, b, rtol=1e-5)


def test_the_rounds_are_bounded(monkeypatch):
    calls = []
    monkeypatch.setattr(passes, "PIPELINE", [("always", lambda m: calls.append(1) or True)])
    n = Net()
    x = n.input((2,))
    n.output(n.op("ABS", [x], (2,)))
    passes.optimize(n.model, max_rounds=4)
    assert len(calls) == 4


def test_a_graph_the_core_cannot_prepare_is_reported_with_its_op():
    n = Net()
    x = n.input((2, 3))
    w = n.const(np.ones((4, 5)))                      # 5 inputs for a 3-wide x
    n.output(n.op("FULLY_CONNECTED", [x, w, None], (2, 4), name="logits"))
    with pytest.raises(ir.ConversionError, match="FULLY_CONNECTED producing 'logits'"):
        passes.optimize(n.model)


def test_every_pass_module_has_run():
    import importlib
    for name, _ in passes.PIPELINE:
        assert callable(importlib.import_module(f"ember.converter.passes.{name}").run)


def test_a_failing_pass_is_undone_and_reported(monkeypatch):
    def broken(model):
        g = model.main
        g.ops[0].type = "EXP"                     # half a rewrite ...
        g.ops[0].inputs = []
        raise KeyError("bug")                     # ... then a crash

    monkeypatch.setattr(passes, "PIPELINE", [("broken", broken)])
    n = Net()
    x = n.input((2,))
    n.output(n.op("ABS", [x], (2,)))
    with pytest.warns(RuntimeWarning, match="'broken' failed"):
        passes.optimize(n.model)
    (op,) = n.model.main.ops
    assert op.type == "ABS" and op.inputs == [x]


def test_an_op_only_other_runtimes_know_keeps_the_files_shapes():
    n = Net()
    x = n.input((2, 3))
    y = ir.Tensor("y", np.float32, shape=(2, 3))
    n.g.add("CUSTOM", [x], [y], custom_code="SomebodyElsesOp", custom_options=b"")
    n.output(n.op("ABS", [y], (2, 3)))
    passes.optimize(n.model)
    assert write(n.model)
    y.shape = None                                # unknown: nobody can infer it
    with pytest.raises(ir.ConversionError, match="CUSTOM producing 'y'.*SomebodyElsesOp"):
        passes.optimize(n.model)
