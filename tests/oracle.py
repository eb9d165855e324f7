"""Run a model in LiteRT (the oracle) and in Ember, and compare.

Kernel tests build small single-op models with ``ember.schema.builder`` and
call :func:`assert_matches_litert`. Float results must agree to
``rtol`` times the largest magnitude of LiteRT's output (issue #2's bar is
1e-4 for whole models; single ops are held tighter by default).
"""
import numpy as np


def litert(model, inputs, *, reference=False, num_threads=1):
    """Outputs of LiteRT on ``inputs`` (a list in input order)."""
    from ai_edge_litert import interpreter as lrt

    kw = {}
    if reference:
        kw["experimental_op_resolver_type"] = lrt.OpResolverType.BUILTIN_REF
    it = lrt.Interpreter(model_content=bytes(model), num_threads=num_threads, **kw)
    return _run(it, inputs)


def ember(model, inputs, *, num_threads=1):
    """Outputs of Ember's interpreter on ``inputs``."""
    import ember as em

    it = em.Interpreter(model_content=bytes(model), num_threads=num_threads)
    return _run(it, inputs)


def _run(it, inputs):
    details = it.get_input_details()
    assert len(details) == len(inputs), (len(details), len(inputs))
    for d, x in zip(details, inputs):
        x = np.asarray(x)
        if list(d["shape"]) != list(x.shape):
            it.resize_tensor_input(d["index"], list(x.shape))
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]))
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def assert_close(got, want, *, rtol=1e-5, what="output"):
    """Exact for integer/bool outputs; float within rtol x max|want|."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    if not np.issubdtype(want.dtype, np.floating):
        mism = np.flatnonzero(got.ravel() != want.ravel())
        assert mism.size == 0, f"{what}: {mism.size} elements differ, first at {mism[0]}"
        return
    assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: NaN positions differ"
    finite = ~np.isnan(want)
    if not finite.any():
        return
    scale = max(float(np.max(np.abs(want[finite]))), 1e-30)
    err = float(np.max(np.abs(got[finite].astype(np.float64) - want[finite])))
    assert err <= rtol * scale, f"{what}: max abs error {err:.3g} > {rtol:g} x {scale:.3g}"


def assert_matches_litert(model, inputs, *, rtol=1e-5, reference=False, num_threads=1):
    want = litert(model, inputs, reference=reference)
    got = ember(model, inputs, num_threads=num_threads)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(g, w, rtol=rtol, what=f"output {i}")
    return got
