"""Which nodes of a model an Edge TPU or a microcontroller build could not take.

Edge TPU (``edgetpu(graph)``): the rules are the facts in Coral's "TensorFlow
models on the Edge TPU" page (coral.ai/docs/edgetpu/models-intro):
  * every tensor is 8-bit quantised (int8/uint8); constants may also be int32
    (biases, shapes, axes), which the compiler folds;
  * tensor sizes are constant at compile time: no dynamic dimensions;
  * a tensor of more than 3 dimensions may have size > 1 only in its 3
    innermost dimensions (so a batch of 1 for NHWC images);
  * only the ops in ``EDGETPU_OPS`` are mapped, with the limits written beside
    them (those that can be decided from the file are checked here).
The compiler maps nodes in order up to the first one it cannot take; without
``edgetpu_compiler -a`` everything after that runs on the CPU, which is why the
report also names the first such node. This is an estimate made without the
compiler: it can say "no" for certain, and "yes" only as far as the rules go
(the compiler may still keep an op on the CPU, e.g. a resize that would lose
precision, or a tensor that does not fit).

Microcontroller (``micro(model_bytes, graph)``): ``ember.micro.unsupported``
when the micro package provides it; otherwise these rules stand in for it: no
dynamic dimensions (a micro build plans one static arena), no string tensors,
no resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE or RESOURCE
tensors), and only ops in the C core's registry (the kernels a build can link).

``graph`` is what ``load_graph`` reads through the C core: nodes, tensors and,
when the flatbuffers package is there, each node's builtin options.
"""
import numpy as np

# Coral's supported-operation table, by TFLite builtin name -> its stated limits.
# Sources: Coral's older table (ADD ... TANH without the rows below), and the table of
# Axis' ARTPEC-7 (an Edge TPU SoC: developer.axis.com/.../artpec-7/supported-ops), which
# also lists EXPAND_DIMS, UNIDIRECTIONAL_SEQUENCE_LSTM, PACK, PRELU, QUANTIZE, REDUCE_MAX
# and REDUCE_MIN. RSQRT, SQUARED_DIFFERENCE, SUM, TRANSPOSE and TRANSPOSE_CONV come from
# the current coral.ai table as remembered, not re-read from a stored copy: treat their
# rows (and the limits newer tables add, e.g. "not along the batch dimension") as unchecked.
EDGETPU_OPS = {
    "ADD": "",
    "AVERAGE_POOL_2D": "No fused activation function.",
    "CONCATENATION": "No fused activation function. If any input is a compile-time constant tensor, "
                     "there must be only 2 inputs, and this constant tensor must be all zeroes.",
    "CONV_2D": "",
    "DEPTHWISE_CONV_2D": "",
    "EXPAND_DIMS": "",
    "FULLY_CONNECTED": "Only the default format for fully-connected weights. Output tensor is one-dimensional.",
    "L2_NORMALIZATION": "",
    "LOGISTIC": "",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "Unidirectional LSTM only.",
    "MAXIMUM": "",
    "MAX_POOL_2D": "No fused activation function.",
    "MEAN": "Reduction along x- and/or y-dimensions only.",
    "MINIMUM": "",
    "MUL": "",
    "PACK": "",
    "PAD": "Padding along x- and/or y-dimensions only.",
    "PRELU": "",
    "QUANTIZE": "",
    "REDUCE_MAX": "",
    "REDUCE_MIN": "",
    "RELU": "",
    "RELU6": "",
    "RELU_N1_TO_1": "",
    "RESHAPE": "",
    "RESIZE_BILINEAR": "Input/output is a 3-dimensional tensor; may stay on the CPU to avoid loss of precision.",
    "RESIZE_NEAREST_NEIGHBOR": "Input/output is a 3-dimensional tensor; may stay on the CPU to avoid loss of "
                               "precision.",
    "RSQRT": "",
    "SLICE": "",
    "SOFTMAX": "1-D input tensor only, at most 16,000 elements.",
    "SPACE_TO_DEPTH": "",
    "SPLIT": "",
    "SQUARED_DIFFERENCE": "",
    "SQUEEZE": "Only squeezing leading 1s (no relayout): [1,1,10] or [1,5,10] can, [5,1,10] cannot.",
    "STRIDED_SLICE": "All strides 1, ellipsis_mask 0 and new_axis_mask 0.",
    "SUB": "",
    "SUM": "",
    "TANH": "",
    "TRANSPOSE": "",
    "TRANSPOSE_CONV": "",
}

_EIGHT_BIT = ("int8", "uint8")
_CONST_OK = _EIGHT_BIT + ("int32", "int64")
_RESOURCE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE")


def load_graph(it, model_bytes):
    """Nodes and tensors of every subgraph of ``it`` (an ember.Interpreter), read through the
    C core; builtin options come from ``model_bytes`` via flatbuffers."""
    from ember import _ember
    from ember.interpreter.interpreter import _DTYPES, type_name
    subgraphs = []
    info = _ember.model_info(it._model)
    options = _options(model_bytes)
    for sg, sg_info in enumerate(info["subgraphs"]):
        tensors = []
        for t in range(sg_info["tensors"]):
            name, code, dims, sig, scales, zps, _qd, mem, _nb, _sp, var = _ember.tensor_info(it._interp, sg, t)
            dtype = np.dtype(_DTYPES[code]).name if _DTYPES.get(code) is not None else type_name(code).lower()
            tensors.append({"name": name, "dtype": dtype, "shape": list(dims),
                            "signature": list(sig) if sig is not None else list(dims),
                            "quantized": len(scales) > 0, "zero_point": int(zps[0]) if len(zps) else 0, "constant": mem == 1, "variable": bool(var)})
        nodes = [{"index": i, "op": custom or name, "inputs": list(ins), "outputs": list(outs),
                  "options": options.get((sg, i))}
                 for i, (name, _code, custom, _v, ins, outs) in enumerate(_ember.nodes(it._interp, sg))]
        subgraphs.append({"nodes": nodes, "tensors": tensors})
    subgraphs[0]["inputs"] = [int(d["index"]) for d in it.get_input_details()]
    subgraphs[0]["outputs"] = [int(d["index"]) for d in it.get_output_details()]
    return subgraphs


def _options(model_bytes):
    """{(subgraph, node): builtin options object}; empty when flatbuffers is missing."""
    try:
        from ember.schema.builder import read_model
        model = read_model(model_bytes)
    except Exception:                     # noqa: BLE001 - options only sharpen the report
        return {}
    out = {}
    for s, sg in enumerate(model.subgraphs or []):
        for i, op in enumerate(sg.operators or []):
            out[(s, i)] = op.builtinOptions
    return out


# -- Edge TPU ----------------------------------------------------------------

def edgetpu(graph, const_value):
    """{compatible, nodes, unsupported: [{node, op, reasons, kinds}], ops, first_unsupported_node}.

    ``const_value(tensor_index)`` returns a constant tensor's values (axes, paddings, strides)."""
    main = graph[0]
    tensors = main["tensors"]
    unsupported = []
    for n in main["nodes"]:
        reasons = _edgetpu_reasons(n, tensors, const_value)
        if reasons:
            unsupported.append({"node": n["index"], "op": n["op"], "reasons": [r for _k, r in reasons],
                                "kinds": sorted({k for k, _r in reasons}),
                                "at_edge": _at_edge(n, main)})
    inner = [u for u in unsupported if not u["at_edge"]]
    return {"compatible": not unsupported, "unsupported": unsupported,
            "ops": sorted({u["op"] for u in unsupported}),
            "first_unsupported_node": inner[0]["node"] if inner else None,
            "nodes": len(main["nodes"])}


def _at_edge(n, main):
    """A float->int QUANTIZE of a model input or an int->float DEQUANTIZE of a model output:
    these stay on the CPU without cutting the graph (the quantised body between them maps)."""
    if n["op"] == "QUANTIZE":
        return bool(n["inputs"]) and n["inputs"][0] in main.get("inputs", ())
    if n["op"] == "DEQUANTIZE":
        return bool(n["outputs"]) and n["outputs"][0] in main.get("outputs", ())
    return False


def _edgetpu_reasons(n, tensors, const_value):
    """[(kind, text)]: kind is "op", "dtype", "dynamic", "rank" or "limit"."""
    op = n["op"]
    reasons = []
    if op not in EDGETPU_OPS:
        reasons.append(("op", "not in the Edge TPU's supported-op list"))
    for i in [i for i in n["inputs"] + n["outputs"] if i >= 0]:
        t = tensors[i]
        if t["constant"]:
            if t["dtype"] not in _CONST_OK:
                reasons.append(("dtype", f"constant {t['name']!r} is {t['dtype']} (8-bit quantised weights only)"))
        elif t["dtype"] not in _EIGHT_BIT:
            reasons.append(("dtype", f"tensor {t['name']!r} is {t['dtype']} (int8/uint8 only)"))
        elif not t["quantized"]:
            reasons.append(("dtype", f"tensor {t['name']!r} has no quantisation parameters"))
        if any(d < 0 for d in t["signature"]):
            reasons.append(("dynamic", f"tensor {t['name']!r} has a dynamic shape {t['signature']}"))
        if not t["constant"] and len(t["shape"]) > 3 and int(np.prod(t["shape"][:-3])) > 1:
            reasons.append(("rank", f"tensor {t['name']!r} {t['shape']} has size > 1 outside its "
                                    "3 innermost dimensions"))
    if op in EDGETPU_OPS:
        reasons += [("limit", r) for r in _edgetpu_limits(n, tensors, const_value)]
    return list(dict.fromkeys(reasons))


def _fused(n):
    o = n["options"]
    return getattr(o, "fusedActivationFunction", 0) if o is not None else 0


def _xy_axes(rank):
    """The x and y dimensions: the two outside the innermost (channel) one."""
    return {rank - 3, rank - 2} if rank >= 3 else set(range(rank - 1))


def _edgetpu_limits(n, tensors, const_value):
    op, ins, outs, o = n["op"], n["inputs"], n["outputs"], n["options"]
    shape = (lambda i: tensors[i]["shape"])
    r = []
    if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION") and _fused(n):
        r.append("has a fused activation function")
    if op == "CONCATENATION":
        consts = [i for i in ins if i >= 0 and tensors[i]["constant"]]
        if consts:
            if len(ins) != 2:
                r.append("a constant input with more than 2 inputs")
            elif any(np.any(_value(const_value, i) != _zero_point_or_zero(tensors[i])) for i in consts):
                r.append("a constant input that is not all zeroes")
    elif op == "FULLY_CONNECTED":
        if o is not None and getattr(o, "weightsFormat", 0) != 0:
            r.append("weights not in the default format")
        if outs and sum(d > 1 for d in shape(outs[0])) > 1:
            r.append(f"output {shape(outs[0])} is not one-dimensional")
    elif op in ("MEAN", "PAD") and len(ins) > 1:
        rank = len(shape(ins[0]))
        v = _value(const_value, ins[1])
        if v is not None:
            if op == "MEAN":
                axes = {int(a) % rank for a in np.ravel(v)} if rank else set()
                bad = axes - _xy_axes(rank)
                if bad:
                    r.append(f"reduces along axis {sorted(bad)} (x/y only)")
            else:
                pads = np.asarray(v).reshape(-1, 2)
                bad = [d for d in range(len(pads)) if pads[d].any() and d not in _xy_axes(rank)]
                if bad:
                    r.append(f"pads dimension {bad} (x/y only)")
    elif op == "SOFTMAX":
        dims = shape(ins[0])
        big = [d for d in dims if d > 1]
        if len(big) > 1:
            r.append(f"input {dims} is not 1-D")
        elif int(np.prod(dims)) > 16000:
            r.append(f"input has {int(np.prod(dims)):,} elements (at most 16,000)")
    elif op == "SQUEEZE":
        dims = shape(ins[0])
        squeeze = [int(a) % len(dims) for a in (getattr(o, "squeezeDims", None) or [])] if dims else []
        if not squeeze:
            squeeze = [d for d, s in enumerate(dims) if s == 1]
        lead = 0
        while lead < len(dims) and dims[lead] == 1:
            lead += 1
        if any(d >= lead for d in squeeze):
            r.append(f"squeezes a 1 that is not leading in {dims} (needs a relayout)")
    elif op == "STRIDED_SLICE":
        if len(ins) > 3:
            s = _value(const_value, ins[3])
            if s is None or np.any(np.asarray(s) != 1):
                r.append("strides other than 1")
        if o is not None and (getattr(o, "ellipsisMask", 0) or getattr(o, "newAxisMask", 0)):
            r.append("ellipsis_mask or new_axis_mask set")
    return r


def _value(const_value, i):
    try:
        return const_value(i)
    except Exception:                     # noqa: BLE001 - a non-constant: the limit cannot be decided
        return None


def _zero_point_or_zero(t):
    """The stored value that means real zero."""
    return t["zero_point"] if t["quantized"] else 0


# -- microcontrollers ----------------------------------------------------------

def micro(model_bytes, graph):
    """{compatible, unsupported: [{node, op, reasons}], ops, checked_by}."""
    fn = None
    try:
        from ember import micro as micro_pkg
        fn = getattr(micro_pkg, "unsupported", None)
    except ImportError:
        pass
    error = None
    if fn is not None:
        try:
            items, checked_by = [_normalise(x) for x in fn(model_bytes)], "ember.micro.unsupported"
        except Exception as e:            # noqa: BLE001 - the rules still give an answer
            fn, error = None, f"ember.micro.unsupported failed: {e}"
    if fn is None:
        items, checked_by = _micro_rules(graph), "rules"
    out = {"compatible": not items, "unsupported": items,
           "ops": sorted({u["op"] for u in items if u.get("op")}), "checked_by": checked_by}
    if error:
        out["error"] = error
    return out


def _normalise(x):
    """ember.micro.unsupported's entries as {node, op, reasons}: dicts and (node, op, reason)
    tuples keep their parts; a line such as "op GATHER_ND: no kernel" gives op and reason."""
    if isinstance(x, dict):
        reasons = x.get("reasons") or ([x["reason"]] if x.get("reason") else [])
        return {"node": x.get("node"), "op": x.get("op"), "reasons": [str(r) for r in reasons],
                **({"subgraph": x["subgraph"]} if "subgraph" in x else {})}
    if isinstance(x, (tuple, list)) and len(x) == 3:
        return {"node": x[0], "op": x[1], "reasons": [str(x[2])]}
    text = str(x)
    head, sep, why = text.partition(": ")
    if sep and head.startswith("op ") and " " not in head[3:]:
        return {"node": None, "op": head[3:], "reasons": [why]}
    return {"node": None, "op": None, "reasons": [text]}


def _micro_rules(graph):
    from ember import _ember
    builtin, custom = _ember.registry()
    known = set(builtin) | set(custom)
    out = []
    for sg, g in enumerate(graph):
        tensors = g["tensors"]
        for n in g["nodes"]:
            reasons = []
            if n["op"] not in known:
                reasons.append("no kernel in Ember's registry")
            if n["op"] in _RESOURCE_OPS:
                reasons.append("resource variables")
            for i in [i for i in n["inputs"] + n["outputs"] if i >= 0]:
                t = tensors[i]
                if any(d < 0 for d in t["signature"]):
                    reasons.append(f"tensor {t['name']!r} has a dynamic shape {t['signature']}")
                if t["dtype"] == "string":
                    reasons.append(f"tensor {t['name']!r} is a string tensor")
                if t["dtype"] in ("resource", "variant"):
                    reasons.append(f"tensor {t['name']!r} is a {t['dtype']} tensor")
            if reasons:
                entry = {"node": n["index"], "op": n["op"], "reasons": list(dict.fromkeys(reasons))}
                if sg:
                    entry["subgraph"] = sg
                out.append(entry)
    return out


# -- the text report -------------------------------------------------------------

_KIND_WORDS = {"op": "not on the Edge TPU's op list", "dtype": "not int8/uint8-quantised",
               "dynamic": "dynamic shapes", "rank": "size > 1 outside the 3 innermost dimensions",
               "limit": "outside the op's documented limits"}


def edgetpu_lines(e, limit=12):
    """A few lines for people: what stops the model, grouped, then the first nodes in detail."""
    if e["compatible"]:
        return [f"every one of its {e['nodes']} nodes can map (by Coral's documented rules)"]
    u = e["unsupported"]
    lines = []
    if all("dtype" in x["kinds"] for x in u) and len(u) == e["nodes"]:
        lines.append(f"none of its {e['nodes']} nodes: the model is not int8/uint8-quantised "
                     "(ember convert --quantize int8)")
    elif e["first_unsupported_node"] is None:
        lines.append(f"{e['nodes'] - len(u)} of {e['nodes']} nodes can map; the float<->int8 "
                     f"conversions at the model's inputs/outputs ({len(u)} nodes) stay on the CPU")
    else:
        first = next(x for x in u if x["node"] == e["first_unsupported_node"])
        lines.append(f"{len(u)} of {e['nodes']} nodes cannot map; the compiler stops at node "
                     f"{first['node']} ({first['op']}), later nodes run on the CPU")
    off_list = sorted({x["op"] for x in u if "op" in x["kinds"]})
    if off_list:
        lines.append("ops not on the Edge TPU's list: " + ", ".join(off_list))
    kinds = {}
    for x in u:
        for k in x["kinds"]:
            kinds[k] = kinds.get(k, 0) + 1
    lines.append("why: " + "; ".join(f"{_KIND_WORDS[k]} ({n} node{'' if n == 1 else 's'})"
                                      for k, n in sorted(kinds.items())))
    for x in u[:limit]:
        more = f" (+{len(x['reasons']) - 1} more)" if len(x["reasons"]) > 1 else ""
        lines.append(f"  {x['node']:>4} {x['op']:<28} {_clip(x['reasons'][0], 80)}{more}")
    if len(u) > limit:
        lines.append(f"  ... {len(u) - limit} more (--json lists them all)")
    return lines


def _clip(text, width):
    """Converter-made tensor names run to hundreds of characters: keep a line a line."""
    return text if len(text) <= width else text[:width - 3] + "..."


def micro_lines(m, limit=12):
    how = "" if m["checked_by"] == "rules" else " (ember.micro)"
    if m["compatible"]:
        return ["every node can be built" + how]
    u = m["unsupported"]
    what = "finding(s)" if any(x.get("node") is None for x in u) else "node(s)"
    lines = [f"{len(u)} {what}: it cannot be built{how}" + (" (" + ", ".join(m["ops"]) + ")" if m["ops"] else "")]
    for x in u[:limit]:
        why = x["reasons"][0] if x["reasons"] else ""
        if x.get("node") is None:              # a model-wide finding (ember.micro's lines)
            lines.append(f"  {(x['op'] + ': ') if x['op'] else ''}{_clip(why, 100)}")
            continue
        where = f"{x.get('subgraph', 0)}:{x['node']}" if x.get("subgraph") else f"{x['node']}"
        lines.append(f"  {where:>4} {x['op'] or '':<28} {_clip(why, 80)}")
    if len(u) > limit:
        lines.append(f"  ... {len(u) - limit} more (--json lists them all)")
    return lines
