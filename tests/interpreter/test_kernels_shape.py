"""Shape and data-movement kernels vs LiteRT.

RESHAPE SQUEEZE EXPAND_DIMS TRANSPOSE CONCATENATION SPLIT SPLIT_V PACK UNPACK
SLICE STRIDED_SLICE GATHER GATHER_ND PAD PADV2 MIRROR_PAD TILE BROADCAST_TO
SHAPE FILL ZEROS_LIKE RANGE DEPTH_TO_SPACE SPACE_TO_DEPTH BATCH_TO_SPACE_ND
SPACE_TO_BATCH_ND RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR.

Data movement is byte-wise in Ember, so several element types are checked;
where LiteRT has no kernel for a type the NumPy result is the reference.
"""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import assert_close, ember as run_ember, litert as run_litert

DTYPES = ["float32", "int8", "uint8", "int16", "int32", "int64", "bool"]


def data(shape, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        return rng.standard_normal(shape).astype(np.float32)
    if dtype == "float16":
        return rng.standard_normal(shape).astype(np.float16)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -100), min(info.max, 100), shape, endpoint=True).astype(dtype)


def check(model, inputs, ref=None, rtol=1e-5):
    """Ember must match LiteRT; when LiteRT has no kernel for the case and a
    NumPy reference `ref` (list of arrays) is given, match that instead."""
    try:
        want = run_litert(model, inputs)
    except Exception:
        if ref is None:
            raise
        want = [np.asarray(r) for r in ref]
    got = run_ember(model, inputs)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, rtol=rtol, what=f"output {i}")
    if ref is not None:
        for i, (g, r) in enumerate(zip(got, ref)):
            assert_close(g, np.asarray(r), rtol=rtol, what=f"output {i} vs numpy")
    return got


def fails(model, inputs):
    with pytest.raises(ember.EmberError):
        run_ember(model, inputs)


def single(op, x, extra=(), out_shape=None, out_dtype=None, options=None, n_out=1,
           dyn=(), version=1):
    """One-op model: input `x` (array), extra inputs as constants unless their
    position (1-based among extras) is in `dyn`, which makes them graph inputs."""
    b = ModelBuilder()
    xi = b.input("x", list(x.shape), x.dtype.name)
    ins, feeds = [xi], [x]
    for k, e in enumerate(extra):
        if e is None:
            ins.append(-1)
        elif k + 1 in dyn:
            ins.append(b.input(f"in{k + 1}", list(np.shape(e)), np.asarray(e).dtype.name))
            feeds.append(np.asarray(e))
        else:
            ins.append(b.const(f"c{k + 1}", np.asarray(e)))
    outs = [b.tensor(f"y{i}", list(out_shape or []), out_dtype or x.dtype.name)
            for i in range(n_out)]
    b.op(op, ins, outs, options=options, version=version)
    b.output(*outs)
    return b.build(), feeds


# ---------------------------------------------------------------- RESHAPE

@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_reshape_types(dtype):
    x = data([2, 3, 4], dtype)
    m, f = single("RESHAPE", x, [np.array([4, -1], np.int32)], [4, 6])
    check(m, f, [x.reshape(4, 6)])


@pytest.mark.parametrize("shape,new", [
    ([2, 3, 4], [24]), ([2, 3, 4], [-1]), ([2, 3, 4], [3, -1, 2]), ([6], [1, 2, 1, 3]),
    ([1], []), ([2, 3, 4], [2, 3, 4]), ([0, 3], [-1, 3])])
@pytest.mark.parametrize("how", ["tensor", "options", "dynamic"])
def test_reshape(shape, new, how):
    x = data(shape)
    want = x.reshape(new)
    opts = ("ReshapeOptions", {"new_shape": new})
    if how == "tensor":
        m, f = single("RESHAPE", x, [np.array(new, np.int32)], list(want.shape))
    elif how == "options":
        m, f = single("RESHAPE", x, [], list(want.shape), options=opts)
    else:
        m, f = single("RESHAPE", x, [np.array(new, np.int32)], list(want.shape), dyn=(1,))
    check(m, f, [want])


def test_reshape_precedence():
    x = data([2, 3, 4])
    # a 1-D int32 shape tensor wins over the options
    m, f = single("RESHAPE", x, [np.array([6, 4], np.int32)], [6, 4],
                  options=("ReshapeOptions", {"new_shape": [4, 6]}))
    check(m, f, [x.reshape(6, 4)])
    # legacy [0] in options means a scalar
    s = data([1])
    m, f = single("RESHAPE", s, [], [], options=("ReshapeOptions", {"new_shape": [0]}))
    check(m, f, [s.reshape(())])


@pytest.mark.parametrize("shape_arr,opts", [
    (np.array([4, -1], np.int64), [6, 4]),       # int64 shape tensor: options used
    (np.array([[4, 6]], np.int32), [6, 4]),      # 2-D shape tensor: options used
    (np.array([4, 6], np.int32), [6, 4]),        # 1-D int32 shape tensor wins
    (np.array([24], np.int32), None)])
def test_reshape_precedence_builtin(shape_arr, opts):
    """TFLite's builtin kernel (XNNPACK, LiteRT's default, differs here)."""
    x = data([2, 3, 4])
    m, f = single("RESHAPE", x, [shape_arr], None,
                  options=("ReshapeOptions", {"new_shape": opts}) if opts else None)
    assert_close(run_ember(m, f)[0], run_litert(m, f, reference=True)[0])


def test_reshape_errors():
    x = data([2, 3, 4])
    fails(*single("RESHAPE", x, [np.array([5, -1], np.int32)]))
    fails(*single("RESHAPE", x, [np.array([-1, -1], np.int32)]))
    fails(*single("RESHAPE", x, [np.array([-2, 12], np.int32)]))
    fails(*single("RESHAPE", x, [np.array([7, 3], np.int32)], dyn=(1,)))


# ---------------------------------------------------------- SQUEEZE / EXPAND_DIMS

@pytest.mark.parametrize("shape,dims", [
    ([1, 3, 1, 4], []), ([1, 3, 1, 4], [0]), ([1, 3, 1, 4], [-2]), ([1, 3, 1, 4], [0, 2]),
    ([1, 1], []), ([5], [])])
def test_squeeze(shape, dims):
    x = data(shape)
    want = np.squeeze(x, axis=tuple(dims) if dims else None)
    m, f = single("SQUEEZE", x, [], list(want.shape),
                  options=("SqueezeOptions", {"squeeze_dims": dims}))
    check(m, f, [want])


def test_squeeze_errors():
    fails(*single("SQUEEZE", data([1, 3]), [], options=("SqueezeOptions", {"squeeze_dims": [1]})))
    fails(*single("SQUEEZE", data([1, 3]), [], options=("SqueezeOptions", {"squeeze_dims": [2]})))


@pytest.mark.parametrize("axis", [0, 1, 3, -1, -4, -2])
@pytest.mark.parametrize("adtype", [np.int32, np.int64])
@pytest.mark.parametrize("dynamic", [False, True])
def test_expand_dims(axis, adtype, dynamic):
    x = data([2, 3, 4], "int32")
    want = np.expand_dims(x, axis)
    m, f = single("EXPAND_DIMS", x, [np.array([axis], adtype)], list(want.shape),
                  dyn=(1,) if dynamic else ())
    check(m, f, [want])


def test_expand_dims_errors():
    fails(*single("EXPAND_DIMS", data([2, 3]), [np.array([3], np.int32)]))
    fails(*single("EXPAND_DIMS", data([2, 3]), [np.array([-4], np.int32)]))


# ---------------------------------------------------------------- TRANSPOSE

@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5, 6])
def test_transpose_ranks(rank):
    rng = np.random.default_rng(rank)
    shape = [int(s) for s in rng.integers(1, 5, rank)]
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(rank).astype(np.int32)
        x = data(shape, seed=seed)
        want = np.transpose(x, perm)
        check(*single("TRANSPOSE", x, [perm], list(want.shape)), [want])


@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_transpose_types(dtype):
    x = data([2, 3, 5], dtype)
    perm = np.array([2, 0, 1], np.int32)
    check(*single("TRANSPOSE", x, [perm], [5, 2, 3]), [np.transpose(x, perm)])


@pytest.mark.parametrize("shape,perm", [
    ([1, 37, 45, 3], [0, 3, 1, 2]), ([1, 3, 37, 45], [0, 2, 3, 1]), ([2, 1, 33, 40], [0, 3, 2, 1]),
    ([70, 33], [1, 0]), ([3, 1, 5, 1, 7], [4, 1, 0, 3, 2]), ([1, 1, 1], [2, 0, 1]),
    ([4, 5, 6, 7], [0, 1, 3, 2]), ([4, 5, 6, 7], [2, 3, 0, 1])])
@pytest.mark.parametrize("dtype", ["float32", "int8", "int16", "int64"])
def test_transpose_tiled(shape, perm, dtype):
    x = data(shape, dtype)
    want = np.transpose(x, perm)
    check(*single("TRANSPOSE", x, [np.array(perm, np.int32)], list(want.shape)), [want])


def test_transpose_dynamic_and_errors():
    x = data([2, 3, 4])
    perm = np.array([1, 2, 0], np.int32)
    check(*single("TRANSPOSE", x, [perm], [3, 4, 2], dyn=(1,)), [np.transpose(x, perm)])
    fails(*single("TRANSPOSE", x, [np.array([0, 0, 1], np.int32)]))
    fails(*single("TRANSPOSE", x, [np.array([0, 1, 3], np.int32)]))
    fails(*single("TRANSPOSE", x, [np.array([0, 1], np.int32)]))


# ------------------------------------------------------------ CONCATENATION

def concat_model(arrays, axis, act="NONE"):
    b = ModelBuilder()
    ins = [b.input(f"x{i}", list(a.shape), a.dtype.name) for i, a in enumerate(arrays)]
    want = np.concatenate(arrays, axis=axis)
    y = b.tensor("y", list(want.shape), arrays[0].dtype.name)
    b.op("CONCATENATION", ins, [y], options=("ConcatenationOptions",
                                             {"axis": axis, "fused_activation_function": act}))
    b.output(y)
    return b.build(), want


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("act", ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
def test_concatenation_float(axis, act):
    sizes = [1, 2, 3]
    arrays = []
    for i, s in enumerate(sizes):
        shape = [2, 3, 4]
        shape[axis] = s
        arrays.append(data(shape, seed=i) * 4)
    m, want = concat_model(arrays, axis, act)
    lo, hi = {"NONE": (-np.inf, np.inf), "RELU": (0, np.inf), "RELU6": (0, 6),
              "RELU_N1_TO_1": (-1, 1)}[act]
    if act == "NONE":
        check(m, arrays, [want])
    else:
        # TFLite's builtin kernel refuses a fused activation on CONCATENATION
        # and LiteRT's XNNPACK path silently ignores it; Ember applies it as
        # the schema says, so NumPy is the reference here.
        assert_close(run_ember(m, arrays)[0], np.clip(want, lo, hi))


@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_concatenation_types(dtype):
    arrays = [data([2, k], dtype, seed=k) for k in (1, 3, 2)]
    m, want = concat_model(arrays, 1)
    check(m, arrays, [want])


def test_concatenation_single_and_errors():
    a = data([3, 2])
    m, want = concat_model([a], 0)
    check(m, [a], [want])
    b = ModelBuilder()
    x0, x1 = b.input("a", [2, 3], "float32"), b.input("b", [3, 3], "float32")
    y = b.tensor("y", [5, 3], "float32")
    b.op("CONCATENATION", [x0, x1], [y], options=("ConcatenationOptions", {"axis": 1}))
    b.output(y)
    fails(b.build(), [data([2, 3]), data([3, 3])])
    b = ModelBuilder()
    x0 = b.input("a", [2, 3], "float32")
    y = b.tensor("y", [2, 3], "float32")
    b.op("CONCATENATION", [x0], [y], options=("ConcatenationOptions", {"axis": 2}))
    b.output(y)
    fails(b.build(), [data([2, 3])])


# ------------------------------------------------------------ SPLIT / SPLIT_V

def split_model(x, n, axis, axis_dynamic=False):
    b = ModelBuilder()
    a = np.array(axis, np.int32)
    ai = b.input("axis", [], "int32") if axis_dynamic else b.const("axis", a)
    xi = b.input("x", list(x.shape), x.dtype.name)
    parts = np.split(x, n, axis=axis)
    outs = [b.tensor(f"y{i}", list(p.shape), x.dtype.name) for i, p in enumerate(parts)]
    b.op("SPLIT", [ai, xi], outs, options=("SplitOptions", {"num_splits": n}))
    b.output(*outs)
    feeds = ([a] if axis_dynamic else []) + [x]
    return b.build(), feeds, parts


@pytest.mark.parametrize("axis,n", [(0, 2), (1, 3), (2, 1), (-1, 4), (-3, 2)])
def test_split(axis, n):
    x = data([4, 3, 8])
    m, f, parts = split_model(x, n, axis)
    check(m, f, parts)


@pytest.mark.parametrize("dtype", DTYPES)
def test_split_types_dynamic_axis(dtype):
    x = data([2, 6], dtype)
    m, f, parts = split_model(x, 3, 1, axis_dynamic=True)
    check(m, f, parts)


def test_split_errors():
    for axis in (1, 2):
        b = ModelBuilder()
        xi = b.input("x", [4, 3], "float32")
        outs = [b.tensor(f"y{i}", [], "float32") for i in range(2)]
        b.op("SPLIT", [b.const("axis", np.array(axis, np.int32)), xi], outs,
             options=("SplitOptions", {"num_splits": 2}))
        b.output(*outs)
        fails(b.build(), [data([4, 3])])


def split_v_model(x, sizes, axis, dyn=False):
    b = ModelBuilder()
    xi = b.input("x", list(x.shape), x.dtype.name)
    s = np.array(sizes, np.int32)
    si = b.input("sizes", [len(sizes)], "int32") if dyn else b.const("sizes", s)
    ai = b.const("axis", np.array([axis], np.int32))
    real = list(sizes)
    if -1 in real:
        real[real.index(-1)] = x.shape[axis] - (sum(real) + 1)
    parts = np.split(x, np.cumsum(real)[:-1], axis=axis)
    outs = [b.tensor(f"y{i}", list(p.shape), x.dtype.name) for i, p in enumerate(parts)]
    b.op("SPLIT_V", [xi, si, ai], outs, options=("SplitVOptions", {"num_splits": len(sizes)}))
    b.output(*outs)
    return b.build(), [x] + ([s] if dyn else []), parts


@pytest.mark.parametrize("sizes,axis", [([1, 2, 5], 2), ([3, -1], 0), ([2, 0, 1], 1),
                                        ([-1], -1), ([4, 4], -1)])
@pytest.mark.parametrize("dyn", [False, True])
def test_split_v(sizes, axis, dyn):
    x = data([5, 3, 8], "int32") if axis != 0 else data([5, 3], "int32")
    if axis == 1:
        x = data([2, 3, 4], "int32")
    m, f, parts = split_v_model(x, sizes, axis, dyn)
    check(m, f, parts)


def test_split_v_errors():
    x = data([2, 6])
    fails(*split_v_model(x, [2, 2], 1)[:2])


# ------------------------------------------------------------ PACK / UNPACK

@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("dtype", ["float32", "int8", "int64", "bool"])
def test_pack(axis, dtype):
    arrays = [data([2, 3], dtype, seed=i) for i in range(3)]
    want = np.stack(arrays, axis=axis)
    b = ModelBuilder()
    ins = [b.input(f"x{i}", [2, 3], dtype) for i in range(3)]
    y = b.tensor("y", list(want.shape), dtype)
    b.op("PACK", ins, [y], options=("PackOptions", {"values_count": 3, "axis": axis}))
    b.output(y)
    check(b.build(), arrays, [want])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32", "bool"])
def test_unpack(axis, dtype):
    x = data([2, 3, 4], dtype)
    n = x.shape[axis]
    parts = [np.take(x, i, axis=axis) for i in range(n)]
    b = ModelBuilder()
    xi = b.input("x", [2, 3, 4], dtype)
    outs = [b.tensor(f"y{i}", list(p.shape), dtype) for i, p in enumerate(parts)]
    b.op("UNPACK", [xi], outs, options=("UnpackOptions", {"num": n, "axis": axis}))
    b.output(*outs)
    check(b.build(), [x], parts)


def test_pack_unpack_errors():
    b = ModelBuilder()
    ins = [b.input("a", [2], "float32"), b.input("b", [3], "float32")]
    y = b.tensor("y", [2, 2], "float32")
    b.op("PACK", ins, [y], options=("PackOptions", {"values_count": 2, "axis": 0}))
    b.output(y)
    fails(b.build(), [data([2]), data([3])])
    b = ModelBuilder()
    xi = b.input("x", [2, 3], "float32")
    outs = [b.tensor(f"y{i}", [3], "float32") for i in range(3)]
    b.op("UNPACK", [xi], outs, options=("UnpackOptions", {"num": 3, "axis": 0}))
    b.output(*outs)
    fails(b.build(), [data([2, 3])])


# ---------------------------------------------------------------- SLICE

@pytest.mark.parametrize("begin,size", [([0, 0, 0], [2, 3, 4]), ([1, 0, 2], [1, 2, 2]),
                                        ([0, 1, 1], [-1, -1, 2]), ([1, 2, 3], [1, 1, 1]),
                                        ([0, 3, 0], [2, 0, 4])])
@pytest.mark.parametrize("idx_type", [np.int32, np.int64])
@pytest.mark.parametrize("dyn", [False, True])
def test_slice(begin, size, idx_type, dyn):
    x = data([2, 3, 4])
    sl = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    want = x[sl]
    m, f = single("SLICE", x, [np.array(begin, idx_type), np.array(size, idx_type)],
                  list(want.shape), dyn=(1, 2) if dyn else ())
    check(m, f, [want])


@pytest.mark.parametrize("dtype", DTYPES)
def test_slice_types(dtype):
    x = data([3, 5, 2], dtype)
    m, f = single("SLICE", x, [np.array([1, 1, 0], np.int32), np.array([2, 3, -1], np.int32)])
    check(m, f, [x[1:3, 1:4, :]])


def test_slice_errors():
    x = data([2, 3])
    fails(*single("SLICE", x, [np.array([0, 2], np.int32), np.array([1, 2], np.int32)]))
    fails(*single("SLICE", x, [np.array([-1, 0], np.int32), np.array([1, 2], np.int32)]))
    fails(*single("SLICE", x, [np.array([0], np.int32), np.array([1], np.int32)]))
    fails(*single("SLICE", x, [np.array([0, 0], np.int32), np.array([3, 1], np.int32)],
                  dyn=(1, 2)))


# ---------------------------------------------------------- STRIDED_SLICE

SS_CASES = [
    # begin, end, strides, options
    ([0, 0, 0], [2, 3, 4], [1, 1, 1], {}),
    ([1, -1, 3], [2, -4, 0], [1, -1, -2], {}),
    ([0, 0, 0], [0, 0, 0], [1, 1, 1], {"begin_mask": 7, "end_mask": 7}),
    ([0, 0, 0], [0, 0, 0], [-1, -1, -1], {"begin_mask": 7, "end_mask": 7}),
    ([1, 1, 1], [5, 5, 5], [1, 2, 3], {}),
    ([-5, -10, -1], [5, 10, -5], [1, 1, -1], {}),
    ([0, 1, 2], [1, 2, 3], [1, 1, 1], {"shrink_axis_mask": 5}),
    ([-1, 0, -1], [0, 0, 0], [1, 1, 1], {"shrink_axis_mask": 1, "end_mask": 6}),
    ([0, 1], [0, 3], [1, 1], {"ellipsis_mask": 1}),
    ([1, 0, 1], [2, 0, 3], [1, 1, 1], {"ellipsis_mask": 2}),
    ([0, 0, 1], [0, 0, 3], [1, 1, 1], {"new_axis_mask": 1, "begin_mask": 2, "end_mask": 2}),
    ([0, 0, 0, 0], [1, 2, 1, 4], [1, 1, 1, 2], {"new_axis_mask": 4}),
    ([0, 0], [0, 1], [1, 1], {"ellipsis_mask": 1, "new_axis_mask": 2}),
    ([1, 0, 1], [1, 2, 2], [1, 1, 1], {"offset": True}),
    ([0, 1, 0], [2, 2, 3], [1, 1, 2], {"offset": True, "begin_mask": 1}),
    ([0], [1], [1], {"shrink_axis_mask": 1}),
    ([1], [2], [1], {}),
    # LiteRT returns an empty-but-dynamic tensor it then cannot read: NumPy reference
    ([1, 0, 0], [2, 0, 0], [1, 1, 1], {"ellipsis_mask": 4, "shrink_axis_mask": 1},
     lambda x: x[1, 0:0, :]),
]


@pytest.mark.parametrize("case", range(len(SS_CASES)))
@pytest.mark.parametrize("dyn", [False, True])
def test_strided_slice(case, dyn):
    begin, end, strides, opts = SS_CASES[case][:4]
    ref = SS_CASES[case][4] if len(SS_CASES[case]) > 4 else None
    x = data([2, 3, 4], "int32")
    extra = [np.array(begin, np.int32), np.array(end, np.int32), np.array(strides, np.int32)]
    m, f = single("STRIDED_SLICE", x, extra, None,
                  options=("StridedSliceOptions", opts) if opts else None,
                  dyn=(1, 2, 3) if dyn else ())
    check(m, f, [ref(x)] if ref else None)


def test_strided_slice_random_masks():
    """Seeded random specs against TFLite's builtin kernel. Left out: `offset`
    (LiteRT does not clamp begin + end there and reads out of bounds), a
    negative stride on a shrunk axis (LiteRT leaves the output unwritten) and
    shrunk indices outside the dimension (Ember refuses them; LiteRT reads
    out of bounds)."""
    rng = np.random.default_rng(7)
    done = 0
    while done < 150:
        rank = int(rng.integers(1, 5))
        shape = [int(v) for v in rng.integers(1, 5, rank)]
        n = int(rng.integers(1, rank + 2))
        begin = rng.integers(-6, 6, n).astype(np.int32)
        end = rng.integers(-6, 6, n).astype(np.int32)
        strides = rng.choice([-3, -2, -1, 1, 1, 2, 3], n).astype(np.int32)
        opts = {k: int(rng.integers(0, 1 << n)) for k in
                ("begin_mask", "end_mask", "shrink_axis_mask", "new_axis_mask") if rng.random() < 0.4}
        if rng.random() < 0.3:
            opts["ellipsis_mask"] = 1 << int(rng.integers(0, n))
        sm = opts.get("shrink_axis_mask", 0)
        if any((sm >> i) & 1 and strides[i] < 0 for i in range(n)):
            continue
        x = data(shape, "int32")
        m, f = single("STRIDED_SLICE", x, [begin, end, strides], None,
                      options=("StridedSliceOptions", opts) if opts else None)
        try:
            got = run_ember(m, f)[0]
        except ember.EmberError as e:
            assert "shrunk index" in str(e)
            continue
        assert_close(got, run_litert(m, f, reference=True)[0], what=f"{shape} {opts}")
        done += 1


def test_strided_slice_offset_clamped():
    x = np.arange(5, dtype=np.int32)
    for b, e, s, want in [(1, 2, 1, [1, 2]), (-2, 1, 1, [3]), (4, -2, -1, [4, 3]),
                          (3, 5, 1, [3, 4])]:   # LiteRT reads past the end on the last
        m, f = single("STRIDED_SLICE", x, [np.array([b], np.int32), np.array([e], np.int32),
                                           np.array([s], np.int32)],
                      options=("StridedSliceOptions", {"offset": True}))
        assert run_ember(m, f)[0].tolist() == want


def test_strided_slice_shrink_negative_stride():
    # LiteRT leaves this output uninitialised (its shrink logic yields an empty
    # slice for stride -1); Ember follows TensorFlow: x[:, 2, :].
    x = data([2, 3, 4], "int32")
    extra = [np.array([0, 2], np.int32), np.array([2, 0], np.int32), np.array([1, -1], np.int32)]
    m, f = single("STRIDED_SLICE", x, extra, None,
                  options=("StridedSliceOptions", {"shrink_axis_mask": 2}))
    assert_close(run_ember(m, f)[0], x[:, 2, :])


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_slice_types(dtype):
    x = data([4, 6], dtype)
    extra = [np.array([3, 0], np.int32), np.array([0, 6], np.int32), np.array([-2, 2], np.int32)]
    check(*single("STRIDED_SLICE", x, extra), [x[3:0:-2, 0:6:2]])


def test_strided_slice_5d():
    x = data([2, 3, 2, 3, 2])
    extra = [np.array([0, 2, 0, 2, 1], np.int32), np.array([2, 0, 2, 0, 2], np.int32),
             np.array([1, -1, 1, -2, 1], np.int32)]
    check(*single("STRIDED_SLICE", x, extra), [x[0:2, 2:0:-1, 0:2, 2:0:-2, 1:2]])


def test_strided_slice_errors():
    x = data([2, 3])
    z = np.array([0, 0], np.int32)
    fails(*single("STRIDED_SLICE", x, [z, np.array([2, 3], np.int32), np.array([1, 0], np.int32)]))
    fails(*single("STRIDED_SLICE", x, [np.array([5, 0], np.int32), np.array([6, 3], np.int32),
                                       np.array([1, 1], np.int32)],
                  options=("StridedSliceOptions", {"shrink_axis_mask": 1})))


# ---------------------------------------------------------------- GATHER

@pytest.mark.parametrize("pshape,ishape,axis,bd", [
    ([5, 3], [4], 0, 0), ([5, 3], [2, 2], 1, 0), ([2, 5, 3], [3], -2, 0),
    ([3, 4, 5], [3, 2], 1, 1), ([2, 3, 4, 5], [2, 3, 2], 2, 2), ([2, 3, 4], [2, 5], 2, -1),
    ([4], [], 0, 0), ([4, 2], [0], 0, 0)])
@pytest.mark.parametrize("itype", [np.int32, np.int64])
def test_gather(pshape, ishape, axis, bd, itype):
    p = data(pshape)
    ax = axis % len(pshape)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, pshape[ax], ishape).astype(itype)
    m, f = single("GATHER", p, [idx], None, options=("GatherOptions", {"axis": axis, "batch_dims": bd}),
                  dyn=(1,))
    check(m, f)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_types(dtype):
    p = data([5, 2], dtype)
    idx = np.array([4, 0, 2, 2], np.int32)
    check(*single("GATHER", p, [idx], [4, 2], dyn=(1,)), [p[idx]])


def test_gather_errors():
    p = data([5, 2])
    for bad in ([5], [-1], [0, 7]):
        m, f = single("GATHER", p, [np.array(bad, np.int32)], dyn=(1,))
        fails(m, f)
    fails(*single("GATHER", p, [np.array([0], np.int32)], options=("GatherOptions", {"axis": 2})))
    fails(*single("GATHER", p, [np.array([0], np.int32)],
                  options=("GatherOptions", {"axis": 0, "batch_dims": 1})))


@pytest.mark.parametrize("pshape,ishape", [([4, 3], [2, 2]), ([4, 3], [5, 1]), ([2, 3, 4], [2, 2, 3]),
                                           ([2, 3, 4], [3, 2]), ([6], [4, 1])])
@pytest.mark.parametrize("itype", [np.int32, np.int64])
def test_gather_nd(pshape, ishape, itype):
    p = data(pshape)
    rng = np.random.default_rng(2)
    nd = ishape[-1]
    idx = np.stack([rng.integers(0, pshape[k], ishape[:-1]) for k in range(nd)], -1).astype(itype)
    check(*single("GATHER_ND", p, [idx], None, dyn=(1,)))


@pytest.mark.parametrize("dtype", ["int8", "int64", "bool"])
def test_gather_nd_types(dtype):
    p = data([3, 4], dtype)
    idx = np.array([[2, 1], [0, 3]], np.int32)
    check(*single("GATHER_ND", p, [idx], [2], dyn=(1,)), [p[idx[:, 0], idx[:, 1]]])


def test_gather_nd_errors():
    p = data([3, 4])
    fails(*single("GATHER_ND", p, [np.array([[3, 0]], np.int32)], dyn=(1,)))
    fails(*single("GATHER_ND", p, [np.array([[0, -1]], np.int32)], dyn=(1,)))
    fails(*single("GATHER_ND", p, [np.array([[0, 0, 0]], np.int32)], dyn=(1,)))


# ---------------------------------------------------------------- PAD family

@pytest.mark.parametrize("shape,pads", [([3], [[1, 2]]), ([2, 3], [[0, 1], [2, 0]]),
                                        ([1, 2, 3, 2], [[0, 0], [1, 1], [2, 3], [0, 0]]),
                                        ([2, 1, 2, 1, 2], [[1, 0], [0, 1], [1, 1], [0, 2], [1, 0]]),
                                        ([2, 3], [[0, 0], [0, 0]])])
@pytest.mark.parametrize("op", ["PAD", "PADV2"])
@pytest.mark.parametrize("dyn", [False, True])
def test_pad(shape, pads, op, dyn):
    x = data(shape)
    p = np.array(pads, np.int32)
    extra = [p] + ([np.array([1.5], np.float32)] if op == "PADV2" else [])
    want = np.pad(x, pads, constant_values=1.5 if op == "PADV2" else 0)
    check(*single(op, x, extra, list(want.shape), dyn=(1,) if dyn else ()), [want])


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool"])
def test_pad_types(dtype):
    x = data([2, 3], dtype)
    pads = np.array([[1, 0], [0, 2]], np.int64)
    check(*single("PAD", x, [pads], [3, 5]), [np.pad(x, pads.tolist())])


def test_pad_quantized_zero_point():
    b = ModelBuilder()
    q = {"scale": [0.5], "zero_point": [-3]}
    x = b.input("x", [2, 2], "int8", quant=q)
    p = b.const("p", np.array([[1, 1], [0, 1]], np.int32))
    y = b.tensor("y", [4, 3], "int8", quant=q)
    b.op("PAD", [x, p], [y])
    b.output(y)
    xv = data([2, 2], "int8")
    check(b.build(), [xv], [np.pad(xv, [[1, 1], [0, 1]], constant_values=-3)])


def test_pad_errors():
    x = data([2, 3])
    fails(*single("PAD", x, [np.array([[0, -1], [0, 0]], np.int32)]))
    fails(*single("PAD", x, [np.array([[0, 1]], np.int32)]))
    fails(*single("PAD", x, [np.array([[0, -1], [0, 0]], np.int32)], dyn=(1,)))


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
@pytest.mark.parametrize("shape,pads", [([4], [[2, 3]]), ([3, 4], [[1, 2], [3, 0]]),
                                        ([1, 3, 4, 2], [[0, 0], [2, 2], [1, 3], [0, 1]])])
@pytest.mark.parametrize("dyn", [False, True])
def test_mirror_pad(mode, shape, pads, dyn):
    x = data(shape)
    if mode == "REFLECT":
        pads = [[min(a, s - 1), min(b, s - 1)] for (a, b), s in zip(pads, shape)]
    want = np.pad(x, pads, mode=mode.lower())
    m, f = single("MIRROR_PAD", x, [np.array(pads, np.int32)], list(want.shape),
                  options=("MirrorPadOptions", {"mode": mode}), dyn=(1,) if dyn else ())
    check(m, f, [want])


def test_mirror_pad_types_and_errors():
    x = data([3, 3], "int64")
    m, f = single("MIRROR_PAD", x, [np.array([[2, 2], [1, 0]], np.int32)],
                  options=("MirrorPadOptions", {"mode": "REFLECT"}))
    check(m, f, [np.pad(x, [[2, 2], [1, 0]], mode="reflect")])
    fails(*single("MIRROR_PAD", x, [np.array([[3, 0], [0, 0]], np.int32)],
                  options=("MirrorPadOptions", {"mode": "REFLECT"})))
    fails(*single("MIRROR_PAD", x, [np.array([[4, 0], [0, 0]], np.int32)],
                  options=("MirrorPadOptions", {"mode": "SYMMETRIC"})))


# ---------------------------------------------------------- TILE / BROADCAST_TO

@pytest.mark.parametrize("shape,mult", [([3], [2]), ([2, 3], [2, 1]), ([2, 1, 3], [1, 4, 2]),
                                        ([1, 2, 1, 2], [2, 1, 3, 1]), ([2, 2], [0, 2])])
@pytest.mark.parametrize("mtype", [np.int32, np.int64])
@pytest.mark.parametrize("dyn", [False, True])
def test_tile(shape, mult, mtype, dyn):
    x = data(shape)
    want = np.tile(x, mult)
    check(*single("TILE", x, [np.array(mult, mtype)], list(want.shape), dyn=(1,) if dyn else ()),
          [want])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tile_types(dtype):
    x = data([2, 3], dtype)
    check(*single("TILE", x, [np.array([2, 2], np.int32)], [4, 6]), [np.tile(x, [2, 2])])


@pytest.mark.parametrize("shape,target", [([3], [2, 3]), ([2, 1], [2, 4]), ([1], [3, 2, 2]),
                                          ([2, 1, 3], [4, 2, 5, 3]), ([], [2, 3]), ([3], [3])])
@pytest.mark.parametrize("dyn", [False, True])
def test_broadcast_to(shape, target, dyn):
    x = data(shape, "int32")
    want = np.broadcast_to(x, target)
    check(*single("BROADCAST_TO", x, [np.array(target, np.int32)], target, dyn=(1,) if dyn else ()),
          [want])


def test_broadcast_to_errors():
    x = data([3])
    fails(*single("BROADCAST_TO", x, [np.array([2, 4], np.int32)]))
    fails(*single("BROADCAST_TO", data([2, 3]), [np.array([3], np.int32)]))


# ------------------------------------------------------- SHAPE / FILL / ZEROS_LIKE / RANGE

@pytest.mark.parametrize("out_type", ["INT32", "INT64"])
@pytest.mark.parametrize("shape", [[2, 3, 4], [5], []])
def test_shape(out_type, shape):
    x = data(shape)
    dt = out_type.lower()
    m, f = single("SHAPE", x, [], [len(shape)], out_dtype=dt,
                  options=("ShapeOptions", {"out_type": out_type}))
    check(m, f, [np.array(shape, dt)])


@pytest.mark.parametrize("dims", [[2, 3], [4], [], [2, 0, 3], [1, 2, 3, 4]])
@pytest.mark.parametrize("vtype", ["float32", "int32", "int64", "bool"])
@pytest.mark.parametrize("dyn", [False, True])
def test_fill(dims, vtype, dyn):
    v = data([], vtype, seed=3)
    if vtype == "bool":
        v = np.array(True)
    b = ModelBuilder()
    d = np.array(dims, np.int32)
    di = b.input("dims", [len(dims)], "int32") if dyn else b.const("dims", d)
    vi = b.input("v", [], vtype)
    y = b.tensor("y", dims, vtype)
    b.op("FILL", [di, vi], [y])
    b.output(y)
    feeds = ([d] if dyn else []) + [v]
    check(b.build(), feeds, [np.full(dims, v, vtype)])


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_zeros_like(dtype):
    x = data([2, 3, 4], dtype)
    check(*single("ZEROS_LIKE", x, [], [2, 3, 4]), [np.zeros_like(x)])


@pytest.mark.parametrize("dtype,vals", [
    ("int32", (0, 10, 3)), ("int32", (10, -3, -2)), ("int32", (5, 5, 1)), ("int64", (-7, 20, 4)),
    ("float32", (0.0, 1.0, 0.1)), ("float32", (2.5, -1.0, -0.35)), ("float32", (-3.0, 7.0, 1.0))])
@pytest.mark.parametrize("dyn", [False, True])
def test_range(dtype, vals, dyn):
    b = ModelBuilder()
    arrs = [np.array(v, dtype) for v in vals]
    ins = [b.input(n, [], dtype) if dyn else b.const(n, a) for n, a in zip("sld", arrs)]
    y = b.tensor("y", [], dtype)
    b.op("RANGE", ins, [y])
    b.output(y)
    start, limit, delta = vals
    n = len(np.arange(start, limit, delta, dtype=dtype)) if dtype != "float32" else None
    # LiteRT cannot hand back an empty dynamic tensor, so empty ranges use NumPy.
    ref = [np.zeros([0], dtype)] if n == 0 else None
    check(b.build(), arrs if dyn else [], ref)


def test_range_errors():
    for vals in ((0, 10, 0), (0, 10, -1), (5, 0, 1)):
        b = ModelBuilder()
        ins = [b.const(n, np.array(v, np.int32)) for n, v in zip("sld", vals)]
        y = b.tensor("y", [], "int32")
        b.op("RANGE", ins, [y])
        b.output(y)
        fails(b.build(), [])


# ---------------------------------------------------------- DEPTH/SPACE

@pytest.mark.parametrize("block", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float32", "int8", "int64"])
def test_depth_to_space(block, dtype):
    x = data([2, 3, 2, 2 * block * block], dtype)
    m, f = single("DEPTH_TO_SPACE", x, [], None,
                  options=("DepthToSpaceOptions", {"block_size": block}))
    n, h, w, c = x.shape
    oc = c // (block * block)
    want = x.reshape(n, h, w, block, block, oc).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, h * block, w * block, oc)
    check(m, f, [want])


@pytest.mark.parametrize("block", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32"])
def test_space_to_depth(block, dtype):
    x = data([2, 2 * block, 3 * block, 3], dtype)
    n, h, w, c = x.shape
    want = x.reshape(n, h // block, block, w // block, block, c).transpose(
        0, 1, 3, 2, 4, 5).reshape(n, h // block, w // block, c * block * block)
    m, f = single("SPACE_TO_DEPTH", x, [], None,
                  options=("SpaceToDepthOptions", {"block_size": block}))
    check(m, f, [want])


def test_depth_space_errors():
    x = data([1, 2, 2, 4])
    for bs in (0, -2):
        fails(*single("DEPTH_TO_SPACE", x, [], options=("DepthToSpaceOptions", {"block_size": bs})))
        fails(*single("SPACE_TO_DEPTH", x, [], options=("SpaceToDepthOptions", {"block_size": bs})))
    fails(*single("DEPTH_TO_SPACE", x, [], options=("DepthToSpaceOptions", {"block_size": 3})))
    fails(*single("SPACE_TO_DEPTH", x, [], options=("SpaceToDepthOptions", {"block_size": 3})))
    fails(*single("DEPTH_TO_SPACE", data([2, 4]), [],
                  options=("DepthToSpaceOptions", {"block_size": 2})))


@pytest.mark.parametrize("shape,block,pads", [
    ([1, 4, 4, 1], [2, 2], [[0, 0], [0, 0]]), ([2, 5, 3, 2], [2, 3], [[1, 0], [0, 3]]),
    ([1, 4, 3], [2], [[1, 1]]), ([3, 2, 2, 1], [1, 1], [[0, 0], [0, 0]])])
@pytest.mark.parametrize("dyn", [False, True])
def test_space_to_batch_nd(shape, block, pads, dyn):
    x = data(shape)
    m, f = single("SPACE_TO_BATCH_ND", x, [np.array(block, np.int32), np.array(pads, np.int32)],
                  None, dyn=(1, 2) if dyn else ())
    check(m, f)


@pytest.mark.parametrize("shape,block,crops", [
    ([4, 2, 2, 1], [2, 2], [[0, 0], [0, 0]]), ([12, 2, 3, 2], [2, 3], [[1, 0], [0, 4]]),
    ([4, 3, 2], [2], [[1, 2]]), ([3, 2, 2, 1], [1, 1], [[0, 0], [0, 0]])])
@pytest.mark.parametrize("dyn", [False, True])
def test_batch_to_space_nd(shape, block, crops, dyn):
    x = data(shape)
    m, f = single("BATCH_TO_SPACE_ND", x, [np.array(block, np.int32), np.array(crops, np.int32)],
                  None, dyn=(1, 2) if dyn else ())
    check(m, f)


def test_space_batch_types_quant_and_errors():
    x = data([4, 2, 2, 3], "int64")
    m, f = single("BATCH_TO_SPACE_ND", x, [np.array([2, 2], np.int32),
                                           np.array([[0, 1], [1, 0]], np.int32)])
    check(m, f)
    b = ModelBuilder()
    q = {"scale": [0.1], "zero_point": [7]}
    xi = b.input("x", [1, 3, 3, 1], "uint8", quant=q)
    y = b.tensor("y", [4, 2, 2, 1], "uint8", quant=q)
    b.op("SPACE_TO_BATCH_ND", [xi, b.const("b", np.array([2, 2], np.int32)),
                               b.const("p", np.array([[1, 0], [0, 1]], np.int32))], [y])
    b.output(y)
    check(b.build(), [data([1, 3, 3, 1], "uint8")])
    x = data([4, 2, 2, 1])
    fails(*single("BATCH_TO_SPACE_ND", x, [np.array([0, 2], np.int32),
                                           np.array([[0, 0], [0, 0]], np.int32)]))
    fails(*single("BATCH_TO_SPACE_ND", x, [np.array([3, 1], np.int32),
                                           np.array([[0, 0], [0, 0]], np.int32)]))
    fails(*single("BATCH_TO_SPACE_ND", x, [np.array([2, 2], np.int32),
                                           np.array([[-1, 0], [0, 0]], np.int32)]))
    fails(*single("BATCH_TO_SPACE_ND", x, [np.array([2, 2], np.int32),
                                           np.array([[3, 2], [0, 0]], np.int32)]))
    fails(*single("SPACE_TO_BATCH_ND", x, [np.array([3, 2], np.int32),
                                           np.array([[0, 0], [0, 0]], np.int32)]))
    fails(*single("SPACE_TO_BATCH_ND", x, [np.array([2, 0], np.int32),
                                           np.array([[0, 0], [0, 0]], np.int32)]))


# ---------------------------------------------------------------- RESIZE

RESIZE_FLAGS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("ishape,size", [([1, 4, 4, 3], [8, 8]), ([2, 5, 3, 2], [3, 7]),
                                         ([1, 3, 5, 1], [1, 1]), ([1, 6, 6, 4], [4, 9]),
                                         ([1, 1, 1, 2], [3, 2]), ([1, 10, 7, 300], [13, 5])])
@pytest.mark.parametrize("flags", RESIZE_FLAGS)
@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
def test_resize(ishape, size, flags, op):
    align, half = flags
    x = data(ishape)
    table = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    m, f = single(op, x, [np.array(size, np.int32)], [ishape[0]] + size + [ishape[3]],
                  options=(table, {"align_corners": align, "half_pixel_centers": half}))
    check(m, f)


@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
def test_resize_dynamic_size(op):
    x = data([1, 4, 6, 2])
    m, f = single(op, x, [np.array([7, 3], np.int32)], [1, 7, 3, 2], dyn=(1,))
    check(m, f)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32"])
@pytest.mark.parametrize("flags", RESIZE_FLAGS + [(True, True)])
def test_resize_nearest_types(dtype, flags):
    x = data([1, 3, 4, 2], dtype)
    m, f = single("RESIZE_NEAREST_NEIGHBOR", x, [np.array([5, 7], np.int32)], [1, 5, 7, 2],
                  options=("ResizeNearestNeighborOptions",
                           {"align_corners": flags[0], "half_pixel_centers": flags[1]}))
    check(m, f)


def test_resize_large_threads():
    """A MediaPipe-sized upscale, threaded, against LiteRT."""
    x = data([1, 64, 64, 16])
    for op, table in (("RESIZE_BILINEAR", "ResizeBilinearOptions"),
                      ("RESIZE_NEAREST_NEIGHBOR", "ResizeNearestNeighborOptions")):
        m, f = single(op, x, [np.array([256, 256], np.int32)], [1, 256, 256, 16],
                      options=(table, {"half_pixel_centers": True}))
        want = run_litert(m, f)
        got = run_ember(m, f, num_threads=4)
        assert_close(got[0], want[0])


def test_resize_errors():
    x = data([1, 2, 2, 1])
    fails(*single("RESIZE_BILINEAR", x, [np.array([4, 4], np.int32)],
                  options=("ResizeBilinearOptions", {"align_corners": True, "half_pixel_centers": True})))
    fails(*single("RESIZE_BILINEAR", x, [np.array([0, 4], np.int32)]))
    fails(*single("RESIZE_NEAREST_NEIGHBOR", x, [np.array([4, -1], np.int32)], dyn=(1,)))
    fails(*single("RESIZE_BILINEAR", data([2, 2, 1]), [np.array([4, 4], np.int32)]))
    fails(*single("RESIZE_BILINEAR", x, [np.array([4, 4, 1], np.int32)]))


# ---------------------------------------------------------- hostile models

def test_hostile_values_are_errors():
    x = data([2, 3])
    big = 1 << 30
    fails(*single("TILE", x, [np.array([big, big], np.int32)]))
    fails(*single("TILE", x, [np.array([big, big], np.int64)], dyn=(1,)))
    fails(*single("TILE", x, [np.array([-1, 1], np.int32)]))
    fails(*single("BROADCAST_TO", data([1]), [np.array([big, big, big], np.int64)]))
    fails(*single("RESHAPE", x, [np.array([big, big, 0, -1], np.int32)]))
    fails(*single("STRIDED_SLICE", x, [np.zeros(9, np.int32), np.ones(9, np.int32),
                                       np.ones(9, np.int32)]))
    fails(*single("PAD", x, [np.array([[2**31 - 2, 5], [0, 0]], np.int64)]))
    fails(*single("SPACE_TO_BATCH_ND", data([1, 4, 4, 1]), [np.array([big, 4], np.int32),
                                                            np.zeros([2, 2], np.int32)]))
    b = ModelBuilder()
    d = b.const("dims", np.array([2, -3], np.int32))
    v = b.input("v", [], "float32")
    y = b.tensor("y", [], "float32")
    b.op("FILL", [d, v], [y])
    b.output(y)
    fails(b.build(), [np.array(1.0, np.float32)])
    b = ModelBuilder()
    ins = [b.const(n, np.array(v, np.int64)) for n, v in zip("sld", (-2**62, 2**62, 1))]
    y = b.tensor("y", [], "int64")
    b.op("RANGE", ins, [y])
    b.output(y)
    fails(b.build(), [])
