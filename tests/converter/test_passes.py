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
