"""The four real converter-made models (../shared/models, see its README) give
LiteRT's outputs through ember.Interpreter: max abs error <= 1e-4 x the output's
max magnitude, on seeded random inputs in each model's input range.

Where the models come from: tests/real_models.py.

Per-output errors are printed (``pytest -s`` shows them). When a model
mismatches, ``test_layers_match`` names the first node whose output diverges
(tests/oracle_layers.py).
"""
import pathlib

import numpy as np
import pytest

from conftest import need
from real_models import INPUT_RANGE, MODELS, REPO, WHERE, _sums, model_file, models_dir  # noqa: F401

RTOL = 1e-4


def make_inputs(it, name, seed, blocks=None):
    """Seeded uniform values in the model's input range: i.i.d. per element, or
    (``blocks=n``) constant over an n x n grid of patches, more like an image
    (on i.i.d. noise the selfie mask is ~1e-8 everywhere)."""
    lo, hi = INPUT_RANGE.get(name, (0.0, 1.0))
    rng = np.random.default_rng(seed)
    out = []
    for d in it.get_input_details():
        shape = [int(v) for v in d["shape"]]
        if np.issubdtype(d["dtype"], np.floating):
            if blocks and len(shape) == 4:
                small = rng.uniform(lo, hi, [shape[0], blocks, blocks, shape[3]])
                ry, rx = -(-shape[1] // blocks), -(-shape[2] // blocks)
                x = np.repeat(np.repeat(small, ry, axis=1), rx, axis=2)[:, :shape[1], :shape[2]]
            else:
                x = rng.uniform(lo, hi, shape)
            out.append(np.ascontiguousarray(x).astype(d["dtype"]))
        else:
            info = np.iinfo(d["dtype"])
            out.append(rng.integers(info.min, info.max, d["shape"], endpoint=True).astype(d["dtype"]))
    return out


def run_all(it, inputs_list):
    """Allocate once, then invoke on each inputs in turn (exercises re-invocation)."""
    it.allocate_tensors()
    results = []
    for inputs in inputs_list:
        for d, x in zip(it.get_input_details(), inputs):
            it.set_tensor(d["index"], x)
        it.invoke()
        results.append([it.get_tensor(d["index"]).copy() for d in it.get_output_details()])
    return results


def litert_outputs(path, inputs_list, resolver=None):
    from ai_edge_litert import interpreter as lrt
    kw = {}
    if resolver is not None:
        kw["experimental_op_resolver_type"] = getattr(lrt.OpResolverType, resolver)
    return run_all(lrt.Interpreter(model_path=str(path), num_threads=1, **kw), inputs_list)


def errors(got, want):
    """[(max abs err, max |want|)] per output."""
    out = []
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        out.append((float(np.max(np.abs(g.astype(np.float64) - w))), float(np.max(np.abs(w)))))
    return out


def check(name, label, got_runs, want_runs, rtol=RTOL):
    """Every output within rtol x max|LiteRT output| (issue #2's bar)."""
    bad = []
    for k, (got, want) in enumerate(zip(got_runs, want_runs)):
        assert len(got) == len(want)
        for i, (err, scale) in enumerate(errors(got, want)):
            print(f"{name} [{label}] input {k} output {i}: max abs err {err:.3g}, "
                  f"max |LiteRT| {scale:.3g}, ratio {err / max(scale, 1e-30):.3g}")
            if err > rtol * max(scale, 1e-30):
                bad.append(f"input {k} output {i}: err {err:.3g} > {rtol:g} x {scale:.3g}")
    assert not bad, f"{name} [{label}] differs from LiteRT: " + "; ".join(bad)


_cache = {}


def reference(name):
    """(inputs for two seeds, LiteRT default-kernel outputs), cached per model."""
    if name not in _cache:
        import ember
        path = model_file(name)
        it = ember.Interpreter(model_path=str(path))
        inputs_list = [make_inputs(it, name, 0), make_inputs(it, name, 1, blocks=16)]
        _cache[name] = (inputs_list, litert_outputs(path, inputs_list))
    return _cache[name]


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("source", ["model_path", "model_content"])
@pytest.mark.parametrize("name", MODELS)
def test_model_matches_litert(name, source, num_threads):
    import ember
    path = model_file(name)
    inputs_list, want = reference(name)
    if source == "model_path":
        it = ember.Interpreter(model_path=str(path), num_threads=num_threads)
    else:
        it = ember.Interpreter(model_content=path.read_bytes(), num_threads=num_threads)
    check(name, f"{source}, {num_threads} threads", run_all(it, inputs_list), want)


# selfie_segmentation's custom op (Convolution2DTransposeBias) exists in LiteRT
# only inside its default XNNPACK delegate, so BUILTIN_REF cannot run it.
@pytest.mark.parametrize("name", [m for m in MODELS if m != "selfie_segmentation.tflite"])
def test_closer_to_default_or_reference_kernels(name):
    """Ember vs LiteRT's BUILTIN_REF kernels too: within tolerance, and which of
    LiteRT's two paths Ember is closer to is printed (informational).
    Models whose custom op only LiteRT's default delegate implements
    (Convolution2DTransposeBias) can't run under BUILTIN_REF and are not listed."""
    import ember
    path = model_file(name)
    inputs_list, want_default = reference(name)
    want_ref = litert_outputs(path, inputs_list, resolver="BUILTIN_REF")
    got = run_all(ember.Interpreter(model_path=str(path)), inputs_list)
    for k in range(len(inputs_list)):
        d = errors(got[k], want_default[k])
        r = errors(got[k], want_ref[k])
        for i, ((ed, s), (er, _)) in enumerate(zip(d, r)):
            closer = "BUILTIN_REF" if er < ed else "default (XNNPACK)"
            print(f"{name} input {k} output {i}: rel err vs default {ed / s:.3g}, "
                  f"vs BUILTIN_REF {er / s:.3g} -> closer to {closer}")
    check(name, "vs BUILTIN_REF", got, want_ref)


@pytest.mark.parametrize("name", MODELS)
def test_layers_match(name):
    """Every intermediate tensor (experimental_preserve_all_tensors in both
    runtimes) within tolerance; on failure, names the first diverging node."""
    from oracle_layers import compare_layers
    path = model_file(name)
    inputs_list, _ = reference(name)
    records = compare_layers(str(path), inputs_list[0], rtol=RTOL)
    assert records, "no layers compared"
    worst = max(records, key=lambda r: r.rel)
    print(f"{name}: {len(records)} node outputs compared; worst: {worst}")
    bad = [r for r in records if not r.ok]
    assert not bad, (f"{name}: first diverging node: {bad[0]}\n"
                     f"({len(bad)} diverging outputs in all)")


def test_models_are_pinned():
    """SHA256SUMS lists all four models (so a swapped file can't pass unnoticed)."""
    folder = models_dir()
    need((folder / "SHA256SUMS").exists(), f"{folder}/SHA256SUMS is missing: {WHERE}")
    assert set(MODELS) <= set(_sums(folder)), sorted(_sums(folder))
