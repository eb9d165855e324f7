"""Ember works with numpy 1.x and 2.x from one build: the C extension is a single
stable-ABI (abi3) module that never touches numpy's C API (tensors reach numpy
through ``__array_interface__``), so no numpy headers are compiled in and no
numpy ABI version is baked into the binary. ``make test-numpy1`` runs these (and
the other interpreter tests) in a numpy 1.26 venv; here they run under whatever
numpy is installed. None of them needs LiteRT."""
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from ember.schema.builder import ModelBuilder

NUMPY_C_API = (b"_ARRAY_API", b"_UFUNC_API", b"PyArray_", b"PyUFunc_", b"numpy/core/include",
               b"_multiarray_umath", b"numpy.core.multiarray", b"numpy._core.multiarray")


def _extension():
    import ember._ember as ext
    return pathlib.Path(ext.__file__)


def test_extension_is_one_abi3_module():
    path = _extension()
    assert path.name.endswith(".abi3.so"), f"{path.name} is not a stable-ABI (abi3) build"
    siblings = sorted(p.name for p in path.parent.glob("_ember*.so"))
    assert siblings == [path.name], f"more than one build of the extension: {siblings}"


def test_extension_has_no_numpy_c_api():
    path = _extension()
    data = path.read_bytes()
    found = [s.decode() for s in NUMPY_C_API if s in data]
    assert not found, f"{path.name} references numpy's C API: {found}"
    nm = shutil.which("nm")
    if nm:
        syms = subprocess.run([nm, "-D", str(path)], capture_output=True, text=True).stdout
        bad = [ln for ln in syms.splitlines() if "PyArray" in ln or "_ARRAY_API" in ln]
        assert not bad, bad


def _model():
    b = ModelBuilder()
    x = b.input("x", [2, 3], "float32", shape_signature=[-1, 3])
    c = b.const("c", np.array([1.0, -2.0, 0.5], np.float32))
    y = b.tensor("y", [2, 3], "float32", shape_signature=[-1, 3])
    b.op("MUL", [x, c], [y], options=("MulOptions", {}))
    q = b.tensor("q", [2, 3], "int8", shape_signature=[-1, 3],
                 quant={"scale": [0.05], "zero_point": [-3]})
    b.op("QUANTIZE", [y], [q])
    b.output(y, q)
    return b.build()


def test_runs_under_this_numpy():
    import ember
    it = ember.Interpreter(model_content=_model())
    it.allocate_tensors()
    x = np.array([[1, 2, 3], [-1, 0, 4]], np.float32)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    yd, qd = it.get_output_details()
    y = it.get_tensor(yd["index"])
    np.testing.assert_array_equal(y, x * np.array([1, -2, 0.5], np.float32))
    q = it.get_tensor(qd["index"])
    assert q.dtype == np.int8
    np.testing.assert_array_equal(q, np.clip(np.round(y / 0.05) - 3, -128, 127).astype(np.int8))
    # views: writable input, read-only constants, same memory across calls
    view = it.tensor(it.get_input_details()[0]["index"])
    view()[...] = 2.0
    del view
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(yd["index"]), np.full([2, 3], 2.0) * [1, -2, 0.5])


def test_detail_types_under_this_numpy():
    import ember
    it = ember.Interpreter(model_content=_model())
    it.allocate_tensors()
    d = it.get_input_details()[0]
    assert d["dtype"] is np.float32
    assert d["shape"].dtype == np.int32 and d["shape_signature"].dtype == np.int32
    assert list(d["shape_signature"]) == [-1, 3]
    q = it.get_output_details()[1]
    assert isinstance(q["quantization"][0], float) and isinstance(q["quantization"][1], int)
    assert q["quantization_parameters"]["scales"].dtype == np.float32
    assert q["quantization_parameters"]["zero_points"].dtype == np.int32


def test_resize_and_signature_free_paths_under_this_numpy():
    import ember
    it = ember.Interpreter(model_content=_model(), num_threads=2)
    it.resize_tensor_input(0, np.array([4, 3], np.int64))        # numpy ints accepted
    it.allocate_tensors()
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    it.set_tensor(np.int64(0), x)
    it.invoke()
    assert it.get_tensor(it.get_output_details()[0]["index"]).shape == (4, 3)


def test_wrong_dtype_message_names_numpy_types():
    import ember
    it = ember.Interpreter(model_content=_model())
    it.allocate_tensors()
    with pytest.raises(ValueError, match="FLOAT64 but expected type FLOAT32"):
        it.set_tensor(0, np.zeros([2, 3]))


def test_numpy_version_is_supported():
    major = int(np.__version__.split(".")[0])
    assert major in (1, 2), np.__version__
