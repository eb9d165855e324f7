"""int8 accuracy of the digits classifier: Ember's quantiser against TensorFlow's.

    python benchmarks/bench_digits_quant.py [--tf-python PY] [--save]

Both quantise the same Keras model (examples/digits.keras) with the same
calibration samples (examples/digits_data.npz: x_calib), full int8 with float I/O.
Accuracy is measured on the held-out split (x_test) by running each .tflite file in
LiteRT's reference kernels (the same runtime for both, so only the quantisers differ)
and Ember's file in Ember too. The float accuracies (Keras' own predictions, and
Ember's float conversion) are printed beside them.

TensorFlow is not one of Ember's dependencies: `--tf-python` names a Python that has
it (default: this one). Without it the TensorFlow column says so.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

TF_SCRIPT = """
import sys, numpy as np, tensorflow as tf
model = tf.keras.models.load_model(sys.argv[1], compile=False)
calib = np.load(sys.argv[2])["x_calib"]
c = tf.lite.TFLiteConverter.from_keras_model(model)
c.optimizations = [tf.lite.Optimize.DEFAULT]
c.representative_dataset = lambda: ([x[None]] for x in calib)
c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
open(sys.argv[3], "wb").write(c.convert())
"""


def sqnr_db(got, ref):
    noise = float(np.sum((got.astype(np.float64) - ref) ** 2))
    return float("inf") if noise == 0 else 10 * np.log10(float(np.sum(ref.astype(np.float64) ** 2)) / noise)


def probabilities(model, x, runtime):
    if runtime == "ember":
        import ember
        it = ember.Interpreter(model_content=model)
    else:
        from ai_edge_litert import interpreter as lrt
        it = lrt.Interpreter(model_content=model,
                             experimental_op_resolver_type=lrt.OpResolverType.BUILTIN_REF)
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(inp["index"], x.astype(inp["dtype"]))
    it.invoke()
    return it.get_tensor(out["index"]).astype(np.float32)


def accuracy(probs, y):
    return float(np.mean(np.argmax(probs, 1) == y))


def tensorflow_int8(tf_python, tmp):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    out = os.path.join(tmp, "tf_int8.tflite")
    r = subprocess.run([tf_python, "-c", TF_SCRIPT, str(EXAMPLES / "digits.keras"),
                        str(EXAMPLES / "digits_data.npz"), out], env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"TensorFlow conversion unavailable ({last})"
    return pathlib.Path(out).read_bytes(), None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tf-python", default=sys.executable)
    ap.add_argument("--save", action="store_true", help="write results/digits_quant.json")
    args = ap.parse_args(argv)

    import ember
    data = np.load(EXAMPLES / "digits_data.npz")
    x, y, calib = data["x_test"], data["y_test"], data["x_calib"]
    res = {"test_images": int(len(y)), "calibration_samples": int(len(calib)),
           "keras_float": float(np.mean(np.argmax(data["keras_probs"], 1) == y))}
    float_model = ember.convert(str(EXAMPLES / "digits.keras"))
    float_probs = probabilities(float_model, x, "ember")
    res["ember_float"] = accuracy(float_probs, y)
    res["float_bytes"] = len(float_model)
    ember_int8 = ember.convert(str(EXAMPLES / "digits.keras"), quantize="int8", calibration=calib)
    res["ember_int8_bytes"] = len(ember_int8)
    p = probabilities(ember_int8, x, "litert")
    res["ember_int8_in_litert_ref"] = accuracy(p, y)
    res["ember_int8_sqnr_db"] = sqnr_db(p, float_probs)
    res["ember_int8_top1_agreement"] = float(np.mean(np.argmax(p, 1) == np.argmax(float_probs, 1)))
    try:
        res["ember_int8_in_ember"] = accuracy(probabilities(ember_int8, x, "ember"), y)
    except ember.EmberError as e:
        res["ember_int8_in_ember"] = None
        print(f"Ember cannot run its int8 file yet: {e}")
    with tempfile.TemporaryDirectory() as tmp:
        tf_int8, why = tensorflow_int8(args.tf_python, tmp)
    if tf_int8 is not None:
        res["tensorflow_int8_bytes"] = len(tf_int8)
        p = probabilities(tf_int8, x, "litert")
        res["tensorflow_int8_in_litert_ref"] = accuracy(p, y)
        res["tensorflow_int8_sqnr_db"] = sqnr_db(p, float_probs)
        res["tensorflow_int8_top1_agreement"] = float(
            np.mean(np.argmax(p, 1) == np.argmax(float_probs, 1)))

    print(f"digits CNN, {res['test_images']} test images, "
          f"{res['calibration_samples']} calibration samples")
    print(f"  float:  Keras {res['keras_float']:.4f}   Ember {res['ember_float']:.4f} "
          f"({res['float_bytes']:,} B)")
    line = f"  int8:   Ember {res['ember_int8_in_litert_ref']:.4f} ({res['ember_int8_bytes']:,} B)"
    if tf_int8 is not None:
        line += (f"   TensorFlow {res['tensorflow_int8_in_litert_ref']:.4f} "
                 f"({res['tensorflow_int8_bytes']:,} B)   [both run in LiteRT BUILTIN_REF]")
    else:
        line += f"   TensorFlow: {why}"
    print(line)
    if res["ember_int8_in_ember"] is not None:
        print(f"  Ember's int8 file in Ember's own interpreter: {res['ember_int8_in_ember']:.4f}")
    if tf_int8 is not None:
        loss_e = res["keras_float"] - res["ember_int8_in_litert_ref"]
        loss_t = res["keras_float"] - res["tensorflow_int8_in_litert_ref"]
        print(f"  accuracy lost to int8: Ember {loss_e:+.4f}, TensorFlow {loss_t:+.4f}")
        print(f"  output SQNR vs float: Ember {res['ember_int8_sqnr_db']:.1f} dB, TensorFlow "
              f"{res['tensorflow_int8_sqnr_db']:.1f} dB; top-1 agreement with float: Ember "
              f"{res['ember_int8_top1_agreement']:.4f}, TensorFlow "
              f"{res['tensorflow_int8_top1_agreement']:.4f}")
    if args.save:
        dest = ROOT / "benchmarks" / "results" / "digits_quant.json"
        dest.write_text(json.dumps(res, indent=2) + "\n")
        print(f"saved {dest}")


if __name__ == "__main__":
    main()
