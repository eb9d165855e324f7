"""What a model asks of a micro build: its ops, tensor types, subgraphs — and what the
bare-metal build cannot take (`unsupported`), found without compiling anything."""
from dataclasses import dataclass

import numpy as np

from ember.schema import builder as _b

from .errors import MicroError
from .sources import kernel_files

_TT = {v: k for k, v in _b._enum_members("TensorType").items()}
_OPS = {v: k for k, v in _b._enum_members("BuiltinOperator").items()}
# Types with a fixed element size the core can plan into an arena.
_PLANNABLE = {"FLOAT32", "FLOAT16", "INT32", "UINT32", "INT16", "UINT16", "INT8", "UINT8", "BOOL",
              "INT64", "UINT64", "FLOAT64"}
# Ops whose kernels need something a microcontroller build does not have.
_NEEDS_HEAP = {"WHERE": "output shape depends on input values (needs a heap)",
               "UNIQUE": "output shape depends on input values (needs a heap)",
               "NON_MAX_SUPPRESSION_V4": "output shape depends on input values",
               "NON_MAX_SUPPRESSION_V5": "output shape depends on input values"}
_CONTROL_FLOW = {"IF", "WHILE", "CALL_ONCE", "CALL"}
_RESOURCES = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}


@dataclass
class ModelInfo:
    model: object              # schema ModelT
    size: int
    ops: list                  # builtin op names used (sorted, unique)
    custom_ops: list
    n_subgraphs: int
    inputs: list               # [(name, shape, dtype)] of subgraph 0
    outputs: list


def _dtype(tt):
    name = _TT.get(tt, str(tt))
    try:
        return np.dtype(name.lower()) if name not in ("BOOL",) else np.dtype(bool)
    except TypeError:
        return None


def read(model_bytes):
    try:
        m = _b.read_model(model_bytes)
    except Exception as e:  # noqa: BLE001 - any parse failure is a bad model
        raise MicroError(f"not a readable TFLite model: {e}") from None
    ops, custom = set(), set()
    for sg in m.subgraphs or []:
        for op in sg.operators or []:
            code = m.operatorCodes[op.opcodeIndex]
            b = max(code.builtinCode, code.deprecatedBuiltinCode)
            name = _OPS.get(b, f"op{b}")
            if name == "CUSTOM":
                custom.add((code.customCode or b"?").decode() if isinstance(code.customCode, bytes) else code.customCode)
            else:
                ops.add(name)
    if not m.subgraphs:
        raise MicroError("the model has no subgraphs")
    sg = m.subgraphs[0]

    def io(idx):
        out = []
        for i in idx if idx is not None else []:
            t = sg.tensors[i]
            nm = t.name.decode() if isinstance(t.name, bytes) else (t.name or "")
            out.append((nm, [int(d) for d in (t.shape if t.shape is not None else [])], _dtype(t.type)))
        return out
    return ModelInfo(m, len(model_bytes), sorted(ops), sorted(custom), len(m.subgraphs),
                     io(sg.inputs), io(sg.outputs))


def option_tables(info):
    """Names of the options tables (Conv2DOptions, ...) the model's operators carry."""
    members = {val: tname for _label, tname, val, _ in _b._schema().by_name["BuiltinOptions"].members}
    return {members[op.builtinOptionsType] for sg in info.model.subgraphs for op in sg.operators or []
            if op.builtinOptionsType and op.builtinOptionsType in members}


def unsupported(model_bytes, aot=False):
    """What in this model the microcontroller build cannot take, one line each
    ([] when it can be built). `aot=True` adds the limits of the --aot build."""
    info = model_bytes if isinstance(model_bytes, ModelInfo) else read(bytes(model_bytes))
    have, _ = kernel_files()
    out = []
    for op in info.ops:
        if op in _NEEDS_HEAP:
            out.append(f"op {op}: {_NEEDS_HEAP[op]}")
        elif op not in have:
            out.append(f"op {op}: Ember has no kernel for it")
    for c in info.custom_ops:
        out.append(f"custom op {c!r}: micro builds link only builtin kernels")
    for s, sg in enumerate(info.model.subgraphs):
        for t in sg.tensors or []:
            tt = _TT.get(t.type, str(t.type))
            nm = t.name.decode() if isinstance(t.name, bytes) else t.name
            if tt not in _PLANNABLE:
                out.append(f"tensor {nm!r} (subgraph {s}): type {tt} has no fixed size")
            if t.shapeSignature is not None and any(int(d) < 0 for d in t.shapeSignature) and s == 0 \
                    and t in [sg.tensors[i] for i in (sg.inputs if sg.inputs is not None else [])]:
                sig = [int(d) for d in t.shapeSignature]
                shape = [int(d) for d in (t.shape if t.shape is not None else [])]
                out.append(f"input {nm!r}: dynamic dimensions {sig} are fixed at {shape} in a micro build")
            if t.sparsity is not None:
                out.append(f"tensor {nm!r}: sparse tensors are not supported on micro")
    if aot:
        if info.n_subgraphs > 1:
            out.append(f"--aot: {info.n_subgraphs} subgraphs (control flow) — AOT takes one")
        for op in info.ops:
            if op in _CONTROL_FLOW | _RESOURCES:
                out.append(f"--aot: op {op} needs the interpreter (subgraphs/resources)")
        for t in info.model.subgraphs[0].tensors or []:
            if t.isVariable:
                nm = t.name.decode() if isinstance(t.name, bytes) else t.name
                out.append(f"--aot: variable tensor {nm!r} (state) needs the interpreter")
    # dynamic-dimension notes are informative, not blockers
    return out


def blocking(problems):
    return [p for p in problems if "are fixed at" not in p]
