"""Microcontroller footprint: Ember's firmware against TensorFlow Lite Micro, same int8 models.

    python benchmarks/bench_micro.py [--boards mps2-an385,mps2-an386,...] [--save]

For each model (the examples' digits CNN quantised to int8 by Ember, and the test model with
conv, depthwise, FC, pooling, add, concat, pad, reshape, softmax) and each emulated board,
Ember builds four firmwares (interpreted / --aot, default / release = --strip-errors
--no-verify), runs each once under QEMU and reads:

- RAM: the arena the device actually used (planner arena + kernels' persistent state +
  runtime tables, measured on the device), the stack high-water mark, and the ELF's
  static RAM (.bss + .data, which holds the arena);
- flash: the ELF's text + data, and the code alone (minus the model's bytes).

TFLite Micro's side, for the same model bytes: its Python interpreter (`tflite-micro`,
x86-64 build, reference kernels) — the smallest arena that prepares and invokes (found by
bisection) and its allocation record (activations "head", persistent "tail"). Its firmware
sizes come from TFLite Micro's own build for mps2-an386 (Cortex-M4F, gcc 12.2 -Os,
gc-sections, selective op resolver) measured for a digits int8 model, quoted from
../shared/docs/anchors.md (a different digits model: compare its code, not its total).
"""
import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "micro"))
os.environ.setdefault("KERAS_BACKEND", "torch")

EMULATED = ["mps2-an385", "mps2-an386", "mps2-an500", "mps3-an547"]

# TFLite Micro built for mps2-an386 (anchors.md, "TensorFlow Lite Micro"): digits int8 model of
# 6,912 B; default build and release (-DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS).
TFLM_FIRMWARE = {
    "source": "shared/docs/anchors.md: TFLite Micro 90b983c, reference kernels, gcc 12.2 -Os, "
              "mps2-an386, digits int8 model of 6,912 B",
    "model_bytes": 6912,
    "default": {"flash_total": 74476, "tflm_code": 49149, "kernels": 24636, "interpreter": 21678},
    "release": {"flash_total": 56192, "tflm_code": 30281, "kernels": 17712, "interpreter": 10975},
    "arena_smallest_m4f": 2676, "interpreter_objects_ram": 516,
    "printf_note": "its firmware's total includes newlib printf (about 12.8 KB)",
}

TFLM_PROBE = """
import sys, numpy as np
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
arena = int(sys.argv[2]) if len(sys.argv) > 2 else None
it = runtime.Interpreter.from_bytes(data, arena_size=arena) if arena else runtime.Interpreter.from_bytes(data)
d = it.get_input_details(0)
it.set_input(np.zeros(d["shape"], d["dtype"]), 0)
it.invoke()
if arena is None:
    it.print_allocations()
print("TFLM-OK", flush=True)
"""


def models():
    """[(name, int8 model bytes)]: the digits CNN and the all-ops test model, int8 end to end."""
    import micro_models as mm
    out = []
    q = mm.digits_int8()
    if mm.runs_on_host(q) is not None:
        out.append(("digits_int8 (no softmax: Ember lacks int8 SOFTMAX here)", mm.drop_final_softmax(q)))
    else:
        out.append(("digits_int8", q))
    with tempfile.TemporaryDirectory() as tmp:
        t = mm.int8_all_ops(pathlib.Path(tmp), softmax=True)
        if mm.runs_on_host(t) is not None:
            t = mm.int8_all_ops(pathlib.Path(tmp), softmax=False)
    out.append(("test_ops_int8", t))
    return out


def _tflm_run(path, arena=None):
    args = [sys.executable, "-c", TFLM_PROBE, str(path)] + ([str(arena)] if arena else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return "TFLM-OK" in r.stdout, r.stdout + r.stderr


def tflm_python(model):
    """TFLite Micro's Python interpreter on the model: allocation record and smallest arena."""
    with tempfile.NamedTemporaryFile(suffix=".tflite", delete=False) as f:
        f.write(model)
        path = f.name
    try:
        ok, log = _tflm_run(path)
        if not ok:
            return {"error": log.strip().splitlines()[-1] if log.strip() else "failed"}
        rec = {k: int(v) for k, v in re.findall(r"Arena allocation (total|head|tail) (\d+) bytes", log)}
        lo, hi = 64, max(rec.get("total", 1 << 16), 64) * 2
        while lo < hi:                       # smallest arena that prepares and invokes
            mid = (lo + hi) // 2
            if _tflm_run(path, mid)[0]:
                hi = mid
            else:
                lo = mid + 1
        return {"arena_total_recorded": rec.get("total"), "head_activations": rec.get("head"),
                "tail_persistent": rec.get("tail"), "smallest_arena": lo, "build": "x86-64 (64-bit pointers)"}
    finally:
        os.unlink(path)


def ember_firmware(model, board, aot, release):
    from ember import micro
    from ember.micro import analyze
    info = analyze.read(model)
    xs = []
    for _n, shape, dtype in info.inputs:
        xs.append(np.zeros(shape, dtype))
    with tempfile.TemporaryDirectory(prefix="bench-micro-") as d:
        _outs, rep = micro.run(model, board, xs, aot=aot, out_dir=d, strip_errors=release,
                               verify=not release)
    dev = rep["device"]
    return {
        "flash_total": rep["flash"]["total"], "code": rep["flash"]["code"],
        "model_in_flash": rep["flash"]["model"],
        "arena_used": dev["arena_used"], "arena_planned": dev["arena_planned"],
        "persistent": dev["persistent"],
        "tables": dev["arena_used"] - dev["arena_planned"] - dev["persistent"],
        "static_ram_excl_arena": rep["ram"]["bss"] + rep["ram"]["data"] - dev["arena_given"],
        "stack_used": dev["stack_used"], "instructions": dev["instructions"],
    }


def ember_host_probe(model):
    from ember.micro import probe
    p = probe.plan(model)
    return {"used_peak_64bit": p["used_peak"], "planned": sum(s["arena"] for s in p["subgraphs"]),
            "persistent_64bit": p["persistent"]}


def run(boards):
    results = {"date": datetime.date.today().isoformat(), "tflm_firmware": TFLM_FIRMWARE, "models": []}
    for name, model in models():
        entry = {"name": name, "model_bytes": len(model), "tflm_python": tflm_python(model),
                 "ember_host_probe": ember_host_probe(model), "ember": {}}
        for b in boards:
            for aot in (False, True):
                for release in (False, True):
                    key = f"{b} {'aot' if aot else 'interp'} {'release' if release else 'default'}"
                    entry["ember"][key] = ember_firmware(model, b, aot, release)
                    print(f"  built and ran {name} {key}", file=sys.stderr)
        results["models"].append(entry)
    return results


def report(res):
    t = res["tflm_firmware"]
    lines = ["TFLite Micro firmware (mps2-an386, its own digits int8 model of "
             f"{t['model_bytes']:,} B; {t['printf_note']}):",
             f"  default: flash {t['default']['flash_total']:,} B, TFLM code {t['default']['tflm_code']:,} B "
             f"(flash minus model {t['default']['flash_total'] - t['model_bytes']:,} B)",
             f"  release: flash {t['release']['flash_total']:,} B, TFLM code {t['release']['tflm_code']:,} B "
             f"(flash minus model {t['release']['flash_total'] - t['model_bytes']:,} B)",
             f"  smallest arena on the M4F {t['arena_smallest_m4f']:,} B + interpreter objects "
             f"{t['interpreter_objects_ram']} B", ""]
    for m in res["models"]:
        tp, hp = m["tflm_python"], m["ember_host_probe"]
        lines.append(f"{m['name']} ({m['model_bytes']:,} B)")
        if "error" in tp:
            lines.append(f"  TFLite Micro (Python, x86-64): {tp['error']}")
        else:
            lines.append(f"  TFLite Micro (Python, x86-64): smallest arena {tp['smallest_arena']:,} B "
                         f"(activations {tp['head_activations']:,} + persistent {tp['tail_persistent']:,})")
        lines.append(f"  Ember host probe (x86-64, interpreted): arena used {hp['used_peak_64bit']:,} B "
                     f"(planned {hp['planned']:,}, persistent {hp['persistent_64bit']:,})")
        lines.append(f"  {'Ember on the device':34s} {'flash':>8s} {'code':>8s} {'arena':>7s} {'planned':>8s}"
                     f" {'persist':>8s} {'tables':>7s} {'stack':>6s}")
        for key, e in m["ember"].items():
            lines.append(f"  {key:34s} {e['flash_total']:8,} {e['code']:8,} {e['arena_used']:7,} "
                         f"{e['arena_planned']:8,} {e['persistent']:8,} {e['tables']:7,} {e['stack_used']:6,}")
        if "error" not in tp:
            # the whole arena each build needs, against TFLite Micro's (its figure is a
            # 64-bit build's: pointer-sized bookkeeping makes it an upper bound)
            for kind in ("interp", "aot"):
                used = [e["arena_used"] for k, e in m["ember"].items() if f" {kind} " in k]
                if used:
                    lines.append(f"  Ember {kind} arena {min(used):,}-{max(used):,} B vs TFLite Micro "
                                 f"{tp['smallest_arena']:,} B ({max(used) / tp['smallest_arena']:.2f}x)")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", default=",".join(EMULATED), help="comma-separated emulated boards")
    ap.add_argument("--save", action="store_true", help="write results/micro_<date>.json and .txt")
    args = ap.parse_args(argv)
    boards = [b for b in args.boards.split(",") if b]
    bad = [b for b in boards if b not in EMULATED]
    if bad:
        ap.error(f"not an emulated board: {', '.join(bad)} (choose from {', '.join(EMULATED)})")
    res = run(boards)
    text = report(res)
    print(text)
    if args.save:
        out = ROOT / "benchmarks" / "results" / f"micro_{res['date']}"
        out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
        out.with_suffix(".txt").write_text(text + "\n")
        print(f"saved {out}.json and .txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
