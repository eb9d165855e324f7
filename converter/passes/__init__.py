"""Passes over the converter IR. ``optimize`` runs the standard pipeline.

Each pass is a module with ``run(model) -> bool`` (did it change anything?)
that works on every subgraph and never changes what the model computes.
``optimize`` runs them in rounds until none changes anything (bounded), then
fills every tensor's shape from the C core's prepare (``shapes``).
"""
import warnings

from ember.converter.ir import ConversionError

from . import (batchnorm, dce, dedup, fold_constants, fuse_activation, remove_identity,
               reshape_chain, shapes)

try:                     # NCHW->NHWC transpose cancellation (the ONNX frontend's engineer owns it)
    from . import layout
except ImportError:      # not landed yet
    layout = None

MAX_ROUNDS = 10

# Order within a round: cheap clean-ups first so the pattern passes see a
# lean graph; BN folding before activation fusion (a fused activation would
# block the fold); DCE and dedup last to sweep what the others left.
PIPELINE = [
    ("remove_identity", remove_identity.run),
    ("fold_constants", fold_constants.run),
    ("reshape_chain", reshape_chain.run),
    ("batchnorm", batchnorm.run),
    ("fuse_activation", fuse_activation.run),
    ("dedup", dedup.run),
    ("dce", dce.run),
]
if layout is not None and hasattr(layout, "run"):
    PIPELINE.insert(0, ("layout", layout.run))

infer_shapes = shapes.infer_shapes


def _snapshot(model):
    """Everything a pass may rewrite, by reference (arrays are never changed in place)."""
    graphs = []
    for g in model.subgraphs:
        ops = [(op, op.type, list(op.inputs), list(op.outputs), dict(op.options), op.options_table,
                op.version) for op in g.ops]
        tensors = [(t, t.name, t.shape, t.data, t.dtype, t.quant) for t in g.tensors()]
        graphs.append((g, list(g.inputs), list(g.outputs), ops, tensors))
    return list(model.subgraphs), graphs


def _restore(model, snap):
    model.subgraphs, graphs = snap
    for g, ins, outs, ops, tensors in graphs:
        g.inputs, g.outputs = ins, outs
        g.ops = [op for op, *_ in ops]
        for op, type_, inputs, outputs, options, table, version in ops:
            op.type, op.inputs, op.outputs, op.options = type_, inputs, outputs, options
            op.options_table, op.version = table, version
        for t, name, shape, data, dtype, quant in tensors:
            t.name, t.shape, t.data, t.dtype, t.quant = name, shape, data, dtype, quant


def _guarded(name, run, model):
    """Runs one pass; a pass that fails unexpectedly is undone (and reported) rather than
    leaving a half-rewritten graph. ConversionError (the user's model is at fault) propagates."""
    snap = _snapshot(model)
    try:
        return bool(run(model))
    except ConversionError:
        _restore(model, snap)
        raise
    except Exception as e:      # a bug in a pass must not cost the user a conversion
        _restore(model, snap)
        warnings.warn(f"optimisation pass {name!r} failed and was skipped "
                      f"({type(e).__name__}: {e}); please report it", RuntimeWarning, stacklevel=3)
        return False


def optimize(model, *, passes=None, max_rounds=MAX_ROUNDS):
    """Runs the passes to a fixed point (at most ``max_rounds`` rounds), then shape inference.

    passes: names from PIPELINE to run (default: all), in pipeline order.
    Raises ConversionError (naming the op) when the result cannot be prepared by the core.
    """
    chosen = [(n, f) for n, f in PIPELINE if passes is None or n in passes]
    try:
        shapes.infer_shapes(model)     # the pattern passes trust shapes; get them right first
    except ConversionError:
        pass                           # maybe a pass fixes it; the final call reports it
    for _ in range(max_rounds):
        changed = False
        for name, run in chosen:
            changed |= _guarded(name, run, model)
        if not changed:
            break
    shapes.infer_shapes(model)
    return model
