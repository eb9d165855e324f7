"""Shape inference by the C core's own prepare.

Rather than re-implementing every op's shape rule in Python (a second copy
that could disagree with the kernels), the graph is written as a .tflite,
loaded in ``ember.Interpreter`` and allocated: each kernel's prepare computes
its outputs' shapes, which are read back. An unknown batch (the first dim of an
input) is found by preparing twice, at 1 and at 2: dims that follow it are
unknown. Other unknown input dims cannot be probed reliably (a stride-32
network maps 1, 2 and 3 pixels all to 1), so the user must give them.

Tensors are matched back by name; names are made unique for the trial write
(frontends may repeat names; the writer keeps them as given).
"""
import re

import numpy as np

from ember.converter.ir import ConversionError
from ember.errors import EmberError

_NODE = re.compile(r"^(?:subgraph (\d+) )?node (\d+) \(([^)]*)\): ")
_MEM_DYNAMIC = 3
_UNSUPPORTED = re.compile(r"is not registered|is not supported by Ember")


def run(model):
    return infer_shapes(model)


def infer_shapes(model):
    """Fills every tensor's shape from the core's prepare; True if any shape changed.

    Raises ConversionError naming the op when the core refuses a node, and
    naming the input when an input has no shape at all.
    """
    from ember import _ember
    from ember.interpreter import Interpreter

    entry = sorted({0} | {s.subgraph for s in model.signatures})
    entry_inputs = [t for sg in entry for t in model.subgraphs[sg].inputs]
    for t in entry_inputs:
        if t.shape is None or any(d is None for d in t.shape[1:]):
            if t.shape is not None and _all_known(model):
                return False    # e.g. a .tflite with dynamic image size: its own shapes stand
            raise ConversionError(
                f"input {t.name!r} has an unknown {'shape' if t.shape is None else 'dimension'} "
                f"{'' if t.shape is None else list(t.shape)}; give its shape, e.g. "
                f"input_shapes={{{t.name!r}: (1, 224, 224, 3)}} (CLI: --input-shape "
                f"{t.name}=1,224,224,3)")
    data, names = _trial_bytes(model)
    try:
        first = _prepared(Interpreter, data, model, entry, batch=1)
    except ConversionError as e:
        if e.args and _UNSUPPORTED.search(str(e)) and _all_known(model):
            return False    # an op only other runtimes run (a custom op): the file's shapes stand
        raise
    dims1 = _read(_ember, first, model, names)
    dims2 = None
    if any(t.shape and t.shape[0] is None for t in entry_inputs):
        try:
            second = _prepared(Interpreter, data, model, entry, batch=2)
            dims2 = _read(_ember, second, model, names)
        except ConversionError:
            dims2 = None     # the graph only runs at batch 1 (e.g. a reshape pins it): keep those shapes
    dynamic = [t for t, (_, mem) in dims1.items() if mem == _MEM_DYNAMIC and t.shape is None]
    if dynamic:
        _shapes_by_running(_ember, first, model, names, dims1, dynamic)
    changed = False
    fixed = {id(t) for t in entry_inputs}
    for g in model.subgraphs:
        for t in g.tensors():
            if t.is_const or id(t) in fixed or t not in dims1:
                continue
            d1, mem = dims1[t]
            if mem == _MEM_DYNAMIC:
                if t.shape is None:
                    new = tuple(None for _ in d1)       # value-dependent: only the rank is known
                else:
                    continue
            elif dims2 is not None and t in dims2 and len(dims2[t][0]) == len(d1):
                new = tuple(a if a == b else None for a, b in zip(d1, dims2[t][0]))
            else:
                new = tuple(d1)
            if new != t.shape:
                t.shape = new
                changed = True
    return changed


def _all_known(model):
    return all(t.shape is not None for g in model.subgraphs for t in g.tensors())


def _trial_bytes(model):
    """The model as .tflite bytes with unique tensor names; returns (bytes, {name: tensor})."""
    from ember.schema.writer import write

    saved, names = [], {}
    try:
        for gi, g in enumerate(model.subgraphs):
            for t in g.tensors():
                name = t.name
                if name in names:
                    name = f"{t.name}__{gi}_{len(names)}"
                    while name in names:
                        name += "_"
                saved.append((t, t.name, t.shape))
                t.name = name
                names[name] = t
                if t.shape is None:
                    t.shape = ()           # the core's prepare resizes it
        try:
            data = write(model)
        except ValueError as e:
            raise ConversionError(f"cannot write the graph for shape inference: {e}") from None
    finally:
        for t, name, shape in saved:
            t.name, t.shape = name, shape
    return data, names


def _prepared(Interpreter, data, model, entry, batch):
    try:
        it = Interpreter(model_content=data)
    except EmberError as e:
        raise ConversionError(f"the converted graph does not load: {e}") from None
    for sg in entry:
        g = model.subgraphs[sg]
        if batch != 1:
            info = it._info["subgraphs"][sg]
            for index, t in zip(info["inputs"], g.inputs):
                if any(d is None for d in t.shape):
                    it.resize_tensor_input(index, [batch if d is None else d for d in t.shape],
                                           subgraph_index=sg)
        try:
            it._allocate_subgraph(sg)
        except EmberError as e:
            raise _named(model, str(e), sg) from None
    return it


def _named(model, msg, default_sg=0):
    """The core's message with the IR op it names (type, source layer)."""
    m = _NODE.match(msg)
    if not m:
        return ConversionError(f"the core cannot prepare the graph: {msg}")
    sg = int(m.group(1) or 0)
    node = int(m.group(2))
    ops = model.subgraphs[sg].ops if sg < len(model.subgraphs) else []
    if node >= len(ops):
        return ConversionError(f"the core cannot prepare the graph: {msg}")
    op = ops[node]
    where = f" (from {op.origin})" if op.origin else ""
    outs = ", ".join(repr(t.name) for t in op.outputs)
    return ConversionError(f"{op.type} producing {outs}{where} is invalid: {msg[m.end():]}")


def _read(_ember, it, model, names):
    """{tensor: (dims, mem kind)} for every tensor the core has."""
    out = {}
    for sg in range(len(model.subgraphs)):
        n = it._info["subgraphs"][sg]["tensors"]
        for i in range(n):
            info = _ember.tensor_info(it._interp, sg, i)
            t = names.get(info[0])
            if t is not None:
                out[t] = (tuple(int(d) for d in info[2]), info[7])
    return out      # keyed by Tensor identity (ir.Tensor has eq=False)


def _shapes_by_running(_ember, it, model, names, dims, tensors):
    """Ranks of value-dependent tensors, from one run on zeros (their dims stay unknown)."""
    try:
        for d in it.get_input_details():
            it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
        it.invoke()
    except EmberError as e:
        who = ", ".join(repr(t.name) for t in tensors[:3])
        raise ConversionError(f"cannot find the shape of {who} (it depends on input values and "
                              f"a trial run failed: {_named(model, str(e))})") from None
    fresh = _read(_ember, it, model, names)
    for t in tensors:
        if t in fresh:
            dims[t] = (fresh[t][0], _MEM_DYNAMIC)
