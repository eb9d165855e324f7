"""Conversion time: `ember convert` against TensorFlow's TFLiteConverter, as process wall time.

    python benchmarks/bench_convert.py [--model mobilenet_v2] [--runs 3] [--save]

Builds the Keras application (weights=None: the weights' values don't change the
work) at 224x224, saves it as .keras, then times whole processes, because that is
what a user waits for: `ember convert model.keras -o out.tflite` (Python start-up,
imports and writing the file included) and, when TensorFlow is installed, a
process that loads the same .keras with tf.keras and runs
`tf.lite.TFLiteConverter.from_keras_model(...).convert()`. Without TensorFlow it
says so and prints Ember's figure alone; `--tf-python` points at another
environment's Python that has it. Building the source model needs keras
(any backend).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
APPS = {"mobilenet_v2": "MobileNetV2", "mobilenet_v3_small": "MobileNetV3Small",
        "efficientnet_b0": "EfficientNetB0", "resnet50": "ResNet50"}

TF_SCRIPT = """
import sys, tensorflow as tf
m = tf.keras.models.load_model(sys.argv[1], compile=False)
open(sys.argv[2], "wb").write(tf.lite.TFLiteConverter.from_keras_model(m).convert())
"""


def build_source(name, path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    model = getattr(keras.applications, APPS[name])(weights=None, input_shape=(224, 224, 3))
    model.save(path)


def wall(cmd, runs, env=None):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env)
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(APPS), default="mobilenet_v2")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tf-python", default=sys.executable,
                    help="a Python that has tensorflow (default: this one); TensorFlow need not "
                         "share Ember's environment")
    ap.add_argument("--save", action="store_true", help="write results/convert_<model>.json")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, f"{args.model}.keras")
        build_source(args.model, src)
        out = os.path.join(tmp, "ember.tflite")
        # TensorFlow's own Keras must not inherit the backend chosen to build the source.
        tf_env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
        ember_t = wall([sys.executable, "-m", "ember", "convert", src, "-o", out], args.runs)
        result = {"model": args.model, "source_bytes": os.path.getsize(src),
                  "ember_s": ember_t, "ember_tflite_bytes": os.path.getsize(out)}
        print(f"{args.model}: ember convert  median {statistics.median(ember_t):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in ember_t)}), "
              f"{result['ember_tflite_bytes']:,} bytes")
        has_tf = subprocess.run([args.tf_python, "-c", "import tensorflow"], env=tf_env,
                                capture_output=True).returncode == 0
        if not has_tf:
            print("TensorFlow is not installed: no TFLiteConverter figure (pip install tensorflow "
                  "in this environment to print both)")
        else:
            tf_out = os.path.join(tmp, "tf.tflite")
            tf_t = wall([args.tf_python, "-c", TF_SCRIPT, src, tf_out], args.runs, tf_env)
            result["tensorflow_s"] = tf_t
            ratio = statistics.median(ember_t) / statistics.median(tf_t)
            print(f"{args.model}: TFLiteConverter median {statistics.median(tf_t):.2f} s; "
                  f"Ember takes {ratio:.2f}x TensorFlow's time")
    if args.save:
        dest = HERE / "results" / f"convert_{args.model}.json"
        dest.write_text(json.dumps(result, indent=2) + "\n")
        print(f"saved {dest}")


if __name__ == "__main__":
    main()
