"""Network ops: convolutions, pools, normalisations, Gemm/MatMul, Softmax.

Convolutions and pools run NHWC in TFLite: each is wrapped in
TRANSPOSE(NCHW->NHWC) ... TRANSPOSE(NHWC->NCHW) for the layout pass to cancel.
1-D forms run as 2-D with a height of 1.
"""
import math

import numpy as np

from ember.converter.frontends.onnx.context import broadcast_shapes, known, shape_of
from ember.converter.frontends.onnx.elementwise import binary, scalar, unary
from ember.converter.frontends.onnx.registry import op


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _spatial(ctx, x, what):
    s = shape_of(x)
    if s is None or len(s) not in (3, 4):
        raise ctx.error(f"{what} supports 1-D and 2-D inputs (rank 3 or 4), got shape {s}")
    if not known(s[2:]):
        raise ctx.error(f"{what} needs known spatial dimensions, got {s}; give the input a "
                        "fixed shape with input_shapes=")
    return s


def _to_4d(ctx, x):
    """[N, C, L] -> [N, C, 1, L] (1-D ops run as 2-D with a height of 1)."""
    s = shape_of(x)
    if len(s) == 4:
        return x
    return ctx.reshape(x, (s[0], s[1], 1, s[2]))


def _from_4d(ctx, y, rank, name):
    """Back to rank 3 (after a 1-D op), or y unchanged."""
    s = shape_of(y)
    if rank == 4:
        return y
    return ctx.reshape(y, (s[0], s[1], s[3]), name=name)


def _ints(attrs, key, n, default):
    v = attrs.get(key)
    return [default] * n if v is None or len(v) == 0 else [int(a) for a in v]


def pads_of(ctx, attrs, in_sp, k_eff, strides):
    """(begin, end) explicit padding per spatial dim, from pads or auto_pad."""
    n = len(in_sp)
    auto = _s(attrs.get("auto_pad", "NOTSET"))
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pb, pe = [], []
        for i, k, s in zip(in_sp, k_eff, strides):
            out = -(-i // s)
            total = max((out - 1) * s + k - i, 0)
            small = total // 2
            b = small if auto == "SAME_UPPER" else total - small
            pb.append(b)
            pe.append(total - b)
        return pb, pe
    if auto == "VALID":
        return [0] * n, [0] * n
    pads = _ints(attrs, "pads", 2 * n, 0)
    return pads[:n], pads[n:]


def tflite_same(in_sp, k_eff, strides):
    """TFLite's SAME padding: (begin, end, out) per spatial dim."""
    res = []
    for i, k, s in zip(in_sp, k_eff, strides):
        out = -(-i // s)
        total = max((out - 1) * s + k - i, 0)
        res.append((total // 2, total - total // 2, out))
    return res


def _padding_mode(in_sp, k_eff, strides, pb, pe, outs):
    """'VALID', 'SAME' or None (explicit PAD needed) for these pads and output sizes."""
    if not any(pb) and not any(pe):
        return "VALID"
    same = tflite_same(in_sp, k_eff, strides)
    if all((b, e, o) == t for b, e, o, t in zip(pb, pe, outs, same)):
        return "SAME"
    return None


def _pad_nhwc(ctx, xt, pb, pe, value=0.0):
    s = shape_of(xt)
    pads = np.array([[0, 0], [pb[0], pe[0]], [pb[1], pe[1]], [0, 0]], np.int32)
    out = (s[0], s[1] + pb[0] + pe[0], s[2] + pb[1] + pe[1], s[3])
    if value == 0.0:
        return ctx.emit("PAD", [xt, pads], xt.dtype, out, hint="pad")
    return ctx.emit("PADV2", [xt, pads, np.asarray([value], xt.dtype).reshape(())], xt.dtype, out,
                    hint="pad")


# ---- convolution ----------------------------------------------------------

def _conv_weights(ctx, w, perm):
    if isinstance(w, np.ndarray):
        return np.ascontiguousarray(w.transpose(perm).astype(np.float32))
    return ctx.transpose(w, perm)


@op("Conv")
def _conv(ctx, node, ins, attrs):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    s = _spatial(ctx, x, "Conv")
    rank = len(s)
    ws = shape_of(w)
    if ws is None or len(ws) != rank or not known(ws):
        raise ctx.error(f"Conv weights need a known shape of rank {rank}, got {ws}")
    n = rank - 2
    group = int(attrs.get("group", 1))
    strides = _ints(attrs, "strides", n, 1)
    dil = _ints(attrs, "dilations", n, 1)
    ks = list(ws[2:])
    k_eff = [(k - 1) * d + 1 for k, d in zip(ks, dil)]
    pb, pe = pads_of(ctx, attrs, list(s[2:]), k_eff, strides)
    if n == 1:
        x4 = _to_4d(ctx, x)
        w = w.reshape(ws[0], ws[1], 1, ws[2]) if isinstance(w, np.ndarray) else \
            ctx.reshape(w, (ws[0], ws[1], 1, ws[2]))
        strides, dil, ks, k_eff = [1] + strides, [1] + dil, [1] + ks, [1] + k_eff
        pb, pe = [0] + pb, [0] + pe
    else:
        x4 = x
    s4 = shape_of(x4)
    in_sp = list(s4[2:])
    outs = [(i + b_ + e - k) // st + 1 for i, b_, e, k, st in zip(in_sp, pb, pe, k_eff, strides)]
    C, O = s4[1], ws[0]
    if C is None or C != ws[1] * group:
        raise ctx.error(f"Conv: input channels {C} != weight channels {ws[1]} x group {group}")
    xt = ctx.to_nhwc(x4)
    padding = _padding_mode(in_sp, k_eff, strides, pb, pe, outs)
    if padding is None:
        xt = _pad_nhwc(ctx, xt, pb, pe)
        padding = "VALID"
    depthwise = group > 1 and group == C and ws[1] == 1
    if depthwise:
        wt = _conv_weights(ctx, w if n == 2 else w, (1, 2, 3, 0))
        type_ = "DEPTHWISE_CONV_2D"
        opts = {"depth_multiplier": O // C}
    else:
        wt = _conv_weights(ctx, w, (0, 2, 3, 1))
        type_ = "CONV_2D"
        opts = {}
    bias = np.zeros(O, np.float32) if b is None else b
    opts.update({"padding": padding, "stride_h": strides[0], "stride_w": strides[1],
                 "dilation_h_factor": dil[0], "dilation_w_factor": dil[1],
                 "fused_activation_function": "NONE"})
    yt = ctx.emit(type_, [xt, wt, bias], x.dtype, (s4[0], outs[0], outs[1], O), opts)
    if n == 1:
        return _from_4d(ctx, ctx.to_nchw(yt), 3, ctx.out_name())
    return ctx.to_nchw(yt, name=ctx.out_name())


@op("ConvTranspose")
def _conv_transpose(ctx, node, ins, attrs):
    x, w = ins[0], ins[1]
    b = ins[2] if len(ins) > 2 else None
    s = _spatial(ctx, x, "ConvTranspose")
    rank = len(s)
    ws = shape_of(w)
    if ws is None or len(ws) != rank or not known(ws):
        raise ctx.error(f"ConvTranspose weights need a known shape of rank {rank}, got {ws}")
    n = rank - 2
    if int(attrs.get("group", 1)) != 1:
        raise ctx.error("ConvTranspose with group > 1 is not supported (TRANSPOSE_CONV has no "
                        "groups)")
    dil = _ints(attrs, "dilations", n, 1)
    if any(d != 1 for d in dil):
        raise ctx.error("ConvTranspose with dilations is not supported (TRANSPOSE_CONV has none)")
    strides = _ints(attrs, "strides", n, 1)
    out_pad = _ints(attrs, "output_padding", n, 0)
    ks = list(ws[2:])
    in_sp = list(s[2:])
    full = [(i - 1) * st + k for i, st, k in zip(in_sp, strides, ks)]
    auto = _s(attrs.get("auto_pad", "NOTSET"))
    if attrs.get("output_shape"):
        outs = [int(v) for v in attrs["output_shape"]][-n:]
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            total = [f + op_ - o for f, op_, o in zip(full, out_pad, outs)]
            pb = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        else:
            # Explicit pads (default 0) crop the start; the rest is cropped or zero-filled
            # at the end to reach output_shape.
            pb = _ints(attrs, "pads", 2 * n, 0)[:n]
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        outs = [i * st for i, st in zip(in_sp, strides)]
        total = [f + op_ - o for f, op_, o in zip(full, out_pad, outs)]
        pb = [t // 2 if auto == "SAME_UPPER" else t - t // 2 for t in total]
        pe = [t - p for t, p in zip(total, pb)]
    else:
        pads = _ints(attrs, "pads", 2 * n, 0) if auto != "VALID" else [0] * (2 * n)
        pb, pe = pads[:n], pads[n:]
        outs = [f + op_ - b_ - e for f, op_, b_, e in zip(full, out_pad, pb, pe)]
    if n == 1:
        x4 = _to_4d(ctx, x)
        w = w.reshape(ws[0], ws[1], 1, ws[2]) if isinstance(w, np.ndarray) else \
            ctx.reshape(w, (ws[0], ws[1], 1, ws[2]))
        strides, full, pb, outs = [1] + strides, [1] + full, [0] + pb, [1] + outs
    else:
        x4 = x
    s4 = shape_of(x4)
    O = ws[1]
    xt = ctx.to_nhwc(x4)
    wt = _conv_weights(ctx, w, (1, 2, 3, 0))           # [C, O, kh, kw] -> [O, kh, kw, C]
    full_shape = (s4[0], full[0], full[1], O)
    spec = np.array([1 if d is None else d for d in full_shape], np.int32)
    if s4[0] is None:
        raise ctx.error("ConvTranspose needs a known batch size; give it with input_shapes=")
    yt = ctx.emit("TRANSPOSE_CONV", [spec, wt, xt], x.dtype, full_shape,
                  {"padding": "VALID", "stride_h": strides[0], "stride_w": strides[1]})
    # Crop the explicit padding; output_padding may reach past the full result (zeros there).
    lo = [min(p, f) for p, f in zip(pb, full)]
    hi = [min(p + o, f) for p, o, f in zip(pb, outs, full)]
    if lo != [0, 0] or hi != full:
        yt = ctx.emit("SLICE", [yt, np.array([0, lo[0], lo[1], 0], np.int32),
                                np.array([-1, hi[0] - lo[0], hi[1] - lo[1], -1], np.int32)],
                      x.dtype, (s4[0], hi[0] - lo[0], hi[1] - lo[1], O))
    extra = [o - (h - l) for o, h, l in zip(outs, hi, lo)]
    if any(extra):
        yt = _pad_nhwc(ctx, yt, [0, 0], extra)
    if b is not None:
        yt = binary(ctx, "ADD", yt, b)
    if n == 1:
        return _from_4d(ctx, ctx.to_nchw(yt), 3, ctx.out_name())
    return ctx.to_nchw(yt, name=ctx.out_name())


# ---- pooling ----------------------------------------------------------------

def _pool_out(in_sp, k_eff, strides, pb, pe, ceil_mode):
    outs = []
    for i, k, s, b, e in zip(in_sp, k_eff, strides, pb, pe):
        span = i + b + e - k
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= i + b:
            o -= 1                      # the last window would start in the end padding
        outs.append(o)
    return outs


def _window_counts(in_sp, k, strides, pb, pe, outs, include_pad):
    """Per spatial axis, how many elements each window covers in the counted region."""
    res = []
    for i, kk, s, b, e, o in zip(in_sp, k, strides, pb, pe, outs):
        lo_region, hi_region = (0, i + b + e) if include_pad else (b, b + i)
        starts = np.arange(o) * s
        lo = np.maximum(starts, lo_region)
        hi = np.minimum(starts + kk, hi_region)
        res.append(np.maximum(hi - lo, 0))
    return res


@op("MaxPool", "AveragePool")
def _pool(ctx, node, ins, attrs):
    x = ins[0]
    if node.op_type == "MaxPool" and len(node.output) > 1 and node.output[1]:
        raise ctx.error("MaxPool's Indices output is not supported")
    s = _spatial(ctx, x, node.op_type)
    rank, n = len(s), len(s) - 2
    ks = _ints(attrs, "kernel_shape", n, 1)
    strides = _ints(attrs, "strides", n, 1)
    dil = _ints(attrs, "dilations", n, 1)
    if any(d != 1 for d in dil):
        raise ctx.error(f"{node.op_type} with dilations is not supported (TFLite pools have none)")
    pb, pe = pads_of(ctx, attrs, list(s[2:]), ks, strides)
    ceil_mode = bool(attrs.get("ceil_mode", 0))
    include_pad = bool(attrs.get("count_include_pad", 0))
    if n == 1:
        ks, strides, pb, pe = [1] + ks, [1] + strides, [0] + pb, [0] + pe
        x4 = _to_4d(ctx, x)
    else:
        x4 = x
    s4 = shape_of(x4)
    in_sp = list(s4[2:])
    outs = _pool_out(in_sp, ks, strides, pb, pe, ceil_mode)
    extra = [max(0, (o - 1) * st + k - (i + b + e))
             for o, st, k, i, b, e in zip(outs, strides, ks, in_sp, pb, pe)]
    pe_all = [e + x_ for e, x_ in zip(pe, extra)]
    is_max = node.op_type == "MaxPool"
    xt = ctx.to_nhwc(x4)
    mode = _padding_mode(in_sp, ks, strides, pb, pe_all, outs)
    ratio = None
    if mode == "SAME" and not is_max and include_pad:
        mode = None
    if mode is None:
        if is_max:
            xt = _pad_nhwc(ctx, xt, pb, pe_all, value=float(np.finfo(np.float32).min))
        else:
            xt = _pad_nhwc(ctx, xt, pb, pe_all)
            ch, cw = _window_counts(in_sp, ks, strides, pb, pe, outs, include_pad)
            ratio = (ks[0] * ks[1]) / np.maximum(np.outer(ch, cw), 1).astype(np.float64)
            if np.allclose(ratio, 1.0):
                ratio = None
        mode = "VALID"
    opts = {"padding": mode, "stride_h": strides[0], "stride_w": strides[1],
            "filter_height": ks[0], "filter_width": ks[1], "fused_activation_function": "NONE"}
    yt = ctx.emit("MAX_POOL_2D" if is_max else "AVERAGE_POOL_2D", [xt], x.dtype,
                  (s4[0], outs[0], outs[1], s4[1]), opts)
    if ratio is not None:
        yt = binary(ctx, "MUL", yt, ratio.astype(np.float32)[None, :, :, None])
    if n == 1:
        return _from_4d(ctx, ctx.to_nchw(yt), 3, ctx.out_name())
    return ctx.to_nchw(yt, name=ctx.out_name())


@op("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    axes = list(range(2, len(s)))
    type_ = "MEAN" if node.op_type == "GlobalAveragePool" else "REDUCE_MAX"
    out = tuple(s[:2]) + (1,) * len(axes)
    return ctx.emit(type_, [x, np.array(axes, np.int32)], x.dtype, out, {"keep_dims": True},
                    name=ctx.out_name())


# ---- normalisation ------------------------------------------------------------

def _channel_vec(v, rank):
    """A per-channel [C] vector shaped to broadcast over NC... data."""
    return np.asarray(v, np.float32).reshape((-1,) + (1,) * (rank - 2))


@op("BatchNormalization")
def _batch_norm(ctx, node, ins, attrs):
    x, scale, bias, mean, var = ins[:5]
    if int(attrs.get("training_mode", 0)) or (len(node.output) > 1 and any(node.output[1:])):
        raise ctx.error("BatchNormalization in training mode (running-statistics outputs) is "
                        "not supported; export the model in eval mode")
    eps = float(attrs.get("epsilon", 1e-5))
    rank = x.rank
    if all(isinstance(v, np.ndarray) for v in (scale, bias, mean, var)):
        s = scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
        t = bias.astype(np.float64) - mean.astype(np.float64) * s
        y = binary(ctx, "MUL", x, _channel_vec(s, rank).astype(x.dtype))
        return binary(ctx, "ADD", y, _channel_vec(t, rank).astype(x.dtype), name=ctx.out_name())
    shp = (-1,) + (1,) * (rank - 2)

    def vec(v):
        return v.reshape(shp) if isinstance(v, np.ndarray) else ctx.reshape(v, (shape_of(v)[0],) + (1,) * (rank - 2))
    inv = unary(ctx, "RSQRT", binary(ctx, "ADD", vec(var), scalar(eps, x)))
    y = binary(ctx, "MUL", binary(ctx, "SUB", x, vec(mean)), binary(ctx, "MUL", inv, vec(scale)))
    return binary(ctx, "ADD", y, vec(bias), name=ctx.out_name())


def _normalise(ctx, x, axes, eps):
    """(x - mean) * rsqrt(var + eps) over ``axes``; also returns mean and rsqrt."""
    s = shape_of(x)
    red = tuple(1 if i in axes else d for i, d in enumerate(s))
    ax = np.array(axes, np.int32)
    mean = ctx.emit("MEAN", [x, ax], x.dtype, red, {"keep_dims": True})
    d = binary(ctx, "SUB", x, mean)
    var = ctx.emit("MEAN", [unary(ctx, "SQUARE", d), ax], x.dtype, red, {"keep_dims": True})
    inv = unary(ctx, "RSQRT", binary(ctx, "ADD", var, scalar(eps, x)))
    return binary(ctx, "MUL", d, inv), mean, inv


@op("InstanceNormalization")
def _instance_norm(ctx, node, ins, attrs):
    x, scale, bias = ins
    rank = x.rank
    y, _, _ = _normalise(ctx, x, list(range(2, rank)), float(attrs.get("epsilon", 1e-5)))
    sv = _channel_vec(scale, rank) if isinstance(scale, np.ndarray) else \
        ctx.reshape(scale, (shape_of(scale)[0],) + (1,) * (rank - 2))
    bv = _channel_vec(bias, rank) if isinstance(bias, np.ndarray) else \
        ctx.reshape(bias, (shape_of(bias)[0],) + (1,) * (rank - 2))
    return binary(ctx, "ADD", binary(ctx, "MUL", y, sv), bv, name=ctx.out_name())


@op("LayerNormalization")
def _layer_norm(ctx, node, ins, attrs):
    x, scale = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    rank = x.rank
    axis = int(attrs.get("axis", -1)) % rank
    if int(attrs.get("stash_type", 1)) != 1:
        raise ctx.error("LayerNormalization with stash_type other than float is not supported")
    y, mean, inv = _normalise(ctx, x, list(range(axis, rank)), float(attrs.get("epsilon", 1e-5)))
    last = bias is None
    y = binary(ctx, "MUL", y, scale, name=ctx.out_name() if last else None)
    if bias is not None:
        y = binary(ctx, "ADD", y, bias, name=ctx.out_name())
    return [y, mean, inv]


@op("LRN")
def _lrn(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    if len(s) != 4 or s[1] is None:
        raise ctx.error(f"LRN supports 4-D inputs with known channels, got {s}")
    size = int(attrs["size"])
    alpha, beta = float(attrs.get("alpha", 1e-4)), float(attrs.get("beta", 0.75))
    bias = float(attrs.get("bias", 1.0))
    C = s[1]
    lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
    band = np.zeros((C, 1, 1, C), np.float32)
    for c in range(C):
        band[c, 0, 0, max(0, c - lo):min(C, c + hi + 1)] = 1.0
    sq = ctx.to_nhwc(unary(ctx, "SQUARE", x))
    summed = ctx.emit("CONV_2D", [sq, band, np.zeros(C, np.float32)], x.dtype,
                      shape_of(sq), {"padding": "VALID", "stride_h": 1, "stride_w": 1,
                                     "fused_activation_function": "NONE"})
    summed = ctx.to_nchw(summed)
    d = binary(ctx, "ADD", binary(ctx, "MUL", summed, scalar(alpha / size, x)), scalar(bias, x))
    d = binary(ctx, "POW", d, scalar(beta, x))
    return binary(ctx, "DIV", x, d, name=ctx.out_name())


# ---- matrix products ----------------------------------------------------------

def _fc(ctx, a, w_nk, bias, name, keep):
    """FULLY_CONNECTED with constant weights [N, K] over a's last dim."""
    s = shape_of(a)
    out = tuple(s[:-1]) + (w_nk.shape[0],) if keep else \
        ((None if any(d is None for d in s[:-1]) else int(np.prod(s[:-1]))), w_nk.shape[0])
    return ctx.emit("FULLY_CONNECTED", [a, w_nk.astype(np.float32), bias], a.dtype, out,
                    {"fused_activation_function": "NONE", "keep_num_dims": keep}, name=name)


def _batch_matmul(ctx, a, b, name, adj_x=False, adj_y=False):
    sa, sb = shape_of(a), shape_of(b)
    m = sa[-1] if adj_x else sa[-2]
    n = sb[-2] if adj_y else sb[-1]
    batch = broadcast_shapes(sa[:-2], sb[:-2]) if len(sa) > 2 or len(sb) > 2 else ()
    return ctx.emit("BATCH_MATMUL", [a, b], a.dtype, tuple(batch) + (m, n),
                    {"adj_x": adj_x, "adj_y": adj_y}, name=name)


@op("MatMul")
def _matmul(ctx, node, ins, attrs):
    a, b = ins
    sa, sb = shape_of(a), shape_of(b)
    name = ctx.out_name()
    if not np.issubdtype(a.dtype, np.floating):
        raise ctx.error(f"MatMul on {a.dtype} is not supported (float only)")
    if isinstance(a, np.ndarray) and len(sa) == 2 and len(sb) == 2:
        # const @ x = (x^T @ const^T)^T
        bt = ctx.transpose(b, (1, 0))
        y = _fc(ctx, bt, a, None, None, False)
        return ctx.transpose(y, (1, 0), name=name)
    if len(sa) == 1 or len(sb) == 1:
        # 1-D operands: a row (a) or a column (b) vector, whose unit dim is dropped after.
        a2 = a if len(sa) > 1 else (a.reshape(1, -1) if isinstance(a, np.ndarray)
                                    else ctx.reshape(a, (1, sa[0])))
        b2 = b if len(sb) > 1 else (b.reshape(-1, 1) if isinstance(b, np.ndarray)
                                    else ctx.reshape(b, (sb[0], 1)))
        y = _matmul_nd(ctx, a2, b2, None)
        ys = list(shape_of(y))
        if len(sb) == 1:
            ys.pop(-1)
        if len(sa) == 1:
            ys.pop(-1 if len(sb) == 1 else -2)
        return ctx.reshape(y, tuple(ys), name=name)
    return _matmul_nd(ctx, a, b, name)


def _matmul_nd(ctx, a, b, name):
    sa = shape_of(a)
    if isinstance(b, np.ndarray) and b.ndim == 2 and not isinstance(a, np.ndarray):
        return _fc(ctx, a, np.ascontiguousarray(b.T), None, name, len(sa) > 2)
    return _batch_matmul(ctx, ctx.tensor(a), ctx.tensor(b), name)


@op("Gemm")
def _gemm(ctx, node, ins, attrs):
    a, b = ins[0], ins[1]
    c = ins[2] if len(ins) > 2 else None
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    ta, tb = int(attrs.get("transA", 0)), int(attrs.get("transB", 0))
    name = ctx.out_name()
    if ta:
        a = ctx.transpose(a, (1, 0))
    if isinstance(b, np.ndarray) and not isinstance(a, np.ndarray):
        w = (b if tb else b.T).astype(np.float64) * alpha
        n = w.shape[0]
        bias = None
        if c is not None and isinstance(c, np.ndarray) and c.size in (1, n) and \
                (c.ndim < 2 or c.shape[0] == 1):
            bias = np.broadcast_to(c.astype(np.float64).reshape(-1) * beta, (n,)).astype(np.float32)
            c = None
        y = _fc(ctx, a, np.ascontiguousarray(w), bias, name if c is None else None, False)
    else:
        y = _batch_matmul(ctx, ctx.tensor(a), ctx.tensor(b), None, adj_y=bool(tb))
        if alpha != 1.0:
            y = binary(ctx, "MUL", y, scalar(alpha, y), name=name if c is None else None)
        elif c is None:
            y = ctx.reshape(y, shape_of(y), name=name)
    if c is not None:
        if isinstance(c, np.ndarray):
            c = (c.astype(np.float64) * beta).astype(np.float32)
        elif beta != 1.0:
            c = binary(ctx, "MUL", c, scalar(beta, c))
        y = binary(ctx, "ADD", y, c, name=name)
    return y


# ---- softmax ------------------------------------------------------------------

@op("Softmax", "LogSoftmax")
def _softmax(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    rank = len(s)
    type_ = "SOFTMAX" if node.op_type == "Softmax" else "LOG_SOFTMAX"
    opts = {"beta": 1.0} if type_ == "SOFTMAX" else {}
    name = ctx.out_name()
    if ctx.opset < 13:
        # Opsets 1-12: the input is coerced to 2-D at `axis` and normalised over the 2nd dim.
        axis = int(attrs.get("axis", 1)) % max(rank, 1)
        if axis == rank - 1:
            return ctx.emit(type_, [x], x.dtype, s, opts, name=name)
        inner = s[axis:]
        if not known(inner):
            raise ctx.error(f"{node.op_type} needs known dims after axis {axis}, got {s}")
        outer = s[:axis]
        flat = ctx.reshape(x, ((None if not known(outer) else int(np.prod(outer))),
                               int(np.prod(inner))))
        y = ctx.emit(type_, [flat], x.dtype, shape_of(flat), opts)
        return ctx.reshape(y, s, name=name)
    axis = int(attrs.get("axis", -1)) % rank
    if axis == rank - 1:
        return ctx.emit(type_, [x], x.dtype, s, opts, name=name)
    perm = [i for i in range(rank) if i != axis] + [axis]
    xt = ctx.transpose(x, perm)
    y = ctx.emit(type_, [xt], x.dtype, shape_of(xt), opts)
    return ctx.transpose(y, list(np.argsort(perm)), name=name)
