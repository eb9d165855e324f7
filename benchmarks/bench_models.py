"""Whole-model latency, load time and memory: Ember vs LiteRT, one thread.

    .venv/bin/python benchmarks/bench_models.py [extra.tflite ...] [--json out.json]
        [--runs 30] [--warmup 3] [--rounds 3] [--save]

For each real model (EMBER_MODELS_DIR, default ../shared/models) and each extra
path: invoke latency (median, min, p90 of --runs invokes after --warmup
warm-ups) for Ember, LiteRT default (XNNPACK) and LiteRT without default
delegates (BUILTIN_WITHOUT_DEFAULT_DELEGATES); load+allocate time; peak RSS.
Every measurement runs in a fresh subprocess (ru_maxrss is per process), and
the runtimes are interleaved over --rounds rounds (E, X, B, E, X, B, ...) so
machine load hits all of them alike; latency samples are pooled over rounds.
Ratios are Ember / LiteRT. A model a runtime can't load or run is reported as
unsupported (with the error) rather than stopping the run. --save writes the
printed table to benchmarks/results/models-<date>.txt.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
RUNTIMES = {
    "ember": "Ember",
    "xnnpack": "LiteRT (default, XNNPACK)",
    "builtin": "LiteRT (no default delegates)",
}

SHORT = {"xnnpack": "XNNPACK", "builtin": "LiteRT builtin"}

# Child process: measures one runtime on one model, prints one JSON line.
CHILD = r"""
import json, resource, sys, time
import numpy as np
path, runtime, runs, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
out = {"runtime": runtime}
try:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if runtime == "ember":
        import ember
        mk = lambda: ember.Interpreter(model_path=path, num_threads=1)
    else:
        from ai_edge_litert import interpreter as lrt
        kw = {} if runtime == "xnnpack" else {
            "experimental_op_resolver_type": lrt.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
        mk = lambda: lrt.Interpreter(model_path=path, num_threads=1, **kw)
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    it = mk()
    it.allocate_tensors()
    out["load_s"] = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    for d in it.get_input_details():
        if np.issubdtype(d["dtype"], np.floating):
            x = rng.uniform(0, 1, d["shape"]).astype(d["dtype"])
        else:
            x = np.zeros(d["shape"], d["dtype"])
        it.set_tensor(d["index"], x)
    for _ in range(warmup):
        it.invoke()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        it.invoke()
        ts.append(time.perf_counter() - t)
    out["times_s"] = ts
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss     # KiB on Linux
    out["peak_rss_kib"] = ru
    out["rss_after_import_kib"] = rss_import
except Exception as e:  # report, don't crash the benchmark
    out["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
print("BENCH " + json.dumps(out))
"""


def run_child(path, runtime, runs, warmup, env):
    p = subprocess.run([sys.executable, "-c", CHILD, str(path), runtime, str(runs), str(warmup)],
                       capture_output=True, text=True, env=env, timeout=900)
    for line in p.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
    return {"runtime": runtime, "error": f"exit {p.returncode}: {tail}"}


def percentile(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarise(samples):
    """Pools the rounds of one runtime into one result."""
    ok = [s for s in samples if "error" not in s]
    if not ok:
        return {"error": samples[0].get("error", "failed")}
    ts = [t for s in ok for t in s["times_s"]]
    return {
        "median_ms": percentile(ts, 0.5) * 1e3,
        "min_ms": min(ts) * 1e3,
        "p90_ms": percentile(ts, 0.9) * 1e3,
        "invokes": len(ts),
        "load_ms": min(s["load_s"] for s in ok) * 1e3,
        "peak_rss_mib": max(s["peak_rss_kib"] for s in ok) / 1024,
        "rss_after_import_mib": max(s["rss_after_import_kib"] for s in ok) / 1024,
    }


def default_models():
    d = pathlib.Path(os.environ.get("EMBER_MODELS_DIR") or (REPO.parent / "shared" / "models"))
    return sorted(d.glob("*.tflite"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", help="extra .tflite files")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--runs", type=int, default=30, help="timed invokes per round (>= 30)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per runtime")
    ap.add_argument("--only-extra", action="store_true", help="skip the real models")
    ap.add_argument("--save", action="store_true",
                    help="also write the table to benchmarks/results/models-<date>.txt")
    a = ap.parse_args(argv)
    paths = ([] if a.only_extra else default_models()) + [pathlib.Path(m) for m in a.models]
    if not paths:
        sys.exit("no models: set EMBER_MODELS_DIR or pass .tflite paths")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    emit(f"# Ember vs LiteRT, 1 thread — {datetime.datetime.now():%Y-%m-%d %H:%M}")
    emit(f"# {platform.node()} {platform.machine()} {platform.processor() or ''} "
         f"python {platform.python_version()}, cpus {os.cpu_count()}; "
         f"{a.rounds} rounds x {a.runs} invokes after {a.warmup} warm-ups, runtimes interleaved")
    results = {}
    for path in paths:
        samples = {r: [] for r in RUNTIMES}
        if not path.exists():
            results[path.name] = {r: {"error": "file not found"} for r in RUNTIMES}
        else:
            for _ in range(a.rounds):
                for r in RUNTIMES:
                    samples[r].append(run_child(path, r, a.runs, a.warmup, env))
            results[path.name] = {r: summarise(s) for r, s in samples.items()}
        emit()
        emit(f"## {path.name}")
        emit(f"{'runtime':32s} {'median ms':>10s} {'min ms':>9s} {'p90 ms':>9s} "
             f"{'load ms':>9s} {'peak RSS MiB':>13s}")
        res = results[path.name]
        for r, label in RUNTIMES.items():
            x = res[r]
            if "error" in x:
                emit(f"{label:32s} unsupported: {x['error']}")
            else:
                emit(f"{label:32s} {x['median_ms']:10.3f} {x['min_ms']:9.3f} {x['p90_ms']:9.3f} "
                     f"{x['load_ms']:9.2f} {x['peak_rss_mib']:13.1f}")
        e = res["ember"]
        for r in ("xnnpack", "builtin"):
            x = res[r]
            if "error" in e or "error" in x:
                continue
            ratios = {k: e[k] / x[k] for k in ("median_ms", "min_ms", "p90_ms", "load_ms",
                                                "peak_rss_mib")}
            res.setdefault("ratios", {})[r] = ratios
            emit(f"{'  ratio Ember / ' + SHORT[r]:32s} "
                 f"{ratios['median_ms']:9.2f}x {ratios['min_ms']:8.2f}x {ratios['p90_ms']:8.2f}x "
                 f"{ratios['load_ms']:8.2f}x {ratios['peak_rss_mib']:12.2f}x")
    emit()
    emit("peak RSS: ru_maxrss of a fresh process (python + numpy + the runtime + model); "
         "load: Interpreter(model_path) + allocate_tensors (best round)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": datetime.datetime.now().isoformat(), "runs": a.runs,
                       "warmup": a.warmup, "rounds": a.rounds, "models": results}, f, indent=1)
    if a.save:
        out = HERE / "results" / f"models-{datetime.date.today():%Y-%m-%d}.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("\n".join(lines) + "\n")
        print(f"saved {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
