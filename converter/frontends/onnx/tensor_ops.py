"""Shape and data-movement ops: Reshape, Flatten, Transpose, Squeeze/Unsqueeze,
Concat, Split, Slice, Gather, Pad, Expand, Tile, DepthToSpace/SpaceToDepth, Shape."""
import numpy as np

from ember.converter.frontends.onnx.context import broadcast_shapes, known, shape_of
from ember.converter.frontends.onnx.registry import op

INT_MAX = 2 ** 31 - 1


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def const_input(ctx, v, what):
    if v is None:
        return None
    if not isinstance(v, np.ndarray):
        raise ctx.error(f"{what} must be a constant (computed from initializers only); a value "
                        "known only at run time is not supported here")
    return v


def _axes(ctx, node, ins, attrs, pos, opset_input):
    """Axes from the attribute (older opsets) or input ``pos`` (from ``opset_input``)."""
    if ctx.opset >= opset_input:
        v = ins[pos] if len(ins) > pos else None
        v = const_input(ctx, v, f"{node.op_type}'s axes input")
        return None if v is None else [int(a) for a in np.asarray(v).reshape(-1)]
    a = attrs.get("axes")
    return None if a is None else [int(x) for x in a]


@op("Reshape")
def _reshape(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    if ctx.opset < 5:
        target = [int(v) for v in attrs["shape"]]
    else:
        target = [int(v) for v in const_input(ctx, ins[1], "Reshape's shape").reshape(-1)]
    allowzero = int(attrs.get("allowzero", 0))
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            out.append(s[i])
        elif d == 0:
            raise ctx.error("Reshape to an empty tensor (allowzero with a 0 dim) is not supported")
        else:
            out.append(d)
    if -1 in out:
        k = out.index(-1)
        in_known = int(np.prod([d for d in s if d is not None]))
        out_known = int(np.prod([d for d in out if d not in (None, -1)]))
        in_none = sum(d is None for d in s)
        out_none = sum(d is None for d in out)
        if in_none == out_none and in_none <= 1:
            out[k] = in_known // out_known
        else:
            out[k] = None
    return ctx.reshape(x, tuple(out), name=ctx.out_name())


@op("Flatten")
def _flatten(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    axis = int(attrs.get("axis", 1))
    axis = axis + len(s) if axis < 0 else axis

    def prod(dims):
        return None if not known(dims) else int(np.prod(dims)) if dims else 1
    return ctx.reshape(x, (prod(s[:axis]), prod(s[axis:])), name=ctx.out_name())


@op("Transpose")
def _transpose(ctx, node, ins, attrs):
    x = ins[0]
    perm = attrs.get("perm")
    perm = list(range(x.rank))[::-1] if not perm else [int(p) for p in perm]
    return ctx.transpose(x, perm, name=ctx.out_name())


@op("Squeeze")
def _squeeze(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    axes = _axes(ctx, node, ins, attrs, 1, 13)
    if axes is None:
        if not known(s):
            raise ctx.error(f"Squeeze without axes needs a known input shape, got {s}")
        axes = [i for i, d in enumerate(s) if d == 1]
    axes = {a % len(s) for a in axes}
    for a in axes:
        if s[a] not in (1, None):
            raise ctx.error(f"Squeeze of axis {a}, which has size {s[a]}")
    return ctx.reshape(x, tuple(d for i, d in enumerate(s) if i not in axes), name=ctx.out_name())


@op("Unsqueeze")
def _unsqueeze(ctx, node, ins, attrs):
    x = ins[0]
    s = list(shape_of(x))
    axes = _axes(ctx, node, ins, attrs, 1, 13)
    r = len(s) + len(axes)
    axes = sorted(a % r for a in axes)
    for a in axes:
        s.insert(a, 1)
    return ctx.reshape(x, tuple(s), name=ctx.out_name())


@op("Concat")
def _concat(ctx, node, ins, attrs):
    vals = [v for v in ins if v is not None]
    ref = next(v for v in vals if not isinstance(v, np.ndarray))
    rank = ref.rank
    axis = int(attrs["axis"]) % rank
    vals = [v.astype(ref.dtype) if isinstance(v, np.ndarray) else v for v in vals]
    shapes = [shape_of(v) for v in vals]
    vals = [v for v, sh in zip(vals, shapes) if sh[axis] != 0]
    out = list(broadcast_shapes(*[tuple(1 if i == axis else d for i, d in enumerate(sh))
                                  for sh in shapes]))
    dims = [sh[axis] for sh in shapes]
    out[axis] = None if any(d is None for d in dims) else sum(dims)
    if len(vals) == 1:
        return ctx.reshape(ctx.tensor(vals[0]), tuple(out), name=ctx.out_name())
    return ctx.emit("CONCATENATION", vals, ref.dtype, tuple(out),
                    {"axis": axis, "fused_activation_function": "NONE"}, name=ctx.out_name())


@op("Split")
def _split(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    axis = int(attrs.get("axis", 0)) % len(s)
    n = len(node.output)
    dim = s[axis]
    if ctx.opset >= 13:
        split = ins[1] if len(ins) > 1 else None
        split = None if split is None else [int(v) for v in const_input(ctx, split, "Split's split")]
    else:
        split = attrs.get("split")
        split = [int(v) for v in split] if split else None
    if split is None:
        if dim is None:
            raise ctx.error(f"Split along unknown dimension {axis}")
        num = int(attrs.get("num_outputs", n))
        chunk = -(-dim // num)
        split = [chunk] * (num - 1) + [dim - chunk * (num - 1)]
    if len(split) != n:
        raise ctx.error(f"Split into {len(split)} parts but the node has {n} outputs")
    shapes = [tuple(p if i == axis else d for i, d in enumerate(s)) for p in split]
    names = [o or None for o in node.output]
    ins = [x, np.array(split, np.int32), np.array(axis, np.int32)]
    if n == 1:
        return [ctx.reshape(x, shapes[0], name=names[0])]
    return ctx.emit("SPLIT_V", ins, x.dtype, shapes, {"num_splits": n}, name=names, nout=n)


@op("Slice")
def _slice(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    r = len(s)
    if ctx.opset < 10:
        starts, ends = attrs["starts"], attrs["ends"]
        axes = attrs.get("axes") or list(range(len(starts)))
        steps = [1] * len(starts)
    else:
        starts = const_input(ctx, ins[1], "Slice's starts").reshape(-1).tolist()
        ends = const_input(ctx, ins[2], "Slice's ends").reshape(-1).tolist()
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else None
        axes = list(range(len(starts))) if axes is None else \
            const_input(ctx, axes, "Slice's axes").reshape(-1).tolist()
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else None
        steps = [1] * len(starts) if steps is None else \
            const_input(ctx, steps, "Slice's steps").reshape(-1).tolist()
    begin, end, stride = [0] * r, [0] * r, [1] * r
    bmask = emask = 0
    out = list(s)
    sliced = {int(a) % r: (int(b), int(e), int(st)) for a, b, e, st in zip(axes, starts, ends, steps)}
    for i in range(r):
        if i not in sliced:
            bmask |= 1 << i
            emask |= 1 << i
            continue
        b, e, st = sliced[i]
        d = s[i]
        if st == 0:
            raise ctx.error("Slice with a step of 0")
        if d is None:
            if b == 0 and st == 1 and e >= INT_MAX:
                bmask |= 1 << i
                emask |= 1 << i
                continue
            raise ctx.error(f"Slice of dimension {i}, whose size is unknown")
        b = b + d if b < 0 else b
        e = e + d if e < 0 else e
        if st > 0:
            b, e = min(max(b, 0), d), min(max(e, 0), d)
            n = max(0, -(-(e - b) // st))
        else:
            b, e = min(max(b, 0), d - 1), min(max(e, -1), d - 1)
            n = max(0, -(-(b - e) // -st))
            if e == -1:
                emask |= 1 << i
                e = 0
        if n == 0:
            raise ctx.error("Slice to an empty tensor is not supported")
        begin[i], end[i], stride[i] = b, e, st
        out[i] = n
    return ctx.emit("STRIDED_SLICE", [x, np.array(begin, np.int32), np.array(end, np.int32),
                                      np.array(stride, np.int32)], x.dtype, tuple(out),
                    {"begin_mask": bmask, "end_mask": emask, "ellipsis_mask": 0,
                     "new_axis_mask": 0, "shrink_axis_mask": 0, "offset": False},
                    name=ctx.out_name())


def gather(ctx, x, idx, axis, name=None):
    """GATHER along ``axis`` with constant 1-D int indices."""
    s = list(shape_of(x))
    s[axis] = len(idx)
    return ctx.emit("GATHER", [x, np.asarray(idx, np.int32)], x.dtype, tuple(s),
                    {"axis": axis, "batch_dims": 0}, name=name)


@op("Gather")
def _gather(ctx, node, ins, attrs):
    x, idx = ins
    s = shape_of(x)
    axis = int(attrs.get("axis", 0)) % len(s)
    name = ctx.out_name()
    if isinstance(idx, np.ndarray):
        if s[axis] is None:
            raise ctx.error(f"Gather along dimension {axis}, whose size is unknown")
        idx = np.where(idx < 0, idx + s[axis], idx).astype(np.int32)
        if idx.ndim == 0:
            y = gather(ctx, ctx.tensor(x), idx.reshape(1), axis)
            return ctx.reshape(y, tuple(d for i, d in enumerate(s) if i != axis), name=name)
        out = tuple(s[:axis]) + idx.shape + tuple(s[axis + 1:])
        return ctx.emit("GATHER", [x, idx], x.dtype, out, {"axis": axis, "batch_dims": 0},
                        name=name)
    out = tuple(s[:axis]) + tuple(shape_of(idx)) + tuple(s[axis + 1:])
    if s[axis] is not None and np.issubdtype(idx.dtype, np.signedinteger):
        # ONNX counts negative indices from the end; TFLite's GATHER refuses them.
        neg = ctx.emit("LESS", [idx, np.array(0, idx.dtype)], np.bool_, shape_of(idx))
        wrapped = ctx.emit("ADD", [idx, np.array(s[axis], idx.dtype)], idx.dtype, shape_of(idx))
        idx = ctx.emit("SELECT_V2", [neg, wrapped, idx], idx.dtype, shape_of(idx))
    return ctx.emit("GATHER", [x, idx], x.dtype, out, {"axis": axis, "batch_dims": 0}, name=name)


@op("Pad")
def _pad(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    r = len(s)
    mode = _s(attrs.get("mode", "constant"))
    if ctx.opset < 11:
        pads = [int(p) for p in attrs.get("pads", attrs.get("paddings"))]
        value = float(attrs.get("value", 0.0))
        axes = list(range(r))
    else:
        pads = [int(p) for p in const_input(ctx, ins[1], "Pad's pads").reshape(-1)]
        v = ins[2] if len(ins) > 2 else None
        value = 0.0 if v is None else float(np.asarray(const_input(ctx, v, "Pad's value")).reshape(-1)[0]) \
            if np.asarray(v).size else 0.0
        ax = ins[3] if len(ins) > 3 else None
        axes = list(range(r)) if ax is None else \
            [int(a) % r for a in const_input(ctx, ax, "Pad's axes").reshape(-1)]
    k = len(axes)
    full = np.zeros((r, 2), np.int64)
    for j, a in enumerate(axes):
        full[a] = (pads[j], pads[j + k])
    if (full < 0).any():
        raise ctx.error("Pad with negative pads (cropping) is not supported")
    out = tuple(None if d is None else d + int(full[i].sum()) for i, d in enumerate(s))
    name = ctx.out_name()
    if not full.any():
        return ctx.reshape(x, s, name=name)
    if mode == "constant":
        if value == 0.0:
            return ctx.emit("PAD", [x, full.astype(np.int32)], x.dtype, out, name=name)
        return ctx.emit("PADV2", [x, full.astype(np.int32), np.asarray(value, x.dtype)], x.dtype,
                        out, name=name)
    if mode == "reflect":
        for i, (b, e) in enumerate(full):
            if (b or e) and (s[i] is None or max(b, e) > s[i] - 1):
                raise ctx.error(f"reflect Pad of {max(b, e)} on dimension {i} of size {s[i]}")
        return ctx.emit("MIRROR_PAD", [x, full.astype(np.int32)], x.dtype, out,
                        {"mode": "REFLECT"}, name=name)
    if mode in ("edge", "wrap"):
        y = x
        todo = [i for i in range(r) if full[i].any()]
        for i in todo:
            d = s[i]
            if d is None:
                raise ctx.error(f"{mode} Pad of dimension {i}, whose size is unknown")
            pos = np.arange(-full[i][0], d + full[i][1])
            idx = np.clip(pos, 0, d - 1) if mode == "edge" else np.mod(pos, d)
            y = gather(ctx, y, idx, i, name=name if i == todo[-1] else None)
        return y
    raise ctx.error(f"Pad mode {mode!r} is not supported")


@op("Expand")
def _expand(ctx, node, ins, attrs):
    x = ins[0]
    shape = [int(v) for v in const_input(ctx, ins[1], "Expand's shape").reshape(-1)]
    out = broadcast_shapes(shape_of(x), tuple(shape))
    if out == shape_of(x):
        return ctx.reshape(x, out, name=ctx.out_name())
    if not known(out):
        raise ctx.error(f"Expand to {out} with unknown dimensions")
    # LiteRT registers BROADCAST_TO from version 2.
    return ctx.emit("BROADCAST_TO", [x, np.array(out, np.int32)], x.dtype, out,
                    name=ctx.out_name(), version=2)


@op("Tile")
def _tile(ctx, node, ins, attrs):
    x = ins[0]
    reps = [int(v) for v in const_input(ctx, ins[1], "Tile's repeats").reshape(-1)]
    out = tuple(None if d is None else d * k for d, k in zip(shape_of(x), reps))
    return ctx.emit("TILE", [x, np.array(reps, np.int32)], x.dtype, out, name=ctx.out_name())


@op("DepthToSpace", "SpaceToDepth")
def _depth_space(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    if len(s) != 4 or s[1] is None:
        raise ctx.error(f"{node.op_type} needs a 4-D input with known channels, got {s}")
    bs = int(attrs["blocksize"])
    N, C, H, W = s
    if node.op_type == "DepthToSpace":
        if _s(attrs.get("mode", "DCR")) == "CRD":
            # CRD reads channel c*bs*bs + i*bs + j; TFLite (DCR) reads (i*bs + j)*C' + c.
            cp = C // (bs * bs)
            idx = [c * bs * bs + k for k in range(bs * bs) for c in range(cp)]
            x = gather(ctx, x, idx, 1)
        xt = ctx.to_nhwc(x)
        out = (N, None if H is None else H * bs, None if W is None else W * bs, C // (bs * bs))
        yt = ctx.emit("DEPTH_TO_SPACE", [xt], x.dtype, out, {"block_size": bs})
    else:
        xt = ctx.to_nhwc(x)
        out = (N, None if H is None else H // bs, None if W is None else W // bs, C * bs * bs)
        yt = ctx.emit("SPACE_TO_DEPTH", [xt], x.dtype, out, {"block_size": bs})
        if _s(attrs.get("mode", "DCR")) == "CRD":
            # TFLite writes block offset k at channel k*C + c; CRD wants c*bs*bs + k.
            y = ctx.to_nchw(yt)
            idx = [k * C + c for c in range(C) for k in range(bs * bs)]
            return gather(ctx, y, idx, 1, name=ctx.out_name())
    return ctx.to_nchw(yt, name=ctx.out_name())


@op("Shape")
def _shape(ctx, node, ins, attrs):
    x = ins[0]
    s = shape_of(x)
    r = len(s)
    start = int(attrs.get("start", 0))
    end = attrs.get("end")
    start = max(0, min(r, start + r if start < 0 else start))
    end = r if end is None else max(0, min(r, int(end) + r if int(end) < 0 else int(end)))
    part = s[start:end]
    if known(part):
        return np.array(part, np.int64)
    y = ctx.emit("SHAPE", [x], np.int64, (r,), {"out_type": "INT64"})
    if (start, end) == (0, r):
        return y
    return ctx.emit("SLICE", [y, np.array([start], np.int32), np.array([end - start], np.int32)],
                    np.int64, (end - start,), name=ctx.out_name())


@op("Size")
def _size(ctx, node, ins, attrs):
    s = shape_of(ins[0])
    if not known(s):
        raise ctx.error(f"Size of a tensor of unknown shape {s}")
    return np.array(int(np.prod(s)), np.int64)


@op("GatherND")
def _gather_nd(ctx, node, ins, attrs):
    x, idx = ins
    if int(attrs.get("batch_dims", 0)):
        raise ctx.error("GatherND with batch_dims is not supported")
    si, sx = shape_of(idx), shape_of(x)
    out = tuple(si[:-1]) + tuple(sx[si[-1]:])
    return ctx.emit("GATHER_ND", [x, idx], x.dtype, out, name=ctx.out_name())


@op("ConstantOfShape")
def _constant_of_shape(ctx, node, ins, attrs):
    from onnx import numpy_helper
    value = attrs.get("value")
    value = np.zeros(1, np.float32) if value is None else numpy_helper.to_array(value)
    dims = ins[0]
    n = shape_of(dims)[0]
    if n is None:
        raise ctx.error("ConstantOfShape with a shape of unknown length")
    return ctx.emit("FILL", [dims, value.reshape(())], value.dtype, (None,) * n,
                    name=ctx.out_name())


@op("Range")
def _range(ctx, node, ins, attrs):
    start, limit, delta = ins
    return ctx.emit("RANGE", [start, limit, delta], start.dtype, (None,), name=ctx.out_name())
