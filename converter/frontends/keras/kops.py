"""keras.ops calls stored in functional configs (``keras.src.ops.*`` nodes in Keras 3,
``TFOpLambda`` layers in tf.keras .h5 files): the common ones keras.applications
and hand-written models use. Anything else is refused by name."""
import numpy as np

from ember.converter.ir import Tensor
from ember.converter.frontends.keras import activations as A

OPS = {}


def op(*names):
    def deco(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return deco


# tf.keras TFOpLambda "function" strings -> the Keras 3 op class names
_TF_FUNCS = {
    "math.add": "Add", "__operators__.add": "Add", "math.subtract": "Subtract",
    "__operators__.sub": "Subtract", "math.multiply": "Multiply", "__operators__.mul": "Multiply",
    "math.truediv": "TrueDivide", "__operators__.truediv": "TrueDivide", "math.divide": "Divide",
    "math.maximum": "Maximum", "math.minimum": "Minimum", "math.negative": "Negative",
    "math.abs": "Absolute", "math.sqrt": "Sqrt", "math.square": "Square", "math.exp": "Exp",
    "math.log": "Log", "math.rsqrt": "Rsqrt", "nn.relu": "Relu", "nn.relu6": "Relu6",
    "math.sigmoid": "Sigmoid", "nn.sigmoid": "Sigmoid", "math.tanh": "Tanh", "nn.tanh": "Tanh",
    "nn.silu": "Silu", "nn.swish": "Silu", "nn.gelu": "Gelu", "nn.softmax": "Softmax",
    "math.reduce_mean": "Mean", "reduce_mean": "Mean", "math.reduce_sum": "Sum",
    "math.reduce_max": "Max", "reshape": "Reshape", "transpose": "Transpose",
    "compat.v1.transpose": "Transpose", "concat": "Concatenate", "expand_dims": "ExpandDims",
    "squeeze": "Squeeze", "clip_by_value": "Clip",
}


def lookup(c):
    cls = c.cls
    if cls in ("TFOpLambda", "SlicingOpLambda"):
        fname = c.get("function")
        name = _TF_FUNCS.get(fname)
        if name is None:
            return _refuse(f"TensorFlow op {fname!r}")
        _legacy_args(c, name)
        return OPS.get(name)
    fn = OPS.get(cls)
    return fn if fn is not None else _refuse(f"keras op {cls}")


def _refuse(what):
    def fail(c):
        raise c.fail(f"Ember's Keras converter does not support the {what}")
    return fail


def _legacy_args(c, name):
    """TFOpLambda keeps the first operand in args and the rest in kwargs (y=, axis=, ...)."""
    kw = dict(c.kwargs)
    kw.pop("name", None)
    args = list(c.args)
    if "y" in kw:
        args.append(kw.pop("y"))
    for k in ("axis", "keepdims", "shape", "perm", "clip_value_min", "clip_value_max"):
        if k in kw:
            c.cfg = dict(c.cfg, **{k: kw.pop(k)})
    c.cfg.setdefault("newshape", c.cfg.get("shape"))
    c.cfg.setdefault("axes", c.cfg.get("perm"))
    c.cfg.setdefault("x_min", c.cfg.get("clip_value_min"))
    c.cfg.setdefault("x_max", c.cfg.get("clip_value_max"))
    c.cfg.setdefault("keepdims", c.kwargs.get("keepdims", False))
    c.args = args
    c.kwargs = kw


def _operand(c, v, like, tag):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (int, float, bool)) or (isinstance(v, list) and v and
                                             all(isinstance(a, (int, float)) for a in v)):
        return c.e.const(f"{c.name}/{tag}", np.asarray(v, like.dtype), like.dtype)
    raise c.fail(f"cannot use {type(v).__name__} {v!r} as an operand")


def _binary(tflite):
    def fn(c):
        a, b = c.args[0], c.args[1]
        like = a if isinstance(a, Tensor) else b
        if not isinstance(like, Tensor):
            raise c.fail("both operands are constants")
        return c.e.binary(tflite, _operand(c, a, like, "a"), _operand(c, b, like, "b"), c.out())
    return fn


for _k, _v in {"Add": "ADD", "Subtract": "SUB", "Multiply": "MUL", "Divide": "DIV",
               "TrueDivide": "DIV", "Maximum": "MAXIMUM", "Minimum": "MINIMUM", "Power": "POW",
               "SquaredDifference": "SQUARED_DIFFERENCE"}.items():
    OPS[_k] = _binary(_v)

for _k, _v in {"Negative": "NEG", "Absolute": "ABS", "Abs": "ABS", "Sqrt": "SQRT",
               "Square": "SQUARE", "Exp": "EXP", "Log": "LOG", "Rsqrt": "RSQRT", "Relu": "RELU",
               "Relu6": "RELU6", "Sigmoid": "LOGISTIC", "Tanh": "TANH", "HardSilu": "HARD_SWISH",
               "HardSwish": "HARD_SWISH", "Floor": "FLOOR", "Ceil": "CEIL"}.items():
    OPS[_k] = (lambda t: lambda c: c.e.unary(t, c.x, c.out()))(_v)

for _k, _v in {"Silu": "silu", "Swish": "silu", "HardSigmoid": "hard_sigmoid", "Elu": "elu",
               "Selu": "selu", "Softplus": "softplus", "Softsign": "softsign"}.items():
    OPS[_k] = (lambda a: lambda c: A.apply(c.e, c.x, a, c.out(), where=c.where))(_v)


@op("Gelu")
def gelu(c):
    return c.e.op("GELU", [c.x], c.x.shape, c.out(), {"approximate": bool(c.get("approximate", True))})


@op("LeakyRelu")
def leaky_relu(c):
    return A.leaky(c.e, c.x, c.get("negative_slope", 0.2), c.out())


@op("Softmax")
def softmax(c):
    axis = c.get("axis", -1)
    return A.softmax(c.e, c.x, -1 if axis is None else int(axis), c.out())


def _axes(c, x):
    axis = c.get("axis")
    if axis is None:
        return list(range(x.rank))
    return [int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]


for _k, _v in {"Mean": "MEAN", "Sum": "SUM", "Max": "REDUCE_MAX", "Min": "REDUCE_MIN"}.items():
    OPS[_k] = (lambda t: lambda c: c.e.reduce(t, c.x, _axes(c, c.x), bool(c.get("keepdims")),
                                              c.out()))(_v)


@op("Reshape")
def reshape(c):
    x = c.x
    shape = [int(d) for d in c.get("newshape")]
    if shape.count(-1) == 1 and x.shape[0] is None and shape[0] == -1:
        return c.e.reshape(x, [None] + shape[1:], c.out())
    if -1 in shape and None not in x.shape:
        total = int(np.prod(x.shape))
        shape[shape.index(-1)] = total // int(np.prod([d for d in shape if d != -1]))
    if -1 in shape:
        raise c.fail(f"cannot resolve reshape of {x.shape} to {shape}")
    return c.e.reshape(x, shape, c.out())


@op("Transpose")
def transpose(c):
    axes = c.get("axes")
    axes = list(range(c.x.rank))[::-1] if axes is None else [int(a) % c.x.rank for a in axes]
    return c.e.transpose(c.x, axes, c.out())


@op("Concatenate")
def concatenate(c):
    return c.e.concat(c.inputs, int(c.get("axis", 0)), c.out())


@op("ExpandDims")
def expand_dims(c):
    x = c.x
    axis = int(c.get("axis"))
    axis = axis % (x.rank + 1)
    return c.e.reshape(x, list(x.shape[:axis]) + [1] + list(x.shape[axis:]), c.out())


@op("Squeeze")
def squeeze(c):
    x = c.x
    axis = c.get("axis")
    axes = [i for i, d in enumerate(x.shape) if d == 1] if axis is None else \
        [int(a) % x.rank for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    return c.e.reshape(x, [d for i, d in enumerate(x.shape) if i not in axes], c.out())


@op("Clip")
def clip(c):
    x = c.x
    lo, hi = c.get("x_min"), c.get("x_max")
    y = c.e.scalar("MAXIMUM", x, float(lo), c.out("/lo")) if lo is not None else x
    return c.e.scalar("MINIMUM", y, float(hi), c.out()) if hi is not None else y


@op("GetItem")
def get_item(c):
    x = c.x
    key = c.args[1] if len(c.args) > 1 else None
    key = key if isinstance(key, list) else [key]
    begin, end, strides, shape = [], [], [], []
    bmask = emask = shrink = 0
    if len(key) > x.rank:
        raise c.fail(f"index {key} has more entries than the input's rank {x.rank}")
    for i in range(x.rank):
        k = key[i] if i < len(key) else {"class_name": "__slice__", "config": {}}
        if isinstance(k, int):
            begin.append(k)
            end.append(k + 1)
            strides.append(1)
            shrink |= 1 << i
            continue
        if not (isinstance(k, dict) and k.get("class_name") == "__slice__"):
            raise c.fail(f"indexing with {k!r} is not supported (only ints and slices)")
        s = k.get("config") or {}
        st = 1 if s.get("step") is None else int(s["step"])
        begin.append(0 if s.get("start") is None else int(s["start"]))
        end.append(0 if s.get("stop") is None else int(s["stop"]))
        strides.append(st)
        if s.get("start") is None:
            bmask |= 1 << i
        if s.get("stop") is None:
            emask |= 1 << i
        d = x.shape[i]
        if d is None:
            if s.get("start") is not None or s.get("stop") is not None or st != 1:
                raise c.fail(f"slicing dimension {i} of unknown size is not supported")
            shape.append(None)
        else:
            shape.append(len(range(d)[slice(s.get("start"), s.get("stop"), st)]))
    e = c.e
    return e.op("STRIDED_SLICE", [x, e.i32(c.out("/begin"), begin), e.i32(c.out("/end"), end),
                                  e.i32(c.out("/strides"), strides)], tuple(shape), c.out(),
                {"begin_mask": bmask, "end_mask": emask, "shrink_axis_mask": shrink,
                 "ellipsis_mask": 0, "new_axis_mask": 0, "offset": False}, dtype=x.dtype)
