"""Runs many (possibly malformed) models in one process, for test_mutation.py.

stdin: lines ``<id> <model path> <seed>``; the worker makes mutant ``seed`` of
that model with ``mutate()`` (deterministic: the same name and seed always give
the same bytes; seed -1 is the model unchanged). For each it prints
``B <id>`` before touching it and ``E <id> <outcome>`` after, flushed, so a
parent can tell which model a crash (or hang) happened on. Outcomes:
``ok`` (loaded, allocated, invoked), ``err`` (EmberError / ValueError),
``bad:<ExcType>:<message>`` (any other Python exception — also a failure).

Each model is loaded, allocated, its inputs zero-filled in place and invoked.
Address space is capped (EMBER_FUZZ_MEM_MB, default 4096; not under ASan) so
that a mutant asking for terabytes fails with an error instead of swapping,
and SIGALRM (EMBER_FUZZ_TIMEOUT seconds, default 20) kills a hung model.
"""
import os
import random
import signal
import struct
import sys

HOT = 64 * 1024         # flatbuffer tables, vtables and offsets live near the start
INTERESTING = (0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
               0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x40000000,
               0x3FFFFFFF, 0x1000000)
KINDS = ("truncate", "flip", "word", "word16", "offset", "veclen")


def offset_sites(data):
    """4-aligned positions holding a plausible uoffset (a forward, 4-aligned
    target inside the file) — table, vector and string references — and the
    positions they point at (vector/string lengths, table soffsets)."""
    import numpy as np
    n = len(data)
    words = np.frombuffer(data[:n // 4 * 4], "<u4").astype(np.int64)
    pos = np.arange(len(words), dtype=np.int64) * 4
    ok = (words >= 4) & (words < n - pos) & ((pos + words) % 4 == 0)
    sites = pos[ok]
    targets = (sites + words[ok])
    targets = targets[targets + 4 <= n]
    return sites.tolist(), targets.tolist()


def _pos(rng, n, width=1):
    hi = min(n, HOT) if rng.random() < 0.8 else n
    p = rng.randrange(0, max(1, hi - width + 1))
    return p - p % width if width > 1 else p


def mutate(data, name, seed, sites=None):
    """Mutant `seed` of model `name` (bytes). Deterministic."""
    if seed < 0:
        return bytes(data), "none"
    rng = random.Random("%s:%d" % (name, seed))
    kind = KINDS[rng.randrange(len(KINDS))]
    b = bytearray(data)
    n = len(b)
    if n < 16 or kind == "truncate":
        return bytes(b[:rng.randrange(0, max(1, n))]), "truncate"
    if kind in ("offset", "veclen"):
        if sites is None:
            sites = offset_sites(data)
        pool = sites[0] if kind == "offset" else sites[1]
        if not pool:
            kind = "word"
    if kind == "flip":
        for _ in range(rng.randrange(1, 9)):
            p = _pos(rng, n)
            b[p] ^= (1 << rng.randrange(8)) if rng.random() < 0.5 else rng.randrange(1, 256)
    elif kind == "word":
        for _ in range(rng.randrange(1, 4)):
            p = _pos(rng, n, 4)
            v = rng.choice(INTERESTING) if rng.random() < 0.6 else rng.getrandbits(32)
            struct.pack_into("<I", b, p, v)
    elif kind == "word16":
        for _ in range(rng.randrange(1, 4)):
            p = _pos(rng, n, 2)
            v = rng.choice((0, 1, 2, 4, 0x7FFF, 0x8000, 0xFFFF, rng.getrandbits(16)))
            struct.pack_into("<H", b, p, v & 0xFFFF)
    else:
        for _ in range(rng.randrange(1, 3)):
            p = rng.choice(pool)
            v = struct.unpack_from("<I", b, p)[0]
            choices = (v + 4, v - 4, v + 4 * rng.randrange(-64, 65), v * 2, v // 2, v + 1,
                       n - p, n - p - 4, n, rng.choice(INTERESTING), v ^ (1 << rng.randrange(32)))
            struct.pack_into("<I", b, p, rng.choice(choices) & 0xFFFFFFFF)
    return bytes(b), kind


def _limit_memory():
    mb = int(os.environ.get("EMBER_FUZZ_MEM_MB", "4096"))
    if not mb or "asan" in os.environ.get("LD_PRELOAD", ""):
        return
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
    except (ImportError, ValueError, OSError):
        pass


def small_models():
    """Small builder-made models covering common kernels, quantisation and control flow."""
    import numpy as np
    from ember.schema.builder import ModelBuilder
    out = {}

    b = ModelBuilder(description="conv")
    x = b.input("x", [1, 6, 6, 2], "float32")
    w = b.const("w", np.arange(3 * 3 * 3 * 2, dtype=np.float32).reshape(3, 3, 3, 2) / 10)
    bias = b.const("bias", np.ones(3, np.float32))
    y = b.tensor("y", [1, 3, 3, 3], "float32")
    b.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {
        "padding": "SAME", "stride_w": 2, "stride_h": 2, "fused_activation_function": "RELU"}))
    p = b.tensor("p", [1, 2, 2, 3], "float32")
    b.op("MAX_POOL_2D", [y], [p], options=("Pool2DOptions", {
        "padding": "VALID", "stride_w": 1, "stride_h": 1, "filter_width": 2, "filter_height": 2}))
    r = b.tensor("r", [4, 3], "float32")
    b.op("RESHAPE", [p, b.const("shape", np.array([4, 3], np.int32))], [r])
    fc = b.tensor("fc", [4, 2], "float32")
    b.op("FULLY_CONNECTED", [r, b.const("fw", np.ones((2, 3), np.float32)), -1], [fc])
    s = b.tensor("s", [4, 2], "float32")
    b.op("SOFTMAX", [fc], [s], options=("SoftmaxOptions", {"beta": 1.0}))
    b.output(s)
    b.signature("serving_default", {"x": x}, {"s": s})
    out["conv"] = b.build()

    b = ModelBuilder(description="shape ops")
    x = b.input("x", [2, 4, 4, 4], "float32")
    d = b.tensor("d", [2, 2, 2, 16], "float32")
    b.op("SPACE_TO_DEPTH", [x], [d], options=("SpaceToDepthOptions", {"block_size": 2}))
    t = b.tensor("t", [2, 2, 16, 2], "float32")
    b.op("TRANSPOSE", [d, b.const("perm", np.array([0, 2, 3, 1], np.int32))], [t])
    g = b.tensor("g", [2, 2, 16, 2], "float32")
    b.op("GATHER", [t, b.const("idx", np.array([1, 0], np.int32))], [g],
         options=("GatherOptions", {"axis": 1}))
    c = b.tensor("c", [2, 2, 16, 4], "float32")
    b.op("CONCATENATION", [g, t], [c], options=("ConcatenationOptions", {"axis": 3}))
    m = b.tensor("m", [2, 4], "float32")
    b.op("MEAN", [c, b.const("axes", np.array([1, 2], np.int32))], [m],
         options=("ReducerOptions", {"keep_dims": False}))
    sl = b.tensor("sl", [1, 2], "float32")
    b.op("STRIDED_SLICE", [m, b.const("begin", np.array([0, 1], np.int32)),
                           b.const("end", np.array([1, 4], np.int32)),
                           b.const("strides", np.array([1, 2], np.int32))], [sl])
    pd = b.tensor("pd", [3, 4], "float32")
    b.op("PAD", [sl, b.const("pads", np.array([[1, 1], [1, 1]], np.int32))], [pd])
    b.output(pd)
    out["shape_ops"] = b.build()

    b = ModelBuilder(description="quantised")
    qx = b.input("x", [1, 4, 4, 3], "int8", quant={"scale": [0.5], "zero_point": [-3]})
    f = b.tensor("f", [1, 4, 4, 3], "float32")
    b.op("DEQUANTIZE", [qx], [f])
    h = b.const("h", np.ones(3, np.float16))
    hf = b.tensor("hf", [3], "float32")
    b.op("DEQUANTIZE", [h], [hf])
    a = b.tensor("a", [1, 4, 4, 3], "float32")
    b.op("ADD", [f, hf], [a], options=("AddOptions", {}))
    q = b.tensor("q", [1, 4, 4, 3], "int8", quant={"scale": [0.25], "zero_point": [1]})
    b.op("QUANTIZE", [a], [q])
    b.output(q)
    out["quant"] = b.build()

    b = ModelBuilder(description="control flow")
    cnd = b.input("c", [], "bool")
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    then = b.subgraph("then")
    tx = then.input("tx", [2], "float32")
    ty = then.tensor("ty", [2], "float32")
    then.op("NEG", [tx], [ty])
    then.output(ty)
    other = b.subgraph("else")
    ex = other.input("ex", [2], "float32")
    ey = other.tensor("ey", [2], "float32")
    other.op("EXP", [ex], [ey])
    other.output(ey)
    b.op("IF", [cnd, x], [y], options=("IfOptions", {"then_subgraph_index": then.index,
                                                     "else_subgraph_index": other.index}))
    i0 = b.input("i", [], "int32")
    i1 = b.tensor("i1", [], "int32")
    cond = b.subgraph("cond")
    ci = cond.input("ci", [], "int32")
    co = cond.tensor("co", [], "bool")
    # the bound goes through an int8 constant, so no mutation can make the loop run 2^31 times
    c32 = cond.tensor("c32", [], "int32")
    cond.op("CAST", [cond.const("three", np.array(3, np.int8))], [c32])
    cond.op("LESS", [ci, c32], [co])
    cond.output(co)
    body = b.subgraph("body")
    bi = body.input("bi", [], "int32")
    bo = body.tensor("bo", [], "int32")
    body.op("ADD", [bi, body.const("one", np.array(1, np.int32))], [bo], options=("AddOptions", {}))
    body.output(bo)
    b.op("WHILE", [i0], [i1], options=("WhileOptions", {"cond_subgraph_index": cond.index,
                                                       "body_subgraph_index": body.index}))
    b.output(y, i1)
    out["control_flow"] = b.build()

    # many kernels side by side on one input, each output a model output
    b = ModelBuilder(description="zoo")
    x = b.input("x", [1, 4, 4, 4], "float32")
    outs = []

    def op(name, ins, shape, dtype="float32", options=None):
        t = b.tensor("%s_%d" % (name.lower(), len(outs)), shape, dtype)
        b.op(name, ins, [t], options=options)
        outs.append(t)
        return t

    i32 = lambda v: b.const(np.array(v, np.int32))  # noqa: E731
    for u in ("EXP", "LOGISTIC", "TANH", "RELU", "HARD_SWISH", "ABS", "FLOOR"):
        op(u, [x], [1, 4, 4, 4])
    op("DEPTHWISE_CONV_2D", [x, b.const(np.ones((1, 3, 3, 4), np.float32)), -1], [1, 2, 2, 4],
       options=("DepthwiseConv2DOptions", {"padding": "SAME", "stride_w": 2, "stride_h": 2,
                                           "depth_multiplier": 1}))
    op("TRANSPOSE_CONV", [i32([1, 8, 8, 2]), b.const(np.ones((2, 3, 3, 4), np.float32)), x],
       [1, 8, 8, 2], options=("TransposeConvOptions", {"padding": "SAME", "stride_w": 2, "stride_h": 2}))
    op("AVERAGE_POOL_2D", [x], [1, 2, 2, 4], options=("Pool2DOptions", {
        "padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}))
    op("RESIZE_BILINEAR", [x, i32([8, 8])], [1, 8, 8, 4], options=("ResizeBilinearOptions", {}))
    op("RESIZE_NEAREST_NEIGHBOR", [x, i32([2, 6])], [1, 2, 6, 4],
       options=("ResizeNearestNeighborOptions", {}))
    op("DEPTH_TO_SPACE", [x], [1, 8, 8, 1], options=("DepthToSpaceOptions", {"block_size": 2}))
    op("SPACE_TO_BATCH_ND", [x, i32([2, 2]), i32([[0, 0], [0, 0]])], [4, 2, 2, 4])
    op("BATCH_TO_SPACE_ND", [b.const(np.ones((4, 1, 1, 1), np.float32)), i32([2, 2]),
                             i32([[0, 0], [0, 0]])], [1, 2, 2, 1])
    op("MIRROR_PAD", [x, i32([[0, 0], [1, 1], [1, 1], [0, 0]])], [1, 6, 6, 4],
       options=("MirrorPadOptions", {"mode": "REFLECT"}))
    op("TILE", [x, i32([1, 2, 1, 1])], [1, 8, 4, 4])
    op("SLICE", [x, i32([0, 1, 1, 0]), i32([1, 2, 2, 4])], [1, 2, 2, 4])
    op("GATHER_ND", [x, i32([[0, 1], [0, 3]])], [2, 4, 4])
    op("ARG_MAX", [x, i32([3])], [1, 4, 4], "int32", options=("ArgMaxOptions", {"output_type": "INT32"}))
    op("SUM", [x, i32([1, 2])], [1, 4], options=("ReducerOptions", {"keep_dims": False}))
    op("REDUCE_MAX", [x, i32([3])], [1, 4, 4, 1], options=("ReducerOptions", {"keep_dims": True}))
    op("BATCH_MATMUL", [x, x], [1, 4, 4, 4], options=("BatchMatMulOptions", {}))
    op("MUL", [x, b.const(np.full((4,), 2.0, np.float32))], [1, 4, 4, 4],
       options=("MulOptions", {"fused_activation_function": "RELU6"}))
    op("DIV", [x, b.const(np.full((1, 1, 1, 4), 3.0, np.float32))], [1, 4, 4, 4],
       options=("DivOptions", {}))
    gt = op("GREATER", [x, b.const(np.zeros((1,), np.float32))], [1, 4, 4, 4], "bool")
    op("SELECT_V2", [gt, x, b.const(np.ones((1,), np.float32))], [1, 4, 4, 4])
    op("LOGICAL_NOT", [gt], [1, 4, 4, 4], "bool")
    op("CAST", [x], [1, 4, 4, 4], "int32")
    op("SHAPE", [x], [4], "int32", options=("ShapeOptions", {"out_type": "INT32"}))
    op("PACK", [x, x], [2, 1, 4, 4, 4], options=("PackOptions", {"values_count": 2, "axis": 0}))
    op("BROADCAST_TO", [b.const(np.ones((4,), np.float32)), i32([2, 3, 4])], [2, 3, 4])
    op("FILL", [i32([2, 3]), b.const(np.array(1.5, np.float32))], [2, 3])
    op("RANGE", [i32(0), i32(10), i32(3)], [4], "int32")
    op("L2_NORMALIZATION", [x], [1, 4, 4, 4], options=("L2NormOptions", {}))
    op("PRELU", [x, b.const(np.full((4,), 0.1, np.float32))], [1, 4, 4, 4])
    op("SQUEEZE", [x], [4, 4, 4], options=("SqueezeOptions", {"squeeze_dims": [0]}))
    op("EXPAND_DIMS", [x, i32(0)], [1, 1, 4, 4, 4])
    b.output(*outs)
    out["zoo"] = b.build()
    return out


def run_one(ember, data):
    it = ember.Interpreter(model_content=data)
    it.allocate_tensors()
    for d in it.get_input_details():
        try:
            it.tensor(d["index"])().fill(0)
        except (ValueError, TypeError):
            pass            # string / resource / empty tensors: leave as they are
    it.invoke()
    for d in it.get_output_details():
        try:
            it.get_tensor(d["index"])
        except (ValueError, TypeError):
            pass


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--write":
        # reproducer: fuzz_worker.py --write MODEL SEED OUT
        with open(sys.argv[2], "rb") as f:
            data, kind = mutate(f.read(), os.path.basename(sys.argv[2]), int(sys.argv[3]))
        with open(sys.argv[4], "wb") as f:
            f.write(data)
        print("wrote %s (%s, %d bytes)" % (sys.argv[4], kind, len(data)))
        return
    _limit_memory()
    import ember
    timeout = int(os.environ.get("EMBER_FUZZ_TIMEOUT", "20"))
    cache = {}
    out = sys.stdout
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 3:
            continue
        ident, path, seed = parts[0], parts[1], int(parts[2])
        if path not in cache:
            with open(path, "rb") as f:
                raw = f.read()
            cache[path] = (raw, offset_sites(raw))
        raw, sites = cache[path]
        data, _kind = mutate(raw, os.path.basename(path), seed, sites)
        out.write("B %s\n" % ident)
        out.flush()
        signal.alarm(timeout)
        try:
            run_one(ember, data)
            outcome = "ok"
        except (ember.EmberError, ValueError):
            outcome = "err"
        except MemoryError:
            outcome = "err"         # numpy refusing a huge view under the memory cap
        except Exception as e:      # noqa: BLE001 - reported to the parent as a failure
            outcome = "bad:%s:%s" % (type(e).__name__, str(e).replace("\n", " ")[:200])
        signal.alarm(0)
        out.write("E %s %s\n" % (ident, outcome))
        out.flush()


if __name__ == "__main__":
    main()
