"""TFLite frontend + writer: a round trip of real files still runs like the original."""
import numpy as np
import pytest

import ember
from ember.converter.frontends import tflite
from ember.schema.writer import write
from oracle import assert_close, litert
from real_models import MODELS, REPO, model_file


def _inputs(data):
    it = ember.Interpreter(model_content=data)
    rng = np.random.default_rng(0)
    return [rng.random(d["shape"], dtype=np.float32) for d in it.get_input_details()]


@pytest.mark.parametrize("name", MODELS)
def test_real_model_round_trip_matches_litert_on_the_original(name):
    data = model_file(name).read_bytes()
    out = write(tflite.read(data))
    xs = _inputs(data)
    want = litert(data, xs)
    for got_litert, got_ember, w in zip(litert(out, xs), ember_outputs(out, xs), want):
        np.testing.assert_array_equal(got_litert, w)      # same file semantics, bit for bit
        assert_close(got_ember, w, rtol=1e-4)


def ember_outputs(data, xs):
    from oracle import ember as run
    return run(data, xs)


def test_round_trip_keeps_names_signatures_and_metadata():
    data = (REPO / "examples" / "demo_model.tflite").read_bytes()
    m = tflite.read(data)
    out = write(m)
    it = ember.Interpreter(model_content=out)
    assert it.get_signature_list() == {"serving_default": {"inputs": ["image"], "outputs": ["probabilities"]}}
    names = {d["name"] for d in it.get_tensor_details()}
    assert {"image", "conv/weights", "probabilities"} <= names
    meta = dict(ember._ember.model_info(it._model)["metadata"])
    assert meta["ember_version"] == ember.__version__.encode()
    assert meta["min_runtime_version"].rstrip(b"\0") == b"1.5.0"


def test_identical_constants_share_one_buffer():
    from ember.converter import ir
    g_model = ir.Model()
    g = g_model.main
    x = ir.Tensor("x", np.float32, shape=(4,))
    g.inputs = [x]
    w = np.arange(4, dtype=np.float32)
    a, b = g.const("a", w), g.const("b", w.copy())
    y1, y2 = ir.Tensor("y1", np.float32, shape=(4,)), ir.Tensor("y2", np.float32, shape=(4,))
    g.add("ADD", [x, a], [y1])
    g.add("MUL", [y1, b], [y2])
    g.outputs = [y2]
    from ember.schema.builder import read_model
    mt = read_model(write(g_model))
    ts = mt.subgraphs[0].tensors
    buf = {t.name.decode() if isinstance(t.name, bytes) else t.name: t.buffer for t in ts}
    assert buf["a"] == buf["b"] != 0
    xin = np.array([1, 2, 3, 4], np.float32)
    np.testing.assert_array_equal(ember_outputs(write(g_model), [xin])[0], (xin + w) * w)
