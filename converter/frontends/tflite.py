"""TFLite frontend: an existing .tflite file into the converter IR.

The path for re-quantising and re-optimising files made elsewhere. Every
subgraph, tensor (constants keep their stored dtype, e.g. float16 weights
behind DEQUANTIZE), op and its options, signature and metadata entry is
carried over; ``write(read(x))`` gives a file that runs like ``x``.
"""
import re

import numpy as np

from ember.converter import ir
from ember.schema import schema_generated as fb
from ember.schema.builder import read_model

_OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
_TYPES = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}
_UNION_NAMES = {v: k for k, v in vars(fb.BuiltinOptions).items() if not k.startswith("_")}
_DTYPES = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32, "UINT8": np.uint8,
           "INT64": np.int64, "BOOL": np.bool_, "INT16": np.int16, "INT8": np.int8,
           "FLOAT64": np.float64, "UINT64": np.uint64, "UINT32": np.uint32, "UINT16": np.uint16,
           "COMPLEX64": np.complex64, "COMPLEX128": np.complex128}


def _snake(name):
    """strideW -> stride_w, dilationWFactor -> dilation_w_factor (object API -> schema names)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])",
                  lambda m: "_" + (m.group(1) or m.group(2)), name).lower()


def _options_dict(obj):
    out = {}
    for k, v in vars(obj).items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, bytes):
            v = v.decode()
        out[_snake(k)] = v
    return out


def _buffer_bytes(mt, data, index):
    if index <= 0 or mt.buffers is None or index >= len(mt.buffers):
        return None
    buf = mt.buffers[index]
    if buf.offset and buf.offset > 1:
        end = buf.offset + buf.size
        if end > len(data):
            raise ir.ConversionError(f"buffer {index} points past the end of the file")
        return bytes(data[buf.offset:end])
    if buf.data is None or len(buf.data) == 0:
        return None
    return np.asarray(buf.data, dtype=np.uint8).tobytes()


def read(data):
    """Parses .tflite bytes (checked by Ember's C verifier first) into an ir.Model."""
    from ember import _ember
    _ember.load_model(bytes(data))          # verifies: a malformed file raises EmberError here
    mt = read_model(bytes(data))
    model = ir.Model(description=(mt.description or b"").decode() if isinstance(mt.description, bytes)
                     else (mt.description or ""))
    model.subgraphs = []
    all_tensors = []
    for si, sg in enumerate(mt.subgraphs or []):
        g = ir.Graph((sg.name.decode() if isinstance(sg.name, bytes) else sg.name) or f"subgraph_{si}")
        tensors = []
        for ti, t in enumerate(sg.tensors or []):
            tname = _TYPES.get(t.type, str(t.type))
            if tname not in _DTYPES:
                raise ir.ConversionError(f"tensor {ti} has type {tname}, which the converter cannot read")
            dtype = np.dtype(_DTYPES[tname])
            name = (t.name.decode() if isinstance(t.name, bytes) else t.name) or f"tensor_{ti}"
            shape = [int(d) for d in (t.shape if t.shape is not None else [])]
            if t.shapeSignature is not None and len(t.shapeSignature):
                shape = [None if s == -1 else d for s, d in zip(t.shapeSignature, shape)]
            quant = None
            q = t.quantization
            if q is not None and q.scale is not None and len(q.scale):
                zp = q.zeroPoint if q.zeroPoint is not None and len(q.zeroPoint) else np.zeros(len(q.scale))
                quant = ir.Quant(np.asarray(q.scale), np.asarray(zp), int(q.quantizedDimension))
            raw = _buffer_bytes(mt, data, t.buffer)
            if raw is not None and t.sparsity is None:
                arr = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(
                    [d if d is not None else 1 for d in shape])
                tensors.append(ir.Tensor(name, dtype, data=arr, quant=quant))
            elif raw is not None:
                raise ir.ConversionError(f"tensor {name!r} is sparse; the converter reads dense files only")
            else:
                tensors.append(ir.Tensor(name, dtype, shape=shape, quant=quant,
                                         is_variable=bool(t.isVariable)))
        g.inputs = [tensors[i] for i in (sg.inputs if sg.inputs is not None else [])]
        g.outputs = [tensors[i] for i in (sg.outputs if sg.outputs is not None else [])]
        for oi, op in enumerate(sg.operators or []):
            oc = mt.operatorCodes[op.opcodeIndex]
            code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
            type_ = _OP_NAMES.get(code, f"CODE_{code}")
            kw = {"version": int(oc.version or 1), "origin": f"subgraph {si} node {oi}"}
            if type_ == "CUSTOM":
                cc = oc.customCode
                kw["custom_code"] = cc.decode() if isinstance(cc, bytes) else cc
                kw["custom_options"] = (np.asarray(op.customOptions, np.uint8).tobytes()
                                        if op.customOptions is not None else b"")
            options, table = {}, None
            if op.builtinOptions is not None and op.builtinOptionsType:
                table = _UNION_NAMES.get(op.builtinOptionsType)
                options = _options_dict(op.builtinOptions)
            ins = [None if i < 0 else tensors[i] for i in (op.inputs if op.inputs is not None else [])]
            outs = [tensors[i] for i in (op.outputs if op.outputs is not None else [])]
            g.add(type_, ins, outs, options, options_table=table, **kw)
        model.subgraphs.append(g)
        all_tensors.append(tensors)
    for sd in mt.signatureDefs or []:
        key = sd.signatureKey.decode() if isinstance(sd.signatureKey, bytes) else sd.signatureKey
        ts = all_tensors[sd.subgraphIndex]

        def names(maps):
            return {(m.name.decode() if isinstance(m.name, bytes) else m.name): ts[m.tensorIndex]
                    for m in maps or []}
        model.signatures.append(ir.Signature(key, names(sd.inputs), names(sd.outputs), sd.subgraphIndex))
    for md in mt.metadata or []:
        name = md.name.decode() if isinstance(md.name, bytes) else md.name
        if name in ("min_runtime_version", "ember_version"):
            continue     # the writer recomputes these
        raw = _buffer_bytes(mt, data, md.buffer)
        model.metadata[name] = raw or b""
    return model
