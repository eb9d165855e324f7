"""Passes over the converter IR. ``optimize`` runs the standard pipeline.

Each pass is a module with ``run(model) -> bool`` (did it change anything?)
that works on every subgraph and never changes what the model computes.
``optimize`` runs them in rounds until none changes anything (bounded), then
fills every tensor's shape from the C core's prepare (``shapes``).
"""
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
            changed |= bool(run(model))     # passes keep execution order valid
        if not changed:
            break
    shapes.infer_shapes(model)
    return model
