"""Small helpers every pass shares: reader counts, protected tensors, rewiring.

Passes work on one ``ir.Graph`` at a time but must respect the whole model:
a subgraph's inputs/outputs are an interface (IF/WHILE bodies, signatures),
and signatures hold Tensor objects, so a pass never swaps a graph output for
another tensor — it rewires the producer instead, keeping names stable.
"""
import numpy as np

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")

# Ops whose effect is more than their outputs (or whose outputs depend on
# more than their inputs): never removed, folded, merged or moved.
SIDE_EFFECTS = frozenset({
    "ASSIGN_VARIABLE", "READ_VARIABLE", "VAR_HANDLE", "CALL_ONCE", "IF", "WHILE", "CALL",
    "CUSTOM", "RANDOM_UNIFORM", "RANDOM_STANDARD_NORMAL", "MULTINOMIAL",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "UNIDIRECTIONAL_SEQUENCE_RNN",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_RNN", "LSTM", "RNN", "SVDF",
    "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
})


def graphs(model):
    return list(model.subgraphs)


def act_name(value):
    """A fused_activation_function value (member name or int, as frontends give) as its name."""
    if value is None:
        return "NONE"
    if isinstance(value, str):
        return value.upper()
    try:
        return ACTIVATIONS[int(value)]
    except (IndexError, ValueError, TypeError):
        return str(value)


def activation(op):
    return act_name(op.options.get("fused_activation_function"))


def has_side_effects(op):
    return (op.type in SIDE_EFFECTS or not op.outputs
            or any(t is not None and t.is_variable for t in op.inputs + op.outputs))


class Uses:
    """Who reads each tensor of a graph (built once per rewrite step; cheap)."""

    def __init__(self, graph):
        self.graph = graph
        self.readers = {}
        self.producer = {}
        for op in graph.ops:
            for t in op.inputs:
                if t is not None:
                    self.readers.setdefault(id(t), []).append(op)
            for t in op.outputs:
                self.producer[id(t)] = op
        self.io = {id(t) for t in graph.inputs} | {id(t) for t in graph.outputs}
        self.outputs = {id(t) for t in graph.outputs}

    def readers_of(self, t):
        return self.readers.get(id(t), [])

    def n_readers(self, t):
        """Reading ops, counting an op once per input slot, plus 1 if a graph output."""
        return len(self.readers_of(t)) + (1 if id(t) in self.outputs else 0)

    def sole_reader(self, t, op):
        """True when ``op`` is the only reader of ``t`` and ``t`` is no graph output."""
        rs = self.readers_of(t)
        return id(t) not in self.outputs and len(rs) == 1 and rs[0] is op

    def producer_of(self, t):
        return self.producer.get(id(t))


def same_quant(a, b):
    qa, qb = a.quant, b.quant
    if qa is None or qb is None:
        return qa is None and qb is None
    return (qa.axis == qb.axis and np.array_equal(qa.scale, qb.scale)
            and np.array_equal(qa.zero_point, qb.zero_point))


def is_float(t):
    return t is not None and t.dtype == np.float32 and t.quant is None


def bypass(graph, op, src, dst):
    """Removes ``op`` whose output ``dst`` equals its input ``src`` element for element.

    Readers of ``dst`` read ``src``; if ``dst`` is a graph output (its name and
    identity are the interface), ``src``'s producer writes ``dst`` directly
    instead. Returns False (and changes nothing) when neither is possible.
    """
    if src.dtype != dst.dtype or not same_quant(src, dst):
        return False
    uses = Uses(graph)
    if id(dst) not in uses.outputs:
        graph.replace_uses(dst, src)
        graph.remove_op(op)
        return True
    prod = uses.producer_of(src)
    if prod is None or id(src) in uses.io or src.is_const or len(uses.readers_of(src)) != 1:
        return False
    prod.outputs = [dst if o is src else o for o in prod.outputs]
    graph.remove_op(op)
    return True


def const_value(t):
    """The constant's array, or None for non-constants."""
    return None if t is None or t.data is None else t.data


def known(shape):
    return shape is not None and all(d is not None for d in shape)


def set_const(t, value):
    """Turns ``t`` into a constant holding ``value`` (its dtype kept, shape from value)."""
    arr = np.asarray(value)
    if arr.dtype != t.dtype:
        arr = arr.astype(t.dtype)
    t.data = arr
    t.shape = tuple(arr.shape)
