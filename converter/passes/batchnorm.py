"""BatchNorm folding: a per-channel MUL/ADD after a weighted op goes into its weights.

Frontends emit inference BatchNorm as x*scale + offset with constant vectors.
After CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED or TRANSPOSE_CONV (float,
no fused activation, output read by nothing else):
    (x (*) W + b) * s  ==  x (*) (W*s) + b*s        and    (x (*) W + b) + c == x (*) W + (b+c)
with s and c broadcast over the output's last (channel) axis, or scalars.
A fused activation on the MUL/ADD moves to the weighted op. The weights are
new constants (the old ones may be shared with another op).
"""
import numpy as np

from ember.converter import ir

from .common import Uses, activation, is_float

# op -> (weights input, bias input, weights' output-channel axis)
WEIGHTED = {
    "CONV_2D": (1, 2, 0),
    "DEPTHWISE_CONV_2D": (1, 2, 3),
    "FULLY_CONNECTED": (1, 2, 0),
    "TRANSPOSE_CONV": (1, 3, 0),
}
_MOVABLE = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def run(model):
    changed = False
    for g in model.subgraphs:
        uses = Uses(g)
        for op in list(g.ops):
            while uses.alive(op) and _fold_next(g, uses, op):
                pass                  # x*s then +c: the same op absorbs both
        changed |= uses.commit()
    return changed


def _fold_next(g, uses, op):
    """Folds the MUL/ADD/SUB reading ``op``'s output into ``op``; True if it did."""
    if op.type not in WEIGHTED or activation(op) != "NONE" or not op.outputs:
        return False
    wi, bi, axis = WEIGHTED[op.type]
    y = op.outputs[0]
    w = op.inputs[wi] if len(op.inputs) > wi else None
    b = op.inputs[bi] if len(op.inputs) > bi else None
    if not (is_float(y) and is_float(w) and w.is_const):
        return False
    if b is not None and not (is_float(b) and b.is_const):
        return False
    readers = uses.readers_of(y)
    if len(readers) != 1 or not uses.sole_reader(y, readers[0]):
        return False
    nxt = readers[0]
    vec = _channel_vector(nxt, y, w.data.shape[axis])
    if vec is None:
        return False
    kind, v = vec
    _apply(g, uses, op, kind, v, wi, bi, axis)
    if activation(nxt) != "NONE":
        op.options["fused_activation_function"] = activation(nxt)
    out = nxt.outputs[0]
    uses.remove(nxt)
    uses.set_outputs(op, [out])
    return True


def _channel_vector(nxt, y, channels):
    """("mul"|"add", per-channel vector) when ``nxt`` is a foldable y*s, s*y, y+c, c+y or y-c."""
    if nxt.type not in ("MUL", "ADD", "SUB") or len(nxt.inputs) != 2 or len(nxt.outputs) != 1:
        return None
    if activation(nxt) not in _MOVABLE or not is_float(nxt.outputs[0]):
        return None
    a, c = nxt.inputs
    if c is y and a is not y:
        if nxt.type == "SUB":
            return None            # c - y negates y: not a bias change
        a, c = c, a
    if a is not y or not is_float(c) or not c.is_const:
        return None
    data = c.data
    rank = len(y.shape) if y.shape is not None else None
    if rank is None or data.ndim > rank or any(d != 1 for d in data.shape[:-1]):
        return None
    if data.ndim and data.shape[-1] not in (1, channels):
        return None
    out = nxt.outputs[0]
    if out.shape is not None and y.shape is not None and tuple(out.shape) != tuple(y.shape):
        return None
    if data.ndim and data.shape[-1] == channels and y.shape[-1] not in (None, channels):
        return None
    v = np.broadcast_to(data.reshape(-1).astype(np.float32), (channels,)).copy()
    if not np.all(np.isfinite(v)):
        return None                # inf*0 in the weights would differ from the original
    if nxt.type == "SUB":
        return "add", -v
    return ("mul" if nxt.type == "MUL" else "add"), v


def _apply(g, uses, op, kind, v, wi, bi, axis):
    w = op.inputs[wi]
    b = op.inputs[bi] if len(op.inputs) > bi else None
    channels = w.data.shape[axis]
    if kind == "mul":
        shape = [1] * w.data.ndim
        shape[axis] = channels
        uses.set_input(op, wi, _new_const(g, uses, w, op, (w.data * v.reshape(shape)).astype(np.float32)))
        if b is not None:
            uses.set_input(op, bi, _new_const(g, uses, b, op, (b.data * v).astype(np.float32)))
        return
    if b is None:
        bias = ir.Tensor(uses.fresh_name(f"{op.outputs[0].name}/bias"), np.float32, data=v.astype(np.float32))
        while len(op.inputs) <= bi:
            op.inputs.append(None)
        uses.set_input(op, bi, bias)
        if op.type == "TRANSPOSE_CONV":
            op.version = max(op.version, 3)       # the bias input arrived in version 3
        return
    uses.set_input(op, bi, _new_const(g, uses, b, op, (b.data + v).astype(np.float32)))


def _new_const(g, uses, old, op, value):
    """A constant replacing ``old`` in ``op``; keeps old's name when nothing else reads it."""
    others = [r for r in uses.readers_of(old) if r is not op] or uses.n_readers(old) > len(uses.readers_of(old))
    name = uses.fresh_name(f"{old.name}_folded") if others else old.name
    return ir.Tensor(name, np.float32, data=value)
