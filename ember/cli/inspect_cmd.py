"""ember inspect MODEL [--json]: what is inside a .tflite file.

The JSON document (``--json``) has these keys, stable from version 1 on:
  schema_version (1), file, bytes, description, subgraphs (count),
  inputs / outputs: [{name, index, shape, shape_signature, dtype, quantization}],
  op_counts: {op: count}, nodes: [{index, op, version, inputs, outputs}],
  tensors: [{index, name, shape, dtype, constant, bytes}],
  memory: {arena_bytes, persistent_bytes, plan: [{tensor, name, offset, bytes, first_node, last_node}]},
  sizes: {weights_by_dtype: {dtype: bytes}, weights_bytes, file_bytes},
  signatures: {key: {inputs: [...], outputs: [...]}}, metadata: [{name, bytes}],
  unsupported_ops: [op names Ember's core cannot run]
Added within version 1 (new keys only; nothing above changes):
  edgetpu: {compatible, nodes, first_unsupported_node, ops: [op names],
            unsupported: [{node, op, reasons: [str], kinds: [str], at_edge: bool}]}
      kinds name the rule each node breaks: "op" (not on the list), "dtype"
      (not int8/uint8-quantised), "dynamic", "rank" (size > 1 outside the 3
      innermost dimensions), "limit" (the op's documented limits); at_edge
      marks a float->int QUANTIZE of a model input or int->float DEQUANTIZE
      of a model output, which stays on the CPU without cutting the graph
      (first_unsupported_node skips those);
      the nodes an Edge TPU could not take, by Coral's documented rules
      (see ember/cli/compat.py); the compiler maps nodes up to the first one
      it cannot take, so later ones run on the CPU too without ``-a``.
  micro: {compatible, checked_by ("ember.micro.unsupported" or "rules"), ops,
          unsupported: [{node, op, reasons: [str], subgraph (only when not 0)}],
          error (only when ember.micro.unsupported failed and the rules answered)}
      what a microcontroller build could not take; node and op are null for
      model-wide findings (ember.micro reports per op type and per tensor).
"""
import argparse
import collections
import json
import os

import numpy as np

from ember.cli import compat, style

SCHEMA_VERSION = 1

EXAMPLES = """examples:
  ember inspect examples/demo_model.tflite
  ember inspect model.tflite --json > model.json
  ember inspect model.tflite --json | python -c "import json,sys; print(json.load(sys.stdin)['edgetpu'])"
"""


def add_parser(sub):
    p = sub.add_parser("inspect", help="show a model's inputs, ops, memory plan and sizes",
                       description="Shows what is inside MODEL: inputs and outputs with "
                                   "quantisation, op counts, every node, the arena plan, "
                                   "weight sizes by dtype, signatures and metadata, and the "
                                   "nodes an Edge TPU or a microcontroller build could not take.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a .tflite file")
    p.add_argument("--json", action="store_true", help="print a JSON document instead")
    p.set_defaults(func=run)


def _io(d):
    q = d["quantization_parameters"]
    return {"name": d["name"], "index": int(d["index"]), "shape": [int(s) for s in d["shape"]],
            "shape_signature": [int(s) for s in d["shape_signature"]],
            "dtype": np.dtype(d["dtype"]).name,
            "quantization": {"scales": [float(s) for s in q["scales"]],
                             "zero_points": [int(z) for z in q["zero_points"]],
                             "quantized_dimension": int(q["quantized_dimension"])}}


def describe(path):
    import ember
    from ember import _ember
    from ember.interpreter.interpreter import _DTYPES, type_name
    if not os.path.exists(path):
        raise ValueError(f"no such model file: {path}")
    with open(path, "rb") as f:
        data = f.read()
    it = ember.Interpreter(model_content=data)
    info = _ember.model_info(it._model)
    nodes = [{"index": i, "op": custom or name, "version": version,
              "inputs": list(ins), "outputs": list(outs)}
             for i, (name, _code, custom, version, ins, outs) in enumerate(_ember.nodes(it._interp, 0))]
    builtin, custom = _ember.registry()
    known = set(builtin) | set(custom)
    unsupported = sorted({n["op"] for n in nodes if n["op"] not in known})
    tensors, weights = [], collections.Counter()
    for t in range(info["subgraphs"][0]["tensors"]):
        name, code, dims, _sig, _s, _z, _qd, mem, nbytes, _sp, _var = _ember.tensor_info(it._interp, 0, t)
        const = mem == 1
        dtype = np.dtype(_DTYPES[code]).name if _DTYPES.get(code) is not None else type_name(code).lower()
        if const:
            weights[dtype] += nbytes
        tensors.append({"index": t, "name": name, "shape": list(dims), "dtype": dtype,
                        "constant": const, "bytes": nbytes if const else None})
    graph = compat.load_graph(it, data)
    constants = {t["index"] for t in tensors if t["constant"]}

    def const_value(i):
        if i not in constants:
            raise KeyError(i)
        return it.get_tensor(i)
    edgetpu = compat.edgetpu(graph, const_value)
    micro = compat.micro(data, graph)
    memory = {"arena_bytes": None, "persistent_bytes": None, "plan": [], "error": None}
    if not unsupported:
        try:
            it.allocate_tensors()
            arena, persistent = it.arena_size()
            memory.update(arena_bytes=arena, persistent_bytes=persistent, plan=it.memory_plan())
        except ember.EmberError as e:
            memory["error"] = str(e)
    return {
        "schema_version": SCHEMA_VERSION, "file": path, "bytes": os.path.getsize(path),
        "description": info["description"], "subgraphs": len(info["subgraphs"]),
        "inputs": [_io(d) for d in it.get_input_details()],
        "outputs": [_io(d) for d in it.get_output_details()],
        "op_counts": dict(collections.Counter(n["op"] for n in nodes).most_common()),
        "nodes": nodes, "tensors": tensors, "memory": memory,
        "sizes": {"weights_by_dtype": dict(weights), "weights_bytes": sum(weights.values()),
                  "file_bytes": os.path.getsize(path)},
        "signatures": it.get_signature_list(),
        "metadata": [{"name": n, "bytes": len(b)} for n, b in info["metadata"]],
        "unsupported_ops": unsupported,
        "edgetpu": edgetpu,
        "micro": micro,
    }


def _fmt_io(e):
    q = e["quantization"]
    quant = ""
    if q["scales"]:
        quant = (f"  scale {q['scales'][0]:.6g} zero point {q['zero_points'][0]}" if len(q["scales"]) == 1
                 else f"  per-channel ({len(q['scales'])} scales, axis {q['quantized_dimension']})")
    return f"  {e['name']:<32} {e['dtype']:<8} {e['shape']}{quant}"


def run(args):
    doc = describe(args.model)
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    h = style.bold
    print(h(f"{doc['file']}:") + f" {doc['bytes']:,} bytes, {doc['subgraphs']} subgraph(s)"
          + (f" — {doc['description']}" if doc["description"] else ""))
    print(h("inputs:"))
    for e in doc["inputs"]:
        print(_fmt_io(e))
    print(h("outputs:"))
    for e in doc["outputs"]:
        print(_fmt_io(e))
    print(h(f"ops ({len(doc['nodes'])} nodes):"))
    for op, n in doc["op_counts"].items():
        print(f"  {op:<32} {n}")
    print(h("nodes:"))
    shapes = {t["index"]: t["shape"] for t in doc["tensors"]}
    for n in doc["nodes"]:
        ins = ", ".join("-" if i < 0 else f"{i}{shapes.get(i, '')}" for i in n["inputs"])
        outs = ", ".join(f"{o}{shapes.get(o, '')}" for o in n["outputs"])
        print(f"  {n['index']:>4} {n['op']:<28} ({ins}) -> {outs}")
    m = doc["memory"]
    if m["arena_bytes"] is not None:
        print(h("memory:") + f" arena {m['arena_bytes']:,} B, persistent {m['persistent_bytes']:,} B "
              f"({len(m['plan'])} planned tensors)")
        for r in m["plan"]:
            print(f"  {r['tensor']:>4} {r['name'][:40]:<40} offset {r['offset']:>10,}  {r['bytes']:>10,} B"
                  f"  nodes {r['first_node']}..{r['last_node']}")
    elif m["error"]:
        print(h("memory:") + " not planned: " + style.warn(m["error"]))
    s = doc["sizes"]
    print(h("sizes:") + f" weights {s['weights_bytes']:,} B ("
          + ", ".join(f"{k} {v:,} B" for k, v in s["weights_by_dtype"].items()) + f"), file {s['file_bytes']:,} B")
    if doc["signatures"]:
        print(h("signatures:") + " " + ", ".join(doc["signatures"]))
    if doc["metadata"]:
        print(h("metadata:") + " " + ", ".join(f"{e['name']} ({e['bytes']} B)" for e in doc["metadata"]))
    if doc["unsupported_ops"]:
        print(h("ops Ember cannot run:") + " " + style.bad(", ".join(doc["unsupported_ops"])))
    _section("edge tpu:", doc["edgetpu"], compat.edgetpu_lines(doc["edgetpu"]))
    _section("microcontroller:", doc["micro"], compat.micro_lines(doc["micro"]))


def _section(title, result, lines):
    paint = style.good if result["compatible"] else style.warn
    print(style.bold(title) + " " + paint(lines[0]))
    for line in lines[1:]:
        print(line)
