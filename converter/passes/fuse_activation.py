"""Activation fusion: a RELU-family op after an op with a fused activation slot.

TFLite kernels clamp to [lo, hi] for RELU, RELU6 and RELU_N1_TO_1 only; a
fused TANH or SIGN_BIT is accepted by the schema but ignored (or refused) by
the ops below, so TANH is never fused. CONCATENATION and L2_NORMALIZATION
carry the field too, but LiteRT refuses it on L2_NORMALIZATION and silently
ignores it on CONCATENATION (measured: LiteRT 1.x returns negative values
through a fused RELU), so neither gets one.

Also rewrites clip patterns into the activation they are, where exact:
MAXIMUM(x, 0) -> RELU, MINIMUM(MAXIMUM(x, 0), 6) (either order) -> RELU6,
MINIMUM(MAXIMUM(x, -1), 1) -> RELU_N1_TO_1 (these then fuse like any other).
"""
import numpy as np

from .common import Uses, activation, is_float, same_quant

# Ops whose kernels (LiteRT and Ember) apply a fused RELU/RELU6/RELU_N1_TO_1.
FUSABLE = frozenset({
    "ADD", "SUB", "MUL", "DIV", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
    "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D",
})
ACTIVATION_OPS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}
_RANGES = {"RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= _clips(g)
        changed |= _fuse(g)
    return changed


def _fuse(g):
    uses = Uses(g)
    for act in list(g.ops):
        if not uses.alive(act) or act.type not in ACTIVATION_OPS or len(act.inputs) != 1 or len(act.outputs) != 1:
            continue
        x, y = act.inputs[0], act.outputs[0]
        prod = uses.producer_of(x) if x is not None else None
        if prod is None or prod.type not in FUSABLE or activation(prod) != "NONE":
            continue
        if len(prod.outputs) != 1 or not uses.sole_reader(x, act):
            continue
        if x.dtype != y.dtype or not same_quant(x, y) or x.dtype != np.float32 and x.quant is None:
            continue        # integer ops without quantisation have no clamp to fuse into
        if prod.type == "TRANSPOSE_CONV":
            prod.version = max(prod.version, 4)     # its fused activation arrived in version 4
        prod.options["fused_activation_function"] = ACTIVATION_OPS[act.type]
        uses.remove(act)
        uses.set_outputs(prod, [y])
    return uses.commit()


# ---- clip patterns ------------------------------------------------------
def _scalar(t):
    """The value of a one-element float constant, else None."""
    if not is_float(t) or not t.is_const or t.data.size != 1:
        return None
    return float(t.data.reshape(-1)[0])


def _bound(op, uses):
    """(x, value) for MAXIMUM/MINIMUM(x, scalar const) that does not broadcast x, else None."""
    if op.type not in ("MAXIMUM", "MINIMUM") or len(op.inputs) != 2 or len(op.outputs) != 1:
        return None
    a, b = op.inputs
    for x, c in ((a, b), (b, a)):
        v = _scalar(c)
        if v is not None and is_float(x) and x.shape is not None and c.data.ndim <= len(x.shape):
            out = op.outputs[0]
            if out.shape is None or tuple(out.shape) == tuple(x.shape):
                return x, v
    return None


def _clips(g):
    uses = Uses(g)
    changed = False
    for op in list(g.ops):
        inner = _bound(op, uses) if uses.alive(op) else None
        if inner is None:
            continue
        x, v = inner
        lo = hi = None
        if op.type == "MAXIMUM":
            lo = v
        else:
            hi = v
        outer_op = None
        readers = uses.readers_of(op.outputs[0])
        if len(readers) == 1 and uses.sole_reader(op.outputs[0], readers[0]):
            outer = _bound(readers[0], uses)
            if outer is not None and outer[0] is op.outputs[0] and readers[0].type != op.type:
                outer_op = readers[0]
                if outer_op.type == "MAXIMUM":
                    lo = outer[1]
                else:
                    hi = outer[1]
        kind = _which(lo, hi)
        if kind is None and outer_op is not None:
            outer_op, kind = None, _which(lo if op.type == "MAXIMUM" else None,
                                          hi if op.type == "MINIMUM" else None)
        if kind is None:
            continue
        out = (outer_op or op).outputs[0]
        if outer_op is not None:
            uses.remove(outer_op)
        op.type, op.options, op.options_table, op.version = kind, {}, None, 1
        uses.set_inputs(op, [x])
        uses.set_outputs(op, [out])
        changed = True
    uses.commit()
    return changed


def _which(lo, hi):
    for name, (want_lo, want_hi) in _RANGES.items():
        if lo == want_lo and hi == want_hi:
            return name
    return None
