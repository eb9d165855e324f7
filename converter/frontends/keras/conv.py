"""Convolutions, pooling, padding, cropping and resizing (the spatial layers).

All work channels_last, as TFLite does; a channels_first layer is wrapped in
TRANSPOSEs (the layout pass cancels adjacent pairs). 1-D layers run as 2-D
ones over a height-1 image, because TFLite has no 1-D convolution.
"""
import functools

import numpy as np

from ember.converter.frontends.keras.emit import conv_out
from ember.converter.frontends.keras.layers import has_activation, register, tuple_n

_PAD = {"valid": "VALID", "same": "SAME"}


def spatial(rank):
    """Runs the layer body on channels_last data, transposing around channels_first."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(c):
            x = c.x
            if x.rank != rank + 2:
                raise c.fail(f"expects a rank-{rank + 2} input, got shape {x.shape}")
            if c.get("data_format", "channels_last") != "channels_first":
                return fn(c, x)
            to_last = [0] + list(range(2, rank + 2)) + [1]
            to_first = [0, rank + 1] + list(range(1, rank + 1))
            y = fn(c, c.e.transpose(x, to_last, c.out("/to_nhwc")), suffix="/nhwc")
            return c.e.transpose(y, to_first, c.out())
        return wrapper
    return deco


def _to_2d(c, x):
    """(B, W, C) -> (B, 1, W, C)."""
    return c.e.reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]), c.out("/as2d"))


def _from_2d(c, y, name):
    return c.e.reshape(y, (y.shape[0], y.shape[2], y.shape[3]), name)


def _padding(c, rank):
    p = str(c.get("padding", "valid")).lower()
    if p == "causal" and rank == 1:
        return "causal"
    if p not in _PAD:
        raise c.fail(f"padding {p!r} is not supported")
    return _PAD[p]


def _conv2d_op(c, x, kernel, bias, strides, dilation, padding, name):
    """CONV_2D of NHWC ``x`` with a Keras [kh, kw, in, out] kernel."""
    kh, kw, _, out = kernel.shape
    e = c.e
    oh = conv_out(x.shape[1], kh, strides[0], dilation[0], padding)
    ow = conv_out(x.shape[2], kw, strides[1], dilation[1], padding)
    tag = name[len(c.name):] or "conv"
    return e.op("CONV_2D", [x, c.const(f"{tag}/filter", np.transpose(kernel, (3, 0, 1, 2))),
                            c.const(f"{tag}/bias", bias)],
                (x.shape[0], oh, ow, out), name,
                {"padding": padding, "stride_h": strides[0], "stride_w": strides[1],
                 "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
                 "fused_activation_function": "NONE"})


def _conv(c, x, rank, suffix=""):
    e = c.e
    use_bias = c.get("use_bias", True)
    w = c.weights(["kernel", "bias"] if use_bias else ["kernel"])
    kernel = np.asarray(w[0], np.float32)
    out_ch = kernel.shape[-1]
    bias = np.asarray(w[1], np.float32) if use_bias else np.zeros(out_ch, np.float32)
    strides = tuple_n(c.get("strides", 1), rank)
    dilation = tuple_n(c.get("dilation_rate", 1), rank)
    padding = _padding(c, rank)
    groups = int(c.get("groups", 1) or 1)
    if rank == 1:
        if padding == "causal":
            x = e.pad(x, [(0, 0), ((kernel.shape[0] - 1) * dilation[0], 0), (0, 0)], c.out("/causal_pad"))
            padding = "VALID"
        x = _to_2d(c, x)
        kernel = kernel[None]
        strides, dilation = (1,) + strides, (1,) + dilation
    name = c.out("/conv" if (rank == 1 or has_activation(c) or suffix) else "")
    in_ch = x.shape[-1]
    if groups == 1:
        y = _conv2d_op(c, x, kernel, bias, strides, dilation, padding, name)
    else:
        if in_ch is None or in_ch % groups or out_ch % groups:
            raise c.fail(f"groups={groups} does not divide the channels ({in_ch} in, {out_ch} out)")
        # TFLite's grouped CONV_2D is not run by every runtime: split, convolve, concatenate
        parts = e.op_multi("SPLIT", [e.i32(c.out("/split_axis"), [3]), x],
                           [x.shape[:3] + (in_ch // groups,)] * groups, c.out("/group"),
                           {"num_splits": groups})
        og = out_ch // groups
        ys = [_conv2d_op(c, p, kernel[..., g * og:(g + 1) * og], bias[g * og:(g + 1) * og],
                         strides, dilation, padding, c.out(f"/conv_g{g}"))
              for g, p in enumerate(parts)]
        y = e.concat(ys, 3, name)
    if rank == 1:
        y = _from_2d(c, y, c.out("/conv1d") if has_activation(c) or suffix else c.out())
    return c.act(y, name=c.out(suffix))


@register("Conv2D", "Convolution2D")
@spatial(2)
def conv2d(c, x, suffix=""):
    return _conv(c, x, 2, suffix)


@register("Conv1D", "Convolution1D")
@spatial(1)
def conv1d(c, x, suffix=""):
    return _conv(c, x, 1, suffix)


def _depthwise_op(c, x, dk, bias, strides, dilation, padding, name, tag="depthwise"):
    """DEPTHWISE_CONV_2D with a Keras [kh, kw, in, mult] kernel on NHWC ``x``."""
    kh, kw, cin, mult = dk.shape
    oh = conv_out(x.shape[1], kh, strides[0], dilation[0], padding)
    ow = conv_out(x.shape[2], kw, strides[1], dilation[1], padding)
    return c.e.op("DEPTHWISE_CONV_2D",
                  [x, c.const(f"{tag}/filter", dk.reshape(1, kh, kw, cin * mult)),
                   c.const(f"{tag}/bias", bias)],
                  (x.shape[0], oh, ow, cin * mult), name,
                  {"padding": padding, "stride_h": strides[0], "stride_w": strides[1],
                   "depth_multiplier": mult, "dilation_h_factor": dilation[0],
                   "dilation_w_factor": dilation[1], "fused_activation_function": "NONE"})


def _depthwise(c, x, rank, suffix, separable):
    e = c.e
    use_bias = c.get("use_bias", True)
    if separable:
        roles = ["depthwise_kernel", "pointwise_kernel"] + (["bias"] if use_bias else [])
    else:
        roles = ["depthwise_kernel"] + (["bias"] if use_bias else [])
    w = c.weights(roles)
    dk = np.asarray(w[0], np.float32)
    strides = tuple_n(c.get("strides", 1), rank)
    dilation = tuple_n(c.get("dilation_rate", 1), rank)
    padding = _padding(c, rank)
    if padding == "causal":
        x = e.pad(x, [(0, 0), ((dk.shape[0] - 1) * dilation[0], 0), (0, 0)], c.out("/causal_pad"))
        padding = "VALID"
    if rank == 1:
        x = _to_2d(c, x)
        dk = dk[None]
        strides, dilation = (1,) + strides, (1,) + dilation
    nch = dk.shape[2] * dk.shape[3]
    final = c.out("/dw" if (rank == 1 or has_activation(c) or suffix or separable) else "")
    if separable:
        y = _depthwise_op(c, x, dk, np.zeros(nch, np.float32), strides, dilation, padding, c.out("/dw"))
        pk = np.asarray(w[1], np.float32)
        if rank == 1:
            pk = pk[None]
        bias = np.asarray(w[2], np.float32) if use_bias else np.zeros(pk.shape[-1], np.float32)
        y = _conv2d_op(c, y, pk, bias, (1, 1), (1, 1), "VALID",
                       c.out("/pw" if (rank == 1 or has_activation(c) or suffix) else ""))
    else:
        bias = np.asarray(w[1], np.float32) if use_bias else np.zeros(nch, np.float32)
        y = _depthwise_op(c, x, dk, bias, strides, dilation, padding, final)
    if rank == 1:
        y = _from_2d(c, y, c.out("/conv1d") if has_activation(c) or suffix else c.out())
    return c.act(y, name=c.out(suffix))


@register("DepthwiseConv2D")
@spatial(2)
def depthwise2d(c, x, suffix=""):
    return _depthwise(c, x, 2, suffix, False)


@register("DepthwiseConv1D")
@spatial(1)
def depthwise1d(c, x, suffix=""):
    return _depthwise(c, x, 1, suffix, False)


@register("SeparableConv2D", "SeparableConvolution2D")
@spatial(2)
def separable2d(c, x, suffix=""):
    return _depthwise(c, x, 2, suffix, True)


@register("SeparableConv1D", "SeparableConvolution1D")
@spatial(1)
def separable1d(c, x, suffix=""):
    return _depthwise(c, x, 1, suffix, True)


@register("Conv2DTranspose", "Convolution2DTranspose")
@spatial(2)
def conv2d_transpose(c, x, suffix=""):
    e = c.e
    use_bias = c.get("use_bias", True)
    w = c.weights(["kernel", "bias"] if use_bias else ["kernel"])
    kernel = np.asarray(w[0], np.float32)           # [kh, kw, out, in]
    kh, kw, out_ch, _ = kernel.shape
    strides = tuple_n(c.get("strides", 1), 2)
    if tuple_n(c.get("dilation_rate", 1), 2) != (1, 1):
        raise c.fail("dilated Conv2DTranspose is not supported")
    if c.get("output_padding") is not None:
        raise c.fail("Conv2DTranspose with output_padding is not supported")
    padding = _padding(c, 2)
    size = []
    for d, k, s in zip(x.shape[1:3], (kh, kw), strides):
        size.append(d * s if padding == "SAME" else (d - 1) * s + max(k, s))
    out_shape = (x.shape[0], size[0], size[1], out_ch)
    if x.shape[0] is not None:
        shape_t = e.i32(c.out("/output_shape"), out_shape)
    else:
        # the batch is only known at run time: read it from the input
        b = e.op("SHAPE", [x], (4,), c.out("/in_shape"), {"out_type": "INT32"}, dtype=np.int32)
        b = e.slice(b, [0], [1], c.out("/batch"))
        shape_t = e.concat([b, e.i32(c.out("/hwc"), out_shape[1:])], 0, c.out("/output_shape"))
    y = e.op("TRANSPOSE_CONV", [shape_t, c.const("filter", np.transpose(kernel, (2, 0, 1, 3))), x],
             out_shape, c.out("/deconv"),
             {"padding": padding, "stride_h": strides[0], "stride_w": strides[1]})
    if use_bias:
        y = e.binary("ADD", y, c.const("bias", np.asarray(w[1], np.float32)),
                     c.out("/bias" if has_activation(c) or suffix else ""))
    return c.act(y, name=c.out(suffix))


# ---- pooling ----------------------------------------------------------------------
def _pool(c, x, rank, op, suffix):
    e = c.e
    size = tuple_n(c.get("pool_size", 2), rank)
    strides = c.get("strides")
    strides = size if strides is None else tuple_n(strides, rank)
    padding = _padding(c, rank)
    if rank == 1:
        x = _to_2d(c, x)
        size, strides = (1,) + size, (1,) + strides
    oh = conv_out(x.shape[1], size[0], strides[0], 1, padding)
    ow = conv_out(x.shape[2], size[1], strides[1], 1, padding)
    y = e.op(op, [x], (x.shape[0], oh, ow, x.shape[3]),
             c.out("/pool" if rank == 1 else suffix),
             {"padding": padding, "stride_h": strides[0], "stride_w": strides[1],
              "filter_height": size[0], "filter_width": size[1],
              "fused_activation_function": "NONE"})
    if rank == 1:
        y = _from_2d(c, y, c.out(suffix))
    return y


@register("MaxPooling2D", "MaxPool2D")
@spatial(2)
def maxpool2d(c, x, suffix=""):
    return _pool(c, x, 2, "MAX_POOL_2D", suffix)


@register("MaxPooling1D", "MaxPool1D")
@spatial(1)
def maxpool1d(c, x, suffix=""):
    return _pool(c, x, 1, "MAX_POOL_2D", suffix)


@register("AveragePooling2D", "AvgPool2D")
@spatial(2)
def avgpool2d(c, x, suffix=""):
    return _pool(c, x, 2, "AVERAGE_POOL_2D", suffix)


@register("AveragePooling1D", "AvgPool1D")
@spatial(1)
def avgpool1d(c, x, suffix=""):
    return _pool(c, x, 1, "AVERAGE_POOL_2D", suffix)


def _global(c, op):
    x = c.x
    first = c.get("data_format", "channels_last") == "channels_first"
    axes = list(range(2, x.rank)) if first else list(range(1, x.rank - 1))
    return c.e.reduce(op, x, axes, bool(c.get("keepdims", False)), c.out())


@register("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
          "GlobalAvgPool1D", "GlobalAvgPool2D")
def global_avg(c):
    if c.kwargs.get("mask") is not None:
        raise c.fail("masked global pooling is not supported")
    return _global(c, "MEAN")


@register("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
          "GlobalMaxPool1D", "GlobalMaxPool2D")
def global_max(c):
    return _global(c, "REDUCE_MAX")


# ---- padding, cropping, resizing ---------------------------------------------------
def _pairs(v, rank):
    if isinstance(v, int):
        return [(v, v)] * rank
    v = list(v)
    if rank == 1:
        return [tuple(v)] if len(v) == 2 and not isinstance(v[0], (list, tuple)) else [tuple(v[0])]
    return [(p, p) if isinstance(p, int) else tuple(p) for p in v]


@register("ZeroPadding2D")
@spatial(2)
def zero_pad2d(c, x, suffix=""):
    p = _pairs(c.get("padding", 1), 2)
    return c.e.pad(x, [(0, 0), p[0], p[1], (0, 0)], c.out(suffix))


@register("ZeroPadding1D")
@spatial(1)
def zero_pad1d(c, x, suffix=""):
    p = _pairs(c.get("padding", 1), 1)
    return c.e.pad(x, [(0, 0), p[0], (0, 0)], c.out(suffix))


@register("Cropping2D")
@spatial(2)
def crop2d(c, x, suffix=""):
    (t, b), (l, r) = _pairs(c.get("cropping", 0), 2)
    h, w = x.shape[1] - t - b, x.shape[2] - l - r
    return c.e.slice(x, [0, t, l, 0], [-1, h, w, -1], c.out(suffix))


@register("Cropping1D")
def crop1d(c):
    x = c.x
    ((a, b),) = _pairs(c.get("cropping", (1, 1)), 1)
    return c.e.slice(x, [0, a, 0], [-1, x.shape[1] - a - b, -1], c.out())


def _resize(c, x, size, method, name, half_pixel):
    op = "RESIZE_NEAREST_NEIGHBOR" if method == "nearest" else "RESIZE_BILINEAR"
    return c.e.op(op, [x, c.e.i32(f"{name}_size", size)], (x.shape[0], size[0], size[1], x.shape[3]),
                  name, {"align_corners": False, "half_pixel_centers": half_pixel})


@register("UpSampling2D")
@spatial(2)
def upsample2d(c, x, suffix=""):
    sh, sw = tuple_n(c.get("size", 2), 2)
    method = c.get("interpolation", "nearest")
    if method not in ("nearest", "bilinear"):
        raise c.fail(f"interpolation {method!r} is not supported (nearest, bilinear)")
    # integer-factor nearest is a repeat: TFLite's legacy (not half-pixel) rule gives exactly that
    return _resize(c, x, (x.shape[1] * sh, x.shape[2] * sw), method, c.out(suffix),
                   method == "bilinear")


@register("UpSampling1D")
def upsample1d(c):
    x = c.x
    s = int(c.get("size", 2))
    y = _resize(c, _to_2d(c, x), (1, x.shape[1] * s), "nearest", c.out("/resize"), False)
    return _from_2d(c, y, c.out())


@register("Resizing")
@spatial(2)
def resizing(c, x, suffix=""):
    method = c.get("interpolation", "bilinear")
    if c.get("crop_to_aspect_ratio") or c.get("pad_to_aspect_ratio"):
        raise c.fail("crop_to_aspect_ratio / pad_to_aspect_ratio are not supported")
    if method not in ("nearest", "bilinear"):
        raise c.fail(f"interpolation {method!r} is not supported (nearest, bilinear)")
    if c.get("antialias") and (c.get("height") < x.shape[1] or c.get("width") < x.shape[2]):
        raise c.fail("antialiased downscaling is not supported")
    return _resize(c, x, (int(c.get("height")), int(c.get("width"))), method, c.out(suffix), True)
