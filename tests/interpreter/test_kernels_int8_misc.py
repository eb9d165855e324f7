"""Quantised RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, PRELU, SELECT_V2,
ARG_MAX / ARG_MIN, CONCATENATION and unary ops (int8/uint8/int16), bit for bit
against TFLite Micro and LiteRT's BUILTIN_REF kernels (tests/oracle_int8.py).

TFLite Micro lacks several of these paths (uint8 everywhere, int16 bilinear,
...); each case that leaves an oracle out says why.
"""
import numpy as np
import pytest

import ember
from ember.schema.builder import ModelBuilder
from oracle_int8 import assert_matches_reference

INFO = {"int8": np.iinfo(np.int8), "uint8": np.iinfo(np.uint8), "int16": np.iinfo(np.int16)}


def q(scale, zp=0):
    return {"scale": [scale], "zero_point": [zp]}


def rand_q(rng, dtype, shape):
    i = INFO[dtype]
    return rng.integers(i.min, i.max + 1, size=shape, dtype=np.int64).astype(dtype)


def refused(model, match):
    with pytest.raises(ember.EmberError, match=match):
        ember.Interpreter(model_content=model).allocate_tensors()


def seed(*key):
    return np.random.default_rng(abs(hash(key)) % 2**32)


# ---- resize ------------------------------------------------------------------------

def resize_model(op, dtype, shape, size, align, half, qx, qy=None, const_size=True):
    b = ModelBuilder()
    x = b.input("x", list(shape), dtype, quant=qx)
    s = b.const("size", np.array(size, np.int32)) if const_size else b.input("size", [2], "int32")
    y = b.tensor("y", [shape[0], size[0], size[1], shape[3]], dtype, quant=qy or qx)
    table = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    b.op(op, [x, s], [y], options=(table, {"align_corners": align, "half_pixel_centers": half}))
    b.output(y)
    return b.build()


RESIZES = [((1, 4, 4, 3), (8, 8)), ((2, 5, 3, 2), (3, 7)), ((1, 3, 6, 1), (7, 2)),
           ((1, 1, 1, 4), (3, 3)), ((1, 6, 6, 2), (6, 6)), ((1, 2, 9, 1), (1, 4))]
FLAGS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
@pytest.mark.parametrize("flags", FLAGS)
def test_resize(op, dtype, flags):
    rng = seed(op, dtype, flags)
    qx = q(0.05, 3) if dtype == "int8" else q(0.02, 128) if dtype == "uint8" else q(0.001)
    for shape, size in RESIZES:
        model = resize_model(op, dtype, shape, size, *flags, qx)
        # TFLite Micro has no uint8 resize and no int16 bilinear.
        tflm = dtype == "int8" or (dtype == "int16" and op == "RESIZE_NEAREST_NEIGHBOR")
        assert_matches_reference(model, [rand_q(rng, dtype, shape)], use_tflm=tflm)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_resize_bilinear_runtime_size(dtype):
    # size given at run time: the output is resized in eval (LiteRT only:
    # TFLite Micro needs the size constant)
    rng = seed("rt", dtype)
    model = resize_model("RESIZE_BILINEAR", dtype, (1, 3, 4, 2), (5, 9), False, True, q(0.1),
                         const_size=False)
    assert_matches_reference(model, [rand_q(rng, dtype, (1, 3, 4, 2)), np.array([5, 9], np.int32)],
                             use_tflm=False)


def test_resize_quantisation_mismatch_refused():
    for op in ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"]:
        refused(resize_model(op, "int8", (1, 2, 2, 1), (4, 4), False, False, q(0.1, 2), q(0.2, 2)),
                "quantisation differ")
