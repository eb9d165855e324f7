"""Elementwise ONNX ops: arithmetic, comparisons, logic, activations, Cast, Where, Clip."""
import math

import numpy as np

from ember.converter.frontends.onnx.context import broadcast_shapes, shape_of
from ember.converter.frontends.onnx.registry import op

_UNARY = {"Abs": "ABS", "Neg": "NEG", "Sqrt": "SQRT", "Exp": "EXP", "Log": "LOG",
          "Floor": "FLOOR", "Ceil": "CEIL", "Round": "ROUND", "Sin": "SIN", "Cos": "COS",
          "Relu": "RELU", "Sigmoid": "LOGISTIC", "Tanh": "TANH", "Not": "LOGICAL_NOT",
          "HardSwish": "HARD_SWISH"}
_BINARY = {"Add": "ADD", "Sub": "SUB", "Mul": "MUL", "Div": "DIV", "Pow": "POW",
           "Equal": "EQUAL", "Less": "LESS", "Greater": "GREATER", "LessOrEqual": "LESS_EQUAL",
           "GreaterOrEqual": "GREATER_EQUAL", "And": "LOGICAL_AND", "Or": "LOGICAL_OR",
           "Xor": "NOT_EQUAL"}
_COMPARE = {"EQUAL", "LESS", "GREATER", "LESS_EQUAL", "GREATER_EQUAL", "NOT_EQUAL",
            "LOGICAL_AND", "LOGICAL_OR"}


def dtype_of(v):
    return v.dtype


def unary(ctx, type_, x, *, name=None, options=None):
    return ctx.emit(type_, [x], dtype_of(x), shape_of(x), options, name=name)


def binary(ctx, type_, a, b, *, name=None, dtype=None):
    """A broadcasting binary op; a constant operand takes the other operand's dtype."""
    if isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        a = a.astype(b.dtype)
    elif isinstance(b, np.ndarray) and not isinstance(a, np.ndarray):
        b = b.astype(a.dtype)
    shape = broadcast_shapes(shape_of(a), shape_of(b))
    if dtype is None:
        dtype = np.bool_ if type_ in _COMPARE else dtype_of(a)
    return ctx.emit(type_, [a, b], dtype, shape, name=name)


def scalar(value, like):
    return np.asarray(value, dtype=like.dtype)


@op(*_UNARY)
def _unary(ctx, node, ins, attrs):
    return unary(ctx, _UNARY[node.op_type], ins[0], name=ctx.out_name())


@op(*_BINARY)
def _binary(ctx, node, ins, attrs):
    a, b = ins
    type_ = _BINARY[node.op_type]
    if type_ == "POW" and b.dtype != a.dtype:
        b = ctx.emit("CAST", [b], a.dtype, shape_of(b)) if not isinstance(b, np.ndarray) \
            else b.astype(a.dtype)
    if node.op_type == "Div" and np.issubdtype(a.dtype, np.integer) and a.dtype != np.int32:
        raise ctx.error(f"integer Div of {a.dtype} is not supported (TFLite's DIV truncates "
                        "int32 only)")
    return binary(ctx, type_, a, b, name=ctx.out_name())


@op("Max", "Min", "Sum", "Mean")
def _variadic(ctx, node, ins, attrs):
    type_ = {"Max": "MAXIMUM", "Min": "MINIMUM", "Sum": "ADD", "Mean": "ADD"}[node.op_type]
    last = node.op_type != "Mean"
    acc = ins[0]
    if len(ins) == 1:
        return ctx.reshape(ctx.tensor(acc), shape_of(acc), name=ctx.out_name()) \
            if not isinstance(acc, np.ndarray) else acc
    for k, v in enumerate(ins[1:]):
        acc = binary(ctx, type_, acc, v,
                     name=ctx.out_name() if last and k == len(ins) - 2 else None)
    if node.op_type == "Mean":
        acc = binary(ctx, "MUL", acc, scalar(1.0 / len(ins), acc), name=ctx.out_name())
    return acc


@op("Reciprocal")
def _reciprocal(ctx, node, ins, attrs):
    x = ins[0]
    return binary(ctx, "DIV", scalar(1.0, x), x, name=ctx.out_name())


@op("Identity", "Dropout")
def _identity(ctx, node, ins, attrs):
    if node.op_type == "Dropout" and len(ins) > 2 and ins[2] is not None and \
            (not isinstance(ins[2], np.ndarray) or bool(ins[2])):
        raise ctx.error("Dropout in training mode is not supported (inference models only)")
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1]:
        mask = np.ones(shape_of(ins[0]), np.bool_) if all(
            d is not None for d in shape_of(ins[0])) else None
        if mask is None:
            raise ctx.error("Dropout's mask output needs a fully known input shape")
        return [ins[0], mask]
    return ins[0]


@op("Cast", "CastLike")
def _cast(ctx, node, ins, attrs):
    from onnx import helper
    if node.op_type == "Cast":
        to = np.dtype(helper.tensor_dtype_to_np_dtype(attrs["to"]))
    else:
        to = ins[1].dtype
    x = ins[0]
    if to == x.dtype:
        return x
    if to == np.float64:
        raise ctx.error("casting to double is not supported (TFLite models compute in float32)")
    return ctx.emit("CAST", [x], to, shape_of(x), name=ctx.out_name())


@op("Where")
def _where(ctx, node, ins, attrs):
    c, a, b = ins
    if isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        a = a.astype(b.dtype)
    if isinstance(b, np.ndarray) and not isinstance(a, np.ndarray):
        b = b.astype(a.dtype)
    shape = broadcast_shapes(shape_of(c), shape_of(a), shape_of(b))
    return ctx.emit("SELECT_V2", [c, a, b], a.dtype, shape, name=ctx.out_name())


def _clip_consts(ctx, lo, hi, x):
    for v, what in ((lo, "min"), (hi, "max")):
        if v is not None and not isinstance(v, np.ndarray):
            return None
    lo = -math.inf if lo is None else float(np.asarray(lo).reshape(()))
    hi = math.inf if hi is None else float(np.asarray(hi).reshape(()))
    return lo, hi


def clip(ctx, x, lo, hi, name=None):
    """Clip to constant bounds, as a TFLite activation where one matches exactly."""
    if np.issubdtype(x.dtype, np.floating):
        fused = {(0.0, 6.0): "RELU6", (0.0, math.inf): "RELU", (-1.0, 1.0): "RELU_N1_TO_1",
                 (0.0, 1.0): "RELU_0_TO_1"}.get((lo, hi))
        if fused:
            return unary(ctx, fused, x, name=name)
    if lo > hi:
        # ONNX: min > max gives max everywhere.
        return binary(ctx, "MINIMUM", binary(ctx, "MAXIMUM", x, scalar(hi, x)), scalar(hi, x),
                      name=name)
    y = x
    if lo != -math.inf:
        y = binary(ctx, "MAXIMUM", y, scalar(lo, x), name=name if hi == math.inf else None)
    if hi != math.inf:
        y = binary(ctx, "MINIMUM", y, scalar(hi, x), name=name)
    if y is x:
        return ctx.reshape(x, shape_of(x), name=name)
    return y


@op("Clip")
def _clip(ctx, node, ins, attrs):
    x = ins[0]
    if ctx.opset < 11:
        lo, hi = attrs.get("min", -3.4028234663852886e38), attrs.get("max", 3.4028234663852886e38)
        return clip(ctx, x, float(lo), float(hi), name=ctx.out_name())
    lo = ins[1] if len(ins) > 1 else None
    hi = ins[2] if len(ins) > 2 else None
    bounds = _clip_consts(ctx, lo, hi, x)
    if bounds is not None:
        return clip(ctx, x, *bounds, name=ctx.out_name())
    y = x
    if lo is not None:
        y = binary(ctx, "MAXIMUM", y, lo, name=None if hi is not None else ctx.out_name())
    if hi is not None:
        y = binary(ctx, "MINIMUM", y, hi, name=ctx.out_name())
    return y


@op("LeakyRelu")
def _leaky(ctx, node, ins, attrs):
    return unary(ctx, "LEAKY_RELU", ins[0], name=ctx.out_name(),
                 options={"alpha": float(attrs.get("alpha", 0.01))})


@op("PRelu")
def _prelu(ctx, node, ins, attrs):
    x, slope = ins
    if isinstance(slope, np.ndarray):
        slope = slope.astype(x.dtype)
        if slope.ndim > x.rank:
            slope = slope.reshape(slope.shape[slope.ndim - x.rank:])
    return ctx.emit("PRELU", [x, slope], x.dtype, broadcast_shapes(shape_of(x), shape_of(slope)),
                    name=ctx.out_name())


def _negative_part(ctx, x, alpha):
    """alpha * (exp(x) - 1) for x < 0, else 0: ELU's negative branch, scaled."""
    e = unary(ctx, "ELU", x)
    neg = binary(ctx, "MINIMUM", e, scalar(0.0, x))
    return neg if alpha == 1.0 else binary(ctx, "MUL", neg, scalar(alpha, x))


@op("Elu")
def _elu(ctx, node, ins, attrs):
    x, alpha = ins[0], float(attrs.get("alpha", 1.0))
    if alpha == 1.0:
        return unary(ctx, "ELU", x, name=ctx.out_name())
    return binary(ctx, "ADD", unary(ctx, "RELU", x), _negative_part(ctx, x, alpha),
                  name=ctx.out_name())


@op("Selu")
def _selu(ctx, node, ins, attrs):
    x = ins[0]
    alpha = float(attrs.get("alpha", 1.67326319217681884765625))
    gamma = float(attrs.get("gamma", 1.05070102214813232421875))
    s = binary(ctx, "ADD", unary(ctx, "RELU", x), _negative_part(ctx, x, alpha))
    return binary(ctx, "MUL", s, scalar(gamma, x), name=ctx.out_name())


@op("HardSigmoid")
def _hard_sigmoid(ctx, node, ins, attrs):
    x = ins[0]
    alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))
    y = binary(ctx, "ADD", binary(ctx, "MUL", x, scalar(alpha, x)), scalar(beta, x))
    return unary(ctx, "RELU_0_TO_1", y, name=ctx.out_name())


@op("Softplus")
def _softplus(ctx, node, ins, attrs):
    # log(1 + exp(x)) = relu(x) + log(1 + exp(-|x|)): no overflow for large x.
    x = ins[0]
    t = unary(ctx, "EXP", unary(ctx, "NEG", unary(ctx, "ABS", x)))
    t = unary(ctx, "LOG", binary(ctx, "ADD", t, scalar(1.0, x)))
    return binary(ctx, "ADD", unary(ctx, "RELU", x), t, name=ctx.out_name())


@op("Softsign")
def _softsign(ctx, node, ins, attrs):
    x = ins[0]
    d = binary(ctx, "ADD", unary(ctx, "ABS", x), scalar(1.0, x))
    return binary(ctx, "DIV", x, d, name=ctx.out_name())


@op("Gelu")
def _gelu(ctx, node, ins, attrs):
    approx = attrs.get("approximate", b"none")
    approx = approx.decode() if isinstance(approx, bytes) else approx
    return unary(ctx, "GELU", ins[0], name=ctx.out_name(), options={"approximate": approx == "tanh"})


# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, well inside float32 model tolerances.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


@op("Erf")
def _erf(ctx, node, ins, attrs):
    x = ins[0]
    ax = unary(ctx, "ABS", x)
    t = binary(ctx, "DIV", scalar(1.0, x), binary(ctx, "ADD", binary(ctx, "MUL", ax,
                                                                      scalar(_ERF_P, x)),
                                                  scalar(1.0, x)))
    poly = scalar(_ERF_A[4], x)
    acc = binary(ctx, "MUL", t, poly)
    for a in reversed(_ERF_A[:4]):
        acc = binary(ctx, "MUL", binary(ctx, "ADD", acc, scalar(a, x)), t)
    e = unary(ctx, "EXP", unary(ctx, "NEG", unary(ctx, "SQUARE", x)))
    y = binary(ctx, "SUB", scalar(1.0, x), binary(ctx, "MUL", acc, e))    # erf(|x|)
    neg = binary(ctx, "LESS", x, scalar(0.0, x))
    return ctx.emit("SELECT_V2", [neg, unary(ctx, "NEG", y), y], x.dtype, shape_of(x),
                    name=ctx.out_name())


@op("Swish")
def _swish(ctx, node, ins, attrs):
    x = ins[0]
    alpha = float(attrs.get("alpha", 1.0))
    xs = x if alpha == 1.0 else binary(ctx, "MUL", x, scalar(alpha, x))
    return binary(ctx, "MUL", x, unary(ctx, "LOGISTIC", xs), name=ctx.out_name())


@op("ThresholdedRelu")
def _thresholded_relu(ctx, node, ins, attrs):
    x = ins[0]
    keep = binary(ctx, "GREATER", x, scalar(float(attrs.get("alpha", 1.0)), x))
    return ctx.emit("SELECT_V2", [keep, x, scalar(0.0, x)], x.dtype, shape_of(x),
                    name=ctx.out_name())


@op("Celu")
def _celu(ctx, node, ins, attrs):
    # max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = relu(x) + alpha * min(elu(x / alpha), 0)
    x = ins[0]
    alpha = float(attrs.get("alpha", 1.0))
    xs = x if alpha == 1.0 else binary(ctx, "MUL", x, scalar(1.0 / alpha, x))
    return binary(ctx, "ADD", unary(ctx, "RELU", x), _negative_part(ctx, xs, alpha),
                  name=ctx.out_name())


@op("Mish")
def _mish(ctx, node, ins, attrs):
    x = ins[0]
    t = unary(ctx, "EXP", unary(ctx, "NEG", unary(ctx, "ABS", x)))
    sp = binary(ctx, "ADD", unary(ctx, "RELU", x),
                unary(ctx, "LOG", binary(ctx, "ADD", t, scalar(1.0, x))))
    return binary(ctx, "MUL", x, unary(ctx, "TANH", sp), name=ctx.out_name())
