"""Runtime behaviour: arena planning, repeated invokes, resizing, dynamic shapes."""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle import assert_matches_litert


def _chain(n=6):
    """x -> RELU -> NEG -> RELU ... : the input is dead after node 0."""
    b = ModelBuilder()
    x = b.input("x", [64], "float32")
    cur = x
    for i in range(n):
        nxt = b.tensor(f"t{i}", [64], "float32")
        b.op("NEG" if i % 2 else "RELU", [cur], [nxt])
        cur = nxt
    b.output(cur)
    return b.build()


def test_input_survives_invoke_so_a_second_invoke_gives_the_same_result():
    it = ember.Interpreter(model_content=_chain())
    it.allocate_tensors()
    x = np.linspace(-1, 1, 64, dtype=np.float32)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    first = it.get_tensor(it.get_output_details()[0]["index"])
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]), first)
    np.testing.assert_array_equal(it.get_tensor(it.get_input_details()[0]["index"]), x)


def test_arena_reuses_memory_of_dead_tensors():
    it = ember.Interpreter(model_content=_chain(8))
    it.allocate_tensors()
    arena, _ = it.arena_size()
    # input + two live intermediates at most, not nine tensors of 256 bytes
    assert arena <= 3 * 256
    keep = ember.Interpreter(model_content=_chain(8), experimental_preserve_all_tensors=True)
    keep.allocate_tensors()
    assert keep.arena_size()[0] >= 9 * 256


def test_preserve_all_tensors_keeps_intermediates_readable():
    it = ember.Interpreter(model_content=_chain(4), experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    x = np.linspace(-1, 1, 64, dtype=np.float32)
    it.set_tensor(0, x)
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(1), np.maximum(x, 0))
    np.testing.assert_array_equal(it.get_tensor(2), -np.maximum(x, 0))


def _dynamic_reshape_model():
    """y = RELU(RESHAPE(x, shape)) where `shape` is an input: y's shape is known only at invoke."""
    b = ModelBuilder()
    x = b.input("x", [2, 6], "float32")
    s = b.input("shape", [2], "int32")
    r = b.tensor("r", [3, 4], "float32")
    b.op("RESHAPE", [x, s], [r])
    y = b.tensor("y", [3, 4], "float32")
    b.op("RELU", [r], [y])
    b.output(y)
    return b.build()


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (12, 1)])
def test_data_dependent_shapes_flow_through_later_nodes(shape):
    x = np.arange(-6, 6, dtype=np.float32).reshape(2, 6)
    got = assert_matches_litert(_dynamic_reshape_model(), [x, np.array(shape, np.int32)])
    assert got[0].shape == shape


def test_resize_input_then_allocate_replans():
    b = ModelBuilder()
    x = b.input("x", [1, 4], "float32", shape_signature=[-1, 4])
    y = b.tensor("y", [1, 4], "float32")
    b.op("RELU", [x], [y])
    b.output(y)
    it = ember.Interpreter(model_content=b.build())
    it.allocate_tensors()
    idx = it.get_input_details()[0]["index"]
    it.resize_tensor_input(idx, [5, 4], strict=True)
    with pytest.raises(ember.EmberError, match="allocate_tensors"):
        it.invoke()
    it.allocate_tensors()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    it.set_tensor(idx, x)
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]), np.maximum(x, 0))
    with pytest.raises(ValueError, match="unknown dimensions"):
        it.resize_tensor_input(idx, [5, 3], strict=True)


def test_threads_give_the_same_answer():
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    x = b.input("x", [1, 32, 32, 16], "float32")
    w = b.const("w", rng.standard_normal((32, 3, 3, 16)).astype(np.float32))
    bias = b.const("b", rng.standard_normal(32).astype(np.float32))
    y = b.tensor("y", [1, 32, 32, 32], "float32")
    b.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {"padding": "SAME", "stride_w": 1, "stride_h": 1}))
    b.output(y)
    model = b.build()
    xin = rng.standard_normal((1, 32, 32, 16)).astype(np.float32)
    one = assert_matches_litert(model, [xin], num_threads=1)[0]
    two = assert_matches_litert(model, [xin], num_threads=2)[0]
    np.testing.assert_allclose(one, two, rtol=1e-6, atol=1e-5)
