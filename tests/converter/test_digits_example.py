"""The bundled digits example: `make demo`'s Keras model converts and classifies like Keras."""
import pathlib
import subprocess
import sys

import numpy as np

import ember
from oracle import assert_close, litert

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_digits_keras_converts_and_matches_live_keras():
    import keras

    data = np.load(EXAMPLES / "digits_data.npz")
    x, y = data["x_test"][:64], data["y_test"][:64]
    want = np.asarray(keras.saving.load_model(EXAMPLES / "digits.keras").predict(x, verbose=0))
    flat = ember.convert(str(EXAMPLES / "digits.keras"))
    it = ember.Interpreter(model_content=flat)
    it.resize_tensor_input(it.get_input_details()[0]["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    got = it.get_tensor(it.get_output_details()[0]["index"])
    assert_close(got, want, rtol=1e-4)
    assert_close(litert(flat, [x])[0], want, rtol=1e-4, what="LiteRT")
    assert np.mean(np.argmax(got, 1) == y) > 0.9


def test_bundled_predictions_are_the_bundled_models():
    """digits_data.npz's keras_probs (what the demo prints beside Ember) came from digits.keras."""
    import keras

    data = np.load(EXAMPLES / "digits_data.npz")
    model = keras.saving.load_model(EXAMPLES / "digits.keras")
    assert_close(np.asarray(model.predict(data["x_test"], verbose=0)), data["keras_probs"],
                 rtol=1e-4)


def test_digits_int8_in_ember_is_bit_exact_and_accurate():
    """The demo's int8 model: Ember equals TFLite Micro bit for bit and keeps the accuracy."""
    from oracle_int8 import assert_matches_reference

    data = np.load(EXAMPLES / "digits_data.npz")
    int8 = ember.convert(str(EXAMPLES / "digits.keras"), quantize="int8",
                         calibration=data["x_calib"])
    x, y = data["x_test"], data["y_test"]
    for i in range(0, 4):
        assert_matches_reference(int8, [x[i:i + 1]])
    it = ember.Interpreter(model_content=int8)
    it.resize_tensor_input(it.get_input_details()[0]["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    acc = np.mean(np.argmax(it.get_tensor(it.get_output_details()[0]["index"]), 1) == y)
    keras_acc = np.mean(np.argmax(data["keras_probs"], 1) == y)
    assert acc >= keras_acc - 0.01


def test_demo_runs():
    r = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "accuracy: Ember" in r.stdout and "Keras" in r.stdout
    assert "int8:" in r.stdout and "float32:" in r.stdout
