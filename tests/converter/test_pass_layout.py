"""The layout pass on hand-built IR graphs: what it removes, and that results do not change.

Each graph runs before the pass in LiteRT (the oracle) and after it in Ember and
LiteRT; the op lists pin what the pass is for.
"""
import numpy as np
import pytest

from ember.converter import ir
from ember.converter.passes import layout
from ember.schema.writer import write
from oracle import assert_close, ember as run_ember, litert

NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
RNG = np.random.default_rng(3)


class G:
    """A tiny builder over ir.Graph with shapes computed for the ops used here."""

    def __init__(self, *input_shapes):
        self.m = ir.Model()
        self.g = self.m.main
        self.n = 0
        self.g.inputs = [ir.Tensor(f"in{i}", np.float32, shape=s)
                         for i, s in enumerate(input_shapes)]

    def t(self, shape, dtype=np.float32):
        self.n += 1
        return ir.Tensor(f"t{self.n}", dtype, shape=shape)

    def c(self, value, dtype=np.float32):
        self.n += 1
        return ir.Tensor(f"c{self.n}", dtype, data=np.asarray(value, dtype))

    def op(self, type_, ins, shape, options=None, dtype=np.float32):
        out = self.t(shape, dtype)
        self.g.add(type_, ins, [out], options or {})
        return out

    def transpose(self, x, perm):
        return self.op("TRANSPOSE", [x, self.c(perm, np.int32)], tuple(x.shape[p] for p in perm))

    def conv1x1(self, x_nhwc, cout):
        n, h, w, cin = x_nhwc.shape
        return self.op("CONV_2D", [x_nhwc, self.c(RNG.standard_normal((cout, 1, 1, cin))),
                                   self.c(np.zeros(cout))], (n, h, w, cout),
                       {"padding": "VALID", "stride_h": 1, "stride_w": 1})

    def nchw_conv(self, x_nchw, cout):
        """What an NCHW frontend emits: TRANSPOSE, CONV_2D, TRANSPOSE back."""
        return self.transpose(self.conv1x1(self.transpose(x_nchw, NCHW_TO_NHWC), cout),
                              NHWC_TO_NCHW)

    def types(self):
        return [op.type for op in self.g.ops]


def _inputs(model):
    return [RNG.standard_normal(t.shape).astype(np.float32) for t in model.main.inputs]


def run_pass(b, *, expect_change=True):
    """Runs the pass; checks outputs are unchanged; returns the op types after it."""
    b.g.outputs = b.g.outputs or []
    before = write(b.m)
    xs = _inputs(b.m)
    want = litert(before, xs)
    assert layout.run(b.m) == expect_change
    after = write(b.m)
    for runner in (run_ember, litert):
        for got, w in zip(runner(after, xs), want):
            assert_close(got, w, rtol=1e-5)
    return b.types()


def test_conv_relu_conv_keeps_only_the_edge_transposes():
    b = G((1, 4, 5, 6))
    y = b.nchw_conv(b.g.inputs[0], 8)
    y = b.op("RELU", [y], y.shape)
    y = b.nchw_conv(y, 3)
    b.g.outputs = [y]
    assert run_pass(b) == ["TRANSPOSE", "CONV_2D", "RELU", "CONV_2D", "TRANSPOSE"]


def test_residual_add_and_constant_broadcast_are_rewritten_for_nhwc():
    b = G((1, 4, 5, 6))
    x = b.g.inputs[0]
    a = b.nchw_conv(x, 4)
    a = b.op("MUL", [a, b.c(RNG.standard_normal((4, 1, 1)))], a.shape)      # BN-like [C,1,1]
    a = b.op("ADD", [a, b.c(RNG.standard_normal((4, 1, 1)))], a.shape)
    y = b.op("ADD", [a, x], a.shape)                                         # residual
    y = b.op("RELU6", [y], y.shape)
    y = b.nchw_conv(y, 2)
    b.g.outputs = [y]
    types = run_pass(b)
    assert types.count("TRANSPOSE") == 2, types
    mul = next(op for op in b.g.ops if op.type == "MUL")
    assert mul.inputs[1].shape == (1, 1, 1, 4)


def test_concat_split_reduce_pad_axes_are_remapped():
    b = G((1, 4, 5, 6), (1, 4, 5, 6))
    x0, x1 = b.g.inputs
    a, c = b.nchw_conv(x0, 3), b.nchw_conv(x1, 5)
    cat = b.op("CONCATENATION", [a, c], (1, 8, 5, 6), {"axis": 1})
    pad = b.op("PAD", [cat, b.c([[0, 0], [0, 0], [1, 2], [0, 1]], np.int32)], (1, 8, 8, 7))
    s1, s2 = b.t((1, 3, 8, 7)), b.t((1, 5, 8, 7))
    b.g.add("SPLIT_V", [pad, b.c([3, 5], np.int32), b.c(1, np.int32)], [s1, s2],
            {"num_splits": 2})
    m1 = b.op("MEAN", [s1, b.c([2, 3], np.int32)], (1, 3), {"keep_dims": False})
    m2 = b.op("REDUCE_MAX", [s2, b.c([1], np.int32)], (1, 1, 8, 7), {"keep_dims": True})
    out2 = b.nchw_conv(m2, 2)
    b.g.outputs = [m1, out2]
    types = run_pass(b)
    assert types.count("TRANSPOSE") == 3, types      # two inputs + the NCHW output
    cat_op = next(op for op in b.g.ops if op.type == "CONCATENATION")
    assert cat_op.options["axis"] == 3


def test_graph_outputs_keep_their_names_when_transposes_cancel():
    b = G((1, 5, 6, 4))                               # an NHWC input
    x = b.transpose(b.g.inputs[0], NHWC_TO_NCHW)     # nhwc=True edge
    y = b.nchw_conv(x, 3)
    y = b.op("TANH", [y], y.shape)
    out = b.transpose(y, NCHW_TO_NHWC)               # nhwc=True edge
    out.name = "result"
    b.g.outputs = [out]
    assert run_pass(b) == ["CONV_2D", "TANH"]
    assert b.g.outputs[0].name == "result"


def test_flatten_after_1x1_spatial_needs_no_transpose():
    b = G((2, 4, 3, 3))
    y = b.nchw_conv(b.g.inputs[0], 6)
    y = b.op("MEAN", [y, b.c([2, 3], np.int32)], (2, 6, 1, 1), {"keep_dims": True})
    y = b.op("RESHAPE", [y, b.c([2, 6], np.int32)], (2, 6), {"new_shape": [2, 6]})
    b.g.outputs = [y]
    types = run_pass(b)
    assert types == ["TRANSPOSE", "CONV_2D", "MEAN", "RESHAPE"], types


def test_flatten_of_spatial_data_keeps_its_transpose():
    b = G((1, 4, 3, 3))
    y = b.nchw_conv(b.g.inputs[0], 2)
    y = b.op("RESHAPE", [y, b.c([1, 18], np.int32)], (1, 18), {"new_shape": [1, 18]})
    b.g.outputs = [y]
    types = run_pass(b, expect_change=False)
    assert types.count("TRANSPOSE") == 2, types


def test_softmax_over_channels_meets_the_conv_transposes():
    b = G((1, 4, 5, 6))
    y = b.nchw_conv(b.g.inputs[0], 3)
    y = b.transpose(y, NCHW_TO_NHWC)                 # Softmax(axis=1): channels last...
    y = b.op("SOFTMAX", [y], y.shape, {"beta": 1.0})
    y = b.transpose(y, NHWC_TO_NCHW)                 # ...and back
    b.g.outputs = [y]
    assert run_pass(b) == ["TRANSPOSE", "CONV_2D", "SOFTMAX", "TRANSPOSE"]


def test_no_ping_pong_with_a_plain_second_operand():
    """ADD(transposed, plain) with nothing to cancel downstream: left alone, and it ends."""
    b = G((1, 4, 5, 6), (1, 5, 6, 4))
    x, other = b.g.inputs
    t = b.transpose(other, NHWC_TO_NCHW)
    y = b.op("ADD", [t, x], x.shape)
    b.g.outputs = [y]
    run_pass(b, expect_change=False)


def test_constant_transpose_is_folded_and_identity_dropped():
    b = G((2, 3))
    c = b.transpose(b.c(RNG.standard_normal((3, 2))), (1, 0))
    i = b.transpose(b.g.inputs[0], (0, 1))
    y = b.op("ADD", [i, c], (2, 3))
    b.g.outputs = [y]
    assert run_pass(b) == ["ADD"]


@pytest.mark.parametrize("keep", [True, False])
def test_argless_reductions_follow_the_permutation(keep):
    b = G((1, 4, 5, 6))
    y = b.nchw_conv(b.g.inputs[0], 3)
    shape = (1, 3, 1, 6) if keep else (1, 3, 6)
    y = b.op("SUM", [y, b.c([2], np.int32)], shape, {"keep_dims": keep})
    b.g.outputs = [y]
    run_pass(b)
