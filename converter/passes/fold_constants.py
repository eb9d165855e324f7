"""Constant folding: an op whose inputs are all constant becomes a constant.

Pure data movement (reshape, transpose, concatenation, ...) is done in
numpy, where it is exact by construction; any arithmetic runs on the C core
(a one-op model with the constants, run in ``ember.Interpreter``), so folded
values are the kernels' own results, bit for bit.

Not folded: DEQUANTIZE (a float16/int8 weight behind it is deliberate: it
keeps the file small), ops with side effects or randomness, ops whose outputs
are graph outputs (a constant output is an odd interface), and ops whose
result would be much bigger than their inputs (FILL/TILE/BROADCAST_TO).
The output tensor keeps its name: it is turned into a constant in place.
"""
import numpy as np

from ember.converter import ir
from ember.errors import EmberError

from .common import Uses, activation, has_side_effects, known, same_quant, set_const

MAX_GROWTH_BYTES = 1 << 20     # a folded result may exceed this only if no bigger than its inputs x2
_NEVER = frozenset({"DEQUANTIZE", "DENSIFY"})
_MOVES = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE"})


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= _fold_graph(g)
    return changed


def _fold_graph(g):
    uses = Uses(g)
    for op in list(g.ops):
        if not _foldable(op, uses):
            continue
        values = _evaluate(op)
        if values is None or _too_big(op, values):
            continue
        for t, v in zip(op.outputs, values):
            set_const(t, v)
        uses.remove(op)
    return uses.commit()


def _foldable(op, uses):
    if op.type in _NEVER or has_side_effects(op) or not op.inputs:
        return False
    if any(id(t) in uses.io or t.is_const for t in op.outputs):
        return False
    if op.type == "SHAPE":        # needs only the input's (fully known) shape
        x = op.inputs[0]
        return x is not None and known(x.shape)
    return (all(t is None or t.is_const for t in op.inputs)
            and any(t is not None for t in op.inputs))


def _too_big(op, values):
    out = sum(np.asarray(v).nbytes for v in values)
    ins = sum(t.data.nbytes for t in op.inputs if t is not None and t.is_const)
    return out > MAX_GROWTH_BYTES and out > 2 * ins


def _predicted_bytes(op):
    total = 0
    for t in op.outputs:
        if not known(t.shape):
            return None
        total += int(np.prod(t.shape, dtype=np.int64)) * t.dtype.itemsize
    return total


# ---- numpy: data movement only --------------------------------------------
def _axis(a, rank):
    a = int(a)
    return a + rank if a < 0 else a


def _np_fold(op):
    """Outputs computed in numpy, or None to leave the op to the core."""
    ins = [t.data if t is not None else None for t in op.inputs]
    out = op.outputs[0]
    t = op.type
    if t == "SHAPE":
        return [np.asarray(op.inputs[0].shape, dtype=out.dtype)]
    if any(x is not None and x.quant is not None for x in op.inputs + op.outputs):
        if t not in _MOVES or not same_quant(op.inputs[0], out):
            return None          # arithmetic or requantising: the core knows the rounding
    if t in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS") and known(out.shape):
        return [ins[0].reshape(out.shape)]
    if t == "TRANSPOSE" and len(ins) == 2:
        return [np.transpose(ins[0], [_axis(p, ins[0].ndim) for p in ins[1].reshape(-1)])]
    if t == "CONCATENATION" and activation(op) == "NONE":
        rank = ins[0].ndim
        return [np.concatenate(ins, axis=_axis(op.options.get("axis", 0), rank))]
    if t == "PACK":
        return [np.stack(ins, axis=_axis(op.options.get("axis", 0), ins[0].ndim + 1))]
    if t == "CAST" and _exact_cast(ins[0].dtype, out.dtype):
        return [ins[0].astype(out.dtype)]
    return None


def _exact_cast(src, dst):
    """Casts numpy does exactly as the core (no float -> int rounding, no overflow)."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return True
    if dst.kind == "f":
        return src.kind in "biuf"       # round-to-nearest in both
    if dst.kind in "iu" and src.kind in "biu":
        return np.can_cast(src, dst, "safe")
    return False


# ---- the C core: everything else ----------------------------------------
def _core_fold(op):
    """Runs ``op`` alone on its constant inputs in the C core; None if the core refuses."""
    from ember.interpreter import Interpreter
    from ember.schema.writer import write

    m = ir.Model(description="ember constant folding")
    g = m.main
    ins = [None if t is None else ir.Tensor(t.name, t.dtype, data=t.data, quant=t.quant)
           for t in op.inputs]
    outs = [ir.Tensor(f"out{i}", t.dtype, shape=t.shape if known(t.shape) else (), quant=t.quant)
            for i, t in enumerate(op.outputs)]
    g.add(op.type, ins, outs, dict(op.options), options_table=op.options_table,
          custom_code=op.custom_code, custom_options=op.custom_options, version=op.version)
    g.outputs = outs
    try:
        it = Interpreter(model_content=write(m))
        it.allocate_tensors()
        it.invoke()
        return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]
    except (EmberError, ValueError):
        return None


def _evaluate(op):
    predicted = _predicted_bytes(op)
    if predicted is not None:
        ins = sum(t.data.nbytes for t in op.inputs if t is not None and t.is_const)
        if predicted > MAX_GROWTH_BYTES and predicted > 2 * ins:
            return None
    try:
        values = _np_fold(op)
    except (ValueError, IndexError, TypeError):
        values = None          # malformed for numpy: let the core judge it
    if values is None:
        values = _core_fold(op)
    if values is None or len(values) != len(op.outputs):
        return None
    for t, v in zip(op.outputs, values):
        if np.asarray(v).dtype != t.dtype:
            return None
        if t.shape is not None and len(t.shape) == np.ndim(v) and any(
                d is not None and d != s for d, s in zip(t.shape, np.shape(v))):
            return None          # disagrees with the graph's shapes: leave it for shape inference
    return values
