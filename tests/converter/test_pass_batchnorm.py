"""batchnorm: x*scale + offset after a weighted op folds into its weights and bias."""
import numpy as np
import pytest

from ember.converter.passes import batchnorm
from test_passes import Net, check, op_types

rng = np.random.default_rng(3)
C = 6


def _weighted(n, kind, x, bias=True, act="NONE"):
    """(output tensor) of a weighted op with C output channels on x."""
    b = [n.const(rng.standard_normal(C))] if bias else []
    if kind == "CONV_2D":
        w = n.const(rng.standard_normal((C, 3, 3, 4)))
        return n.op("CONV_2D", [x, w] + b, (1, 5, 5, C), padding="SAME", stride_w=1, stride_h=1,
                    fused_activation_function=act)
    if kind == "DEPTHWISE_CONV_2D":
        w = n.const(rng.standard_normal((1, 3, 3, C)))
        return n.op("DEPTHWISE_CONV_2D", [x, w] + b, (1, 5, 5, C), padding="VALID", stride_w=1,
                    stride_h=1, depth_multiplier=C // 3, fused_activation_function=act)
    if kind == "FULLY_CONNECTED":
        w = n.const(rng.standard_normal((C, 12)))
        return n.op("FULLY_CONNECTED", [x, w] + (b or [None]), (2, C), fused_activation_function=act)
    if kind == "TRANSPOSE_CONV":
        w = n.const(rng.standard_normal((C, 3, 3, 4)))
        ins = [n.const([1, 10, 10, C], np.int32), w, x] + b
        return n.op("TRANSPOSE_CONV", ins, (1, 10, 10, C), padding="SAME", stride_w=2, stride_h=2,
                    version=3 if bias else 1)
    raise AssertionError(kind)


_INPUT = {"CONV_2D": (1, 5, 5, 4), "DEPTHWISE_CONV_2D": (1, 7, 7, 3),
          "FULLY_CONNECTED": (2, 12), "TRANSPOSE_CONV": (1, 5, 5, 4)}


def _bn(n, y, scale_shape=(C,), offset_shape=(C,), act="NONE"):
    shape = y.shape
    s = n.op("MUL", [y, n.const(rng.uniform(0.5, 2, scale_shape))], shape)
    return n.op("ADD", [n.const(rng.standard_normal(offset_shape)), s], shape, name="bn_out",
                fused_activation_function=act)


# LiteRT's CONV_2D and DEPTHWISE_CONV_2D insist on a bias; the other two may lack one.
@pytest.mark.parametrize("kind,bias", [(k, True) for k in sorted(_INPUT)] +
                         [("FULLY_CONNECTED", False), ("TRANSPOSE_CONV", False)])
def test_mul_add_fold_into_each_weighted_op(kind, bias):
    n = Net()
    x = n.input(_INPUT[kind])
    y = _bn(n, _weighted(n, kind, x, bias=bias))
    n.output(y)
    m = check(n, batchnorm.run)
    assert op_types(m) == {kind: 1}
    assert m.main.outputs[0].name == "bn_out"


def test_broadcast_shapes_and_scalars_and_a_moved_activation():
    n = Net()
    x = n.input(_INPUT["CONV_2D"])
    y = _bn(n, _weighted(n, "CONV_2D", x), scale_shape=(1, 1, 1, C), offset_shape=(), act="RELU6")
    n.output(y)
    m = check(n, batchnorm.run)
    (op,) = m.main.ops
    assert op.options["fused_activation_function"] == "RELU6"


def test_sub_of_a_constant_is_a_bias_too():
    n = Net()
    x = n.input(_INPUT["FULLY_CONNECTED"])
    y = _weighted(n, "FULLY_CONNECTED", x)
    n.output(n.op("SUB", [y, n.const(rng.standard_normal(C))], (2, C)))
    assert op_types(check(n, batchnorm.run)) == {"FULLY_CONNECTED": 1}


def test_shared_weights_are_not_changed_for_the_other_reader():
    n = Net()
    x = n.input(_INPUT["CONV_2D"])
    a = _weighted(n, "CONV_2D", x)
    conv = n.g.ops[-1]
    b = n.op("CONV_2D", [x, conv.inputs[1], conv.inputs[2]], (1, 5, 5, C), padding="SAME",
             stride_w=1, stride_h=1)
    s = n.op("MUL", [a, n.const(rng.uniform(0.5, 2, C))], a.shape)
    n.output(s, b)
    m = check(n, batchnorm.run)
    assert op_types(m) == {"CONV_2D": 2}


@pytest.mark.parametrize("why", ["two readers", "fused activation", "not constant",
                                 "broadcasts", "other axis", "c - y"])
def test_not_folded(why):
    n = Net()
    x = n.input(_INPUT["CONV_2D"])
    y = _weighted(n, "CONV_2D", x, act="RELU" if why == "fused activation" else "NONE")
    other = n.const(rng.uniform(0.5, 2, C))
    outs = []
    if why == "two readers":
        outs.append(n.op("RELU", [y], y.shape))
    if why == "not constant":
        other = n.op("ABS", [y], y.shape)
    if why == "broadcasts":
        other = n.const(rng.uniform(0.5, 2, (2, 1, 1, 1, C)))
    if why == "other axis":
        other = n.const(rng.uniform(0.5, 2, (1, 5, 1)))
    if why == "c - y":
        n.output(n.op("SUB", [other, y], y.shape), *outs)
    else:
        shape = (2,) + y.shape if why == "broadcasts" else y.shape
        n.output(n.op("MUL", [y, other], shape), *outs)
    check(n, batchnorm.run, changed=False)
