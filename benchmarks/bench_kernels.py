"""Time Ember's convolution-family kernels against LiteRT on single-op models.

    .venv/bin/python benchmarks/bench_kernels.py [--threads 1] [--iters 50] [--path ref|generic|avx2]

Each case is one CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED (shapes from
MobileNetV2-224 and MediaPipe's BlazeFace/palm models) built with the Ember
model builder, in float32 and (cases marked int8) fully int8-quantised with
per-channel weights as TFLite's converter writes them; both interpreters run the same bytes with the same thread count
(LiteRT with its default XNNPACK delegate). Reported: ms per invoke (best of
--rounds alternating rounds, each the median of --iters invokes) for each, ratio = Ember / LiteRT (lower is better; < 1 means Ember is faster), and
Ember's GFLOP/s. Ratios are only meaningful within one run on one machine.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from ember.schema.builder import ModelBuilder  # noqa: E402
from timing import time_invoke  # noqa: E402


def conv_model(h, w, c, o, k, stride, act="RELU6"):
    r = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.input("x", [1, h, w, c], "float32")
    oh, ow = -(-h // stride), -(-w // stride)
    y = b.tensor("y", [1, oh, ow, o], "float32")
    b.op("CONV_2D", [x, b.const("w", (r.standard_normal((o, k, k, c)) * 0.1).astype(np.float32)),
                     b.const("b", r.standard_normal(o).astype(np.float32))], [y],
         options=("Conv2DOptions", {"padding": "SAME", "stride_h": stride, "stride_w": stride,
                                    "fused_activation_function": act}))
    b.output(y)
    return b.build(), [1, h, w, c], 2.0 * oh * ow * o * k * k * c


def dw_model(h, w, c, k, stride, act="RELU6"):
    r = np.random.default_rng(1)
    b = ModelBuilder()
    x = b.input("x", [1, h, w, c], "float32")
    oh, ow = -(-h // stride), -(-w // stride)
    y = b.tensor("y", [1, oh, ow, c], "float32")
    b.op("DEPTHWISE_CONV_2D",
         [x, b.const("w", (r.standard_normal((1, k, k, c)) * 0.1).astype(np.float32)),
          b.const("b", r.standard_normal(c).astype(np.float32))], [y],
         options=("DepthwiseConv2DOptions", {"padding": "SAME", "stride_h": stride,
                                             "stride_w": stride, "depth_multiplier": 1,
                                             "fused_activation_function": act}))
    b.output(y)
    return b.build(), [1, h, w, c], 2.0 * oh * ow * c * k * k


def fc_model(batch, k, o):
    r = np.random.default_rng(2)
    b = ModelBuilder()
    x = b.input("x", [batch, k], "float32")
    y = b.tensor("y", [batch, o], "float32")
    b.op("FULLY_CONNECTED", [x, b.const("w", (r.standard_normal((o, k)) * 0.05).astype(np.float32)),
                             b.const("b", r.standard_normal(o).astype(np.float32))], [y],
         options=("FullyConnectedOptions", {}))
    b.output(y)
    return b.build(), [batch, k], 2.0 * batch * k * o


def _q(scale, zp):
    return dict(scale=[scale], zero_point=[zp])


def _qweights(b, r, shape, qdim):
    """int8 per-channel weights and the matching int32 bias (scale in_s * w_s)."""
    n = shape[qdim]
    w = r.integers(-127, 127, shape, endpoint=True).astype(np.int8)
    ws = r.uniform(0.002, 0.01, n)
    wt = b.const("w", w, quant=dict(scale=ws, zero_point=np.zeros(n, np.int64), quantized_dimension=qdim))
    bias = b.const("b", r.integers(-2000, 2000, n).astype(np.int32),
                   quant=dict(scale=0.02 * ws, zero_point=np.zeros(n, np.int64), quantized_dimension=0))
    return wt, bias


def qconv_model(h, w, c, o, k, stride, act="RELU6"):
    r = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.input("x", [1, h, w, c], "int8", quant=_q(0.02, -3))
    oh, ow = -(-h // stride), -(-w // stride)
    y = b.tensor("y", [1, oh, ow, o], "int8", quant=_q(0.05 * max(1.0, (k * k * c) ** 0.5 / 4), 5))
    wt, bias = _qweights(b, r, (o, k, k, c), 0)
    b.op("CONV_2D", [x, wt, bias], [y],
         options=("Conv2DOptions", {"padding": "SAME", "stride_h": stride, "stride_w": stride,
                                    "fused_activation_function": act}))
    b.output(y)
    return b.build(), [1, h, w, c], 2.0 * oh * ow * o * k * k * c


def qdw_model(h, w, c, k, stride, act="RELU6"):
    r = np.random.default_rng(1)
    b = ModelBuilder()
    x = b.input("x", [1, h, w, c], "int8", quant=_q(0.02, -3))
    oh, ow = -(-h // stride), -(-w // stride)
    y = b.tensor("y", [1, oh, ow, c], "int8", quant=_q(0.05, 5))
    wt, bias = _qweights(b, r, (1, k, k, c), 3)
    b.op("DEPTHWISE_CONV_2D", [x, wt, bias], [y],
         options=("DepthwiseConv2DOptions", {"padding": "SAME", "stride_h": stride,
                                             "stride_w": stride, "depth_multiplier": 1,
                                             "fused_activation_function": act}))
    b.output(y)
    return b.build(), [1, h, w, c], 2.0 * oh * ow * c * k * k


def qfc_model(batch, k, o):
    r = np.random.default_rng(2)
    b = ModelBuilder()
    x = b.input("x", [batch, k], "int8", quant=_q(0.02, -3))
    y = b.tensor("y", [batch, o], "int8", quant=_q(0.05 * max(1.0, k ** 0.5 / 4), 5))
    wt, bias = _qweights(b, r, (o, k), 0)
    b.op("FULLY_CONNECTED", [x, wt, bias], [y], options=("FullyConnectedOptions", {}))
    b.output(y)
    return b.build(), [batch, k], 2.0 * batch * k * o


CASES = [
    ("conv3x3 s2 224x224x3->32", lambda: conv_model(224, 224, 3, 32, 3, 2)),
    ("conv1x1 112x112x32->16", lambda: conv_model(112, 112, 32, 16, 1, 1, "NONE")),
    ("conv1x1 56x56x24->144", lambda: conv_model(56, 56, 24, 144, 1, 1)),
    ("conv1x1 28x28x192->32", lambda: conv_model(28, 28, 192, 32, 1, 1, "NONE")),
    ("conv1x1 14x14x64->384", lambda: conv_model(14, 14, 64, 384, 1, 1)),
    ("conv1x1 14x14x384->96", lambda: conv_model(14, 14, 384, 96, 1, 1, "NONE")),
    ("conv1x1 7x7x320->1280", lambda: conv_model(7, 7, 320, 1280, 1, 1)),
    ("conv3x3 s1 28x28x64->64", lambda: conv_model(28, 28, 64, 64, 3, 1)),
    ("conv1x1 112x112x16->64 (hand)", lambda: conv_model(112, 112, 16, 64, 1, 1)),
    ("conv1x1 28x28x24->144 (hand)", lambda: conv_model(28, 28, 24, 144, 1, 1)),
    ("conv3x3 s2 224x224x3->24 (hand)", lambda: conv_model(224, 224, 3, 24, 3, 2)),
    ("dw3x3 s2 112x112x96", lambda: dw_model(112, 112, 96, 3, 2)),
    ("dw3x3 s1 56x56x144", lambda: dw_model(56, 56, 144, 3, 1)),
    ("dw3x3 s1 14x14x384", lambda: dw_model(14, 14, 384, 3, 1)),
    ("dw5x5 s1 64x64x24 (BlazeFace)", lambda: dw_model(64, 64, 24, 5, 1)),
    ("dw3x3 s1 7x7x960", lambda: dw_model(7, 7, 960, 3, 1)),
    ("fc 1x1280->1000", lambda: fc_model(1, 1280, 1000)),
    ("fc 1x1152->63 (hand landmark)", lambda: fc_model(1, 1152, 63)),
    ("fc 64x256->256", lambda: fc_model(64, 256, 256)),
    ("int8 conv3x3 s2 224x224x3->32", lambda: qconv_model(224, 224, 3, 32, 3, 2)),
    ("int8 conv1x1 112x112x32->16", lambda: qconv_model(112, 112, 32, 16, 1, 1, "NONE")),
    ("int8 conv1x1 56x56x24->144", lambda: qconv_model(56, 56, 24, 144, 1, 1)),
    ("int8 conv1x1 28x28x192->32", lambda: qconv_model(28, 28, 192, 32, 1, 1, "NONE")),
    ("int8 conv1x1 14x14x384->96", lambda: qconv_model(14, 14, 384, 96, 1, 1, "NONE")),
    ("int8 conv1x1 7x7x320->1280", lambda: qconv_model(7, 7, 320, 1280, 1, 1)),
    ("int8 conv3x3 s1 28x28x64->64", lambda: qconv_model(28, 28, 64, 64, 3, 1)),
    ("int8 dw3x3 s2 112x112x96", lambda: qdw_model(112, 112, 96, 3, 2)),
    ("int8 dw3x3 s1 56x56x144", lambda: qdw_model(56, 56, 144, 3, 1)),
    ("int8 dw3x3 s1 14x14x384", lambda: qdw_model(14, 14, 384, 3, 1)),
    ("int8 dw5x5 s1 64x64x24 (BlazeFace)", lambda: qdw_model(64, 64, 24, 5, 1)),
    ("int8 fc 1x1280->1000", lambda: qfc_model(1, 1280, 1000)),
    ("int8 fc 64x256->256", lambda: qfc_model(64, 256, 256)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--path", choices=["ref", "generic", "avx2"], default=None,
                    help="cap Ember's kernel path (EMBER_KERNEL_PATH)")
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    if args.path:
        os.environ["EMBER_KERNEL_PATH"] = args.path
    import ember
    from ai_edge_litert import interpreter as lrt

    print(f"threads={args.threads} path={args.path or 'best'}")
    print(f"{'case':34s} {'ember ms':>9s} {'litert ms':>9s} {'ratio':>6s} {'GFLOP/s':>8s}")
    ratios = []
    for name, make in CASES:
        if args.filter not in name:
            continue
        model, shape, flops = make()
        if name.startswith("int8"):
            x = np.random.default_rng(3).integers(-128, 128, shape).astype(np.int8)
        else:
            x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        em = ember.Interpreter(model_content=model, num_threads=args.threads)
        em.allocate_tensors()
        lt = lrt.Interpreter(model_content=model, num_threads=args.threads)
        lt.allocate_tensors()
        # Alternate the two interpreters for several rounds and keep the best
        # round median of each: robust against other load on the machine.
        te = tl = float("inf")
        for _ in range(args.rounds):
            te = min(te, time_invoke(em, [x], args.iters))
            tl = min(tl, time_invoke(lt, [x], args.iters))
        ye = em.get_tensor(em.get_output_details()[0]["index"])
        yl = lt.get_tensor(lt.get_output_details()[0]["index"])
        if ye.dtype == np.int8:   # XNNPACK rounds its own way: a few LSB apart
            lsb = int(np.max(np.abs(ye.astype(np.int32) - yl.astype(np.int32))))
            flag = "" if lsb <= 2 else f"  MISMATCH {lsb} LSB"
        else:
            err = float(np.max(np.abs(ye - yl))) / max(float(np.max(np.abs(yl))), 1e-30)
            flag = "" if err < 1e-4 else f"  MISMATCH {err:.2g}"
        ratios.append(te / tl)
        print(f"{name:34s} {te * 1e3:9.3f} {tl * 1e3:9.3f} {te / tl:6.2f} {flops / te / 1e9:8.1f}{flag}")
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric-mean ratio (ember/litert): {geo:.2f}")


if __name__ == "__main__":
    main()
