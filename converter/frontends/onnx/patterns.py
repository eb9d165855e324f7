"""Rewrites on the ONNX node list before conversion.

The erf form of GELU, x * 0.5 * (1 + erf(x / sqrt 2)), is what exporters emit
for nn.GELU at opsets without a Gelu op; it becomes one GELU (the TFLite
kernel computes exactly that function) instead of five ops and an erf
approximation.
"""
import math

import numpy as np


def _const_values(nodes, graph):
    from onnx import numpy_helper
    vals = {t.name: t for t in graph.initializer}
    for n in nodes:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            vals[n.output[0]] = n.attribute[0].t

    def get(name):
        t = vals.get(name)
        if t is None:
            return None
        try:
            a = numpy_helper.to_array(t)
        except Exception:
            return None
        return a if a.size == 1 else None
    return get


def rewrite(nodes, graph, ctx):
    return _gelu(nodes, graph)


def _gelu(nodes, graph):
    from onnx import helper
    const = _const_values(nodes, graph)
    producer = {o: n for n in nodes for o in n.output}
    uses = {}
    for n in nodes:
        for i in n.input:
            uses.setdefault(i, []).append(n)
    for o in graph.output:
        uses.setdefault(o.name, []).append(None)

    def only_use(name):
        u = uses.get(name, [])
        return u[0] if len(u) == 1 else None

    def other(n, name):
        if len(n.input) != 2:
            return None
        return n.input[1] if n.input[0] == name else n.input[0] if n.input[1] == name else None

    def near(name, value):
        c = const(name)
        return c is not None and abs(float(c.reshape(())) - value) < 1e-4 * abs(value)

    drop, replace = set(), {}
    for erf in nodes:
        if erf.op_type != "Erf":
            continue
        scale = producer.get(erf.input[0])
        if scale is None or only_use(scale.output[0]) is not erf:
            continue
        if scale.op_type == "Div" and near(scale.input[1], math.sqrt(2)):
            x = scale.input[0]
        elif scale.op_type == "Mul" and near(scale.input[1], 1 / math.sqrt(2)):
            x = scale.input[0]
        elif scale.op_type == "Mul" and near(scale.input[0], 1 / math.sqrt(2)):
            x = scale.input[1]
        else:
            continue
        add = only_use(erf.output[0])
        if add is None or add.op_type != "Add" or not near(other(add, erf.output[0]), 1.0):
            continue
        m1 = only_use(add.output[0])
        if m1 is None or m1.op_type != "Mul":
            continue
        o1 = other(m1, add.output[0])
        chain = [scale, erf, add, m1]
        if o1 == x or near(o1, 0.5):
            m2 = only_use(m1.output[0])
            if m2 is None or m2.op_type != "Mul":
                continue
            want = 0.5 if o1 == x else None
            o2 = other(m2, m1.output[0])
            if not (near(o2, 0.5) if want else o2 == x):
                continue
            chain.append(m2)
            out = m2.output[0]
        else:                                   # (x * 0.5) * (1 + erf(...))
            half = producer.get(o1)
            if half is None or half.op_type != "Mul" or only_use(half.output[0]) is not m1 \
                    or other(half, x) is None or not near(other(half, x), 0.5):
                continue
            chain.append(half)
            out = m1.output[0]
        fused = helper.make_node("Gelu", [x], [out], name=(m1.name or out) + "/gelu")
        for n in chain:
            drop.add(id(n))
        replace[id(chain[-1] if chain[-1].output[0] == out else m1)] = fused
    if not drop:
        return nodes
    result = []
    for n in nodes:
        if id(n) in replace:
            result.append(replace[id(n)])
        elif id(n) not in drop:
            result.append(n)
    return result
