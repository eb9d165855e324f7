"""Writes examples/demo_model.tflite, the small model `make demo` runs.

A 16x16 grey-image classifier: CONV_2D(3x3, 8, RELU) -> MAX_POOL_2D ->
DEPTHWISE_CONV_2D(RELU6) -> MEAN -> FULLY_CONNECTED(10) -> SOFTMAX, with
seeded random weights, written through Ember's own model builder. (The
converter issue replaces it with a Keras model trained on real digits.)

    python examples/make_demo_model.py
"""
import pathlib

import numpy as np

from ember.schema.builder import ModelBuilder

OUT = pathlib.Path(__file__).resolve().parent / "demo_model.tflite"


def build():
    rng = np.random.default_rng(2024)
    b = ModelBuilder(description="Ember demo: tiny CNN on 16x16 images")
    x = b.input("image", [1, 16, 16, 1], "float32")
    w1 = b.const("conv/weights", (rng.standard_normal((8, 3, 3, 1)) * 0.5).astype(np.float32))
    b1 = b.const("conv/bias", (rng.standard_normal(8) * 0.1).astype(np.float32))
    c1 = b.tensor("conv/relu", [1, 16, 16, 8], "float32")
    b.op("CONV_2D", [x, w1, b1], [c1], options=("Conv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "fused_activation_function": "RELU"}))
    p1 = b.tensor("pool", [1, 8, 8, 8], "float32")
    b.op("MAX_POOL_2D", [c1], [p1], options=("Pool2DOptions", {
        "padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}))
    w2 = b.const("dw/weights", (rng.standard_normal((1, 3, 3, 8)) * 0.5).astype(np.float32))
    b2 = b.const("dw/bias", np.zeros(8, np.float32))
    c2 = b.tensor("dw/relu6", [1, 8, 8, 8], "float32")
    b.op("DEPTHWISE_CONV_2D", [p1, w2, b2], [c2], options=("DepthwiseConv2DOptions", {
        "padding": "SAME", "stride_w": 1, "stride_h": 1, "depth_multiplier": 1,
        "fused_activation_function": "RELU6"}))
    axes = b.const("mean/axes", np.array([1, 2], np.int32))
    g = b.tensor("mean", [1, 8], "float32")
    b.op("MEAN", [c2, axes], [g], options=("ReducerOptions", {"keep_dims": False}))
    w3 = b.const("fc/weights", rng.standard_normal((10, 8)).astype(np.float32))
    b3 = b.const("fc/bias", np.zeros(10, np.float32))
    logits = b.tensor("logits", [1, 10], "float32")
    b.op("FULLY_CONNECTED", [g, w3, b3], [logits], options=("FullyConnectedOptions", {}))
    probs = b.tensor("probabilities", [1, 10], "float32")
    b.op("SOFTMAX", [logits], [probs], options=("SoftmaxOptions", {"beta": 1.0}))
    b.output(probs)
    b.signature("serving_default", inputs={"image": x}, outputs={"probabilities": probs})
    return b.build()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
