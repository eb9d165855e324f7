"""Writes the seed corpus for fuzz_model: builder-made models (the small models
of tests/interpreter/fuzz_worker.py plus the malformed-model test's base model)
and the real models in EMBER_MODELS_DIR (default ../shared/models), if present.

    python interpreter/core/fuzz/make_corpus.py OUT_DIR
"""
import os
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "interpreter"))


def main(out):
    import numpy as np
    import fuzz_worker
    from ember.schema.builder import ModelBuilder
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models = fuzz_worker.small_models()
    b = ModelBuilder()
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    b.op("ADD", [x, b.const("c", np.array([1, 2], np.float32))], [y], options=("AddOptions", {}))
    b.output(y)
    b.signature("serving_default", {"x": x}, {"y": y})
    b.metadata("min_runtime_version", b"1.5.0")
    models["add"] = b.build()
    for name, data in models.items():
        (out / (name + ".tflite")).write_bytes(data)
    real = pathlib.Path(os.environ.get("EMBER_MODELS_DIR", ROOT.parent / "shared" / "models"))
    n_real = 0
    for f in sorted(real.glob("*.tflite")) if real.is_dir() else []:
        shutil.copyfile(f, out / f.name)
        n_real += 1
    print("seed corpus: %d builder-made, %d real models (from %s) in %s"
          % (len(models), n_real, real, out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/seeds")
