"""Identity removal: ops whose output equals their input, element for element.

RESHAPE/SQUEEZE/EXPAND_DIMS/BROADCAST_TO to the same shape, TRANSPOSE by the
identity permutation, CAST to the same dtype, ADD/SUB of 0 and MUL/DIV by 1
(a constant that does not broadcast x to a new shape), PAD of nothing, a
SLICE/STRIDED_SLICE of the whole tensor, TILE by ones, a one-input
CONCATENATION, QUANTIZE to the same parameters and QUANTIZE(DEQUANTIZE(q))
back to q's own quantisation. Ops with a fused activation are kept (the clamp is work).
When the removed op's output is a graph output, its producer writes it
directly so the output's name and identity stay (see common.bypass).
"""
import numpy as np

from .common import Uses, activation, bypass, same_quant


def run(model):
    changed = False
    for g in model.subgraphs:
        uses = Uses(g)
        for op in list(g.ops):          # one sweep: a chain of no-ops goes front to back
            if uses.alive(op):
                pair = _identity(op, uses)
                if pair is not None:
                    bypass(uses, op, *pair)
        changed |= uses.commit()
    return changed


def _same_shape(a, b):
    """Equal shapes that pin every element (at most one unknown dim, at the same place)."""
    if a.shape is None or b.shape is None or tuple(a.shape) != tuple(b.shape):
        return False
    return sum(d is None for d in a.shape) <= 1


def _fully_same(a, b):
    return a.shape is not None and tuple(a.shape) == tuple(b.shape or ()) and None not in a.shape


def _const(t):
    return None if t is None or not t.is_const else t.data


def _identity(op, uses):
    """(input, output) when ``op`` is a no-op, else None."""
    if len(op.outputs) != 1 or not op.inputs or op.inputs[0] is None:
        return None
    if activation(op) != "NONE":
        return None
    x, y = op.inputs[0], op.outputs[0]
    t = op.type
    if t == "QUANTIZE" and x.dtype != y.dtype:
        return _requantize_pair(op, uses)
    if x.dtype != y.dtype or not same_quant(x, y):
        return None
    if t == "QUANTIZE" and _same_shape(x, y):
        return x, y             # to its own type and parameters
    if t in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "BROADCAST_TO") and _same_shape(x, y):
        return x, y
    if t == "TRANSPOSE" and len(op.inputs) == 2:
        p = _const(op.inputs[1])
        if p is not None and np.array_equal(p.reshape(-1), np.arange(p.size)):
            return x, y
    if t == "CAST":
        return x, y             # same dtype (checked above)
    if t in ("ADD", "SUB", "MUL", "DIV") and len(op.inputs) == 2 and x.quant is None:
        return _neutral(op, x, y)
    if t in ("PAD", "PADV2", "MIRROR_PAD") and len(op.inputs) >= 2:
        p = _const(op.inputs[1])
        if p is not None and not p.any():
            return x, y
    if t in ("SLICE", "STRIDED_SLICE") and _fully_same(x, y):
        if t == "STRIDED_SLICE":
            o = op.options
            if any(o.get(k) for k in ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask")):
                return None
            strides = _const(op.inputs[3]) if len(op.inputs) > 3 else None
            if strides is None or np.any(strides != 1):
                return None
        return x, y             # same known shape with unit steps: the whole tensor
    if t == "TILE" and len(op.inputs) == 2:
        m = _const(op.inputs[1])
        if m is not None and np.all(m == 1):
            return x, y
    if t == "CONCATENATION" and len(op.inputs) == 1:
        return x, y
    return None


def _neutral(op, x, y):
    a, b = op.inputs
    t = op.type
    for data_t, c_t in ((a, b), (b, a)):
        if c_t is a and t in ("SUB", "DIV"):
            continue            # 0 - x and 1 / x are not x
        c = _const(c_t)
        if c is None or data_t.dtype != y.dtype or not _same_shape(data_t, y):
            continue
        if data_t.shape is not None and c.ndim > len(data_t.shape):
            continue
        neutral = 0 if t in ("ADD", "SUB") else 1
        if c.size and np.all(c == neutral):
            return data_t, y
    return None


def _requantize_pair(op, uses):
    """QUANTIZE(DEQUANTIZE(q)) to q's own type and parameters is q."""
    x, y = op.inputs[0], op.outputs[0]
    prod = uses.producer_of(x)
    if prod is None or prod.type != "DEQUANTIZE" or not prod.inputs or prod.inputs[0] is None:
        return None
    q = prod.inputs[0]
    if q.dtype == y.dtype and q.quant is not None and same_quant(q, y) and _same_shape(q, y):
        return q, y
    return None
