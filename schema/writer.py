"""Writes a converter IR model (ember.converter.ir.Model) as .tflite bytes.

Tensor names come from the source; constants share one buffer when their
bytes are identical; every buffer is 16-byte aligned (by the builder); the
file carries a serving_default signature (unless the model has its own),
``min_runtime_version`` and Ember's version as metadata.
"""
import hashlib

import numpy as np

from ember.schema.builder import ModelBuilder

MAX_FLATBUFFER_BYTES = 2 ** 31 - 1   # flatbuffers' 32-bit offsets

# Oldest TFLite runtime that knows each op (at version 1); ops not listed date
# from 1.5 or earlier. Used for the min_runtime_version metadata TFLite writes.
_OP_SINCE = {
    "GELU": "2.9.0", "HARD_SWISH": "1.15.0", "BATCH_MATMUL": "2.3.0", "BROADCAST_TO": "2.5.0",
    "SELECT_V2": "2.2.0", "DENSIFY": "2.2.0", "SQUARED_DIFFERENCE": "1.13.1",
    "MIRROR_PAD": "1.13.1", "UNIDIRECTIONAL_SEQUENCE_LSTM": "1.14.0",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "1.14.0", "IF": "1.15.0", "WHILE": "1.15.0",
    "CALL_ONCE": "2.5.0", "VAR_HANDLE": "2.6.0", "READ_VARIABLE": "2.6.0",
    "ASSIGN_VARIABLE": "2.6.0", "RELU_0_TO_1": "2.14.0", "GATHER_ND": "1.14.0",
    "RANGE": "1.14.0", "RESIZE_NEAREST_NEIGHBOR": "1.13.1", "ZEROS_LIKE": "1.12.0",
    "FILL": "1.13.0", "SPLIT_V": "1.13.1", "ELU": "1.14.0", "ROUND": "1.14.0",
    "REDUCE_PROD": "1.11.0", "LEAKY_RELU": "1.13.1", "QUANTIZE": "1.14.0",
    "DEPTH_TO_SPACE": "2.1.0",
}


def _version_key(v):
    return tuple(int(x) for x in v.split("."))


def min_runtime_version(model):
    ops = {op.type for g in model.subgraphs for op in g.ops}
    return max([_OP_SINCE.get(o, "1.5.0") for o in ops] or ["1.5.0"], key=_version_key)


def _quant_dict(q):
    if q is None:
        return None
    return {"scale": [float(s) for s in q.scale], "zero_point": [int(z) for z in q.zero_point],
            "quantized_dimension": int(q.axis)}


def _shape_fields(t):
    """(shape with 1 for unknown dims, shape_signature or None)."""
    if t.shape is None:
        raise ValueError(f"tensor {t.name!r} has no shape; run shape inference before writing")
    if all(d is not None for d in t.shape):
        return [int(d) for d in t.shape], None
    return [1 if d is None else int(d) for d in t.shape], [-1 if d is None else int(d) for d in t.shape]


def _signature_indices(key, entries, interface, index):
    """Tensor indices of a signature's inputs or outputs.

    A pass may have replaced an interface tensor with an equivalent one after the
    signature was made; such an entry is found again by the tensor's name, then by its
    position in the subgraph's inputs/outputs, before the writer gives up.
    """
    by_name = {t.name: t for t in interface}
    out = {}
    for pos, (name, t) in enumerate(entries.items()):
        if id(t) not in index:
            t = by_name.get(t.name)
            if t is None and len(entries) == len(interface):
                t = interface[pos]
            if t is None or id(t) not in index:
                from ember.converter.ir import ConversionError
                raise ConversionError(f"signature {key!r}: its tensor {name!r} is no longer in the "
                                      "graph (a pass removed it)")
        out[name] = index[id(t)]
    return out


def write(model, *, description=None):
    """Serialise an IR model to .tflite bytes."""
    from ember import __version__
    from ember.converter.ir import OPTIONS_TABLE, ConversionError

    b = ModelBuilder(description=description or model.description or "ember",
                     subgraph_name=model.subgraphs[0].name)
    builders = [b._subgraphs[0]] + [b.subgraph(g.name) for g in model.subgraphs[1:]]
    buffers = {}       # content hash -> buffer index (deduplication)
    total = 0
    indices = []
    for g, sb in zip(model.subgraphs, builders):
        index = {}
        inputs = {id(t) for t in g.inputs}
        for t in g.tensors():
            shape, sig = _shape_fields(t)
            if t.is_const:
                raw = np.ascontiguousarray(t.data).astype(t.dtype.newbyteorder("<"), copy=False).tobytes()
                key = (hashlib.sha256(raw).hexdigest(), len(raw))
                if key not in buffers:
                    buffers[key] = b._add_buffer(raw)
                    total += len(raw)
                    if total > MAX_FLATBUFFER_BYTES:
                        raise ConversionError(
                            f"the model's weights exceed 2 GB ({total / 2**30:.2f} GiB so far); "
                            "a .tflite flatbuffer cannot hold them — quantise the model first")
                index[id(t)] = sb._add_tensor(t.name, shape, t.dtype, buffers[key], _quant_dict(t.quant))
            elif id(t) not in inputs:
                index[id(t)] = sb._add_tensor(t.name, shape, t.dtype, 0, _quant_dict(t.quant),
                                              t.is_variable, sig)
        for t in g.inputs:   # inputs in order, after the others so indices stay stable
            shape, sig = _shape_fields(t)
            index[id(t)] = sb.input(t.name, shape, t.dtype, shape_signature=sig, quant=_quant_dict(t.quant))
        for op in g.ops:
            table = op.options_table or OPTIONS_TABLE.get(op.type)
            options = (table, op.options) if table and (op.options or op.type in OPTIONS_TABLE) else None
            kw = {}
            if op.type == "CUSTOM":
                kw = {"custom_code": op.custom_code, "custom_options": op.custom_options}
            try:
                sb.op(op.type, [-1 if t is None else index[id(t)] for t in op.inputs],
                      [index[id(t)] for t in op.outputs], options=options, version=op.version, **kw)
            except ValueError as e:
                raise ConversionError(f"cannot write {op} (from {op.origin or 'the source'}): {e}") from None
        sb.output(*[index[id(t)] for t in g.outputs])
        indices.append(index)
    sigs = model.signatures or []
    if not sigs and model.subgraphs[0].inputs:
        from ember.converter.ir import Signature
        g = model.subgraphs[0]
        sigs = [Signature("serving_default", {t.name: t for t in g.inputs}, {t.name: t for t in g.outputs})]
    for s in sigs:
        g, idx = model.subgraphs[s.subgraph], indices[s.subgraph]
        b.signature(s.key, _signature_indices(s.key, s.inputs, g.inputs, idx),
                    _signature_indices(s.key, s.outputs, g.outputs, idx), subgraph=s.subgraph)
    meta = dict(model.metadata)
    meta.setdefault("min_runtime_version", min_runtime_version(model).encode().ljust(16, b"\0"))
    meta["ember_version"] = __version__.encode()
    for name, data in meta.items():
        b.metadata(name, data)
    out = b.build()
    if len(out) > MAX_FLATBUFFER_BYTES:
        raise ConversionError(f"the model is {len(out) / 2**30:.2f} GiB; .tflite files are limited to 2 GB")
    return out
