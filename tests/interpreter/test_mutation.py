"""Mutation test: mangled models must load/run or raise EmberError — never crash.

Mutants of the real models in ../shared/models (EMBER_MODELS_DIR overrides) and
of small builder-made models: truncations, byte flips, 32- and 16-bit
overwrites (mostly in the first 64 KiB, where the tables live) and targeted
rewrites of flatbuffer offsets and vector/string lengths. Mutant ``seed`` of a
model is fully determined by the model's file name and the seed (see
fuzz_worker.mutate). Each is loaded, allocated, zero-filled and invoked in a
worker subprocess (fuzz_worker.py, many mutants per process), so a crash or
hang fails this test naming the model and seed instead of killing pytest.

EMBER_MUTATIONS=<n> runs n mutants per model (default: about 60 s in all).
Reproduce a failure with
    python tests/interpreter/fuzz_worker.py --write MODEL SEED mutant.tflite
"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import need
from ember.schema.builder import ModelBuilder

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORKER = HERE / "fuzz_worker.py"
MODELS_DIR = pathlib.Path(os.environ.get("EMBER_MODELS_DIR", ROOT.parent / "shared" / "models"))
REAL = ["face_detection_short_range.tflite", "hand_landmark_lite.tflite",
        "palm_detection_lite.tflite", "selfie_segmentation.tflite"]

# default budget: ~60 s on two cores (real models invoke in ~20 ms; most mutants
# fail in the verifier in well under 1 ms)
N_REAL = int(os.environ.get("EMBER_MUTATIONS", "0")) or 150
N_SMALL = int(os.environ.get("EMBER_MUTATIONS", "0")) or 1500
N_WORKERS = max(1, min(4, os.cpu_count() or 1))
PER_MUTANT_TIMEOUT = 20


def run_mutants(path, seeds):
    """Runs mutants `seeds` of the model at `path` in worker processes.
    Returns (outcome counts, failure descriptions)."""
    seeds = list(seeds)
    chunks = [seeds[i::N_WORKERS] for i in range(N_WORKERS)]
    env = dict(os.environ, EMBER_FUZZ_TIMEOUT=str(PER_MUTANT_TIMEOUT))

    def one_chunk(chunk):
        counts, failures = {"ok": 0, "err": 0}, []
        todo = list(chunk)
        while todo:
            feed = "".join("%d %s %d\n" % (s, path, s) for s in todo)
            proc = subprocess.run([sys.executable, str(WORKER)], input=feed.encode(),
                                  capture_output=True, env=env, cwd=str(ROOT),
                                  timeout=PER_MUTANT_TIMEOUT * 4 + len(todo))
            begun, done = None, set()
            for line in proc.stdout.decode(errors="replace").splitlines():
                parts = line.split(" ", 2)
                if parts[0] == "B":
                    begun = int(parts[1])
                elif parts[0] == "E" and len(parts) == 3:
                    seed = int(parts[1])
                    done.add(seed)
                    outcome = parts[2]
                    if outcome in counts:
                        counts[outcome] += 1
                    else:
                        failures.append("seed %d: %s" % (seed, outcome))
            if proc.returncode == 0 and len(done) == len(todo):
                break
            # the worker died on `begun`: report it and carry on after it
            how = ("hung (> %d s)" % PER_MUTANT_TIMEOUT if proc.returncode == -14
                   else "crashed (exit status %d)" % proc.returncode)
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-6:]
            if begun is None or begun in done:
                failures.append("worker %s before any mutant: %s" % (how, " | ".join(tail)))
                break
            failures.append("seed %d: %s: %s" % (begun, how, " | ".join(tail)))
            todo = todo[todo.index(begun) + 1:]
        return counts, failures

    totals, fails = {"ok": 0, "err": 0}, []
    with concurrent.futures.ThreadPoolExecutor(len(chunks)) as pool:
        for counts, failures in pool.map(one_chunk, [c for c in chunks if c]):
            for k in totals:
                totals[k] += counts[k]
            fails += failures
    return totals, fails


def check(path, n):
    totals, fails = run_mutants(str(path), range(-1, n))
    if fails:
        pytest.fail("%d of %d mutants of %s neither ran nor raised EmberError:\n  %s\n"
                    "reproduce: python tests/interpreter/fuzz_worker.py --write %s SEED mutant.tflite"
                    % (len(fails), n + 1, path.name, "\n  ".join(fails[:30]), path))
    assert totals["ok"] + totals["err"] == n + 1
    return totals


# ---- small models built here --------------------------------------------------

def _small_models():
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
    return out


SMALL = _small_models()


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("mutation_models")
    for name, data in SMALL.items():
        (d / (name + ".tflite")).write_bytes(data)
    return d


def test_mutate_is_deterministic():
    sys.path.insert(0, str(HERE))
    import fuzz_worker
    data = SMALL["conv"]
    for seed in range(50):
        assert fuzz_worker.mutate(data, "conv.tflite", seed) == fuzz_worker.mutate(data, "conv.tflite", seed)
    kinds = {fuzz_worker.mutate(data, "conv.tflite", s)[1] for s in range(200)}
    assert kinds == set(fuzz_worker.KINDS)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_mutants_of_small_models(small_dir, name):
    totals = check(small_dir / (name + ".tflite"), N_SMALL)
    assert totals["ok"] >= 1      # the unmutated model (seed -1) runs


@pytest.mark.parametrize("name", REAL)
def test_mutants_of_real_models(name):
    path = MODELS_DIR / name
    need(path.is_file(), "real model %s not found in %s: get the four MediaPipe models listed in "
                         "../shared/models/README.md (from the mediapipe==0.10.14 wheel on PyPI) "
                         "and point EMBER_MODELS_DIR at them" % (name, MODELS_DIR))
    totals = check(path, N_REAL)
    assert totals["ok"] >= 1
