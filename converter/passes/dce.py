"""Dead-code elimination: ops nobody reads (and that only compute) are removed.

An op goes when none of its outputs is read by another op or is a graph
output, and it has no side effect (variables, control flow, custom ops,
random numbers: see common.SIDE_EFFECTS). Constants need no pass of their
own: the IR holds them only through the ops that read them, so an unread
constant disappears with its last reader (the writer writes only reachable
tensors).
"""
from .common import Uses, has_side_effects


def run(model):
    changed = False
    for g in model.subgraphs:
        changed |= _sweep(g)
    return changed


def _sweep(g):
    # Backwards, so a chain of dead ops goes in one sweep.
    uses = Uses(g)
    live_reads = {}
    for op in g.ops:
        for t in op.inputs:
            if t is not None:
                live_reads[id(t)] = live_reads.get(id(t), 0) + 1
    removed = set()
    for op in reversed(g.ops):
        if has_side_effects(op):
            continue
        if any(id(t) in uses.outputs or live_reads.get(id(t), 0) for t in op.outputs):
            continue
        removed.add(id(op))
        for t in op.inputs:
            if t is not None:
                live_reads[id(t)] -= 1
    if removed:
        g.ops = [op for op in g.ops if id(op) not in removed]
    return bool(removed)
