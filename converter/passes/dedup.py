"""Deduplication: identical constants become one tensor; identical ops one op (CSE).

Constants are identical when dtype, shape, bytes and quantisation agree
(the writer already shares equal buffers; sharing the tensor also lets CSE
see that two ops read the same thing). Two ops are identical when type,
version, options and custom data agree and they read the very same tensors;
the later op's outputs are then read from the earlier one. Side-effecting
ops are never merged, and neither is an op whose outputs are graph outputs
(their names are the interface).
"""
import hashlib

import numpy as np

from .common import Uses, has_side_effects


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= share_constants(g)
        changed |= merge_ops(g)
    return changed


def _quant_key(q):
    if q is None:
        return None
    return (q.axis, q.scale.tobytes(), q.zero_point.tobytes())


def _const_key(t):
    data = np.ascontiguousarray(t.data)
    return (t.dtype.str, tuple(data.shape), hashlib.sha256(data.tobytes()).hexdigest(),
            _quant_key(t.quant), t.is_variable)


def share_constants(g):
    io = {id(t) for t in g.inputs} | {id(t) for t in g.outputs}
    first = {}
    changed = False
    for op in g.ops:
        for i, t in enumerate(op.inputs):
            if t is None or not t.is_const or id(t) in io or t.is_variable:
                continue
            key = _const_key(t)
            keep = first.setdefault(key, t)
            if keep is not t:
                op.inputs[i] = keep
                changed = True
    return changed


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes())
    return v


def _op_key(op):
    return (op.type, op.version, op.custom_code, op.custom_options, op.options_table,
            _freeze(op.options), tuple(id(t) if t is not None else None for t in op.inputs),
            tuple((t.dtype.str, _quant_key(t.quant)) for t in op.outputs))


def merge_ops(g):
    # One forward sweep: once a duplicate's readers read the kept op, their own
    # keys (computed later in the sweep) already see it, so chains merge too.
    uses = Uses(g)
    seen = {}
    for op in list(g.ops):
        if has_side_effects(op):
            continue
        try:
            key = _op_key(op)
        except TypeError:
            continue        # an option value we cannot compare: leave the op alone
        keep = seen.setdefault(key, op)
        if keep is op or any(id(t) in uses.io for t in op.outputs):
            continue
        uses.remove(op)
        for old, new in zip(op.outputs, keep.outputs):
            uses.replace_reads(old, new)
    return uses.commit()
