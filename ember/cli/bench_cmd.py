"""ember bench MODEL [--threads N] [--runs N] [--warmup N] [--vs litert] [--profile] [--plot FILE.png]"""
import argparse
import collections
import os
import resource
import time

import numpy as np

from ember.cli import style
from ember.progress import progress

EXAMPLES = """examples:
  ember bench examples/demo_model.tflite
  ember bench model.tflite --runs 200 --warmup 10 --threads 4
  ember bench model.tflite --vs litert              # LiteRT interleaved, ratio of medians
  ember bench model.tflite --profile                # per-op-type and per-node times
  ember bench model.tflite --plot profile.png       # the per-op-type profile as a bar chart

--plot needs matplotlib: pip install 'ember[plot]'.
"""


def add_parser(sub):
    p = sub.add_parser("bench", help="time a model (optionally against LiteRT, with a per-op profile)",
                       description="Times MODEL on seeded random inputs: load and allocate times, "
                                   "invoke latency min/median/p90/max, peak memory. --vs litert "
                                   "interleaves LiteRT's runs in the same process and prints the ratio; "
                                   "--profile prints per-op-type and per-node time from the C core's timers; "
                                   "--plot draws the per-op-type profile.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a .tflite file")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=50, help="timed invokes (default 50)")
    p.add_argument("--warmup", type=int, default=3, help="untimed invokes first (default 3)")
    p.add_argument("--vs", choices=["litert"], help="also time LiteRT, interleaved")
    p.add_argument("--profile", action="store_true", help="per-op-type and per-node times")
    p.add_argument("--plot", metavar="FILE.png", help="draw the per-op-type profile as a bar chart")
    p.set_defaults(func=run)


def _stats(samples):
    a = np.sort(np.asarray(samples)) * 1e3
    return {"min": a[0], "median": float(np.median(a)), "p90": float(np.percentile(a, 90)), "max": a[-1]}


def _fmt(s):
    return "  ".join(f"{k} {v:.3f} ms" for k, v in s.items())


def _prepare(make, model, threads, seed=0):
    t0 = time.perf_counter()
    it = make(model_path=model, num_threads=threads)
    t1 = time.perf_counter()
    it.allocate_tensors()
    t2 = time.perf_counter()
    rng = np.random.default_rng(seed)
    for d in it.get_input_details():
        dt = np.dtype(d["dtype"])
        x = (rng.random(d["shape"]).astype(dt) if np.issubdtype(dt, np.floating)
             else np.zeros(d["shape"], dt))
        it.set_tensor(d["index"], x)
    return it, t1 - t0, t2 - t1


def run(args):
    import ember
    if not os.path.exists(args.model):
        raise ValueError(f"no such model file: {args.model}")
    if args.runs < 1 or args.warmup < 0:
        raise ValueError("--runs must be >= 1 and --warmup >= 0")
    if args.threads < 1:
        raise ValueError("--threads must be >= 1")
    if args.plot:
        _pyplot()                     # before the timing: a missing matplotlib should not cost a run
    it, t_load, t_alloc = _prepare(ember.Interpreter, args.model, args.threads)
    ref = None
    if args.vs == "litert":
        try:
            from ai_edge_litert import interpreter as litert
        except ImportError:
            raise ValueError("--vs litert needs LiteRT: pip install ai-edge-litert") from None
        ref, r_load, r_alloc = _prepare(litert.Interpreter, args.model, args.threads)
    for _ in progress(range(args.warmup), desc="warm-up"):
        it.invoke()
        if ref:
            ref.invoke()
    ours, theirs = [], []
    for _ in progress(range(args.runs), desc="timing"):   # interleaved: machine noise hits both alike
        t0 = time.perf_counter()
        it.invoke()
        ours.append(time.perf_counter() - t0)
        if ref:
            t0 = time.perf_counter()
            ref.invoke()
            theirs.append(time.perf_counter() - t0)
    s = _stats(ours)
    print(f"model {args.model}, {args.threads} thread(s), {args.runs} runs after {args.warmup} warm-up")
    print(f"ember  load {t_load * 1e3:.2f} ms  allocate {t_alloc * 1e3:.2f} ms  arena {it.arena_size()[0]:,} B")
    print(f"ember  {_fmt(s)}")
    if ref:
        r = _stats(theirs)
        print(f"litert load {r_load * 1e3:.2f} ms  allocate {r_alloc * 1e3:.2f} ms")
        print(f"litert {_fmt(r)}")
        ratio = s["median"] / r["median"]
        paint = style.good if ratio <= 1.0 else style.warn
        print("ratio ember/litert (median): " + paint(f"{ratio:.2f}x"))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB (this process)")
    if args.profile or args.plot:
        prof = _profile(it, args.runs)
        if args.profile:
            _print_profile(prof)
        if args.plot:
            _plot(prof, args.plot, f"{os.path.basename(args.model)}, {args.threads} thread(s)")
            print(f"saved the per-op-type profile to {args.plot}")


def _profile(it, runs):
    """Per-node seconds from the core's own timers, the wall time per invoke, per-op-type sums."""
    ops = it._get_ops_details()
    it.profile(True)
    t0 = time.perf_counter()
    for _ in progress(range(runs), desc="profiling"):
        it.invoke()
    total = (time.perf_counter() - t0) / runs
    per_node = [ns / runs / 1e9 for ns in it.node_times_ns()]
    it.profile(False)
    by_type = collections.Counter()
    for op, t in zip(ops, per_node):
        by_type[op["op_name"]] += t
    return {"ops": ops, "per_node": per_node, "total": total, "by_type": by_type}


def _print_profile(prof):
    ops, per_node, total, by_type = prof["ops"], prof["per_node"], prof["total"], prof["by_type"]
    print(f"profile: {sum(per_node) * 1e3:.3f} ms in nodes of {total * 1e3:.3f} ms per invoke")
    print("  by op type:")
    for name, t in by_type.most_common():
        print(f"    {name:<28} {t * 1e3:9.3f} ms  {100 * t / total:5.1f}%")
    print("  by node:")
    for op, t in sorted(zip(ops, per_node), key=lambda p: -p[1]):
        print(f"    {op['index']:>4} {op['op_name']:<28} {t * 1e3:9.3f} ms  {100 * t / total:5.1f}%")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'ember[plot]' (or pip install matplotlib)") from None
    matplotlib.use("Agg")              # files only: no display needed, none opened
    import matplotlib.pyplot as plt
    return plt


def _plot(prof, path, title):
    plt = _pyplot()
    items = prof["by_type"].most_common()
    names = [n for n, _t in items][::-1]
    ms = [t * 1e3 for _n, t in items][::-1]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.35 * max(1, len(names))))
    try:
        bars = ax.barh(names, ms, color="#d9622b")
        total = prof["total"] * 1e3
        for b, v in zip(bars, ms):
            ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:.3f} ms ({100 * v / total:.0f}%)",
                    va="center", fontsize=8)
        ax.set_xlabel("ms per invoke (the core's per-node timers, summed by op type)")
        ax.set_title(f"{title}: {total:.3f} ms per invoke")
        ax.set_xlim(0, max(ms + [1e-6]) * 1.35)
        fig.tight_layout()
        try:
            fig.savefig(path, dpi=100)
        except OSError as e:
            raise ValueError(f"--plot: cannot write {path} ({e.strerror or e})") from None
    finally:
        plt.close(fig)
