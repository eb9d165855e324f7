"""Keras activation functions as TFLite ops (each activation its own op; passes fuse them)."""
import numpy as np

from ember.converter.ir import ConversionError


IDENTITY = ("linear", "none", "identity")


def name_of(spec):
    if spec is None:
        return "linear"
    if isinstance(spec, dict):      # a serialised function or activation object
        cfg = spec.get("config")
        spec = cfg if isinstance(cfg, str) else spec.get("class_name") or (cfg or {}).get("name")
    return str(spec).split(">")[-1].split(".")[-1].lower()


def relu_general(e, x, name, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras relu(x, negative_slope, max_value, threshold), following its definition."""
    ns = float(negative_slope or 0.0)
    th = float(threshold or 0.0)
    mx = None if max_value is None else float(max_value)
    if ns == 0.0 and th == 0.0:
        if mx is None:
            return e.unary("RELU", x, name)
        if mx == 6.0:
            return e.unary("RELU6", x, name)
        return e.scalar("MINIMUM", e.unary("RELU", x, f"{name}_relu"), mx, name)
    if ns != 0.0 and mx is None and th == 0.0:
        return leaky(e, x, ns, name)
    if th != 0.0:
        cond = e.op("GREATER", [x, e.const(f"{name}_th", th)], x.shape, f"{name}_gt", dtype=np.bool_)
        pos = e.op("SELECT_V2", [cond, x, e.const(f"{name}_zero", 0.0)], x.shape, f"{name}_pos")
    elif mx == 6.0:
        pos, mx = e.unary("RELU6", x, f"{name}_relu6"), None
    else:
        pos = e.unary("RELU", x, f"{name}_relu")
    if mx is not None:
        pos = e.scalar("MINIMUM", e.scalar("MAXIMUM", pos, 0.0, f"{name}_lo"), mx,
                       f"{name}_clip" if ns else name)
    if ns == 0.0:
        return pos
    neg = e.unary("RELU", e.binary("SUB", e.const(f"{name}_thc", th), x, f"{name}_negin"),
                  f"{name}_neg")
    return e.binary("SUB", pos, e.scalar("MUL", neg, ns, f"{name}_negs"), name)


def leaky(e, x, alpha, name):
    return e.op("LEAKY_RELU", [x], x.shape, name, {"alpha": float(alpha)})


def elu(e, x, alpha, name):
    if float(alpha) == 1.0:
        return e.unary("ELU", x, name)
    # ELU's negative side is exp(x)-1 <= 0: scale just that side
    el = e.unary("ELU", x, f"{name}_elu")
    neg = e.scalar("MUL", e.scalar("MINIMUM", el, 0.0, f"{name}_negp"), float(alpha), f"{name}_neg")
    return e.binary("ADD", e.unary("RELU", x, f"{name}_pos"), neg, name)


def softmax(e, x, axis, name):
    axis = axis % x.rank
    if axis == x.rank - 1:
        return e.op("SOFTMAX", [x], x.shape, name, {"beta": 1.0})
    perm = list(range(x.rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    t = e.transpose(x, perm, f"{name}_t")
    s = e.op("SOFTMAX", [t], t.shape, f"{name}_sm", {"beta": 1.0})
    return e.transpose(s, perm, name)


def hard_sigmoid(e, x, name, legacy=False):
    if legacy:    # tf.keras 2 defined it as clip(0.2 x + 0.5, 0, 1)
        y = e.scalar("ADD", e.scalar("MUL", x, 0.2, f"{name}_m"), 0.5, f"{name}_a")
    else:         # Keras 3: relu6(x + 3) / 6
        y = e.scalar("MUL", e.scalar("ADD", x, 3.0, f"{name}_a"), 1.0 / 6.0, f"{name}_m")
    return e.scalar("MINIMUM", e.scalar("MAXIMUM", y, 0.0, f"{name}_lo"), 1.0, name)


def softplus(e, x, name):
    # relu(x) + log(1 + exp(-|x|)): never overflows
    a = e.unary("ABS", x, f"{name}_abs")
    ex = e.unary("EXP", e.unary("NEG", a, f"{name}_neg"), f"{name}_exp")
    lg = e.unary("LOG", e.scalar("ADD", ex, 1.0, f"{name}_1p"), f"{name}_log")
    return e.binary("ADD", e.unary("RELU", x, f"{name}_relu"), lg, name)


def apply(e, x, spec, name, *, legacy=False, where=""):
    """``x`` through the activation named by ``spec`` (a string or serialised function)."""
    act = name_of(spec)
    if act in IDENTITY:
        return x
    if act == "relu":
        return e.unary("RELU", x, name)
    if act == "relu6":
        return e.unary("RELU6", x, name)
    if act == "sigmoid":
        return e.unary("LOGISTIC", x, name)
    if act == "tanh":
        return e.unary("TANH", x, name)
    if act == "hard_sigmoid":
        return hard_sigmoid(e, x, name, legacy=legacy)
    if act in ("swish", "silu"):
        return e.binary("MUL", x, e.unary("LOGISTIC", x, f"{name}_sig"), name)
    if act in ("hard_swish", "hard_silu"):
        return e.unary("HARD_SWISH", x, name)
    if act == "gelu":
        return e.op("GELU", [x], x.shape, name, {"approximate": False})
    if act == "elu":
        return e.unary("ELU", x, name)
    if act == "selu":
        alpha, scale = 1.6732632423543772, 1.0507009873554805
        return e.scalar("MUL", elu(e, x, alpha, f"{name}_elu"), scale, name)
    if act == "softplus":
        return softplus(e, x, name)
    if act == "softsign":
        d = e.scalar("ADD", e.unary("ABS", x, f"{name}_abs"), 1.0, f"{name}_d")
        return e.binary("DIV", x, d, name)
    if act == "leaky_relu":
        return leaky(e, x, 0.2, name)
    if act == "softmax":
        return softmax(e, x, -1, name)
    if act == "log_softmax":
        return e.op("LOG_SOFTMAX", [x], x.shape, name, {})
    if act == "exponential":
        return e.unary("EXP", x, name)
    if act == "mish":
        return e.binary("MUL", x, e.unary("TANH", softplus(e, x, f"{name}_sp"), f"{name}_t"), name)
    raise ConversionError(f"{where}: activation {act!r} is not supported")


ALL = ("relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax", "swish", "silu",
       "hard_swish", "hard_silu", "gelu", "elu", "selu", "softplus", "softsign", "leaky_relu",
       "linear", "log_softmax", "exponential", "mish")
