"""`make demo`: load the bundled model in Ember, run it, check it against LiteRT.

Prints what it did at each step. LiteRT is optional here (the comparison is
skipped, saying so, when it isn't installed).
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


if __name__ == "__main__":
    main()
