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
    """Who reads and who writes each tensor of a graph, kept up to date by the
    rewrites below, so a pass makes many rewrites in one sweep (rebuilding
    this per rewrite would make passes quadratic in the graph's size).
    Removed ops leave ``graph.ops`` at ``commit()``."""

    def __init__(self, graph):
        self.graph = graph
        self.readers = {}
        self.producer = {}
        self.removed = set()
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

    def alive(self, op):
        return id(op) not in self.removed

    def fresh_name(self, base):
        """A tensor name not yet in the graph (Graph.unique_name rescans the graph per call)."""
        if not hasattr(self, "_names"):
            self._names = {t.name for t in self.graph.tensors()}
        name, i = base, 0
        while name in self._names:
            i += 1
            name = f"{base}_{i}"
        self._names.add(name)
        return name

    # ---- rewrites (graph and index together) ------------------------------
    def set_input(self, op, index, new):
        old = op.inputs[index]
        if old is not None:
            self.readers[id(old)].remove(op)
        op.inputs[index] = new
        if new is not None:
            self.readers.setdefault(id(new), []).append(op)

    def set_inputs(self, op, inputs):
        for t in op.inputs:
            if t is not None:
                self.readers[id(t)].remove(op)
        op.inputs = list(inputs)
        for t in op.inputs:
            if t is not None:
                self.readers.setdefault(id(t), []).append(op)

    def set_outputs(self, op, outputs):
        for t in op.outputs:
            if self.producer.get(id(t)) is op:
                del self.producer[id(t)]
        op.outputs = list(outputs)
        for t in op.outputs:
            self.producer[id(t)] = op

    def replace_reads(self, old, new):
        """Every op reading ``old`` reads ``new`` (graph outputs are left alone)."""
        for op in self.readers.pop(id(old), []):
            op.inputs = [new if i is old else i for i in op.inputs]
            self.readers.setdefault(id(new), []).append(op)

    def remove(self, op):
        for t in op.inputs:
            if t is not None:
                self.readers[id(t)].remove(op)
        for t in op.outputs:
            if self.producer.get(id(t)) is op:
                del self.producer[id(t)]
        self.removed.add(id(op))

    def commit(self):
        """Drops removed ops from the graph; True if there were any."""
        if not self.removed:
            return False
        self.graph.ops = [op for op in self.graph.ops if id(op) not in self.removed]
        self.removed = set()
        return True


def same_quant(a, b):
    qa, qb = a.quant, b.quant
    if qa is None or qb is None:
        return qa is None and qb is None
    return (qa.axis == qb.axis and np.array_equal(qa.scale, qb.scale)
            and np.array_equal(qa.zero_point, qb.zero_point))


def is_float(t):
    return t is not None and t.dtype == np.float32 and t.quant is None


def bypass(uses, op, src, dst):
    """Removes ``op`` whose output ``dst`` equals its input ``src`` element for element.

    Readers of ``dst`` read ``src``; if ``dst`` is a graph output (its name and
    identity are the interface), ``src``'s producer writes ``dst`` directly
    instead. Returns False (and changes nothing) when neither is possible.
    """
    if src.dtype != dst.dtype or not same_quant(src, dst):
        return False
    if id(dst) not in uses.outputs:
        uses.remove(op)
        uses.replace_reads(dst, src)
        return True
    prod = uses.producer_of(src)
    if prod is None or id(src) in uses.io or src.is_const or len(uses.readers_of(src)) != 1:
        return False
    uses.remove(op)
    uses.set_outputs(prod, [dst if o is src else o for o in prod.outputs])
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
