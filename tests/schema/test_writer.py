"""The IR writer (schema/writer.py): signatures, metadata, refusals."""
import numpy as np
import pytest

import ember
from ember.converter import ir
from ember.schema.writer import write


def _relu_model():
    m = ir.Model()
    g = m.main
    x, y = ir.Tensor("x", np.float32, (1, 3)), ir.Tensor("y", np.float32, (1, 3))
    g.inputs = [x]
    g.add("RELU", [x], [y])
    g.outputs = [y]
    m.default_signature()
    return m


def test_default_signature_and_metadata():
    from ember.schema.builder import read_model

    data = write(_relu_model())
    it = ember.Interpreter(model_content=data)
    assert it.get_signature_list() == {"serving_default": {"inputs": ["x"], "outputs": ["y"]}}
    names = {m.name.decode() if isinstance(m.name, bytes) else m.name
             for m in read_model(data).metadata}
    assert {"min_runtime_version", "ember_version"} <= names


def test_signature_follows_a_replaced_output_tensor():
    """A pass may swap a graph output for an equivalent tensor after the signature was made."""
    m = _relu_model()
    y2 = ir.Tensor("y", np.float32, (1, 3))
    m.main.ops[0].outputs = [y2]
    m.main.outputs = [y2]
    it = ember.Interpreter(model_content=write(m))
    runner = it.get_signature_runner("serving_default")
    out = runner(x=np.array([[-1, 0, 2]], np.float32))
    np.testing.assert_array_equal(out["y"], [[0, 0, 2]])


def test_signature_naming_a_removed_tensor_is_refused_clearly():
    m = _relu_model()
    x = m.main.inputs[0]
    gone = ir.Tensor("gone", np.float32, (1, 3))
    m.signatures[0].outputs = {"y": m.main.outputs[0], "gone": gone}
    with pytest.raises(ir.ConversionError, match="gone"):
        write(m)
    assert x is m.main.inputs[0]
