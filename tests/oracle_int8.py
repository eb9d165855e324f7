"""Exact oracles for quantised kernels: TFLite Micro and LiteRT's reference kernels.

Integer results must be bit-identical to TFLite Micro's Python interpreter
(``tflite-micro`` on PyPI) and to LiteRT with ``OpResolverType.BUILTIN_REF``.
LiteRT's default (optimised/XNNPACK) kernels round differently by a few LSB;
:func:`max_lsb_vs_litert_default` measures that difference for reports.
"""
import importlib.util

import numpy as np

from oracle import ember, litert
from conftest import need


def tflm(model, inputs, *, arena_size=None):
    """Outputs of TFLite Micro's Python interpreter on ``inputs`` (a list in input order)."""
    need(importlib.util.find_spec("tflite_micro") is not None,
         "tflite-micro is not installed (pip install tflite-micro)")
    from tflite_micro.python.tflite_micro import runtime

    it = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
    details = [it.get_input_details(i) for i in range(len(inputs))]
    for i, (d, x) in enumerate(zip(details, inputs)):
        it.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), i)
    it.invoke()
    import ember as em
    n_out = len(em.Interpreter(model_content=bytes(model)).get_output_details())
    return [np.array(it.get_output(i)) for i in range(n_out)]


def litert_ref(model, inputs):
    """Outputs of LiteRT's BUILTIN_REF kernels (the reference integer maths)."""
    return litert(model, inputs, reference=True)


def assert_bitexact(got, want, what="output"):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    diff = np.flatnonzero(got.ravel() != want.ravel())
    if diff.size:
        i = diff[0]
        raise AssertionError(f"{what}: {diff.size}/{got.size} elements differ; first at flat "
                             f"index {i}: got {got.ravel()[i]}, want {want.ravel()[i]}")


def assert_matches_reference(model, inputs, *, use_tflm=True, use_litert_ref=True):
    """Ember's outputs equal TFLite Micro's and LiteRT BUILTIN_REF's, bit for bit.

    Pass ``use_tflm=False`` only for ops TFLite Micro lacks (say so in the test).
    Returns Ember's outputs.
    """
    got = ember(model, inputs)
    if use_litert_ref:
        want = litert_ref(model, inputs)
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert_bitexact(g, w, f"output {i} vs LiteRT BUILTIN_REF")
    if use_tflm:
        want = tflm(model, inputs)
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert_bitexact(g, w, f"output {i} vs TFLite Micro")
    return got


def max_lsb_vs_litert_default(model, inputs):
    """Largest |Ember - LiteRT default kernels| in quantised steps, over all outputs."""
    got = ember(model, inputs)
    want = litert(model, inputs)
    return max(int(np.max(np.abs(g.astype(np.int64) - w.astype(np.int64)), initial=0))
               for g, w in zip(got, want))
