"""Reductions (Reduce*, ArgMax/ArgMin): axes from the attribute or (newer opsets) the input."""
import numpy as np

from ember.converter.frontends.onnx.context import shape_of
from ember.converter.frontends.onnx.elementwise import unary
from ember.converter.frontends.onnx.registry import op
from ember.converter.frontends.onnx.tensor_ops import const_input

_REDUCE = {"ReduceMean": "MEAN", "ReduceSum": "SUM", "ReduceMax": "REDUCE_MAX",
           "ReduceMin": "REDUCE_MIN", "ReduceProd": "REDUCE_PROD", "ReduceL1": "SUM",
           "ReduceL2": "SUM", "ReduceSumSquare": "SUM", "ReduceLogSum": "SUM",
           "ReduceLogSumExp": "SUM"}
# The opset from which each op takes its axes as an input.
_AXES_INPUT_SINCE = {"ReduceSum": 13}


def reduce(ctx, type_, x, axes, keep, name=None):
    s = shape_of(x)
    out = tuple((1 if i in axes else d) for i, d in enumerate(s) if keep or i not in axes)
    return ctx.emit(type_, [x, np.array(sorted(axes), np.int32)], x.dtype, out,
                    {"keep_dims": bool(keep)}, name=name)


@op(*_REDUCE)
def _reduce(ctx, node, ins, attrs):
    x = ins[0]
    r = x.rank
    keep = int(attrs.get("keepdims", 1))
    if ctx.opset >= _AXES_INPUT_SINCE.get(node.op_type, 18):
        v = ins[1] if len(ins) > 1 else None
        axes = None if v is None else [int(a) for a in const_input(ctx, v, "the axes").reshape(-1)]
    else:
        axes = attrs.get("axes")
        axes = None if axes is None else [int(a) for a in axes]
    name = ctx.out_name()
    if not axes:
        if int(attrs.get("noop_with_empty_axes", 0)):
            return ctx.reshape(x, shape_of(x), name=name)
        axes = list(range(r))
    axes = sorted({a % r for a in axes})
    t = node.op_type
    if t in ("ReduceL1", "ReduceL2", "ReduceSumSquare"):
        x = unary(ctx, "ABS" if t == "ReduceL1" else "SQUARE", x)
    elif t == "ReduceLogSumExp":
        x = unary(ctx, "EXP", x)
    last = t not in ("ReduceL2", "ReduceLogSum", "ReduceLogSumExp")
    y = reduce(ctx, _REDUCE[t], x, axes, keep, name=name if last else None)
    if t == "ReduceL2":
        y = unary(ctx, "SQRT", y, name=name)
    elif t in ("ReduceLogSum", "ReduceLogSumExp"):
        y = unary(ctx, "LOG", y, name=name)
    return y


@op("ArgMax", "ArgMin")
def _arg(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    r = len(s)
    axis = int(attrs.get("axis", 0)) % r
    keep = int(attrs.get("keepdims", 1))
    last = int(attrs.get("select_last_index", 0))
    name = ctx.out_name()
    type_ = "ARG_MAX" if node.op_type == "ArgMax" else "ARG_MIN"
    if last:
        if s[axis] is None:
            raise ctx.error("select_last_index along an unknown dimension")
        # The first extreme of the reversed axis is the last one of the original.
        from ember.converter.frontends.onnx.tensor_ops import gather
        x = gather(ctx, x, np.arange(s[axis] - 1, -1, -1), axis)
    red = tuple(d for i, d in enumerate(s) if i != axis)
    y = ctx.emit(type_, [x, np.array([axis], np.int32)], np.int64, red, {"output_type": "INT64"},
                 name=None if keep or last else name)
    if last:
        y = ctx.emit("SUB", [np.array(s[axis] - 1, np.int64), y], np.int64, red,
                     name=None if keep else name)
    if keep:
        y = ctx.reshape(y, tuple(1 if i == axis else d for i, d in enumerate(s)), name=name)
    return y
