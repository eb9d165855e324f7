"""Localise a whole-model mismatch to one node: run LiteRT and Ember with
``experimental_preserve_all_tensors=True``, compare every node's outputs in
execution order, and name the first node whose output diverges.

    from oracle_layers import compare_layers, first_divergence
    bad = first_divergence("model.tflite", [x])          # None when all agree
    if bad: print(bad)                                     # node 12 CONV_2D ...
    for rec in compare_layers(model, [x]): print(rec)     # every node

``model`` is a path (loaded with ``model_path``) or the model's bytes.
LiteRT's default delegate (XNNPACK) never writes the intermediate tensors
inside its partitions, so the oracle here is LiteRT without default delegates
(its builtin optimised kernels; ``reference=True``: its reference kernels).

Each node is judged on its own scale: ``err <= rtol * max|LiteRT output|``
(LOGISTIC/TANH/SOFTMAX: at least their range, 1).
Errors grow through a deep network, so each record also carries
``amplification`` (this node's relative error over the worst relative error
of its inputs): a real kernel bug shows as a node whose error jumps from ~1e-7
to well above tolerance, while accumulated rounding creeps up slowly.
"""
import dataclasses
import os
import warnings

import numpy as np


# Saturating activations are judged against their range, not their output's
# max: a sigmoid whose inputs are all << 0 outputs ~1e-8, and its relative error
# is then its input's *absolute* error (ill-conditioned, not a kernel bug).
BOUNDED = {"LOGISTIC": 1.0, "TANH": 1.0, "SOFTMAX": 1.0}


@dataclasses.dataclass
class LayerRecord:
    node: int               # operator index in execution order
    op: str                 # op name (custom code for custom ops)
    tensor: int             # output tensor index
    name: str               # output tensor name
    shape: tuple
    err: float              # max abs error vs LiteRT (inf: shape/dtype/NaN mismatch, or unreadable)
    scale: float            # max |LiteRT output|
    rel: float              # err / scale
    in_rel: float           # worst rel error among the node's (non-constant) inputs
    ok: bool
    note: str = ""

    @property
    def amplification(self):
        return self.rel / max(self.in_rel, 1e-9)

    def __str__(self):
        s = (f"node {self.node} {self.op} -> tensor {self.tensor} {self.name!r} {self.shape}: "
             f"max abs err {self.err:.3g} (rel {self.rel:.3g}, inputs rel {self.in_rel:.3g})")
        return s + (f" [{self.note}]" if self.note else "") + ("" if self.ok else "  <-- DIVERGES")


def _load(module, model, **kw):
    with warnings.catch_warnings():       # LiteRT warns that preserve_all costs memory
        warnings.simplefilter("ignore", UserWarning)
        return _load1(module, model, **kw)


def _load1(module, model, **kw):
    if isinstance(model, (str, os.PathLike)):
        return module.Interpreter(model_path=os.fspath(model), **kw)
    return module.Interpreter(model_content=bytes(model), **kw)


def _run(it, inputs):
    details = it.get_input_details()
    assert len(details) == len(inputs), (len(details), len(inputs))
    for d, x in zip(details, inputs):
        if list(d["shape"]) != list(np.shape(x)):
            it.resize_tensor_input(d["index"], list(np.shape(x)))
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]))
    it.invoke()


def _get(it, index):
    try:
        return it.get_tensor(int(index)), ""
    except Exception as e:      # noqa: BLE001 - unreadable tensor is a finding, not a crash
        return None, f"{type(e).__name__}: {e}"


def _compare(got, want):
    """(err, scale, note) for one tensor pair."""
    if got is None or want is None:
        return float("inf"), 0.0, "unreadable"
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return float("inf"), 0.0, f"shape {got.shape} != {want.shape}"
    if got.dtype != want.dtype:
        return float("inf"), 0.0, f"dtype {got.dtype} != {want.dtype}"
    if want.size == 0:
        return 0.0, 0.0, ""
    if want.dtype.kind in "fc":
        nan_w, nan_g = np.isnan(want), np.isnan(got)
        if not np.array_equal(nan_w, nan_g):
            return float("inf"), 0.0, "NaN positions differ"
        fin = ~nan_w
        if not fin.any():
            return 0.0, 0.0, ""
        w = want[fin].astype(np.float64)
        g = got[fin].astype(np.float64)
        inf_w = np.isinf(w)
        if not np.array_equal(inf_w, np.isinf(g)) or np.any(w[inf_w] != g[inf_w]):
            return float("inf"), 0.0, "inf positions differ"
        w, g = w[~inf_w], g[~inf_w]
        if w.size == 0:
            return 0.0, 0.0, ""
        return float(np.max(np.abs(g - w))), float(np.max(np.abs(w))), ""
    if want.dtype.kind in "OSU":
        return (0.0 if np.array_equal(got, want) else float("inf")), 1.0, ""
    d = np.abs(got.astype(np.int64) - want.astype(np.int64))
    return float(d.max()), float(np.max(np.abs(want.astype(np.int64)))), ""


def compare_layers(model, inputs, *, rtol=1e-4, reference=False, num_threads=1,
                   ember_kwargs=None):
    """One :class:`LayerRecord` per (node, output tensor) of subgraph 0, in
    execution order, comparing Ember to LiteRT on ``inputs`` (a list in input order).
    Integer tensors must agree within ``rtol * max|want|`` too (so 0 for small ranges)."""
    import ember
    from ai_edge_litert import interpreter as lrt

    kw = {"experimental_preserve_all_tensors": True, "num_threads": num_threads}
    lkw = dict(kw)
    # Without this LiteRT still applies XNNPACK, whose partitions never write
    # the intermediate tensors they swallow (they read back as zeros/garbage).
    lkw["experimental_op_resolver_type"] = (
        lrt.OpResolverType.BUILTIN_REF if reference
        else lrt.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    b = _load(ember, model, **kw, **(ember_kwargs or {}))
    _run(b, inputs)
    a = _load(lrt, model, **lkw)
    delegated = False
    try:
        _run(a, inputs)
    except RuntimeError as e:
        # A custom op only LiteRT's default delegate implements (MediaPipe's
        # Convolution2DTransposeBias runs in XNNPACK): fall back to LiteRT's
        # default path and compare only tensors it really writes (partition
        # boundaries and non-delegated nodes).
        if "custom op" not in str(e):
            raise
        lkw.pop("experimental_op_resolver_type")
        a = _load(lrt, model, **lkw)
        _run(a, inputs)
        delegated = True

    rel_of = {}                                  # tensor index -> relative error
    for d in a.get_input_details():
        rel_of[int(d["index"])] = 0.0
    all_ops = a._get_ops_details()
    ops = [op for op in all_ops if op["op_name"] != "DELEGATE"]   # model order
    produced = {int(d["index"]) for d in a.get_input_details()}
    for op in ops:
        produced.update(int(t) for t in np.asarray(op["outputs"]).ravel())
    written = None                                # tensors LiteRT really wrote
    if delegated:
        written = {int(d["index"]) for d in a.get_output_details()}
        for op in all_ops:
            if op["op_name"] == "DELEGATE":
                written.update(int(t) for t in np.asarray(op["outputs"]).ravel())
                written.update(int(t) for t in np.asarray(op["inputs"]).ravel()
                               if int(t) in produced)
    names = {int(d["index"]): d["name"] for d in b.get_tensor_details()}
    records = []
    for op in ops:
        ins = [int(i) for i in np.asarray(op["inputs"]).ravel() if i >= 0]
        in_rel = max([rel_of.get(i, 0.0) for i in ins], default=0.0)
        const_only = bool(ins) and not any(i in produced for i in ins)
        shapes = {}
        for t in np.asarray(op["outputs"]).ravel():
            t = int(t)
            if t < 0:
                continue
            wnote = ""
            if delegated and const_only:
                # Inside a partition LiteRT never dequantizes the (float16) weights
                # itself; judge Ember's DEQUANTIZE against numpy instead.
                want = _const_eval(a, op, ins)
                if want is None:
                    rel_of[t] = in_rel
                    continue
                wnote = "vs numpy"
            elif written is not None and t not in written:
                rel_of[t] = in_rel               # inside an XNNPACK partition: unknown
                continue
            else:
                want, wnote = _get(a, t)
                if delegated:
                    wnote = "XNNPACK partition boundary"
            got, gnote = _get(b, t)
            if want is None:                     # LiteRT can't show it either: nothing to judge
                rel_of[t] = in_rel
                continue
            err, scale, note = _compare(got, want)
            note = note if not gnote else f"ember: {gnote}"
            if wnote and not note:
                note = wnote
            if op["op_name"] in BOUNDED:       # judged on the activation's own range
                scale = max(scale, BOUNDED[op["op_name"]])
            rel = err / scale if scale > 0 else (0.0 if err == 0 else float("inf"))
            ok = err <= rtol * scale if np.isfinite(err) else False
            rel_of[t] = rel
            shapes[t] = tuple(np.shape(want))
            records.append(LayerRecord(
                node=int(op["index"]), op=str(op["op_name"]), tensor=t,
                name=names.get(t, ""), shape=shapes[t], err=err, scale=scale, rel=rel,
                in_rel=in_rel, ok=ok, note=note))
    return records


def _const_eval(it, op, ins):
    """numpy's value of a constant-only node that LiteRT doesn't preserve, or None."""
    if op["op_name"] != "DEQUANTIZE" or len(ins) != 1:
        return None
    x, _ = _get(it, ins[0])
    if x is None:
        return None
    if x.dtype == np.float16:
        return x.astype(np.float32)
    q = next((d for d in it.get_tensor_details() if d["index"] == ins[0]), None)
    if q is None:
        return None
    qp = q["quantization_parameters"]
    scales, zps = qp["scales"], qp["zero_points"]
    if scales.size == 0:
        return None
    if scales.size == 1:
        return ((x.astype(np.int32) - zps[0]) * scales[0]).astype(np.float32)
    shape = [1] * x.ndim
    shape[qp["quantized_dimension"]] = -1
    return ((x.astype(np.int32) - zps.reshape(shape)) * scales.reshape(shape)).astype(np.float32)


def first_divergence(model, inputs, *, rtol=1e-4, reference=False, num_threads=1,
                     ember_kwargs=None):
    """The first :class:`LayerRecord` that is out of tolerance, or None."""
    for rec in compare_layers(model, inputs, rtol=rtol, reference=reference,
                              num_threads=num_threads, ember_kwargs=ember_kwargs):
        if not rec.ok:
            return rec
    return None


def worst_amplifier(records):
    """The record whose relative error grew most over its inputs' (a likelier
    culprit than the first out-of-tolerance node when error accumulates)."""
    finite = [r for r in records if np.isfinite(r.rel)]
    bad = [r for r in records if not np.isfinite(r.rel)]
    if bad:
        return bad[0]
    return max(finite, key=lambda r: r.amplification, default=None)


def report(records, limit=None):
    """Text table of records (all, or the first ``limit`` failing ones with context)."""
    lines = [str(r) for r in records]
    return "\n".join(lines if limit is None else lines[:limit])
