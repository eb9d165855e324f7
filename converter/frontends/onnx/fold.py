"""Constant folding at conversion: a node whose inputs are all known is run by
ONNX's reference evaluator (onnx.reference), so folding follows the spec of
every op and opset without a NumPy re-implementation per op."""
import numpy as np

_RANDOM = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
           "Multinomial", "Bernoulli"}
_MAX_ELEMENTS = 1 << 26


def can_fold(node, ins):
    if node.op_type in _RANDOM:
        return False
    if any(a.g.ByteSize() or len(a.graphs) for a in node.attribute):
        return False                        # control flow: not folded
    if not ins:
        return node.op_type == "Constant"
    return all(v is None or isinstance(v, np.ndarray) for v in ins)


def evaluate(ctx, node, ins):
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    names = [f"in{i}" if v is not None else "" for i, v in enumerate(ins)]
    feeds = {n: v for n, v in zip(names, ins) if n}
    n2 = helper.make_node(node.op_type, names, [f"out{i}" for i in range(len(node.output))],
                          domain=node.domain)
    n2.attribute.extend(node.attribute)
    graph = helper.make_graph(
        [n2], "fold",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for n, v in feeds.items()],
        [helper.make_value_info(f"out{i}", helper.TypeProto()) for i in range(len(node.output))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ctx.opset)])
    model.ir_version = 8
    try:
        outs = ReferenceEvaluator(model).run(None, feeds)
    except Exception as e:
        raise ctx.error(f"could not evaluate this node on its constant inputs ({e})") from e
    res = []
    for o in outs:
        o = np.asarray(o)
        if o.size > _MAX_ELEMENTS:
            raise ctx.error(f"a constant of {o.size} elements is too large to fold")
        res.append(o)
    return res
