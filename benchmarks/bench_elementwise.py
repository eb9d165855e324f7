"""Time Ember's element-wise kernels against LiteRT on single-op models.

    .venv/bin/python benchmarks/bench_elementwise.py [--threads 1] [--iters 30] [--rounds 5] [--filter STR]

Each case is one op (float32) on a MediaPipe-like NHWC shape (BlazeFace /
palm / hand-landmark / selfie-segmentation feature maps, and the
[1,128,128,64] reference shape) built with the Ember model builder; both
interpreters run the same bytes with the same thread count (LiteRT with its
default XNNPACK delegate, so ops XNNPACK takes run there, the rest on
TFLite's builtin kernels). The two interpreters alternate for --rounds rounds
(each the median of --iters invokes); the best round of each is kept, so the
ratio = Ember / LiteRT (< 1: Ember faster) is robust to background load.
Ratios are only meaningful within one run on one machine.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from ember.schema.builder import ModelBuilder  # noqa: E402
from timing import time_invoke  # noqa: E402


def unary(op, shape, options=None):
    b = ModelBuilder()
    x = b.input("x", shape, "float32")
    y = b.tensor("y", shape, "float32")
    b.op(op, [x], [y], options=options)
    b.output(y)
    return b.build(), [shape]


def binary(op, sa, sb, const_b=True, act="NONE"):
    r = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.input("a", sa, "float32")
    inputs = [sa]
    if const_b:
        c = b.const("b", (r.standard_normal(sb) * 0.5 + 1.0).astype(np.float32))
    else:
        c = b.input("b", sb, "float32")
        inputs.append(sb)
    oshape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
    y = b.tensor("y", oshape, "float32")
    opts = {"ADD": "AddOptions", "MUL": "MulOptions", "SUB": "SubOptions", "DIV": "DivOptions"}
    b.op(op, [x, c], [y], options=(opts[op], {"fused_activation_function": act})
         if op in opts else None)
    b.output(y)
    return b.build(), inputs


def prelu(shape):
    r = np.random.default_rng(6)
    b = ModelBuilder()
    x = b.input("x", shape, "float32")
    a = b.const("alpha", (r.random([1, 1, shape[-1]]) * 0.3).astype(np.float32))
    y = b.tensor("y", shape, "float32")
    b.op("PRELU", [x, a], [y])
    b.output(y)
    return b.build(), [shape]


BIG = [1, 128, 128, 64]
CASES = [
    ("ADD same [1,128,128,64]", lambda: binary("ADD", BIG, BIG, const_b=False)),
    ("ADD bcast C [1,128,128,64]+[64]", lambda: binary("ADD", BIG, [64])),
    ("ADD bcast C [1,64,64,32]+[1,1,1,32]", lambda: binary("ADD", [1, 64, 64, 32], [1, 1, 1, 32])),
    ("MUL bcast C [1,128,128,64]*[64]", lambda: binary("MUL", BIG, [64])),
    ("MUL bcast C [1,32,32,96]*[96] relu", lambda: binary("MUL", [1, 32, 32, 96], [96], act="RELU")),
    ("MUL bcast HW [1,128,128,64]*[..,1]", lambda: binary("MUL", BIG, [1, 128, 128, 1], const_b=False)),
    ("MUL bcast HW [1,64,64,16]*[..,1]", lambda: binary("MUL", [1, 64, 64, 16], [1, 64, 64, 1], const_b=False)),
    ("SUB bcast C [1,256,256,3]-[3]", lambda: binary("SUB", [1, 256, 256, 3], [3])),
    ("ADD scalar [1,128,128,64]+[1]", lambda: binary("ADD", BIG, [1])),
    ("PRELU [1,128,128,64]", lambda: prelu(BIG)),
    ("PRELU [1,64,64,24] (BlazeFace)", lambda: prelu([1, 64, 64, 24])),
    ("PRELU [1,32,32,128]", lambda: prelu([1, 32, 32, 128])),
    ("HARD_SWISH [1,128,128,64]", lambda: unary("HARD_SWISH", BIG)),
    ("HARD_SWISH [1,56,56,72]", lambda: unary("HARD_SWISH", [1, 56, 56, 72])),
    ("RELU6 [1,128,128,64]", lambda: unary("RELU6", BIG)),
    ("LOGISTIC [1,128,128,64]", lambda: unary("LOGISTIC", BIG)),
    ("LOGISTIC [1,256,256,1] (segm.)", lambda: unary("LOGISTIC", [1, 256, 256, 1])),
    ("TANH [1,128,128,64]", lambda: unary("TANH", BIG)),
    ("ELU [1,128,128,64]", lambda: unary("ELU", BIG)),
    ("GELU tanh [1,128,128,64]", lambda: unary("GELU", BIG, ("GeluOptions", {"approximate": True}))),
    ("GELU erf [1,128,128,64]", lambda: unary("GELU", BIG, ("GeluOptions", {"approximate": False}))),
    ("EXP [1,128,128,64]", lambda: unary("EXP", BIG)),
    ("SOFTMAX [1,1024,1000]", lambda: unary("SOFTMAX", [1, 1024, 1000], ("SoftmaxOptions", {"beta": 1.0}))),
    ("SOFTMAX [1,16384,64]", lambda: unary("SOFTMAX", [1, 16384, 64], ("SoftmaxOptions", {"beta": 1.0}))),
    ("LOG_SOFTMAX [1,1024,1000]", lambda: unary("LOG_SOFTMAX", [1, 1024, 1000])),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    import ember
    from ai_edge_litert import interpreter as lrt

    print(f"threads={args.threads} iters={args.iters} rounds={args.rounds}")
    print(f"{'case':38s} {'ember ms':>9s} {'litert ms':>9s} {'ratio':>6s} {'max rel err':>11s}")
    ratios = []
    for name, make in CASES:
        if args.filter not in name:
            continue
        model, shapes = make()
        rng = np.random.default_rng(3)
        xs = [(rng.standard_normal(s) * 3).astype(np.float32) for s in shapes]
        em = ember.Interpreter(model_content=model, num_threads=args.threads)
        em.allocate_tensors()
        lt = lrt.Interpreter(model_content=model, num_threads=args.threads)
        lt.allocate_tensors()
        te = tl = float("inf")
        for _ in range(args.rounds):          # interleaved rounds
            te = min(te, time_invoke(em, xs, args.iters))
            tl = min(tl, time_invoke(lt, xs, args.iters))
        ye = em.get_tensor(em.get_output_details()[0]["index"])
        yl = lt.get_tensor(lt.get_output_details()[0]["index"])
        err = float(np.max(np.abs(ye - yl) / (np.abs(yl) + 1e-6)))
        ratios.append(te / tl)
        print(f"{name:38s} {te * 1e3:9.3f} {tl * 1e3:9.3f} {te / tl:6.2f} {err:11.2g}", flush=True)
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric-mean ratio (ember/litert): {geo:.2f}")


if __name__ == "__main__":
    main()
