"""Trains the bundled digits classifier: `python examples/train_digits.py`.

A small Keras CNN on scikit-learn's 8x8 handwritten digits (1,797 images, no
download needed). It writes, next to this script:

- ``digits.keras``     the trained model (Keras 3 archive), the demo's source model;
- ``digits_data.npz``  the held-out test split (``x_test`` float32 [N, 8, 8, 1] in [0, 1],
                       ``y_test`` int64 labels), a calibration split (``x_calib``: training
                       samples, for post-training quantisation) and ``keras_probs``: the
                       trained Keras model's own predictions on ``x_test``, so the demo can
                       print Keras' accuracy next to Ember's without importing keras.

Needs keras (any backend; the tests use torch) and scikit-learn; the demo itself
needs neither. The layers were chosen to exercise the converter: Conv2D + BatchNorm
(folded), ReLU/ReLU6 activations (fused), pooling, Dropout (removed), Dense/softmax.
"""
import argparse
import os
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def load_digits_split(seed=0):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., None]      # [N, 8, 8, 1] in [0, 1]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = 360
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def build_model(keras):
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="image")
    h = layers.Conv2D(16, 3, padding="same", use_bias=False, name="conv1")(inputs)
    h = layers.BatchNormalization(name="bn1")(h)
    h = layers.ReLU(name="relu1")(h)
    h = layers.Conv2D(32, 3, padding="same", activation="relu6", name="conv2")(h)
    h = layers.MaxPooling2D(2, name="pool")(h)
    h = layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dw")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Dropout(0.2, name="dropout")(h)
    h = layers.Dense(64, activation="relu", name="fc1")(h)
    outputs = layers.Dense(10, activation="softmax", name="probs")(h)
    return keras.Model(inputs, outputs, name="digits_cnn")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits_split()
    model = build_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=0,
              validation_split=0.1)
    probs = np.asarray(model.predict(x_test, verbose=0), np.float32)
    acc = float(np.mean(np.argmax(probs, 1) == y_test))

    out = pathlib.Path(args.out)
    # An uncompiled copy: the archive then holds no optimizer state (a third of the size).
    inference = build_model(keras)
    inference.set_weights(model.get_weights())
    inference.save(out / "digits.keras")
    np.savez_compressed(out / "digits_data.npz", x_test=x_test, y_test=y_test,
                        x_calib=x_train[:200], keras_probs=probs)
    print(f"trained digits_cnn: Keras test accuracy {acc:.4f} on {len(y_test)} images; "
          f"wrote {out / 'digits.keras'} and {out / 'digits_data.npz'}")


if __name__ == "__main__":
    main()
