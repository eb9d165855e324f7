"""Adapts a user's Python custom op to the C trampoline's calling convention."""
import numpy as np


class PythonOp:
    """Wraps ``op`` (with ``prepare`` and ``eval``) for ember._ember.register_python_op."""

    def __init__(self, op):
        if not callable(getattr(op, "eval", None)):
            raise ValueError("a Python custom op needs an eval(inputs, outputs) method")
        self.op = op

    def prepare(self, inputs):
        from ember.interpreter.interpreter import _DTYPES, type_code
        metas = [None if m is None else (tuple(m[0]), _DTYPES.get(m[1])) for m in inputs]
        prepare = getattr(self.op, "prepare", None)
        outs = prepare(metas) if prepare else [metas[0]]
        return [(tuple(int(d) for d in shape), type_code(dtype)) for shape, dtype in outs]

    def eval(self, inputs, outputs):
        from ember.interpreter.interpreter import _DTYPES
        def arrays(items):
            return [None if it is None else
                    np.frombuffer(it[0], dtype=_DTYPES[it[2]]).reshape(it[1]) for it in items]
        self.op.eval(arrays(inputs), arrays(outputs))
