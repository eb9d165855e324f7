"""`ember convert` on every source format, through the real console script."""
import numpy as np
import pytest

import ember
from clihelp import REPO, ember_cli
from oracle import assert_close

DIGITS = REPO / "examples" / "digits.keras"


def _onnx_conv(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"])],
        "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)
    return model


def _run(flat, x):
    it = ember.Interpreter(model_content=flat)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]), it


def test_convert_keras_archive(tmp_path):
    out = tmp_path / "digits.tflite"
    r = ember_cli("convert", DIGITS, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and out.exists()
    assert out.read_bytes() == ember.convert(str(DIGITS))


@pytest.mark.parametrize("nhwc", [False, True])
def test_convert_onnx_keeps_or_changes_layout(tmp_path, nhwc):
    import onnxruntime as ort

    src = tmp_path / "conv.onnx"
    model = _onnx_conv(src)
    out = tmp_path / "conv.tflite"
    r = ember_cli("convert", src, "-o", out, *(["--nhwc"] if nhwc else []))
    assert r.returncode == 0, r.stderr
    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    if nhwc:
        got, it = _run(out.read_bytes(), x.transpose(0, 2, 3, 1).copy())
        assert list(it.get_input_details()[0]["shape"]) == [1, 8, 8, 3]
        assert_close(got, want.transpose(0, 2, 3, 1), rtol=1e-4)
    else:
        got, it = _run(out.read_bytes(), x)
        assert list(it.get_input_details()[0]["shape"]) == [1, 3, 8, 8]
        assert_close(got, want, rtol=1e-4)


def test_convert_onnx_unknown_dim_says_how_to_fix(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "n", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "n", 4])])
    src = tmp_path / "dyn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), src)
    r = ember_cli("convert", src, "-o", tmp_path / "o.tflite")
    assert r.returncode == 1
    assert "--input-shape" in r.stderr and "Traceback" not in r.stderr
    r = ember_cli("convert", src, "-o", tmp_path / "o.tflite", "--input-shape", "x=1,5,4")
    assert r.returncode == 0, r.stderr


def test_convert_unknown_format_is_one_line(tmp_path):
    src = tmp_path / "model.pb"
    src.write_bytes(b"not a model")
    r = ember_cli("convert", src, "-o", tmp_path / "o.tflite")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "unsupported source format" in r.stderr
