"""The exact memory plan of a micro build, computed on the host.

A small host program is compiled from the same sources the device build uses
(EMBER_MICRO: reference kernels, bump allocator) and cached by a hash of those
sources; it loads the model, plans it and prints the plan. The planner's arena and
every offset are what the device computes; pointer-sized bookkeeping is bigger on a
64-bit host, so `used_peak` bounds the device's arena use from above."""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

from .errors import MicroError
from . import codegen
from .sources import CORE, CORE_FILES, KERNELS, MICRO_C, SCHEMA_C, kernel_files

CACHE = pathlib.Path(os.environ.get("EMBER_CACHE_DIR", pathlib.Path.home() / ".cache" / "ember")) / "micro"


def _sources():
    # every kernel (the host's all-ops table links them all); the AVX2 files are
    # compiled in too (x86 builds reference them) but the micro path never calls them
    srcs = [CORE / f for f in CORE_FILES] + sorted(KERNELS.glob("*.c")) + sorted((KERNELS / "opt").glob("*.c"))
    srcs += [SCHEMA_C / "schema_generated.c",
             MICRO_C / "ember_platform_micro.c", MICRO_C / "probe_main.c"]
    return srcs


def _hash(srcs):
    h = hashlib.sha256()
    for d in (CORE, KERNELS, KERNELS / "opt", SCHEMA_C, MICRO_C):
        for p in sorted(d.iterdir()):
            if p.suffix in (".c", ".h", ".inc"):
                h.update(p.name.encode())
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def probe_binary():
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if not cc:
        raise MicroError("no host C compiler (gcc/cc) to compute the exact memory plan")
    srcs = _sources()
    exe = CACHE / f"probe-{_hash(srcs)}"
    if exe.exists():
        return exe
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_suffix(f".tmp{os.getpid()}")
    # its own table of every builtin kernel found in the sources (as a device build
    # makes one per model), not the host's registry.c, which may lag behind them
    reg = exe.with_suffix(f".registry{os.getpid()}.c")
    reg.write_text(codegen.op_registry_c(sorted(kernel_files()[0])))
    srcs = [s for s in srcs if s.name != "registry.c"] + [reg]
    cmd = [cc, "-std=c99", "-O0", "-w", "-DEMBER_MICRO=1", "-D_POSIX_C_SOURCE=200809L",
           "-D_ISOC11_SOURCE", f"-I{CORE}", f"-I{SCHEMA_C}", *map(str, srcs), "-lm", "-o", str(tmp)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    reg.unlink()
    if r.returncode:
        raise MicroError("building the host plan probe failed:\n" + r.stderr[-3000:])
    os.replace(tmp, exe)
    return exe


def plan(model_bytes):
    """The device's memory plan for this model (dict, see probe_main.c)."""
    exe = probe_binary()
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(model_bytes)
        f.flush()
        r = subprocess.run([str(exe), f.name], capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise MicroError(f"the plan probe failed: {r.stderr.strip()[-500:]}")
    return json.loads(r.stdout)
