"""Mutation test: mangled models must load/run or raise EmberError — never crash.

Mutants of the real models in ../shared/models (EMBER_MODELS_DIR overrides) and
of small builder-made models: truncations, byte flips, 32- and 16-bit
overwrites (mostly in the first 64 KiB, where the tables live) and targeted
rewrites of flatbuffer offsets and vector/string lengths. Mutant ``seed`` of a
model is fully determined by the model's file name and the seed (see
fuzz_worker.mutate). Each is loaded, allocated, zero-filled and invoked in a
worker subprocess (fuzz_worker.py, many mutants per process), so a crash or
hang fails this test naming the model and seed instead of killing pytest.

EMBER_MUTATIONS=<n> runs n mutants per model (default: about 60 s in all).
Reproduce a failure with
    python tests/interpreter/fuzz_worker.py --write MODEL SEED mutant.tflite
"""
import concurrent.futures
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import need

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORKER = HERE / "fuzz_worker.py"
sys.path.insert(0, str(HERE))
import fuzz_worker  # noqa: E402
MODELS_DIR = pathlib.Path(os.environ.get("EMBER_MODELS_DIR", ROOT.parent / "shared" / "models"))
REAL = ["face_detection_short_range.tflite", "hand_landmark_lite.tflite",
        "palm_detection_lite.tflite", "selfie_segmentation.tflite"]

# default: ~30 s on two cores for 19,000 mutants (real models invoke in ~20 ms; most mutants
# fail in the verifier in well under 1 ms)
N_REAL = int(os.environ.get("EMBER_MUTATIONS", "0")) or 1000
N_SMALL = int(os.environ.get("EMBER_MUTATIONS", "0")) or 3000
N_WORKERS = max(1, min(4, os.cpu_count() or 1))
PER_MUTANT_TIMEOUT = 20


# A WHILE loop whose mutated constants never let it finish (a body adding -3
# instead of 1) is a valid model that runs forever, in LiteRT too: for models
# with WHILE a hang counts as an outcome, not a failure.
HANG_OK = {"control_flow.tflite"}


def run_mutants(path, seeds):
    """Runs mutants `seeds` of the model at `path` in worker processes.
    Returns (outcome counts, failure descriptions)."""
    seeds = list(seeds)
    chunks = [seeds[i::N_WORKERS] for i in range(N_WORKERS)]
    env = dict(os.environ, EMBER_FUZZ_TIMEOUT=str(PER_MUTANT_TIMEOUT))
    # the worker caps its address space, except under ASan (make sanitize), where
    # the allocator caps single allocations instead: a mutant may legitimately
    # ask for a 16 GB tensor, which must then fail fast rather than page for minutes
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
        "allocator_may_return_null=1:max_allocation_size_mb=2048"

    def one_chunk(chunk):
        counts, failures = {"ok": 0, "err": 0}, []
        todo = list(chunk)
        while todo:
            feed = "".join("%d %s %d\n" % (s, path, s) for s in todo)
            proc = subprocess.run([sys.executable, str(WORKER)], input=feed.encode(),
                                  capture_output=True, env=env, cwd=str(ROOT),
                                  timeout=PER_MUTANT_TIMEOUT * 4 + len(todo))
            begun, done = None, set()
            for line in proc.stdout.decode(errors="replace").splitlines():
                parts = line.split(" ", 2)
                if parts[0] == "B":
                    begun = int(parts[1])
                elif parts[0] == "E" and len(parts) == 3:
                    seed = int(parts[1])
                    done.add(seed)
                    outcome = parts[2]
                    if outcome in counts:
                        counts[outcome] += 1
                    else:
                        failures.append("seed %d: %s" % (seed, outcome))
            if proc.returncode == 0 and len(done) == len(todo):
                break
            # the worker died on `begun`: report it and carry on after it
            hung = proc.returncode == -14
            how = ("hung (> %d s)" % PER_MUTANT_TIMEOUT if hung
                   else "crashed (exit status %d)" % proc.returncode)
            if hung and begun is not None and begun not in done and \
                    os.path.basename(path) in HANG_OK:
                counts["hang"] = counts.get("hang", 0) + 1
                todo = todo[todo.index(begun) + 1:]
                continue
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-6:]
            if begun is None or begun in done:
                failures.append("worker %s before any mutant: %s" % (how, " | ".join(tail)))
                break
            failures.append("seed %d: %s: %s" % (begun, how, " | ".join(tail)))
            todo = todo[todo.index(begun) + 1:]
        return counts, failures

    totals, fails = {"ok": 0, "err": 0, "hang": 0}, []
    with concurrent.futures.ThreadPoolExecutor(len(chunks)) as pool:
        for counts, failures in pool.map(one_chunk, [c for c in chunks if c]):
            for k in totals:
                totals[k] += counts.get(k, 0)
            fails += failures
    return totals, fails


def check(path, n):
    totals, fails = run_mutants(str(path), range(-1, n))
    if fails:
        pytest.fail("%d of %d mutants of %s neither ran nor raised EmberError:\n  %s\n"
                    "reproduce: python tests/interpreter/fuzz_worker.py --write %s SEED mutant.tflite"
                    % (len(fails), n + 1, path.name, "\n  ".join(fails[:30]), path))
    assert totals["ok"] + totals["err"] + totals["hang"] == n + 1
    return totals


# ---- small models built here --------------------------------------------------

SMALL = fuzz_worker.small_models()


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("mutation_models")
    for name, data in SMALL.items():
        (d / (name + ".tflite")).write_bytes(data)
    return d


def test_mutate_is_deterministic():
    data = SMALL["conv"]
    for seed in range(50):
        assert fuzz_worker.mutate(data, "conv.tflite", seed) == fuzz_worker.mutate(data, "conv.tflite", seed)
    kinds = {fuzz_worker.mutate(data, "conv.tflite", s)[1] for s in range(200)}
    assert kinds == set(fuzz_worker.KINDS)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_mutants_of_small_models(small_dir, name):
    totals = check(small_dir / (name + ".tflite"), N_SMALL)
    assert totals["ok"] >= 1      # the unmutated model (seed -1) runs


@pytest.mark.parametrize("name", REAL)
def test_mutants_of_real_models(name):
    path = MODELS_DIR / name
    need(path.is_file(), "real model %s not found in %s: get the four MediaPipe models listed in "
                         "../shared/models/README.md (from the mediapipe==0.10.14 wheel on PyPI) "
                         "and point EMBER_MODELS_DIR at them" % (name, MODELS_DIR))
    totals = check(path, N_REAL)
    assert totals["ok"] >= 1
