"""`make demo`: the main job on bundled examples, printing what it does at each step.

1. Runs the bundled ``demo_model.tflite`` in Ember and checks it against LiteRT.
2. Converts the bundled Keras digits classifier (``digits.keras``, trained by
   ``train_digits.py``) to .tflite without TensorFlow or keras, runs the held-out
   digits through it, and prints its accuracy next to Keras' own.
3. Quantises the same model to int8 with calibration images and prints its size and
   accuracy beside the float model's.

LiteRT is optional here (the comparison is skipped, saying so, when it isn't installed).
"""
import pathlib
import sys
import time

import numpy as np

import ember

HERE = pathlib.Path(__file__).resolve().parent
MODEL = HERE / "demo_model.tflite"


def main():
    if not MODEL.exists():
        sys.path.insert(0, str(HERE))
        import make_demo_model
        MODEL.write_bytes(make_demo_model.build())
        print(f"[demo] generated {MODEL.name} with examples/make_demo_model.py")
    print(f"[demo] model: {MODEL.relative_to(HERE.parent)} ({MODEL.stat().st_size:,} bytes)")

    t0 = time.perf_counter()
    it = ember.Interpreter(model_path=str(MODEL))
    it.allocate_tensors()
    t_load = time.perf_counter() - t0
    arena, persistent = it.arena_size()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    print(f"[demo] loaded and allocated in {t_load * 1e3:.2f} ms; arena {arena:,} B, "
          f"persistent {persistent:,} B")
    print(f"[demo] input  '{inp['name']}' {[int(d) for d in inp['shape']]} {np.dtype(inp['dtype']).name}")
    print(f"[demo] output '{out['name']}' {[int(d) for d in out['shape']]} {np.dtype(out['dtype']).name}")
    ops = [d["op_name"] for d in it._get_ops_details()]
    print(f"[demo] {len(ops)} ops: {' -> '.join(ops)}")

    image = np.random.default_rng(0).random((1, 16, 16, 1), dtype=np.float32)
    it.set_tensor(inp["index"], image)
    runs = []
    for _ in range(50):
        t0 = time.perf_counter()
        it.invoke()
        runs.append(time.perf_counter() - t0)
    probs = it.get_tensor(out["index"])[0]
    print(f"[demo] invoke: median {np.median(runs) * 1e6:.1f} us over {len(runs)} runs")
    print(f"[demo] class probabilities: {np.array2string(probs, precision=3)}")
    print(f"[demo] predicted class {int(np.argmax(probs))} (p={probs.max():.3f}); "
          f"probabilities sum to {probs.sum():.6f}")

    try:
        from ai_edge_litert import interpreter as litert
    except ImportError:
        print("[demo] LiteRT (ai-edge-litert) not installed: skipped the cross-check")
        return
    ref = litert.Interpreter(model_path=str(MODEL))
    ref.allocate_tensors()
    ref.set_tensor(ref.get_input_details()[0]["index"], image)
    ref.invoke()
    want = ref.get_tensor(ref.get_output_details()[0]["index"])[0]
    err = float(np.max(np.abs(probs - want)))
    print(f"[demo] LiteRT gives the same answer: max abs difference {err:.2e}")
    if err > 1e-5:
        sys.exit("[demo] MISMATCH against LiteRT")


def digits():
    """Keras model -> .tflite with ember.convert, then accuracy next to Keras'."""
    source = HERE / "digits.keras"
    data = np.load(HERE / "digits_data.npz")
    x, y, keras_probs = data["x_test"], data["y_test"], data["keras_probs"]
    print(f"\n[demo] converting {source.relative_to(HERE.parent)} "
          f"({source.stat().st_size:,} bytes) with ember.convert")
    t0 = time.perf_counter()
    flat = ember.convert(str(source))
    print(f"[demo] converted in {(time.perf_counter() - t0) * 1e3:.0f} ms: "
          f"{len(flat):,} bytes of .tflite")

    it = ember.Interpreter(model_content=flat)
    ops = [d["op_name"] for d in it._get_ops_details()]
    print(f"[demo] {len(ops)} ops: {' -> '.join(ops)}")
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], list(x.shape))
    it.allocate_tensors()
    it.set_tensor(inp["index"], x)
    t0 = time.perf_counter()
    it.invoke()
    t_run = time.perf_counter() - t0
    probs = it.get_tensor(out["index"])
    acc = float(np.mean(np.argmax(probs, 1) == y))
    keras_acc = float(np.mean(np.argmax(keras_probs, 1) == y))
    diff = float(np.max(np.abs(probs - keras_probs)))
    print(f"[demo] {len(y)} test digits in one batch: {t_run * 1e3:.2f} ms")
    print(f"[demo] accuracy: Ember {acc:.4f}   Keras {keras_acc:.4f}   "
          f"(max probability difference {diff:.1e})")
    if diff > 1e-4:
        sys.exit("[demo] MISMATCH against Keras' predictions")

    print(f"\n[demo] quantising to int8 with {len(data['x_calib'])} calibration images")
    t0 = time.perf_counter()
    int8 = ember.convert(str(source), quantize="int8", calibration=data["x_calib"])
    t_q = time.perf_counter() - t0
    q = ember.Interpreter(model_content=int8)
    qi, qo = q.get_input_details()[0], q.get_output_details()[0]
    q.resize_tensor_input(qi["index"], list(x.shape))
    q.allocate_tensors()
    q.set_tensor(qi["index"], x)
    q.invoke()
    q_acc = float(np.mean(np.argmax(q.get_tensor(qo["index"]), 1) == y))
    print(f"[demo] quantised in {t_q * 1e3:.0f} ms")
    print(f"[demo]   float32: {len(flat):>8,} bytes   accuracy {acc:.4f}")
    print(f"[demo]   int8:    {len(int8):>8,} bytes   accuracy {q_acc:.4f}   "
          f"({len(int8) / len(flat):.2f}x the size)")


if __name__ == "__main__":
    main()
    digits()
