"""The builder every Keras layer converter writes through.

It appends literal TFLite ops to the IR graph and gives every tensor it makes a
shape (batch may stay None), because the writer needs shapes and the
frontend must not depend on a shape-inference pass having landed.
"""
import numpy as np

from ember.converter import ir

F32 = np.float32


class Emitter:
    def __init__(self, graph: ir.Graph):
        self.g = graph
        self._names = set()
        self.origin = ""          # the layer being converted, for op.origin
        self._consts = {}         # (key) -> Tensor: weights shared by repeated calls

    # ---- tensors -----------------------------------------------------------
    def name(self, base):
        base = str(base) or "t"
        cand, i = base, 0
        while cand in self._names:
            i += 1
            cand = f"{base}_{i}"
        self._names.add(cand)
        return cand

    def tensor(self, name, shape, dtype=F32):
        return ir.Tensor(self.name(name), dtype, shape=tuple(shape))

    def const(self, name, value, dtype=F32, key=None):
        """A constant; with ``key`` the same Tensor comes back for the same key (shared layers)."""
        if key is not None and key in self._consts:
            return self._consts[key]
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        t = ir.Tensor(self.name(name), arr.dtype, data=arr)
        if key is not None:
            self._consts[key] = t
        return t

    def i32(self, name, values):
        return self.const(name, np.asarray(values, np.int32).reshape(-1), np.int32)

    # ---- ops ---------------------------------------------------------------
    def op(self, type_, inputs, shape, name, options=None, dtype=F32):
        """One op with one output of ``shape``; returns the output tensor."""
        out = self.tensor(name, shape, dtype)
        self.g.add(type_, inputs, [out], options or {}, origin=self.origin)
        return out

    def op_multi(self, type_, inputs, shapes, name, options=None, dtype=F32):
        outs = [self.tensor(f"{name}_{i}", s, dtype) for i, s in enumerate(shapes)]
        self.g.add(type_, inputs, outs, options or {}, origin=self.origin)
        return outs

    # ---- common shapes of ops ---------------------------------------------
    def binary(self, type_, a, b, name, options=None):
        shape = broadcast(a.shape, b.shape)
        if type_ in ("ADD", "SUB", "MUL", "DIV") and options is None:
            options = {"fused_activation_function": "NONE"}
        dtype = a.dtype if not a.is_const or b.is_const else b.dtype
        return self.op(type_, [a, b], shape, name, options, dtype=dtype)

    def scalar(self, type_, x, value, name):
        """x <op> a float constant (shaped to broadcast)."""
        c = self.const(f"{name}_c", np.asarray(value, F32), x.dtype)
        return self.binary(type_, x, c, name)

    def unary(self, type_, x, name, options=None):
        return self.op(type_, [x], x.shape, name, options, dtype=x.dtype)

    def reshape(self, x, shape, name):
        """RESHAPE to ``shape`` (None dims become -1; at most one may be unknown)."""
        spec = [-1 if d is None else int(d) for d in shape]
        if spec.count(-1) > 1:
            raise ir.ConversionError(f"{self.origin}: cannot reshape {x.shape} to {shape} "
                                     "with more than one unknown dimension")
        return self.op("RESHAPE", [x, self.i32(f"{name}_shape", spec)], tuple(shape), name,
                       {"new_shape": spec}, dtype=x.dtype)

    def transpose(self, x, perm, name):
        perm = [int(p) for p in perm]
        return self.op("TRANSPOSE", [x, self.i32(f"{name}_perm", perm)],
                       tuple(x.shape[p] for p in perm), name, dtype=x.dtype)

    def reduce(self, type_, x, axes, keepdims, name):
        axes = sorted(a % x.rank for a in axes)
        if keepdims:
            shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        else:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return self.op(type_, [x, self.i32(f"{name}_axes", axes)], shape, name,
                       {"keep_dims": bool(keepdims)}, dtype=x.dtype)

    def concat(self, xs, axis, name):
        axis = axis % xs[0].rank
        shape = list(xs[0].shape)
        dims = [x.shape[axis] for x in xs]
        shape[axis] = None if any(d is None for d in dims) else sum(dims)
        return self.op("CONCATENATION", list(xs), tuple(shape), name,
                       {"axis": axis, "fused_activation_function": "NONE"}, dtype=xs[0].dtype)

    def pad(self, x, pads, name):
        """PAD with ``pads`` = [(before, after)] per dimension."""
        shape = tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads))
        return self.op("PAD", [x, self.const(f"{name}_pads", np.asarray(pads, np.int32), np.int32)],
                       shape, name, dtype=x.dtype)

    def slice(self, x, begin, size, name):
        """SLICE; size -1 keeps the rest of a dimension (so an unknown batch passes)."""
        shape = tuple(d if s == -1 else s for d, s in zip(x.shape, size))
        return self.op("SLICE", [x, self.i32(f"{name}_begin", begin), self.i32(f"{name}_size", size)],
                       shape, name, dtype=x.dtype)

    def cast(self, x, dtype, name):
        dtype = np.dtype(dtype)
        return self.op("CAST", [x], x.shape, name, {}, dtype=dtype)


def broadcast(a, b):
    a, b = list(a), list(b)
    n = max(len(a), len(b))
    a = [1] * (n - len(a)) + a
    b = [1] * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        else:
            out.append(x)
    return tuple(out)


def conv_out(size, k, stride, dilation, padding):
    """Output length of a window op under TF's SAME/VALID rules."""
    if size is None:
        return None
    if padding == "SAME":
        return -(-size // stride)
    eff = (k - 1) * dilation + 1
    return max(0, (size - eff) // stride + 1)
