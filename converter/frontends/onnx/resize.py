"""Resize and Upsample.

Every ONNX resize mode is separable: along each resized axis the output is
M @ x for a constant [out, in] matrix M. M is read off ONNX's reference
evaluator by resizing one-hot probes, so coordinate modes, nearest_mode,
cubic coefficients and antialiasing follow the spec exactly. When both
spatial matrices equal what TFLite's RESIZE_NEAREST_NEIGHBOR or
RESIZE_BILINEAR compute for some align_corners/half_pixel_centers setting,
that one op is emitted (NHWC-wrapped); otherwise each axis becomes a few
GATHERs of its taps, weighted and summed -- exact for any mode.
"""
import functools

import numpy as np

from ember.converter.frontends.onnx.context import shape_of
from ember.converter.frontends.onnx.elementwise import binary
from ember.converter.frontends.onnx.registry import op
from ember.converter.frontends.onnx.tensor_ops import const_input, gather


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _params(ctx, node, ins, attrs, s):
    """(per-axis scales or None, per-axis output sizes, uses_sizes)."""
    r = len(s)
    if node.op_type == "Upsample":
        sc = attrs.get("scales") if ctx.opset < 9 else \
            const_input(ctx, ins[1], "Upsample's scales")
        scales = [float(v) for v in np.asarray(sc).reshape(-1)]
        return scales, [int(np.floor(d * f)) for d, f in zip(s, scales)], False
    if ctx.opset < 11:
        scales = [float(v) for v in const_input(ctx, ins[1], "Resize's scales").reshape(-1)]
        return scales, [int(np.floor(d * f)) for d, f in zip(s, scales)], False
    scales = ins[2] if len(ins) > 2 else None
    sizes = ins[3] if len(ins) > 3 else None
    scales = None if scales is None or np.asarray(scales).size == 0 else \
        const_input(ctx, scales, "Resize's scales").reshape(-1).astype(np.float64)
    sizes = None if sizes is None or np.asarray(sizes).size == 0 else \
        const_input(ctx, sizes, "Resize's sizes").reshape(-1).astype(np.int64)
    axes = attrs.get("axes")
    axes = list(range(r)) if not axes else [int(a) % r for a in axes]
    if _s(attrs.get("keep_aspect_ratio_policy", "stretch")) != "stretch" and sizes is not None:
        raise ctx.error("Resize with keep_aspect_ratio_policy other than 'stretch' is not "
                        "supported")
    full_scales, full_sizes = [1.0] * r, list(s)
    if sizes is not None:
        for a, v in zip(axes, sizes):
            full_sizes[a] = int(v)
            full_scales[a] = None
        return None, full_sizes, True
    if scales is None:
        raise ctx.error("Resize needs scales or sizes")
    for a, v in zip(axes, scales):
        full_scales[a] = float(v)
        full_sizes[a] = int(np.floor(s[a] * float(v)))
    return full_scales, full_sizes, False


@functools.lru_cache(maxsize=256)
def _matrix(op_type, opset, attr_bytes, n, out, scale, uses_sizes):
    """M [out, n] of one axis, from the reference evaluator on one-hot probes."""
    from onnx import AttributeProto, helper
    from onnx.reference import ReferenceEvaluator

    attrs = []
    for b in attr_bytes:
        a = AttributeProto()
        a.ParseFromString(b)
        attrs.append(a)
    x = helper.make_tensor_value_info("x", 1, [1, n])
    feeds_extra, names = {}, ["x"]
    if op_type == "Upsample" or opset < 11:
        # Upsample and Resize-10 are Resize-11 with asymmetric coordinates; nearest rounds
        # down when enlarging and up when shrinking (onnxruntime's reading of them).
        mode = next((helper.get_attribute_value(a) for a in attrs if a.name == "mode"), b"nearest")
        attrs = [helper.make_attribute("mode", mode),
                 helper.make_attribute("coordinate_transformation_mode", "asymmetric"),
                 helper.make_attribute("nearest_mode", "floor" if scale >= 1 else "ceil")]
        op_type, opset = "Resize", 13
        names += ["", "scales"]
        feeds_extra["scales"] = np.array([1.0, scale], np.float32)
    else:
        names.append("roi")
        feeds_extra["roi"] = np.zeros(0, np.float32)
        if uses_sizes:
            names += ["scales", "sizes"]
            feeds_extra["scales"] = np.zeros(0, np.float32)
            feeds_extra["sizes"] = np.array([1, out], np.int64)
        else:
            names.append("scales")
            feeds_extra["scales"] = np.array([1.0, scale], np.float32)
    node = helper.make_node(op_type, names, ["y"])
    node.attribute.extend(attrs)
    inputs = [x] + [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype),
                                                  v.shape) for k, v in feeds_extra.items()]
    g = helper.make_graph([node], "probe", inputs,
                          [helper.make_tensor_value_info("y", 1, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    ev = ReferenceEvaluator(m)
    probe = np.eye(n, dtype=np.float32)
    cols = []
    for i in range(n):
        y = ev.run(None, {"x": probe[i:i + 1], **feeds_extra})[0]
        cols.append(np.asarray(y, np.float64).reshape(-1))
    M = np.stack(cols, axis=1)
    if M.shape[0] != out:
        raise ValueError(f"reference gave {M.shape[0]} outputs, expected {out}")
    return M


def _tflite_matrix(n, out, align, half, bilinear):
    """What TFLite's RESIZE_* computes along one axis, as a matrix."""
    scale = np.float32((n - 1) / (out - 1)) if align and out > 1 else np.float32(n / out)
    M = np.zeros((out, n))
    for o in range(out):
        if bilinear:
            v = np.float32((o + 0.5) * scale - 0.5) if half else np.float32(o * scale)
            lo = max(int(np.floor(v)), 0)
            hi = min(int(np.ceil(v)), n - 1)
            frac = float(v) - lo
            M[o, lo] += 1 - frac
            M[o, hi] += frac
        else:
            v = np.float32((o + (0.5 if half else 0.0)) * scale)
            i = int(np.round(v)) if align else int(np.floor(v))
            i = min(i, n - 1)
            if half:
                i = max(0, i)
            M[o, i] = 1.0
    return M


def _native(mats, bilinear):
    """(align_corners, half_pixel_centers) reproducing both matrices, or None."""
    for align, half in ((False, False), (True, False), (False, True)):
        if all(np.allclose(M, _tflite_matrix(M.shape[1], M.shape[0], align, half, bilinear),
                           atol=1e-6) for M in mats):
            return align, half
    return None


def _apply_axis(ctx, x, M, axis, name):
    """y = M @ x along ``axis`` as weighted GATHERs of the nonzero taps."""
    out, n = M.shape
    nz = [np.flatnonzero(np.abs(row) > 1e-12) for row in M]
    k = max(1, max(len(z) for z in nz))
    idx = np.zeros((k, out), np.int64)
    w = np.zeros((k, out))
    for o, z in enumerate(nz):
        idx[:len(z), o] = z
        w[:len(z), o] = M[o, z]
    r = x.rank
    wshape = [1] * r
    wshape[axis] = out
    if k == 1 and np.all(w == 1.0):
        return gather(ctx, x, idx[0], axis, name=name)
    acc = None
    for j in range(k):
        term = binary(ctx, "MUL", gather(ctx, x, idx[j], axis),
                      w[j].reshape(wshape).astype(x.dtype))
        acc = term if acc is None else binary(ctx, "ADD", acc, term,
                                              name=name if j == k - 1 else None)
    if k == 1:
        acc = ctx.reshape(acc, shape_of(acc), name=name)
    return acc


@op("Resize", "Upsample")
def _resize(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    name = ctx.out_name()
    mode = _s(attrs.get("mode", "nearest"))
    if mode not in ("nearest", "linear", "cubic", "bilinear"):
        raise ctx.error(f"resize mode {mode!r} is not supported")
    if _s(attrs.get("coordinate_transformation_mode", "")) == "tf_crop_and_resize":
        raise ctx.error("Resize with coordinate_transformation_mode 'tf_crop_and_resize' is not "
                        "supported (its extrapolated values are not a resize of the input)")
    if not np.issubdtype(x.dtype, np.floating) and mode != "nearest":
        raise ctx.error(f"{mode} Resize of {x.dtype} data is not supported")
    scales, sizes, uses_sizes = _params(ctx, node, ins, attrs, s)
    axes = [a for a in range(len(s)) if sizes[a] != s[a] or (scales and scales[a] != 1.0)]
    for a in axes:
        if s[a] is None:
            raise ctx.error(f"resizing dimension {a}, whose size is unknown")
    keep = [a for a in node.attribute if a.name not in ("axes", "keep_aspect_ratio_policy")]
    attr_bytes = tuple(a.SerializeToString() for a in keep)
    mats = {}
    for a in axes:
        try:
            mats[a] = _matrix(node.op_type, ctx.opset, attr_bytes, s[a], sizes[a],
                              None if scales is None else scales[a], uses_sizes)
        except Exception as e:
            raise ctx.error(f"cannot evaluate this resize along dimension {a} ({e})") from e
    mats = {a: M for a, M in mats.items()
            if not (M.shape[0] == M.shape[1] and np.allclose(M, np.eye(M.shape[0])))}
    if not mats:
        return ctx.reshape(x, tuple(sizes), name=name)
    if len(s) == 4 and set(mats) <= {2, 3}:
        full = [mats.get(a, np.eye(s[a])) for a in (2, 3)]
        bilinear = mode != "nearest"
        native = _native(full, bilinear)
        if native is not None:
            align, half = native
            xt = ctx.to_nhwc(x)
            yt = ctx.emit("RESIZE_BILINEAR" if bilinear else "RESIZE_NEAREST_NEIGHBOR",
                          [xt, np.array(sizes[2:], np.int32)], x.dtype,
                          (s[0], sizes[2], sizes[3], s[1]),
                          {"align_corners": align, "half_pixel_centers": half})
            return ctx.to_nchw(yt, name=name)
    y = x
    order = sorted(mats)
    for a in order:
        y = _apply_axis(ctx, y, mats[a], a, name if a == order[-1] else None)
    return y
