"""DEQUANTIZE, QUANTIZE and DENSIFY vs LiteRT (DENSIFY also vs a numpy reference)."""
import itertools
import pathlib

import numpy as np
import pytest

from conftest import need
from ember.schema import schema_generated as fb
from ember.schema.builder import ModelBuilder, read_model, write_model
from oracle import assert_close, ember as run_ember
from oracle import assert_matches_litert as _amr, litert as _litert


# XNNPACK (LiteRT's default delegate) takes over QUANTIZE/DEQUANTIZE/DENSIFY with its own
# rounding and fails on constant-only graphs; TFLite's built-in reference kernels are the
# semantics Ember follows.
def assert_matches_litert(model, inputs, **kw):
    return _amr(model, inputs, reference=True, **kw)


def run_litert(model, inputs):
    return _litert(model, inputs, reference=True)

MODELS = pathlib.Path("/work/shared/models")
QRANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


def _qdata(shape, dtype, seed=0):
    lo, hi = QRANGE[dtype]
    return np.random.default_rng(seed).integers(lo, hi, shape, endpoint=True).astype(dtype)


# ---- DEQUANTIZE ---------------------------------------------------------------

def _deq_model(x_arr_or_shape, dtype, quant=None, const=True):
    b = ModelBuilder()
    if const:
        x = b.const("x", x_arr_or_shape, quant=quant)
        shape = list(np.shape(x_arr_or_shape))
    else:
        shape = list(x_arr_or_shape)
        x = b.input("x", shape, dtype, quant=quant)
    y = b.tensor("y", shape, "float32")
    b.op("DEQUANTIZE", [x], [y])
    b.output(y)
    return b.build()


@pytest.mark.parametrize("const", [True, False])
@pytest.mark.parametrize("shape", [[7], [3, 4], [2, 3, 4, 5]])
def test_dequantize_float16(const, shape):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float16)
    x.flat[0] = np.float16(6.1e-5)      # subnormal-adjacent
    x.flat[-1] = np.float16(-0.0)
    model = _deq_model(x if const else shape, "float16", const=const)
    got = assert_matches_litert(model, [] if const else [x], rtol=0)
    np.testing.assert_array_equal(got[0], x.astype(np.float32))


def test_dequantize_float16_specials():
    x = np.array([0, 1e-7, 6e-8, 65504, -65504, np.inf, -np.inf, np.nan, 1.5, -2.25], np.float16)
    model = _deq_model(x, "float16")
    want, got = run_litert(model, [])[0], run_ember(model, [])[0]
    np.testing.assert_array_equal(want, x.astype(np.float32))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("const", [True, False])
def test_dequantize_per_tensor(dtype, const):
    shape = [2, 3, 5]
    zp = {"int8": -3, "uint8": 128, "int16": 0}[dtype]
    q = {"scale": [0.0371], "zero_point": [zp]}
    x = _qdata(shape, dtype)
    model = _deq_model(x if const else shape, dtype, quant=q, const=const)
    assert_matches_litert(model, [] if const else [x], rtol=0)


@pytest.mark.parametrize("qdim", [0, 1, 3])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_dequantize_per_channel(qdim, dtype):
    shape = [3, 4, 2, 5]
    rng = np.random.default_rng(2)
    n = shape[qdim]
    zp = [0] * n if dtype == "int16" else list(rng.integers(-5, 5, n))
    q = {"scale": list(rng.uniform(0.001, 0.1, n)), "zero_point": zp, "quantized_dimension": qdim}
    x = _qdata(shape, dtype, seed=3)
    model = _deq_model(x, dtype, quant=q)
    if dtype == "int16":
        # LiteRT refuses per-channel int16 ("Type 7 not supported for per-channel");
        # Ember accepts it: check the formula directly.
        bshape = [1] * len(shape)
        bshape[qdim] = n
        s = np.asarray(q["scale"], np.float32).reshape(bshape)
        z = np.asarray(zp, np.int32).reshape(bshape)
        want = (s * (x.astype(np.int32) - z).astype(np.float32)).astype(np.float32)
        np.testing.assert_array_equal(run_ember(model, [])[0], want)
        return
    assert_matches_litert(model, [], rtol=0)


def test_dequantize_const_folded_feeds_next_op():
    """The folded output must still be right after two invokes and a re-allocate."""
    import ember
    x = np.random.default_rng(4).standard_normal([4, 4]).astype(np.float16)
    model = _deq_model(x, "float16")
    it = ember.Interpreter(model_content=model)
    for _ in range(2):
        it.allocate_tensors()
        it.invoke()
        it.invoke()
        np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]),
                                      x.astype(np.float32))


def test_dequantize_real_model_constants():
    """float16 weights of the real converter-produced models, each behind a DEQUANTIZE."""
    files = sorted(MODELS.glob("*.tflite"))
    need(files, "real models not present in /work/shared/models")
    checked = 0
    for f in files:
        m = read_model(f.read_bytes())
        sg = m.subgraphs[0]
        deq = [op for op in sg.operators
               if m.operatorCodes[op.opcodeIndex].builtinCode == 6
               or m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode == 6]
        assert deq, f"{f.name}: no DEQUANTIZE"
        for op in deq[:3]:
            t = sg.tensors[op.inputs[0]]
            raw = m.buffers[t.buffer].data
            assert t.type == 1 and raw is not None      # float16 constant
            arr = np.frombuffer(bytes(bytearray(raw)), np.float16).reshape(t.shape)
            assert_matches_litert(_deq_model(arr, "float16"), [], rtol=0)
            checked += 1
    assert checked


def test_dequantize_bad_cases():
    import ember
    # per-channel with the wrong number of scales
    x = _qdata([3, 4], "int8")
    bad = _deq_model(x, "int8", quant={"scale": [0.1, 0.2], "zero_point": [0, 0],
                                       "quantized_dimension": 0})
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=bad).allocate_tensors()
    # int8 without quantisation
    with pytest.raises(ember.EmberError):
        ember.Interpreter(model_content=_deq_model(x, "int8")).allocate_tensors()


# ---- QUANTIZE ----------------------------------------------------------------

def _q_model(shape, in_dtype, out_dtype, in_q=None, out_q=None):
    b = ModelBuilder()
    x = b.input("x", shape, in_dtype, quant=in_q)
    y = b.tensor("y", shape, out_dtype, quant=out_q)
    b.op("QUANTIZE", [x], [y])
    b.output(y)
    return b.build()


@pytest.mark.parametrize("dtype,zp", [("int8", -5), ("int8", 0), ("uint8", 128), ("uint8", 3),
                                      ("int16", 0)])
def test_quantize_float(dtype, zp):
    scale = 0.05
    rng = np.random.default_rng(5)
    x = rng.standard_normal([4, 50]).astype(np.float32) * 4
    # exact half-way points (round half away from zero) and saturation
    halves = (np.arange(-40, 40) + 0.5).astype(np.float32) * np.float32(scale)
    # (values whose quotient leaves int32 are UB in TFLite's float->int cast, x86 gives
    # INT32_MIN; Ember saturates, so they are left out)
    x = np.concatenate([x.ravel(), halves, [1e5, -1e5, 0.0, -0.0]]).astype(np.float32)
    model = _q_model([x.size], "float32", dtype, out_q={"scale": [scale], "zero_point": [zp]})
    assert_matches_litert(model, [x])


@pytest.mark.parametrize("qdim", [0, 2])
def test_quantize_float_per_channel(qdim):
    shape = [3, 4, 5]
    n = shape[qdim]
    rng = np.random.default_rng(6)
    q = {"scale": list(rng.uniform(0.01, 0.1, n)), "zero_point": list(rng.integers(-3, 3, n)),
         "quantized_dimension": qdim}
    model = _q_model(shape, "float32", "int8", out_q=q)
    x = rng.standard_normal(shape).astype(np.float32)
    assert_matches_litert(model, [x])


REQUANT = [("int8", "int8"), ("int8", "uint8"), ("uint8", "int8"), ("uint8", "uint8"),
           ("int16", "int16"), ("int16", "int8"), ("int16", "int32")]


@pytest.mark.parametrize("src,dst", REQUANT)
@pytest.mark.parametrize("ratio", [0.37, 1.0, 2.9, 1e-3])
def test_requantize(src, dst, ratio):
    zp_in = {"int8": -7, "uint8": 130, "int16": 0}[src]
    zp_out = {"int8": 4, "uint8": 120, "int16": 0, "int32": 0}[dst]
    in_scale = 0.02
    model = _q_model([300], src, dst, in_q={"scale": [in_scale], "zero_point": [zp_in]},
                     out_q={"scale": [in_scale / ratio], "zero_point": [zp_out]})
    x = _qdata([300], src, seed=7)
    assert_matches_litert(model, [x])


def test_requantize_int8_uint8_shift_only():
    model = _q_model([256], "int8", "uint8", in_q={"scale": [0.1], "zero_point": [0]},
                     out_q={"scale": [0.1], "zero_point": [128]})
    assert_matches_litert(model, [np.arange(-128, 128).astype(np.int8)])


def test_quantize_bad_cases():
    import ember
    bad = [
        _q_model([4], "float32", "int8"),                                    # no quant params
        _q_model([4], "float32", "int8", out_q={"scale": [0.0], "zero_point": [0]}),
        _q_model([4], "float32", "float32", out_q={"scale": [1.0], "zero_point": [0]}),
        _q_model([4], "int32", "int8", in_q={"scale": [1.0], "zero_point": [0]},
                 out_q={"scale": [1.0], "zero_point": [0]}),
    ]
    for m in bad:
        with pytest.raises(ember.EmberError):
            ember.Interpreter(model_content=m).allocate_tensors()


def test_quant_multiplier_helpers_match_tflite_rounding():
    """QUANTIZE int8->int8 exercises ember_quantize_multiplier/MBQM on every input value
    for many scale ratios, including ratios that hit the rounding carry."""
    x = np.arange(-128, 128).astype(np.int8)
    for ratio in [0.5, 0.999999, 1.0000001, 0.123456789, 3.999, 1 / 3, 2 / 3, 0.75, 1e-6]:
        model = _q_model([256], "int8", "int8", in_q={"scale": [0.01], "zero_point": [1]},
                         out_q={"scale": [0.01 / ratio], "zero_point": [-2]})
        assert_matches_litert(model, [x])


# ---- DENSIFY -----------------------------------------------------------------

def sparse_encode(dense, traversal_order, block_map, block_size, formats):
    """Numpy encoder of TFLite's sparse format (DenseToSparse semantics): returns
    (values, dim_metadata) with dim_metadata entries ("dense", size) or
    ("csr", segments, indices)."""
    n = dense.ndim
    k = len(block_map)
    # expanded shape: original dims (divided by block) then block dims
    exp_shape, src_axes = [], []
    shape = list(dense.shape)
    blocked = dense
    inter = []
    for d in range(n):
        if d in block_map:
            b = block_size[block_map.index(d)]
            inter += [shape[d] // b, b]
        else:
            inter += [shape[d]]
    blocked = dense.reshape(inter)
    # axis positions in `blocked` of original (outer) dims and block dims
    pos, outer_pos, block_pos = 0, {}, {}
    for d in range(n):
        outer_pos[d] = pos
        pos += 1
        if d in block_map:
            block_pos[block_map.index(d)] = pos
            pos += 1
    axes = [outer_pos[t] if t < n else block_pos[t - n] for t in traversal_order]
    A = blocked.transpose(axes)
    meta, prefixes = [], [()]
    for lvl in range(n + k):
        size = A.shape[lvl]
        if formats[lvl] == "dense":
            meta.append(("dense", size))
            prefixes = [p + (i,) for p in prefixes for i in range(size)]
        else:
            seg, idx, new = [0], [], []
            for p in prefixes:
                for i in range(size):
                    if np.any(A[p + (i,)] != 0):
                        idx.append(i)
                        new.append(p + (i,))
                seg.append(len(idx))
            meta.append(("csr", seg, idx))
            prefixes = new
    values = np.array([A[p] for p in prefixes], dense.dtype)
    return values, meta


def sparse_decode(values, shape, traversal_order, block_map, meta):
    """Numpy reference of the densify maths (TFLite's FormatConverter::SparseToDense)."""
    n, k = len(shape), len(block_map)
    block_size = [meta[n + i][1] for i in range(k)]
    out = np.zeros(shape, values.dtype)
    ptr = [0]

    def walk(level, indices, prev):
        if level == n + k:
            orig = [0] * n
            for i in range(n):
                orig[traversal_order[i]] = indices[i]
            for i in range(n, n + k):
                b = traversal_order[i] - n
                orig[block_map[b]] = orig[block_map[b]] * block_size[b] + indices[i]
            out[tuple(orig)] = values[ptr[0]]
            ptr[0] += 1
            return
        m = meta[level]
        if m[0] == "dense":
            for i in range(m[1]):
                walk(level + 1, indices + [i], prev * m[1] + i)
        else:
            seg, idx = m[1], m[2]
            for i in range(seg[prev], seg[prev + 1]):
                walk(level + 1, indices + [idx[i]], i)

    walk(0, [], 0)
    return out


def _index_vector(values, kind):
    cls, tag, dt = {"int32": (fb.Int32VectorT, 1, np.int32), "uint16": (fb.Uint16VectorT, 2, np.uint16),
                    "uint8": (fb.Uint8VectorT, 3, np.uint8)}[kind]
    v = cls()
    v.values = [int(x) for x in np.asarray(values, dt)]
    return tag, v


def _densify_model(dense, traversal_order, block_map, block_size, formats, index_kind="int32",
                   consumer=False):
    values, meta = sparse_encode(dense, traversal_order, block_map, block_size, formats)
    b = ModelBuilder()
    w = b.const("w_sparse", values)
    t = b.tensors[w]
    t.shape = list(dense.shape)
    sp = fb.SparsityParametersT()
    sp.traversalOrder = list(traversal_order)
    sp.blockMap = list(block_map) or None
    sp.dimMetadata = []
    for m in meta:
        dm = fb.DimensionMetadataT()
        if m[0] == "dense":
            dm.format, dm.denseSize = 0, m[1]
        else:
            dm.format = 1
            dm.arraySegmentsType, dm.arraySegments = _index_vector(m[1], index_kind)
            dm.arrayIndicesType, dm.arrayIndices = _index_vector(m[2], index_kind)
        sp.dimMetadata.append(dm)
    t.sparsity = sp
    y = b.tensor("w_dense", list(dense.shape), t.type)
    b.op("DENSIFY", [w], [y])
    b.output(y)
    return b.build(), values, meta


def _sparse_dense(shape, dtype, seed, block=None):
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        x = rng.standard_normal(shape).astype(np.float32)
    elif dtype == "float16":
        x = rng.standard_normal(shape).astype(np.float16)
    else:
        x = rng.integers(-100, 100, shape).astype(dtype)
    x[rng.random(shape) < 0.6] = 0
    return x


DENSIFY_CASES = [
    # shape, traversal_order, block_map, block_size, formats
    ([4, 6], [0, 1], [], [], ["dense", "csr"]),
    ([4, 6], [1, 0], [], [], ["dense", "csr"]),
    ([4, 6], [0, 1], [], [], ["csr", "csr"]),
    ([5, 3, 4], [0, 1, 2], [], [], ["dense", "csr", "dense"]),
    ([5, 3, 4], [2, 0, 1], [], [], ["csr", "dense", "csr"]),
    ([4, 8], [0, 1, 2], [1], [4], ["dense", "csr", "dense"]),           # 1x4 blocks
    ([4, 8], [0, 1, 2, 3], [0, 1], [2, 2], ["dense", "csr", "dense", "dense"]),
    ([6, 4], [1, 0, 2], [0], [3], ["dense", "csr", "dense"]),
]


@pytest.mark.parametrize("case", DENSIFY_CASES)
def test_densify_numpy_reference(case):
    shape, order, bmap, bsize, formats = case
    x = _sparse_dense(shape, "float32", 8)
    values, meta = sparse_encode(x, order, bmap, bsize, formats)
    np.testing.assert_array_equal(sparse_decode(values, shape, order, bmap, meta), x)


@pytest.mark.parametrize("case", DENSIFY_CASES)
@pytest.mark.parametrize("dtype", ["float32", "int8", "float16"])
def test_densify_litert(case, dtype):
    shape, order, bmap, bsize, formats = case
    x = _sparse_dense(shape, dtype, 9)
    model, values, meta = _densify_model(x, order, bmap, bsize, formats)
    want = run_litert(model, [])
    np.testing.assert_array_equal(want[0], x)
    np.testing.assert_array_equal(sparse_decode(values, shape, order, bmap, meta), x)
    got = run_ember(model, [])
    assert_close(got[0], want[0])


@pytest.mark.parametrize("kind", ["uint8", "uint16"])
def test_densify_index_vector_types(kind):
    x = _sparse_dense([4, 8], "float32", 10)
    model, _, _ = _densify_model(x, [0, 1, 2], [1], [4], ["dense", "csr", "dense"], index_kind=kind)
    want = run_litert(model, [])
    np.testing.assert_array_equal(want[0], x)
    got = run_ember(model, [])
    assert_close(got[0], want[0])


def test_densify_rejects_corrupt_indices():
    import ember
    x = _sparse_dense([4, 6], "float32", 11)
    model, _, _ = _densify_model(x, [0, 1], [], [], ["dense", "csr"])
    m = read_model(model)
    t = m.subgraphs[0].tensors[m.subgraphs[0].operators[0].inputs[0]]
    t.sparsity.dimMetadata[1].arrayIndices.values = [99] + list(t.sparsity.dimMetadata[1].arrayIndices.values[1:])
    bad = write_model(m)
    _refused(bad)
    m = read_model(model)
    t = m.subgraphs[0].tensors[m.subgraphs[0].operators[0].inputs[0]]
    t.sparsity.dimMetadata[1].arraySegments.values = list(t.sparsity.dimMetadata[1].arraySegments.values[:-1]) + [10**6]
    _refused(write_model(m))


def _refused(model):
    import ember
    it = ember.Interpreter(model_content=model)
    with pytest.raises(ember.EmberError):
        it.allocate_tensors()
