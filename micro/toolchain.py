"""The cross toolchain: find it, run the project's Makefile, read sizes from the ELF,
check what got linked, and estimate the stack from gcc's call-graph info."""
import os
import pathlib
import re
import shutil
import subprocess

from .errors import MicroError


def _tool(board, name):
    return shutil.which(f"{board.toolchain}-{name}") if board.toolchain else None


def available(board):
    return bool(_tool(board, "gcc"))


def make(out_dir, jobs=2, noverify=True):
    out = pathlib.Path(out_dir)
    targets = ["all"] + (["noverify"] if noverify else [])
    r = subprocess.run(["make", "-s", f"-j{jobs}", "-C", str(out), *targets], capture_output=True,
                       text=True)
    if r.returncode:
        raise MicroError(f"the cross build in {out} failed:\n{(r.stderr or r.stdout)[-4000:]}")
    elf = out / "build" / "app.elf"
    nv = out / "build" / "app-noverify.elf"
    return elf, (nv if noverify and nv.exists() else None)


def sizes(elf):
    """{'text', 'data', 'bss'} from arm-none-eabi-size (Berkeley format)."""
    size = shutil.which("arm-none-eabi-size")
    if not size:
        raise MicroError("arm-none-eabi-size is missing (binutils-arm-none-eabi)")
    r = subprocess.run([size, str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in r.stdout.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss}


FORBIDDEN = ("malloc", "_malloc_r", "free", "_free_r", "calloc", "realloc", "printf", "vsnprintf",
             "snprintf", "_vfprintf_r", "_svfprintf_r", "puts", "fopen", "_sbrk", "pthread_create",
             "mmap")


def linked_symbols(elf):
    nm = shutil.which("arm-none-eabi-nm")
    r = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in r.stdout.splitlines() if line.strip()}


def check_no_libc_heap_or_stdio(elf):
    bad = sorted(set(FORBIDDEN) & linked_symbols(elf))
    if bad:
        raise MicroError(f"{elf} links {', '.join(bad)}: the micro build must not use the C "
                         f"library's heap, stdio or threads")


_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_BYTES = re.compile(r"(\d+) bytes \((static|dynamic|dynamic,bounded)\)")


def stack_estimate(out_dir):
    """Worst-case stack from gcc's -fcallgraph-info=su (written at link time with LTO):
    the deepest path from the reset handler / main,
    plus the deepest path from any function reached only through a pointer (kernel
    prepare/eval are called via the op table, which the call graph cannot follow)."""
    frames, calls, called = {}, {}, set()
    for ci in pathlib.Path(out_dir, "build").rglob("*.ci"):
        text = ci.read_text(errors="replace")
        for title, label in _NODE.findall(text):
            m = _BYTES.search(label.replace("\\n", " "))
            if m:
                frames[title] = max(frames.get(title, 0), int(m.group(1)))
        for a, b in _EDGE.findall(text):
            calls.setdefault(a, set()).add(b)
            called.add(b)
    if not frames:
        return None
    memo = {}

    def depth(f, seen=()):
        if f in memo:
            return memo[f]
        if f in seen:
            return 0                      # recursion: counted once
        d = frames.get(f, 0) + max((depth(g, seen + (f,)) for g in calls.get(f, ())), default=0)
        memo[f] = d
        return d
    # from the reset handler, which calls main (with LTO, main is often inlined into it)
    main = max((depth(f) for f in frames if f.split(":")[-1] in ("main", "Reset_Handler")), default=0)
    roots = [f for f in frames if f not in called and f.split(":")[-1] not in ("main", "Reset_Handler")]
    indirect = max((depth(f) for f in roots), default=0)
    return main + indirect
