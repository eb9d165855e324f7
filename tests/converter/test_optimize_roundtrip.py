"""ember.convert on real files (TFLite frontend -> optimize -> writer) still runs like the original."""
import numpy as np
import pytest

import ember
from ember.converter import load
from oracle import assert_close, ember as run_ember, litert
from real_models import INPUT_RANGE, MODELS, model_file


def _inputs(data, name):
    lo, hi = INPUT_RANGE[name]
    rng = np.random.default_rng(1)
    it = ember.Interpreter(model_content=data)
    return [rng.uniform(lo, hi, d["shape"]).astype(np.float32) for d in it.get_input_details()]


def _interface(data):
    it = ember.Interpreter(model_content=data)
    return ([(d["name"], list(d["shape"])) for d in it.get_input_details()],
            [(d["name"], list(d["shape"])) for d in it.get_output_details()])


@pytest.mark.parametrize("name", MODELS)
def test_optimized_real_model_matches_litert_on_the_original(name):
    path = model_file(name)
    data = path.read_bytes()
    out = ember.convert(path)
    xs = _inputs(data, name)
    want = litert(data, xs)
    got_litert, got_ember = litert(out, xs), run_ember(out, xs)
    assert len(got_ember) == len(want)
    for i, (gl, ge, w) in enumerate(zip(got_litert, got_ember, want)):
        assert_close(gl, w, rtol=1e-4, what=f"{name} output {i} in LiteRT")
        assert_close(ge, w, rtol=1e-4, what=f"{name} output {i} in Ember")
    assert _interface(out) == _interface(data)        # same names and shapes in and out
    assert len(load(out).main.ops) <= len(load(data).main.ops)
