"""ember.interpreter is a drop-in for tflite_runtime.interpreter: a script written
for tflite_runtime runs unchanged against ``ember.interpreter`` and
``ai_edge_litert.interpreter`` and gets the same results, and the detail
dictionaries are the same (keys, value types, values)."""
import os
import pathlib

import numpy as np
import pytest

from ember.schema.builder import ModelBuilder

REPO = pathlib.Path(__file__).resolve().parents[2]


def _modules():
    import ember.interpreter as em
    from ai_edge_litert import interpreter as lrt
    return {"ember": em, "litert": lrt}


# ---- models -------------------------------------------------------------------

def quant_model():
    """x [-1,3,4] float (shape_signature -1) + DEQUANTIZE(per-channel int8 const)
    -> QUANTIZE (per-tensor int8) -> DEQUANTIZE -> y; a second signature on
    subgraph 1 doubles its input."""
    b = ModelBuilder()
    x = b.input("x", [1, 3, 4], "float32", shape_signature=[-1, 3, 4])
    wq = b.const("w_q", np.array([[1, -2, 3, 4], [5, 6, -7, 8], [-9, 10, 11, 127]], np.int8),
                 quant={"scale": [0.5, 0.25, 0.125], "zero_point": [0, 0, 0],
                        "quantized_dimension": 0})
    w = b.tensor("w", [3, 4], "float32")
    b.op("DEQUANTIZE", [wq], [w])
    s = b.tensor("sum", [1, 3, 4], "float32", shape_signature=[-1, 3, 4])
    b.op("ADD", [x, w], [s], options=("AddOptions", {}))
    q = b.tensor("sum_q", [1, 3, 4], "int8", shape_signature=[-1, 3, 4],
                 quant={"scale": [0.125], "zero_point": [3]})
    b.op("QUANTIZE", [s], [q])
    y = b.tensor("y", [1, 3, 4], "float32", shape_signature=[-1, 3, 4])
    b.op("DEQUANTIZE", [q], [y])
    b.output(y)
    g = b.subgraph("double")
    gx = g.input("a", [2], "float32")
    gy = g.tensor("b", [2], "float32")
    g.op("ADD", [gx, gx], [gy], options=("AddOptions", {}))
    g.output(gy)
    b.signature("serving_default", {"x": x}, {"y": y}, subgraph=0)
    b.signature("double", {"a": gx}, {"b": gy}, subgraph=g)
    return b.build()


def rnn_model():
    """A model with a variable tensor (RNN hidden state) for reset_all_variables."""
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.input("x", [1, 2, 3], "float32")
    w = b.const("w", (rng.standard_normal([4, 3]) * 0.5).astype(np.float32))
    r = b.const("r", (rng.standard_normal([4, 4]) * 0.3).astype(np.float32))
    bias = b.const("bias", np.zeros([4], np.float32))
    h = b.tensor("h", [1, 4], "float32", is_variable=True)
    y = b.tensor("y", [1, 2, 4], "float32")
    b.op("UNIDIRECTIONAL_SEQUENCE_RNN", [x, w, r, bias, h], [y],
         options=("SequenceRNNOptions", {"time_major": False, "fused_activation_function": "TANH"}))
    b.output(y)
    return b.build()


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("compat")
    paths = {}
    for name, data in (("quant", quant_model()), ("rnn", rnn_model())):
        p = d / f"{name}.tflite"
        p.write_bytes(data)
        paths[name] = str(p)
    return paths


# ---- the user script (written for tflite_runtime; only the import differs) -----

def user_script(tflite, quant_path, rnn_path):
    """Typical tflite_runtime user code. Returns everything it observed."""
    seen = {}
    interpreter = tflite.Interpreter(model_path=quant_path, num_threads=2)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(1, 3, 4)
    interpreter.set_tensor(input_index, x)
    interpreter.invoke()
    seen["y"] = interpreter.get_tensor(output_index)

    # zero-copy views
    inp = interpreter.tensor(input_index)
    out = interpreter.tensor(output_index)
    inp()[0, 0, :] = [0.25, 0.5, 0.75, 1.0]
    interpreter.invoke()
    seen["y_view"] = out().copy()

    # batch resize
    interpreter.resize_tensor_input(input_index, [3, 3, 4])
    interpreter.allocate_tensors()
    xb = np.arange(36, dtype=np.float32).reshape(3, 3, 4) / 10
    interpreter.set_tensor(input_index, xb)
    interpreter.invoke()
    seen["y_batch"] = interpreter.get_tensor(output_index)
    seen["out_shape_after_resize"] = interpreter.get_output_details()[0]["shape"]

    # signatures
    seen["signatures"] = interpreter.get_signature_list()
    runner = interpreter.get_signature_runner("serving_default")
    seen["sig_y"] = runner(x=np.ones([2, 3, 4], np.float32))["y"]
    double = interpreter.get_signature_runner("double")
    seen["double"] = double(a=np.array([1.5, -2.0], np.float32))
    seen["num_subgraphs"] = interpreter.num_subgraphs()

    # variables
    rnn = tflite.Interpreter(model_path=rnn_path)
    rnn.allocate_tensors()
    xi = rnn.get_input_details()[0]["index"]
    yi = rnn.get_output_details()[0]["index"]
    xs = np.array([[[1, 0, -1], [0.5, 0.5, 0.5]]], np.float32)
    steps = []
    for _ in range(2):
        rnn.set_tensor(xi, xs)
        rnn.invoke()
        steps.append(rnn.get_tensor(yi))
    rnn.reset_all_variables()
    rnn.set_tensor(xi, xs)
    rnn.invoke()
    steps.append(rnn.get_tensor(yi))
    seen["rnn"] = steps
    return seen


def _assert_same(a, b, path="result"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{path}: {type(b)} is not an ndarray"
        assert a.dtype == b.dtype and a.shape == b.shape, \
            f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=path)
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
        if isinstance(a, float) and np.isnan(a):
            assert np.isnan(b), path
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"


def test_user_script_runs_unchanged_and_agrees(model_files):
    from ember import interpreter as tflite       # stands in for tflite_runtime.interpreter
    mods = _modules()
    assert mods["ember"] is tflite
    got = user_script(tflite, model_files["quant"], model_files["rnn"])
    want = user_script(mods["litert"], model_files["quant"], model_files["rnn"])
    _assert_same(got, want)


# ---- detail dictionaries --------------------------------------------------------

def _details(mod, path, which):
    it = mod.Interpreter(model_path=path)
    it.allocate_tensors()
    return getattr(it, which)()


@pytest.mark.parametrize("which", ["get_input_details", "get_output_details",
                                   "get_tensor_details"])
def test_details_equal_litert(model_files, which):
    mods = _modules()
    got = _details(mods["ember"], model_files["quant"], which)
    want = _details(mods["litert"], model_files["quant"], which)
    _assert_same(_by_index(got), _by_index(want), which)


def _by_index(details):
    return {d["index"]: d for d in details}


def test_per_channel_and_signature_values(model_files):
    """The values that matter, spelled out (so a shared mistake can't pass)."""
    import ember.interpreter as em
    it = em.Interpreter(model_path=model_files["quant"])
    it.allocate_tensors()
    t = {d["name"]: d for d in it.get_tensor_details()}
    qp = t["w_q"]["quantization_parameters"]
    np.testing.assert_array_equal(qp["scales"], np.array([0.5, 0.25, 0.125], np.float32))
    assert qp["scales"].dtype == np.float32 and qp["zero_points"].dtype == np.int32
    assert t["w_q"]["quantization"] == (0.0, 0)            # per-channel: no single pair
    assert t["sum_q"]["quantization"] == (0.125, 3)
    assert t["sum_q"]["dtype"] is np.int8
    np.testing.assert_array_equal(it.get_input_details()[0]["shape_signature"], [-1, 3, 4])
    assert it.get_signature_list() == {"serving_default": {"inputs": ["x"], "outputs": ["y"]},
                                       "double": {"inputs": ["a"], "outputs": ["b"]}}


def _real_model():
    from real_models import model_file
    return str(model_file("hand_landmark_lite.tflite"))


@pytest.mark.parametrize("which", ["get_input_details", "get_output_details",
                                   "get_tensor_details"])
def test_details_equal_litert_on_real_model(which):
    sys_path = str(pathlib.Path(__file__).resolve().parent)
    import sys
    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    path = _real_model()
    mods = _modules()
    got = _by_index(_details(mods["ember"], path, which))
    want = _by_index(_details(mods["litert"], path, which))
    _assert_same(got, want, which)


def test_signature_runner_details_equal_litert(model_files):
    mods = _modules()
    out = {}
    for k, mod in mods.items():
        it = mod.Interpreter(model_path=model_files["quant"])
        r = it.get_signature_runner("serving_default")
        out[k] = (r.get_input_details(), r.get_output_details())
    _assert_same(out["ember"], out["litert"])


# ---- errors -----------------------------------------------------------------------

def _both(model_files, allocate=True):
    its = {}
    for k, mod in _modules().items():
        it = mod.Interpreter(model_path=model_files["quant"])
        if allocate:
            it.allocate_tensors()
        its[k] = it
    return its


def _messages(its, fn, exc):
    msgs = {}
    for k, it in its.items():
        with pytest.raises(exc) as e:
            fn(it)
        msgs[k] = str(e.value)
    return msgs


def test_set_tensor_wrong_dtype_raises_valueerror_like_litert(model_files):
    its = _both(model_files)
    msgs = _messages(its, lambda it: it.set_tensor(0, np.zeros([1, 3, 4], np.int32)), ValueError)
    print(msgs)
    assert msgs["ember"] == msgs["litert"]


def test_set_tensor_wrong_shape_raises_valueerror_like_litert(model_files):
    its = _both(model_files)
    for bad in (np.zeros([1, 3, 5], np.float32), np.zeros([3, 4], np.float32)):
        msgs = _messages(its, lambda it: it.set_tensor(0, bad), ValueError)
        print(msgs)
        assert msgs["ember"] == msgs["litert"]


def test_view_held_during_invoke_raises_runtimeerror(model_files):
    its = _both(model_files)
    msgs = {}
    for k, it in its.items():
        view = it.tensor(it.get_input_details()[0]["index"])()
        with pytest.raises(RuntimeError) as e:
            it.invoke()
        msgs[k] = str(e.value)
        with pytest.raises(RuntimeError):
            it.allocate_tensors()
        del view
        it.invoke()                                     # fine once released
    # Same words; LiteRT's message carries the newlines and indentation of a
    # triple-quoted C++ string literal, an accident not worth copying.
    assert " ".join(msgs["ember"].split()) == " ".join(msgs["litert"].split())


def test_ember_error_is_valueerror():
    import ember
    assert issubclass(ember.EmberError, ValueError)
    with pytest.raises(ValueError):
        ember.Interpreter(model_content=b"not a model at all, not at all")


def test_invoke_before_allocate_raises(model_files):
    its = _both(model_files, allocate=False)
    for k, it in its.items():
        with pytest.raises((RuntimeError, ValueError)) as e:
            it.invoke()
        print(k, type(e.value).__name__, e.value)
    kinds = {k: type(_raise(it)).__mro__ for k, it in
             _both(model_files, allocate=False).items()}
    # LiteRT raises RuntimeError; Ember must raise something catchable the same way.
    assert RuntimeError in kinds["litert"]
    assert RuntimeError in kinds["ember"], f"ember raises {kinds['ember'][0].__name__}"


def _raise(it):
    try:
        it.invoke()
    except Exception as e:      # noqa: BLE001
        return e
    return None


def test_missing_model_path_raises_valueerror(tmp_path):
    missing = str(tmp_path / "no_such_model.tflite")
    for k, mod in _modules().items():
        with pytest.raises(ValueError) as e:
            mod.Interpreter(model_path=missing)
        print(k, e.value)
        assert "no_such_model.tflite" in str(e.value)
