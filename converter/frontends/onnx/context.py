"""The state of one ONNX -> IR conversion: values by ONNX name, and op emission.

A value is either an ``ir.Tensor`` (computed at run time) or a NumPy array
(known at conversion: initializers, Constant nodes and everything folded from
them). Keeping constants as arrays until an op needs them as a tensor is what
lets shape arithmetic (Shape -> Gather -> Concat -> Reshape) vanish.

All values keep the ONNX layout (NCHW for images); handlers of layout-sensitive
ops wrap the TFLite op in TRANSPOSEs (see ``to_nhwc``/``to_nchw``).
"""
import numpy as np

from ember.converter import ir

NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)


def shape_of(v):
    """Shape of a value (dims None when unknown); None when the rank is unknown."""
    if isinstance(v, np.ndarray):
        return tuple(v.shape)
    return None if v.shape is None else tuple(v.shape)


def broadcast_shapes(*shapes):
    """NumPy broadcasting over shapes whose dims may be None."""
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = [s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0]
        known = [d for d in dims if d is not None and d != 1]
        if known:
            out.append(known[0])
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def known(shape):
    return shape is not None and all(d is not None for d in shape)


class Ctx:
    def __init__(self, graph, opset, value_info):
        self.g = graph
        self.opset = opset
        self.value_info = value_info       # onnx name -> (np dtype or None, shape or None)
        self.env = {}
        self.names = set()
        self.reserved = set()              # ONNX value names: only their own value takes them
        self.node = None
        self.index = -1

    # ---- errors -------------------------------------------------------------
    def where(self):
        n = self.node
        return (f"node {self.index} ({n.op_type} {n.name!r}, opset {self.opset})"
                if n is not None else "the graph")

    def error(self, msg):
        return ir.ConversionError(f"{self.where()}: {msg}")

    # ---- values -------------------------------------------------------------
    def unique(self, base, *, onnx_name=False):
        name, k = base, 0
        while name in self.names or (name in self.reserved and not (onnx_name and k == 0)):
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def new_tensor(self, name, dtype, shape):
        return ir.Tensor(self.unique(name), dtype, shape=shape)

    def tensor(self, v, hint="const"):
        """An IR tensor for a value: arrays become constant tensors."""
        if isinstance(v, ir.Tensor):
            return v
        arr = np.asarray(v)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        return ir.Tensor(self.unique(f"{self._prefix()}{hint}"), arr.dtype, data=arr)

    def const(self, value, dtype, hint="const"):
        return self.tensor(np.asarray(value, dtype=dtype), hint)

    def _prefix(self):
        n = self.node
        if n is None:
            return ""
        return (n.name or (n.output[0] if n.output else n.op_type)) + "/"

    def out_info(self, i=0):
        """(dtype, shape) ONNX shape inference found for output i of the current node."""
        name = self.node.output[i]
        return self.value_info.get(name, (None, None))

    # ---- emission -----------------------------------------------------------
    def emit(self, type_, inputs, dtype, shape, options=None, *, name=None, hint=None, nout=1,
             version=1):
        """Appends one op; returns its output tensor (or list when nout > 1)."""
        ins = [None if i is None else self.tensor(i) for i in inputs]
        shapes = shape if nout > 1 else [shape]
        dtypes = dtype if isinstance(dtype, (list, tuple)) else [dtype] * nout
        names = name if isinstance(name, (list, tuple)) else [name] * nout
        outs = []
        for k in range(nout):
            base = names[k] or f"{self._prefix()}{hint or type_.lower()}"
            s = shapes[k]
            outs.append(ir.Tensor(self.unique(base, onnx_name=bool(names[k])), dtypes[k],
                                  shape=None if s is None else tuple(s)))
        self.g.add(type_, ins, outs, options or {}, version=version,
                   origin=self.node.name if self.node else "")
        return outs if nout > 1 else outs[0]

    def transpose(self, x, perm, name=None):
        if isinstance(x, np.ndarray):
            return np.ascontiguousarray(x.transpose(perm))
        s = shape_of(x)
        out = None if s is None else tuple(s[p] for p in perm)
        return self.emit("TRANSPOSE", [x, self.const(perm, np.int32, "perm")], x.dtype, out,
                         name=name, hint="transpose")

    def reshape(self, x, shape, name=None):
        """RESHAPE to ``shape`` (dims may be None: at most one, written as -1)."""
        if isinstance(x, np.ndarray):
            return x.reshape([-1 if d is None else d for d in shape])
        shape = tuple(shape)
        if sum(d is None for d in shape) > 1:
            raise self.error(f"cannot reshape to {shape} with more than one unknown dimension; "
                             "give the inputs fixed shapes with input_shapes=")
        spec = [-1 if d is None else int(d) for d in shape]
        return self.emit("RESHAPE", [x, self.const(spec, np.int32, "shape")], x.dtype, shape,
                         {"new_shape": spec}, name=name, hint="reshape")

    def to_nhwc(self, x):
        return self.transpose(x, NCHW_TO_NHWC)

    def to_nchw(self, x, name=None):
        return self.transpose(x, NHWC_TO_NCHW, name=name)

    def out_name(self, i=0):
        """The ONNX name of output i, for the op that produces it last."""
        return self.node.output[i]
