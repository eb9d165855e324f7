"""``int8`` and ``int16x8`` modes: the full-integer rewrite of the entry graph.

Given calibrated ranges, every op TFLite runs in integers (quantize/spec.py) is
rewritten per TFLite's quantisation spec; the others stay float, with DEQUANTIZE
before and QUANTIZE after them, and a warning naming them (or a ConversionError
with ``strict=True``).

Where tensors live: an activation produced by a quantised op is stored quantised
(its dtype and parameters change in place, its name stays); one produced by a float
op or fed as a float graph input stays float and quantised readers get one shared
QUANTIZE copy (``<name>_int8``); a quantised tensor read by a float op gets one
shared DEQUANTIZE copy (``<name>_float``). Graph inputs and outputs stay float unless
``input_type``/``output_type`` ask for integers; a float graph output keeps its name
and signature key, and the integer tensor behind it is renamed ``<name>_int8``.

Parameters: ops whose outputs must keep their inputs' parameters (``same`` in the
spec: pooling, concatenation, reshape...) put those tensors in one group whose
range is the union of its members' ranges; outputs with mandated parameters
(softmax, logistic, tanh...) keep them, and where a group and a mandated value
disagree a requantising QUANTIZE reconciles them.
"""
import warnings

import numpy as np

from ember.converter import ir
from ember.quantize.common import (activation_quant, bias_min_weight_scales, fused_activation,
                                   quantize_bias, quantize_values, quantize_weights, same_quant)
from ember.quantize.float16 import QuantizationWarning
from ember.quantize.spec import INTEGER_FUSED, spec_for

F32 = np.dtype(np.float32)
# Ops that already convert between float and integers: never "float ops without a kernel".
_CONVERSIONS = ("QUANTIZE", "DEQUANTIZE")


def _is_float(t):
    return t is not None and t.dtype == F32


class _Groups:
    """Union-find over tensors that must share quantisation parameters."""

    def __init__(self):
        self.parent = {}
        self.tensors = {}

    def find(self, t):
        k = id(t)
        self.tensors.setdefault(k, t)
        self.parent.setdefault(k, k)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def members(self, t):
        r = self.find(t)
        return [self.tensors[k] for k in self.parent if self.find(self.tensors[k]) == r]


def _describe(op, g):
    outs = ", ".join(repr(t.name) for t in op.outputs[:2])
    kind = op.type if op.type != "CUSTOM" else f"CUSTOM {op.custom_code!r}"
    return f"{kind} -> {outs}" + (f" ({op.origin})" if op.origin else "")


def _why_not(op, s, ranges, act_name):
    """None if ``op`` can be quantised per spec ``s``, else the reason."""
    if s is None:
        return f"no {act_name} kernel in TFLite"
    fused = fused_activation(op)
    if fused not in INTEGER_FUSED:
        return f"fused activation {fused} has no integer form"
    acts = set(s.activation_inputs(op))
    for i, t in enumerate(op.inputs):
        if not _is_float(t):
            if i in s.weights and t is not None:
                return f"input {i} is {t.dtype.name}, not float32 weights"
            continue
        if i in s.weights or i in s.bias:
            if not t.is_const:
                return f"input {i} ({t.name!r}) is not a constant"
        elif i not in acts:
            return f"float input {i} ({t.name!r}) has no integer form"
        elif not t.is_const and t.name not in ranges:
            return f"no calibrated range for {t.name!r}"
    for o in op.outputs:
        if _is_float(o):
            if not s.outputs:
                return f"output {o.name!r} would stay float"
            if o.name not in ranges and act_name not in s.fixed:
                return f"no calibrated range for {o.name!r}"
    if any(i in s.weights for i in acts):
        return "bad spec"
    return None


def to_integer(model, ranges, act_dtype=np.int8, *, input_type=None, output_type=None,
               strict=False):
    """Rewrites ``model`` (in place) to integer activations of ``act_dtype``.

    ranges: {tensor name: (lo, hi)} for the float activations of the entry graph.
    Returns the list of (op description, reason) left in float.
    """
    act = np.dtype(act_dtype)
    tag = "int8" if act == np.int8 else "int16"
    bias_dtype = np.int32 if act == np.int8 else np.int64
    g = model.main

    # 1. Which ops become integer.
    qops, fallback = {}, []
    for op in g.ops:
        if not any(_is_float(t) for t in op.inputs + op.outputs) or op.type in _CONVERSIONS:
            continue
        s = spec_for(op.type, act)
        why = _why_not(op, s, ranges, tag)
        if why is None:
            qops[id(op)] = s
        else:
            fallback.append((_describe(op, g), why))
    if fallback and strict:
        lines = "\n  ".join(f"{d}: {w}" for d, w in fallback)
        raise ir.ConversionError(f"--strict-int8: {len(fallback)} op(s) cannot run in {tag}:\n  {lines}")

    # 2. Parameters: mandated outputs, groups of shared parameters, calibrated ranges.
    fixed = {}
    groups = _Groups()
    for op in g.ops:
        s = qops.get(id(op))
        if s is None:
            continue
        if tag in s.fixed:
            for o in op.outputs:
                if _is_float(o):
                    fixed[id(o)] = ir.Quant(np.float32(s.fixed[tag][0]), s.fixed[tag][1])
        if s.same:
            ts = [op.inputs[i] for i in s.activation_inputs(op) if _is_float(op.inputs[i])]
            ts += [o for o in op.outputs if _is_float(o)]
            for t in ts[1:]:
                groups.union(ts[0], t)

    def own_range(t):
        if t.is_const:
            d = t.data[np.isfinite(t.data)]
            return (float(d.min()), float(d.max())) if d.size else (0.0, 0.0)
        return ranges[t.name]

    group_params = {}

    def params(t):
        if id(t) in fixed:
            return fixed[id(t)]
        r = groups.find(t)
        if r not in group_params:
            members = groups.members(t)
            mandated = [fixed[id(m)] for m in members if id(m) in fixed]
            if mandated:
                group_params[r] = mandated[0]
            else:
                rs = [own_range(m) for m in members if m.is_const or m.name in ranges]
                group_params[r] = activation_quant(min(lo for lo, _ in rs), max(hi for _, hi in rs), act)
        return group_params[r]

    # 3. Rewrite.
    stored = set()        # id of activations stored in integers
    for op in g.ops:
        if id(op) in qops and qops[id(op)].outputs:
            stored.update(id(o) for o in op.outputs if _is_float(o))
    int_inputs = input_type not in (None, "float32", np.float32)
    head, ops, qcopy, fcopy, consts = [], [], {}, {}, {}
    io_map = {}

    def new_tensor(name, dtype, like, quant=None):
        return ir.Tensor(g.unique_name(name), dtype, shape=like.shape, quant=quant)

    if int_inputs:
        want = np.dtype(input_type)
        if want not in (act, np.dtype(np.uint8)) or (want == np.uint8 and act != np.int8):
            raise ir.ConversionError(f"input_type {input_type} does not fit {tag} quantisation "
                                     f"(use float32, {act.name}" + (" or uint8)" if act == np.int8 else ")"))
        new_inputs = []
        for t in g.inputs:
            if not _is_float(t) or t.name not in ranges:
                new_inputs.append(t)
                continue
            stored.add(id(t))
            if want == np.uint8:
                p = params(t)
                u = ir.Tensor(t.name, np.uint8, shape=t.shape,
                              quant=ir.Quant(p.scale, p.zero_point + 128))
                t.name = g.unique_name(t.name + "_int8")
                head.append(ir.Op("QUANTIZE", [u], [t], version=2, origin="uint8 input"))
                io_map[id(t)] = u
                new_inputs.append(u)
            else:
                new_inputs.append(t)
        g.inputs = new_inputs

    def qversion(t, ops_out):
        if id(t) in stored:
            return t
        if id(t) not in qcopy:
            q = new_tensor(f"{t.name}_{tag}", act, t, params(t))
            ops_out.append(ir.Op("QUANTIZE", [t], [q], version=2 if act == np.int8 else 3,
                                 origin=f"quantise {t.name}"))
            qcopy[id(t)] = q
        return qcopy[id(t)]

    def fversion(t, ops_out):
        if id(t) not in fcopy:
            f = new_tensor(f"{t.name}_float", F32, t)
            ops_out.append(ir.Op("DEQUANTIZE", [t], [f], version=2, origin=f"dequantise {t.name}"))
            fcopy[id(t)] = f
        return fcopy[id(t)]

    def qconst(t):
        p = params(t)
        key = (id(t), tuple(p.scale.tolist()), tuple(p.zero_point.tolist()))
        if key not in consts:
            consts[key] = ir.Tensor(g.unique_name(f"{t.name}_{tag}"), act,
                                    data=quantize_values(t.data, p, act), quant=p)
        return consts[key]

    for op in g.ops:
        s = qops.get(id(op))
        if s is None:
            op.inputs = [fversion(t, ops) if t is not None and id(t) in stored else t
                         for t in op.inputs]
            ops.append(op)
            continue
        acts = s.activation_inputs(op)
        new_in = list(op.inputs)
        for i in acts:
            t = op.inputs[i]
            if not _is_float(t):
                continue
            new_in[i] = qconst(t) if t.is_const else qversion(t, ops)
        if s.same:
            out0 = next((o for o in op.outputs if _is_float(o)), None)
            if out0 is not None:
                want = params(out0)
                for i in acts:
                    t = new_in[i]
                    if t is not None and t.quant is not None and not same_quant(t.quant, want):
                        rq = new_tensor(f"{op.inputs[i].name}_requant", act, t, want)
                        ops.append(ir.Op("QUANTIZE", [t], [rq], version=2, origin="requantise"))
                        new_in[i] = rq
                    elif t is not None and id(t) in stored and not same_quant(params(t), want):
                        rq = new_tensor(f"{t.name}_requant", act, t, want)
                        ops.append(ir.Op("QUANTIZE", [t], [rq], version=2, origin="requantise"))
                        new_in[i] = rq
        for wi, axis in s.weights.items():
            w = op.inputs[wi] if wi < len(op.inputs) else None
            if w is None:
                continue
            if axis is not None and axis >= w.data.ndim:
                axis = None
            bias_slot = next(((bi, src) for bi, src in s.bias.items() if src[1] == wi), None)
            in_scale = None
            b = None
            if bias_slot is not None:
                bi, (ai, _) = bias_slot
                b = op.inputs[bi] if bi < len(op.inputs) else None
                in_scale = float(params(op.inputs[ai]).scale[0])
            n_ch = w.data.shape[axis] if axis is not None else 1
            min_scales = None
            if b is not None and b.is_const:
                min_scales = bias_min_weight_scales(b.data, in_scale, n_ch, bias_dtype)
            data, q = quantize_weights(w.data, axis, min_scales)
            new_in[wi] = ir.Tensor(g.unique_name(f"{w.name}_int8"), np.int8, data=data, quant=q)
            if b is not None and _is_float(b):
                bdata, bq = quantize_bias(b.data, in_scale, q.scale, bias_dtype)
                new_in[bi] = ir.Tensor(g.unique_name(f"{b.name}_{np.dtype(bias_dtype).name}"),
                                       bias_dtype, data=bdata, quant=bq)
        op.inputs = new_in
        op.version = max(op.version, (s.version16 or s.version) if act == np.int16 else s.version)
        ops.append(op)

    # Outputs.
    out_int = output_type not in (None, "float32", np.float32)
    if out_int:
        want = np.dtype(output_type)
        if want not in (act, np.dtype(np.uint8)) or (want == np.uint8 and act != np.int8):
            raise ir.ConversionError(f"output_type {output_type} does not fit {tag} quantisation "
                                     f"(use float32, {act.name}" + (" or uint8)" if act == np.int8 else ")"))
    tail, new_outputs = [], []
    for t in g.outputs:
        if not _is_float(t) or (id(t) not in stored and (not out_int or t.name not in ranges)):
            new_outputs.append(t)
            continue
        name = t.name
        if id(t) in stored:
            src, p = t, params(t)
            if out_int and want == act:
                new_outputs.append(t)
                continue
            t.name = g.unique_name(f"{name}_{tag}")
        else:                            # a float op's output asked for in integers
            src = qversion(t, tail)
            p = src.quant
            t.name = g.unique_name(f"{name}_float")
            if want == act:
                src.name = name
                io_map[id(t)] = src
                new_outputs.append(src)
                continue
        if out_int:                      # uint8: the same scale, zero point moved by 128
            o = ir.Tensor(name, np.uint8, shape=src.shape, quant=ir.Quant(p.scale, p.zero_point + 128))
            tail.append(ir.Op("QUANTIZE", [src], [o], version=2, origin="uint8 output"))
        else:
            o = ir.Tensor(name, F32, shape=src.shape)
            tail.append(ir.Op("DEQUANTIZE", [src], [o], version=2, origin="float output"))
        io_map[id(t)] = o
        new_outputs.append(o)

    # Stored activations take their integer type now that every copy has read params().
    for op in ops + head:
        for t in op.inputs + op.outputs:
            if t is not None and id(t) in stored and t.dtype == F32:
                t.quant = params(t)
                t.dtype = act
    for t in g.inputs:
        if id(t) in stored and t.dtype == F32:
            t.quant = params(t)
            t.dtype = act
    g.ops = head + ops + tail
    g.outputs = new_outputs
    for sig in model.signatures:
        if sig.subgraph == 0:
            sig.inputs = {n: io_map.get(id(t), t) for n, t in sig.inputs.items()}
            sig.outputs = {n: io_map.get(id(t), t) for n, t in sig.outputs.items()}
    if fallback:
        lines = "; ".join(f"{d} ({w})" for d, w in fallback[:12])
        more = f"; and {len(fallback) - 12} more" if len(fallback) > 12 else ""
        warnings.warn(f"{tag}: {len(fallback)} op(s) stay float (DEQUANTIZE/QUANTIZE around them): "
                      f"{lines}{more}", QuantizationWarning, stacklevel=3)
    return fallback
