"""Reshape chains: RESHAPE/SQUEEZE/EXPAND_DIMS after one another become one RESHAPE.

Only the final shape matters for a chain of pure re-viewings of the same
elements, so x -> a -> b collapses to RESHAPE(x, shape of b), with a
constant int32 shape where an unknown (batch) dim is -1. A RESHAPE whose
shape is computed at run time (ONNX's Shape/Gather/Concat idiom) gets that
constant too when shape inference pinned all dims but at most one, which
leaves the computation dead for DCE.
"""
import numpy as np

from ember.converter import ir

from .common import Uses, same_quant

CHAIN = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= _collapse(g)
    return changed


def _target(t):
    """The int32 shape vector of ``t`` (None dim -> -1), or None if it cannot be pinned."""
    if t.shape is None or len(t.shape) == 0 or sum(d is None for d in t.shape) > 1:
        return None
    return np.array([-1 if d is None else d for d in t.shape], np.int32)


def _collapse(g):
    uses = Uses(g)
    changed = False
    for op in list(g.ops):
        if not uses.alive(op) or op.type not in CHAIN or len(op.outputs) != 1 or not op.inputs or op.inputs[0] is None:
            continue
        x, y = op.inputs[0], op.outputs[0]
        shape = _target(y)
        if shape is None or x.dtype != y.dtype or not same_quant(x, y):
            continue
        prev = uses.producer_of(x)
        chained = (prev is not None and prev.type in CHAIN and len(prev.outputs) == 1
                   and prev.inputs and prev.inputs[0] is not None and uses.sole_reader(x, op)
                   and same_quant(prev.inputs[0], x) and prev.inputs[0].dtype == x.dtype)
        dynamic_shape = (op.type == "RESHAPE" and len(op.inputs) > 1 and op.inputs[1] is not None
                         and not op.inputs[1].is_const)
        if not chained and not dynamic_shape:
            continue
        src = prev.inputs[0] if chained else x
        const = ir.Tensor(uses.fresh_name(f"{y.name}/shape"), np.int32, data=shape)
        if chained:
            uses.remove(prev)
        op.type, op.options, op.options_table, op.version = "RESHAPE", {}, None, 1
        uses.set_inputs(op, [src, const])
        changed = True
    uses.commit()
    return changed
