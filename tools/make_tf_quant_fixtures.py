"""Writes tests/fixtures/tf_quant/*.tflite: small models quantised by TensorFlow's own converter.

    /path/to/python-with-tensorflow tools/make_tf_quant_fixtures.py

Run once with a Python that has TensorFlow (Ember's tests don't install it; the
files it writes are committed). Each model is a small Keras graph built with fixed
seeds, converted by `tf.lite.TFLiteConverter` in three modes:

- ``<name>.int8.tflite``   full integer, int8 I/O (TFLITE_BUILTINS_INT8);
- ``<name>.int16x8.tflite`` 16-bit activations, 8-bit weights, int16 I/O;
- ``<name>.dynamic.tflite`` dynamic-range (int8 weights, float activations),
                            only for the models with weights.

The tests (tests/interpreter/test_tf_quant_fixtures.py) run them in Ember, TFLite
Micro and LiteRT's reference kernels: integer files must agree bit for bit. A model
whose conversion fails in a mode is skipped here with a message, not written.
"""
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.pop("KERAS_BACKEND", None)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_quant"
K = tf.keras
L = K.layers


def models():
    """name -> (input shape without batch, builder). Small: TFLite Micro's tests run them too."""
    def seq(shape, *layers):
        inp = K.Input(shape)
        h = inp
        for layer in layers:
            h = layer(h)
        return K.Model(inp, h)

    def residual(shape):
        inp = K.Input(shape)
        a = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
        b = L.Conv2D(8, 1)(inp)
        h = L.Add()([a, b])
        h = L.Multiply()([h, L.Activation("sigmoid")(b)])
        h = L.Concatenate()([h, a])
        return K.Model(inp, h)

    return {
        "conv_relu": ((12, 12, 4), lambda s: seq(s, L.Conv2D(8, 3, strides=2, padding="same",
                                                              activation="relu"))),
        "conv_valid_dilated": ((12, 12, 3), lambda s: seq(s, L.Conv2D(6, 3, dilation_rate=2,
                                                                       activation="relu6"))),
        "depthwise": ((10, 10, 6), lambda s: seq(s, L.DepthwiseConv2D(3, depth_multiplier=2,
                                                                       padding="same",
                                                                       activation="relu"))),
        "dense_softmax": ((20,), lambda s: seq(s, L.Dense(16, activation="relu"),
                                               L.Dense(5, activation="softmax"))),
        "pools": ((12, 12, 4), lambda s: seq(s, L.MaxPooling2D(2), L.AveragePooling2D(2,
                                                                                       padding="same"))),
        "global_mean": ((8, 8, 6), lambda s: seq(s, L.GlobalAveragePooling2D())),
        "residual": ((8, 8, 4), residual),
        "activations": ((24,), lambda s: seq(s, L.Dense(24), L.Activation("tanh"), L.Dense(24),
                                             L.Activation("sigmoid"), L.Dense(24),
                                             L.Activation("hard_swish"), L.LeakyReLU(0.2))),
        "reshape_pad": ((6, 6, 4), lambda s: seq(s, L.ZeroPadding2D(1), L.Conv2D(4, 3),
                                                 L.Reshape((36, 4)), L.Flatten(), L.Dense(8))),
        "resize_bilinear": ((6, 6, 3), lambda s: seq(s, L.Conv2D(4, 1),
                                                     L.UpSampling2D(2, interpolation="bilinear"))),
        "transpose_conv": ((6, 6, 4), lambda s: seq(s, L.Conv2DTranspose(4, 3, strides=2,
                                                                          padding="same"))),
    }


def representative(shape, seed):
    rng = np.random.default_rng(seed)
    def gen():
        for _ in range(16):
            yield [rng.uniform(-1, 1, (1,) + shape).astype(np.float32)]
    return gen


def convert(model, shape, seed, mode):
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "dynamic":
        return c.convert()
    c.representative_dataset = representative(shape, seed)
    if mode == "int8":
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = c.inference_output_type = tf.int8
    else:
        c.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        c.inference_input_type = c.inference_output_type = tf.int16
    return c.convert()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    written = 0
    for seed, (name, (shape, build)) in enumerate(sorted(models().items())):
        tf.keras.utils.set_random_seed(seed)
        model = build(shape)
        has_weights = bool(model.weights)
        for mode in ("int8", "int16x8", "dynamic"):
            if mode == "dynamic" and not has_weights:
                continue
            try:
                data = convert(model, shape, seed, mode)
            except Exception as e:  # noqa: BLE001 - report and go on with the others
                print(f"skip {name}.{mode}: {type(e).__name__}: {str(e).splitlines()[0]}",
                      file=sys.stderr)
                continue
            (OUT / f"{name}.{mode}.tflite").write_bytes(data)
            written += 1
    print(f"wrote {written} files to {OUT} with TensorFlow {tf.__version__}")


if __name__ == "__main__":
    main()
