"""Keras layers as TFLite ops: the per-layer context, the registry, and the layers
that are not convolutions, pooling or recurrences (see conv.py and rnn.py)."""
import numpy as np

from ember.converter.ir import ConversionError, Tensor
from ember.converter.frontends.keras import activations as A

REGISTRY = {}


def register(*names):
    def deco(fn):
        for n in names:
            REGISTRY[n] = fn
        return fn
    return deco


def flatten_tensors(x):
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in flatten_tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in flatten_tensors(v)]
    return []


class Ctx:
    """What a layer converter sees: its config, inputs, weights and the emitter."""

    def __init__(self, walker, lc, name, index, where, args, kwargs, weights):
        self.walker = walker
        self.lc = lc
        self.cfg = lc.get("config") or {}
        self.cls = lc.get("class_name")
        self.name = name
        self.index = index
        self.where = where
        self.args = args
        self.kwargs = kwargs
        self.w = weights
        self.e = walker.e
        self.legacy = walker.legacy

    def fail(self, msg):
        return ConversionError(f"{self.where}: {msg}")

    @property
    def inputs(self):
        return flatten_tensors(self.args) + flatten_tensors(
            {k: v for k, v in self.kwargs.items() if k not in ("mask", "training")})

    @property
    def x(self):
        ins = flatten_tensors(self.args)
        if not ins:
            raise self.fail("the layer is called without an input tensor")
        return ins[0]

    def get(self, key, default=None):
        return self.cfg.get(key, default)

    def weights(self, roles):
        """The layer's arrays in ``roles`` order (matched by name where the file names them)."""
        arrays = self.w.arrays()
        names = getattr(self.w, "names", None)
        if names and len(names) == len(arrays) and all(r in names for r in roles):
            return [arrays[names.index(r)] for r in roles]
        if len(arrays) != len(roles):
            raise self.fail(f"expected {len(roles)} weight arrays ({', '.join(roles)}), "
                            f"the file has {len(arrays)}")
        return [np.asarray(a, np.float32) if a.dtype.kind == "f" else a for a in arrays]

    def const(self, tag, value, dtype=np.float32):
        """A weight constant, the same tensor for every call of a shared layer."""
        return self.e.const(f"{self.name}/{tag}", value, dtype, key=(self.w, tag))

    def act(self, x, spec=None, name=None):
        spec = self.get("activation") if spec is None else spec
        return A.apply(self.e, x, spec, name or f"{self.name}/act", legacy=self.legacy,
                       where=self.where)

    def out(self, suffix=""):
        return self.name + suffix


def tuple_n(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v)
    return (int(v),) * n


def norm_axes(axis, rank):
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    return sorted(int(a) % rank for a in axes)


def bshape(x, axes):
    """The shape a per-axis parameter broadcasts with: dims at ``axes``, 1 elsewhere."""
    return [x.shape[i] if i in axes else 1 for i in range(x.rank)]


# ---- core --------------------------------------------------------------------
@register("Dense")
def dense(c):
    x = c.x
    units = int(c.get("units"))
    use_bias = c.get("use_bias", True)
    if c.get("lora_rank"):
        raise c.fail("LoRA-enabled Dense layers are not supported (merge the LoRA weights first)")
    w = c.weights(["kernel", "bias"] if use_bias else ["kernel"])
    kernel = np.asarray(w[0], np.float32)
    if kernel.ndim != 2 or x.shape[-1] not in (None, kernel.shape[0]):
        raise c.fail(f"kernel {kernel.shape} does not fit the input {x.shape}")
    ins = [x, c.const("kernel", kernel.T)]
    ins.append(c.const("bias", w[1]) if use_bias else None)
    y = c.e.op("FULLY_CONNECTED", ins, tuple(x.shape[:-1]) + (units,),
               c.out("/dense") if has_activation(c) else c.out(),
               {"fused_activation_function": "NONE", "keep_num_dims": x.rank > 2})
    return c.act(y, name=c.out())


def has_activation(c):
    return A.name_of(c.get("activation")) not in A.IDENTITY


@register("Activation")
def activation(c):
    return c.act(c.x, name=c.out())


@register("ReLU")
def relu(c):
    return A.relu_general(c.e, c.x, c.out(), c.get("negative_slope", 0.0), c.get("max_value"),
                          c.get("threshold", 0.0))


@register("LeakyReLU")
def leaky_relu(c):
    alpha = c.get("negative_slope", c.get("alpha", 0.3))
    return A.leaky(c.e, c.x, alpha, c.out())


@register("ELU")
def elu(c):
    return A.elu(c.e, c.x, c.get("alpha", 1.0), c.out())


@register("Softmax")
def softmax(c):
    axis = c.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise c.fail(f"softmax over several axes {axis} is not supported")
        axis = axis[0]
    if c.kwargs.get("mask") is not None:
        raise c.fail("a masked softmax is not supported")
    return A.softmax(c.e, c.x, int(axis), c.out())


@register("PReLU")
def prelu(c):
    x = c.x
    (alpha,) = c.weights(["alpha"])
    alpha = np.asarray(alpha, np.float32)
    return c.e.op("PRELU", [x, c.const("alpha", alpha)], x.shape, c.out())


@register("ThresholdedReLU")
def thresholded_relu(c):
    return A.relu_general(c.e, c.x, c.out(), 0.0, None, c.get("theta", 1.0))


_NOOPS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
          "GaussianDropout", "ActivityRegularization", "AlphaDropout", "Identity")


@register(*_NOOPS)
def noop(c):
    return c.x


# ---- normalisation -----------------------------------------------------------
@register("BatchNormalization")
def batch_norm(c):
    x = c.x
    axes = norm_axes(c.get("axis", -1), x.rank)
    roles = (["gamma"] if c.get("scale", True) else []) + (["beta"] if c.get("center", True) else [])
    w = c.weights(roles + ["moving_mean", "moving_variance"])
    n = int(np.asarray(w[-1]).size)
    gamma = np.asarray(w[0], np.float64) if c.get("scale", True) else np.ones(n)
    beta = np.asarray(w[roles.index("beta")], np.float64) if c.get("center", True) else np.zeros(n)
    mean, var = (np.asarray(a, np.float64) for a in w[-2:])
    scale = gamma / np.sqrt(var + float(c.get("epsilon", 1e-3)))
    shift = beta - mean * scale
    shape = bshape(x, axes)[1:] if axes != [x.rank - 1] else [n]
    shape = [1 if d is None else d for d in shape]
    y = c.e.binary("MUL", x, c.const("scale", scale.reshape(shape)), c.out("/mul"))
    return c.e.binary("ADD", y, c.const("shift", shift.reshape(shape)), c.out())


@register("LayerNormalization")
def layer_norm(c):
    x = c.x
    e = c.e
    if c.get("rms_scaling"):
        raise c.fail("rms_scaling=True (deprecated in Keras) is not supported")
    axes = norm_axes(c.get("axis", -1), x.rank)
    roles = (["gamma"] if c.get("scale", True) else []) + (["beta"] if c.get("center", True) else [])
    w = c.weights(roles)
    mean = e.reduce("MEAN", x, axes, True, c.out("/mean"))
    d = e.binary("SUB", x, mean, c.out("/centered"))
    var = e.reduce("MEAN", e.binary("MUL", d, d, c.out("/sq")), axes, True, c.out("/var"))
    inv = e.unary("RSQRT", e.scalar("ADD", var, float(c.get("epsilon", 1e-3)), c.out("/var_eps")),
                  c.out("/rsqrt"))
    y = e.binary("MUL", d, inv, c.out("/norm") if roles else c.out())
    shape = bshape(x, axes)[1:]
    if c.get("scale", True):
        y = e.binary("MUL", y, c.const("gamma", np.reshape(w[0], shape)),
                     c.out("/scaled") if c.get("center", True) else c.out())
    if c.get("center", True):
        y = e.binary("ADD", y, c.const("beta", np.reshape(w[roles.index("beta")], shape)), c.out())
    return y


@register("Rescaling")
def rescaling(c):
    x = c.x
    scale = np.asarray(c.get("scale", 1.0), np.float32)
    offset = np.asarray(c.get("offset", 0.0), np.float32)
    if isinstance(c.get("scale"), dict) or isinstance(c.get("offset"), dict):
        raise c.fail("a serialised tensor as scale/offset is not supported")
    y = c.e.binary("MUL", x, c.const("scale", scale), c.out("/mul") if offset.any() else c.out())
    if offset.any():
        y = c.e.binary("ADD", y, c.const("offset", offset), c.out())
    return y


@register("Normalization")
def normalization(c):
    x = c.x
    axis = c.get("axis", -1)
    axes = [] if axis is None or axis == [] else norm_axes(axis, x.rank)
    shape = [1] + [x.shape[i] if i in axes else 1 for i in range(1, x.rank)]
    if c.get("mean") is not None and not isinstance(c.get("mean"), dict):
        mean = np.asarray(c.get("mean"), np.float64)
        var = np.asarray(c.get("variance"), np.float64)
    else:
        arrays = c.w.arrays()
        if len(arrays) < 2:
            raise c.fail("the layer has no mean/variance (was it adapted or given them?)")
        mean, var = np.asarray(arrays[0], np.float64), np.asarray(arrays[1], np.float64)
    mean = mean.reshape(shape[1:]) if mean.size > 1 else mean.reshape(())
    var = var.reshape(shape[1:]) if var.size > 1 else var.reshape(())
    std = np.maximum(np.sqrt(var), 1e-7)
    if c.get("invert"):
        y = c.e.binary("MUL", x, c.const("std", std), c.out("/mul"))
        return c.e.binary("ADD", y, c.const("mean", mean), c.out())
    y = c.e.binary("SUB", x, c.const("mean", mean), c.out("/sub"))
    return c.e.binary("MUL", y, c.const("inv_std", 1.0 / std), c.out())


# ---- shapes --------------------------------------------------------------------
@register("Flatten")
def flatten(c):
    x = c.x
    if c.get("data_format") == "channels_first" and x.rank > 2:
        x = c.e.transpose(x, [0] + list(range(2, x.rank)) + [1], c.out("/nhwc"))
    rest = x.shape[1:]
    if any(d is None for d in rest):
        raise c.fail(f"cannot flatten {x.shape}: a non-batch dimension is unknown")
    return c.e.reshape(x, (x.shape[0], int(np.prod(rest, dtype=np.int64))), c.out())


@register("Reshape")
def reshape(c):
    x = c.x
    target = [int(d) for d in c.get("target_shape")]
    total = int(np.prod(x.shape[1:], dtype=np.int64)) if None not in x.shape[1:] else None
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
        if total is None or known == 0:
            raise c.fail(f"cannot resolve -1 in target_shape {target} for input {x.shape}")
        target[target.index(-1)] = total // known
    if total is not None and int(np.prod(target, dtype=np.int64)) != total:
        raise c.fail(f"cannot reshape {x.shape} to (batch, {', '.join(map(str, target))})")
    return c.e.reshape(x, (x.shape[0], *target), c.out())


@register("Permute")
def permute(c):
    return c.e.transpose(c.x, [0] + [int(d) for d in c.get("dims")], c.out())


@register("RepeatVector")
def repeat_vector(c):
    x = c.x
    n = int(c.get("n"))
    y = c.e.reshape(x, (x.shape[0], 1, x.shape[1]), c.out("/expand"))
    return c.e.op("TILE", [y, c.e.i32(c.out("/multiples"), [1, n, 1])], (x.shape[0], n, x.shape[1]),
                  c.out())


@register("Embedding")
def embedding(c):
    x = c.x
    (table,) = c.weights(["embeddings"])
    if x.dtype.kind == "f":
        x = c.e.cast(x, np.int32, c.out("/ids"))
    elif x.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        x = c.e.cast(x, np.int32, c.out("/ids"))
    table = np.asarray(table, np.float32)
    return c.e.op("GATHER", [c.const("embeddings", table), x], tuple(x.shape) + (table.shape[1],),
                  c.out(), {"axis": 0, "batch_dims": 0})


# ---- merging -------------------------------------------------------------------
def _merge_inputs(c):
    ins = c.inputs
    if len(ins) < 2:
        raise c.fail(f"expects at least 2 inputs, got {len(ins)}")
    return ins


def _chain(c, op, ins, final=None):
    final = final or c.out()
    y = ins[0]
    for i, t in enumerate(ins[1:]):
        y = c.e.binary(op, y, t, final if i == len(ins) - 2 else c.out(f"/{i}"))
    return y


@register("Add")
def add(c):
    return _chain(c, "ADD", _merge_inputs(c))


@register("Multiply")
def multiply(c):
    return _chain(c, "MUL", _merge_inputs(c))


@register("Maximum")
def maximum(c):
    return _chain(c, "MAXIMUM", _merge_inputs(c))


@register("Minimum")
def minimum(c):
    return _chain(c, "MINIMUM", _merge_inputs(c))


@register("Subtract")
def subtract(c):
    ins = c.inputs
    if len(ins) != 2:
        raise c.fail(f"expects exactly 2 inputs, got {len(ins)}")
    return c.e.binary("SUB", ins[0], ins[1], c.out())


@register("Average")
def average(c):
    ins = _merge_inputs(c)
    s = _chain(c, "ADD", ins, c.out("/sum"))
    return c.e.scalar("MUL", s, 1.0 / len(ins), c.out())


@register("Concatenate")
def concatenate(c):
    ins = c.inputs
    if len(ins) == 1:
        return ins[0]
    return c.e.concat(ins, int(c.get("axis", -1)), c.out())


# the other layer families register themselves on import
from ember.converter.frontends.keras import conv as _conv  # noqa: E402,F401
from ember.converter.frontends.keras import rnn as _rnn  # noqa: E402,F401
