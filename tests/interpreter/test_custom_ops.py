"""Custom ops: Python-registered ops for prototyping, and clear errors when one is missing."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder


def _model(op_name="ScaleShift"):
    b = ModelBuilder()
    x = b.input("x", [2, 3], "float32")
    y = b.tensor("y", [2, 3], "float32")
    b.op("CUSTOM", [x], [y], custom_code=op_name, custom_options=b"\x02")
    z = b.tensor("z", [2, 3], "float32")
    b.op("RELU", [y], [z])
    b.output(z)
    return b.build()


class ScaleShift:
    """y = 3x - 1, computed in numpy."""

    def __init__(self):
        self.calls = 0

    def prepare(self, inputs):
        (shape, dtype), = inputs
        assert dtype == np.float32
        return [(shape, np.float32)]

    def eval(self, inputs, outputs):
        self.calls += 1
        outputs[0][...] = inputs[0] * 3 - 1


def test_python_custom_op_runs_inside_the_graph():
    op = ScaleShift()
    it = ember.Interpreter(model_content=_model(), custom_ops={"ScaleShift": op})
    it.allocate_tensors()
    x = np.array([[0, 1, 2], [-1, 0.5, 0.25]], np.float32)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(it.get_output_details()[0]["index"]),
                               np.maximum(x * 3 - 1, 0))
    assert op.calls == 1


def test_python_custom_op_errors_become_ember_errors():
    class Broken(ScaleShift):
        def eval(self, inputs, outputs):
            raise RuntimeError("boom")
    it = ember.Interpreter(model_content=_model(), custom_ops={"ScaleShift": Broken()})
    it.allocate_tensors()
    with pytest.raises(ember.EmberError, match="ScaleShift.*boom"):
        it.invoke()


def test_unregistered_custom_op_is_named_at_allocate():
    it = ember.Interpreter(model_content=_model("NoSuchOp"))
    with pytest.raises(ember.EmberError, match=r"node 0 \(NoSuchOp\).*not registered"):
        it.allocate_tensors()


def test_unknown_builtin_op_is_named_at_allocate():
    b = ModelBuilder()
    x = b.input("x", [4], "float32")
    y = b.tensor("y", [4], "float32")
    b.op("HASHTABLE_LOOKUP", [x, x, x], [y])
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    with pytest.raises(ember.EmberError, match=r"node 0 .*HASHTABLE_LOOKUP.*not supported"):
        it.allocate_tensors()
