"""Where the C sources of a micro build come from: the interpreter core, the kernels
(one file per op family: only those a model uses are copied), the schema tables, and
micro/c (the bare-metal platform, API, startup and example main)."""
import functools
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[1]
CORE = REPO / "interpreter" / "core"
KERNELS = CORE / "kernels"
SCHEMA_C = REPO / "schema" / "c"
MICRO_C = pathlib.Path(__file__).resolve().parent / "c"

# The host-only parts of the core: the all-ops table (a micro build generates its own).
CORE_FILES = ["runtime.c", "model.c", "fb.c", "planner.c", "threadpool.c", "sparsity_load.c"]
CORE_HEADERS = ["ember.h", "ember_kernel.h", "fb.h", "model.h", "planner.h", "registry.h",
                "runtime.h", "platform.h"]
_DEF = re.compile(r"^const ember_kernel ember_(custom_)?kernel_([A-Za-z0-9_]+)\s*=", re.M)


@functools.lru_cache(maxsize=4)
def _scan(stamp):
    ops, helpers = {}, []
    for path in sorted(KERNELS.glob("*.c")):
        if path.name == "registry.c":
            continue
        defs = _DEF.findall(path.read_text())
        if not defs:
            helpers.append(path.name)
        for custom, name in defs:
            if not custom:
                ops[name] = path.name
    return ops, helpers


def _stamp():
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(KERNELS.glob("*.c")))


def kernel_files():
    """({OP: kernel file}, [helper files without a kernel]) from the kernel sources."""
    return _scan(_stamp())


def kernel_headers():
    """Kernel headers, relative to kernels/: opt/ headers too, since reference kernels may
    include the plain-struct ones (opt/qew.h); the opt/ .c files are never copied."""
    top = [p.name for p in KERNELS.iterdir() if p.suffix in (".h", ".inc")]
    opt = [f"opt/{p.name}" for p in (KERNELS / "opt").glob("*.h")]
    return sorted(top + opt)


def sources_for(ops):
    """Kernel .c files a model with these builtin ops needs (its ops' files + helpers)."""
    by_op, helpers = kernel_files()
    return sorted({by_op[o] for o in ops} | set(helpers))
