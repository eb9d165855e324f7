"""ONNX node conformance of Ember's converter + interpreter.

Runs every case of onnx.backend.test (``collect_testcases``) whose ops are all
converted by the ONNX frontend through ``ember.convert`` and ``ember.Interpreter``,
compares with the case's expected outputs (rtol 1e-4, atol 1e-5), and writes a
Markdown report: summary, a per-op table and each failure with its reason.

    python tools/onnx_conformance.py                      # all cases -> docs/onnx-conformance.md
    python tools/onnx_conformance.py --ops Relu,Softmax --output /tmp/report.md

Each case runs in a worker process with a timeout, so a hang or a crash is one
failed case, not the end of the run.
"""
import argparse
import collections
import datetime
import functools
import multiprocessing as mp
import os
import pathlib
import sys
import warnings

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "docs" / "onnx-conformance.md"
RTOL, ATOL = 1e-4, 1e-5
# Ops that only ever appear folded into constants (no run-time form needed).
FOLD_ONLY = {"Constant"}
# Element types of float TFLite models; cases with others (float16/64, small and unsigned
# ints, float8, strings...) count as unsupported.
TYPES = {"FLOAT", "INT32", "INT64", "BOOL"}
# Inputs the frontend needs as constants (shapes, axes, pads, scales...). Test cases feed
# them as graph inputs; the runner freezes them to the case's values, as an exported model
# would have them, and the report counts those cases.
PARAM_INPUTS = {
    "Reshape": {1}, "Expand": {1}, "Tile": {1}, "Slice": {1, 2, 3, 4}, "Pad": {1, 2, 3},
    "Squeeze": {1}, "Unsqueeze": {1}, "Split": {1}, "Resize": {1, 2, 3}, "Upsample": {1},
    **{op: {1} for op in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                          "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                          "ReduceLogSumExp")},
}


@functools.lru_cache(maxsize=1)
def _cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import numpy as np
        with np.errstate(all="ignore"):
            from onnx.backend.test.case.node import collect_testcases
            return {c.name: c for c in collect_testcases(None)}


def case_ops(case):
    return sorted({n.op_type for n in case.model.graph.node})


def supported():
    from ember.converter.frontends.onnx import supported_ops
    return set(supported_ops()) | FOLD_ONLY


def _one_line(msg):
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= 220 else msg[:217] + "..."


def case_types(case):
    """Element type names of the case's graph inputs, outputs and initializers."""
    from onnx import TensorProto
    g = case.model.graph
    types = {vi.type.tensor_type.elem_type if vi.type.HasField("tensor_type") else -1
             for vi in list(g.input) + list(g.output)}
    types |= {t.data_type for t in g.initializer}
    return {TensorProto.DataType.Name(t) if t > 0 else "non-tensor" for t in types}


def freeze_params(case):
    """(model, data_sets, frozen?) with parameter inputs turned into initializers."""
    import numpy as np
    from onnx import ModelProto, numpy_helper
    g = case.model.graph
    names = {vi.name for vi in g.input}
    params = {n.input[i] for n in g.node for i in PARAM_INPUTS.get(n.op_type, ())
              if i < len(n.input) and n.input[i] in names}
    if not params:
        return case.model, case.data_sets, False
    order = [vi.name for vi in g.input]
    values = {}
    for inputs, _ in case.data_sets:
        for name, v in zip(order, inputs):
            if name in params:
                if name in values and not np.array_equal(values[name], v):
                    return case.model, case.data_sets, False
                values[name] = np.asarray(v)
    m = ModelProto()
    m.CopyFrom(case.model)
    keep = [vi for vi in m.graph.input if vi.name not in params]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    m.graph.initializer.extend(numpy_helper.from_array(values[n], n) for n in sorted(params))
    data_sets = [([v for name, v in zip(order, inputs) if name not in params], outputs)
                 for inputs, outputs in case.data_sets]
    return m, data_sets, True


def run_case(case):
    """('pass' | 'fail', reason, frozen?)."""
    status, reason, model = _run(case)
    return status, reason, model is not case.model


def _run(case):
    import numpy as np
    import ember
    from ember.converter.ir import ConversionError

    model, data_sets, _ = freeze_params(case)
    try:
        data = ember.convert(model)
    except ConversionError as e:
        return "fail", "conversion refused: " + _one_line(e), model
    except Exception as e:        # a crash in the converter is a bug to list
        return "fail", f"converter raised {type(e).__name__}: {_one_line(e)}", model
    inits = {t.name for t in model.graph.initializer}
    in_names = [vi.name for vi in model.graph.input if vi.name not in inits]
    out_names = [vi.name for vi in model.graph.output]
    for k, (inputs, outputs) in enumerate(data_sets):
        try:
            it = ember.Interpreter(model_content=data)
            details = {d["name"]: d for d in it.get_input_details()}
            for name, x in zip(in_names, inputs):
                x = np.asarray(x)
                if list(details[name]["shape"]) != list(x.shape):
                    it.resize_tensor_input(details[name]["index"], list(x.shape))
            it.allocate_tensors()
            details = {d["name"]: d for d in it.get_input_details()}
            for name, x in zip(in_names, inputs):
                it.set_tensor(details[name]["index"], np.asarray(x))
            it.invoke()
            got = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
        except Exception as e:
            return "fail", f"interpreter: {_one_line(e)}", model
        for name, want in zip(out_names, outputs):
            want = np.asarray(want)
            if name not in got:
                return "fail", f"output {name!r} missing", model
            g = got[name]
            if g.shape != want.shape:
                return "fail", f"output {name!r}: shape {g.shape} != expected {want.shape}", model
            if g.dtype != want.dtype:
                return "fail", f"output {name!r}: dtype {g.dtype} != expected {want.dtype}", model
            if want.dtype.kind in "fc":
                ok = np.allclose(g, want, rtol=RTOL, atol=ATOL, equal_nan=True)
            else:
                ok = np.array_equal(g, want)
            if not ok:
                err = np.max(np.abs(g.astype(np.float64) - want.astype(np.float64))) \
                    if want.dtype.kind in "fciub" else "?"
                return "fail", (f"output {name!r} differs (max abs error {err:.3g})"
                                if not isinstance(err, str) else f"output {name!r} differs"), model
    return "pass", "", model


def _worker(conn):
    import numpy as np
    np.seterr(all="ignore")
    warnings.simplefilter("ignore")
    cases = _cases()
    while True:
        name = conn.recv()
        if name is None:
            return
        try:
            conn.send(run_case(cases[name]))
        except BaseException as e:          # noqa: BLE001 - report, keep serving
            conn.send(("fail", f"harness: {type(e).__name__}: {_one_line(e)}", False))


class _Runner:
    def __init__(self, timeout):
        self.timeout = timeout
        self.ctx = mp.get_context("spawn")
        self.proc = None

    def start(self):
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        self.first = True

    def run(self, name):
        if self.proc is None or not self.proc.is_alive():
            self.start()
        self.conn.send(name)
        # The first case also waits for the worker to import and collect the cases.
        limit = self.timeout + (120 if self.first else 0)
        self.first = False
        if self.conn.poll(limit):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        else:
            self.stop()
            return "fail", f"timed out after {self.timeout} s", False
        code = self.proc.exitcode
        self.stop()
        return "fail", f"worker crashed (exit code {code})", False

    def stop(self):
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join()
            self.proc = None

    def close(self):
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(5)
            except Exception:
                pass
        self.stop()


def run(ops=None, timeout=30.0, progress=None):
    """{case name: (status, reason, ops, frozen)} with status pass/fail/unsupported."""
    cases = _cases()
    sup = supported()
    results = {}
    runner = _Runner(timeout)
    try:
        for name in sorted(cases):
            c = cases[name]
            ops_of = case_ops(c)
            if ops is not None and not set(ops_of) & set(ops):
                continue
            missing = [o for o in ops_of if o not in sup]
            if missing or not ops_of:
                results[name] = ("unsupported", ", ".join(missing), ops_of, False)
                continue
            bad = sorted(case_types(c) - TYPES)
            if bad:
                results[name] = ("unsupported", "type " + ", ".join(bad), ops_of, False)
                continue
            status, reason, frozen = runner.run(name)
            results[name] = (status, reason, ops_of, frozen)
            if progress:
                progress(name, status, reason)
    finally:
        runner.close()
    return results


def report(results, *, ops=None):
    counts = collections.Counter(s for s, *_ in results.values())
    frozen = sum(1 for s, _, _, f in results.values() if f and s != "unsupported")
    ran = counts["pass"] + counts["fail"]
    per_op = collections.defaultdict(collections.Counter)
    for name, (status, _, ops_of, _) in results.items():
        for o in ops_of:
            if o in FOLD_ONLY and len(ops_of) > 1:
                continue
            per_op[o][status] += 1
    import onnx
    lines = [
        "# ONNX conformance",
        "",
        "Generated by `tools/onnx_conformance.py` (do not edit by hand): every node test case of",
        f"onnx {onnx.__version__} (`onnx.backend.test.case.node.collect_testcases`) whose ops are all",
        "in the ONNX frontend's supported list, converted with `ember.convert` and run by",
        f"`ember.Interpreter`, compared with the case's expected outputs (rtol {RTOL:g}, "
        f"atol {ATOL:g}).",
        "",
        "## Summary",
        "",
        "| cases run | passed | failed | unsupported |",
        "| ---: | ---: | ---: | ---: |",
        f"| {ran} | {counts['pass']} | {counts['fail']} | {counts['unsupported']} |",
        "",
        "Unsupported: the case uses an op outside the supported list, or a tensor type other",
        "than float32, int32, int64 and bool (float16/64, 8/16-bit and unsigned ints, float8,",
        "strings: TFLite computes those only in quantised or not at all).",
        f"{frozen} of the cases run feed shape parameters (axes, pads, shapes, scales, ...) as",
        "graph inputs; Ember converts those only as constants, so the runner freezes them to",
        "the case's values, as an exported model would have them.",
        "",
        f"Op subset: {', '.join(sorted(ops))}" if ops else "All cases.",
        "",
        "## Per op",
        "",
        "Cases containing the op (a case with several ops counts for each).",
        "",
        "| op | run | passed | failed |",
        "| --- | ---: | ---: | ---: |",
    ]
    for o in sorted(per_op):
        c = per_op[o]
        if c["pass"] + c["fail"] == 0:
            continue
        lines.append(f"| {o} | {c['pass'] + c['fail']} | {c['pass']} | {c['fail']} |")
    lines += ["", "## Failures", ""]
    fails = [(n, r) for n, (s, r, _, _) in sorted(results.items()) if s == "fail"]
    lines += [f"- `{n}`: {r}" for n, r in fails] or ["None."]
    unsup = collections.Counter()
    types = collections.Counter()
    for s, r, _, _ in results.values():
        if s == "unsupported" and r.startswith("type "):
            for t in r[5:].split(", "):
                types[t] += 1
        elif s == "unsupported":
            for o in (r.split(", ") if r else []):
                unsup[o] += 1
    lines += ["", "## Unsupported ops (cases skipped)", "",
              ", ".join(f"{o} ({n})" for o, n in sorted(unsup.items())) or "None.",
              "", "## Unsupported tensor types (cases skipped)", "",
              ", ".join(f"{t} ({n})" for t, n in sorted(types.items())) or "None.", ""]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", help="comma-separated op types: only cases using one of them")
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT), help="report path (Markdown)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    ops = [o.strip() for o in a.ops.split(",")] if a.ops else None

    def progress(name, status, reason):
        if a.verbose or status != "pass":
            print(f"{status:4} {name} {reason}", flush=True)
    started = datetime.datetime.now()
    results = run(ops, a.timeout, progress)
    text = report(results, ops=ops)
    pathlib.Path(a.output).write_text(text)
    c = collections.Counter(s for s, *_ in results.values())
    print(f"{c['pass']} passed, {c['fail']} failed, {c['unsupported']} unsupported "
          f"({(datetime.datetime.now() - started).seconds} s) -> {a.output}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
