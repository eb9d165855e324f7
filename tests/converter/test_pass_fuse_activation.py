"""fuse_activation: RELU-family ops fold into the producer's fused_activation_function."""
import numpy as np
import pytest

from ember.converter.passes import fuse_activation
from test_passes import Net, check, op_types

rng = np.random.default_rng(5)


def _producer(n, kind):
    """(output, input shape) of one op of ``kind`` with a fused-activation slot."""
    if kind in ("ADD", "SUB", "MUL", "DIV"):
        x = n.input((2, 3, 4))
        c = n.const(rng.uniform(0.5, 2, 4))
        return n.op(kind, [x, c], (2, 3, 4))
    if kind == "CONV_2D":
        x = n.input((1, 5, 5, 3))
        return n.op(kind, [x, n.const(rng.standard_normal((4, 3, 3, 3))), n.const(rng.standard_normal(4))],
                    (1, 5, 5, 4), padding="SAME", stride_w=1, stride_h=1)
    if kind == "DEPTHWISE_CONV_2D":
        x = n.input((1, 5, 5, 3))
        return n.op(kind, [x, n.const(rng.standard_normal((1, 3, 3, 3))), n.const(rng.standard_normal(3))],
                    (1, 5, 5, 3), padding="SAME", stride_w=1, stride_h=1, depth_multiplier=1)
    if kind == "FULLY_CONNECTED":
        x = n.input((2, 6))
        return n.op(kind, [x, n.const(rng.standard_normal((4, 6))), n.const(rng.standard_normal(4))], (2, 4))
    if kind == "TRANSPOSE_CONV":
        x = n.input((1, 4, 4, 3))
        return n.op(kind, [n.const([1, 8, 8, 2], np.int32), n.const(rng.standard_normal((2, 3, 3, 3))), x],
                    (1, 8, 8, 2), padding="SAME", stride_w=2, stride_h=2)
    if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        x = n.input((1, 6, 6, 2))
        return n.op(kind, [x], (1, 3, 3, 2), padding="VALID", stride_w=2, stride_h=2,
                    filter_width=2, filter_height=2)
    raise AssertionError(kind)


KINDS = ["ADD", "SUB", "MUL", "DIV", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
         "TRANSPOSE_CONV", "AVERAGE_POOL_2D", "MAX_POOL_2D"]


@pytest.mark.parametrize("act", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize("kind", KINDS)
def test_activation_fuses_into_each_op_kind(kind, act):
    n = Net()
    y = _producer(n, kind)
    n.output(n.op(act, [y], y.shape, name="out"))
    m = check(n, fuse_activation.run)
    (op,) = m.main.ops
    assert op.type == kind and op.options["fused_activation_function"] == act
    assert m.main.outputs[0].name == "out"


@pytest.mark.parametrize("why", ["tanh", "two readers", "graph output", "already fused",
                                 "concatenation"])
def test_not_fused(why):
    n = Net()
    y = _producer(n, "ADD")
    if why == "already fused":
        n.g.ops[-1].options["fused_activation_function"] = "RELU6"
    if why == "concatenation":
        y = n.op("CONCATENATION", [y, y], (4, 3, 4), axis=0)
    act = n.op("TANH" if why == "tanh" else "RELU", [y], y.shape)
    extra = [n.op("ABS", [y], y.shape)] if why == "two readers" else []
    extra += [y] if why == "graph output" else []
    n.output(act, *extra)
    check(n, fuse_activation.run, changed=False)


@pytest.mark.parametrize("pattern,want", [
    ([("MAXIMUM", 0.0)], "RELU"),
    ([("MAXIMUM", 0.0), ("MINIMUM", 6.0)], "RELU6"),
    ([("MINIMUM", 6.0), ("MAXIMUM", 0.0)], "RELU6"),
    ([("MAXIMUM", -1.0), ("MINIMUM", 1.0)], "RELU_N1_TO_1"),
])
def test_clip_patterns_become_activations_and_fuse(pattern, want):
    n = Net()
    y = _producer(n, "CONV_2D")
    for i, (kind, v) in enumerate(pattern):
        c = n.const(v if i % 2 else [[[[v]]]])       # a scalar and a rank-4 one-element constant
        y = n.op(kind, [c, y] if i else [y, c], y.shape)
    n.output(y)
    m = check(n, fuse_activation.run)
    (op,) = m.main.ops
    assert op.options["fused_activation_function"] == want


def test_a_clip_that_is_no_activation_keeps_its_exact_parts():
    n = Net()
    x = n.input((2, 5))
    y = n.op("MINIMUM", [n.op("MAXIMUM", [x, n.const(0.0)], (2, 5)), n.const(3.0)], (2, 5))
    n.output(y)
    m = check(n, fuse_activation.run)
    assert op_types(m) == {"RELU": 1, "MINIMUM": 1}


def test_a_clip_that_broadcasts_is_kept():
    n = Net()
    x = n.input((3,))
    n.output(n.op("MAXIMUM", [x, n.const(np.zeros((2, 3)))], (2, 3)))
    check(n, fuse_activation.run, changed=False)
