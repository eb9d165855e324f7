"""`ember micro build`: write a self-contained project for one model and one board,
refuse models that cannot fit (before any compiler runs), build it when the
toolchain is installed, and report its memory."""
import os
import pathlib
import shutil

from ember import boards as _boards

from . import analyze, codegen, fit, probe, strip, toolchain
from .errors import MicroError
from .sources import (CORE, CORE_FILES, CORE_HEADERS, KERNELS, MICRO_C, SCHEMA_C, kernel_headers,
                      sources_for)

STACK_RESERVE = 8 * 1024      # bytes the linker script keeps free for the stack


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def board_for(name):
    b = _boards.get(name)
    if b.kind != "mcu":
        raise MicroError(f"{b.name} is a Linux board ({b.cpu}): run models there with the host "
                         f"interpreter (pip install ember; ember run MODEL), not ember micro")
    return b


def _load_model(model):
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    p = pathlib.Path(model)
    if not p.is_file():
        raise MicroError(f"no such model file: {model}")
    return p.read_bytes()


def generate(model, board, out_dir, aot=False, semihosting=None, strip_errors=False, verify=True):
    """Writes the project and returns (info, plan, arena_bytes). No compiler runs
    before the fit check (fit.precheck) has passed. strip_errors: status codes
    without messages (smaller flash); verify=False: no flatbuffer verifier
    (trusted models only; --aot has none anyway)."""
    data = _load_model(model)
    board = board_for(board) if isinstance(board, str) else board
    info = analyze.read(data)
    problems = analyze.blocking(analyze.unsupported(info, aot=aot))
    if problems:
        raise MicroError("this model cannot be built for a microcontroller:\n  - " + "\n  - ".join(problems))
    fit.precheck(data, info, board)               # flash/RAM refusal, from the host interpreter
    plan = probe.plan(data)                       # the device's exact plan (host-built probe)
    if plan["status"] != 0:
        raise MicroError(f"the model does not prepare on the micro build: {plan['error']}")
    out = pathlib.Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / "ember-project.txt").exists():
        raise MicroError(f"{out} exists and is not an ember micro project: choose an empty directory")
    for sub in ("src", "core", "build"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    if semihosting is None:
        semihosting = board.emulated
    # the arena the application hands in: planner arena + persistent + bookkeeping,
    # as measured by the 64-bit probe (an upper bound of the 32-bit device's need)
    if aot:
        from . import aot as _aot
        arena_bytes = _aot.arena_bytes(plan)
    else:
        arena_bytes = (plan["used_peak"] + 15) // 16 * 16
    kernel_srcs = sources_for(info.ops)
    for f in kernel_srcs:
        _copy(KERNELS / f, out / "core" / "kernels" / f)
    for h in kernel_headers():
        _copy(KERNELS / h, out / "core" / "kernels" / h)
    for h in CORE_HEADERS:
        _copy(CORE / h, out / "core" / h)
    _copy(SCHEMA_C / "schema_generated.h", out / "core" / "schema_generated.h")
    schema_c = (SCHEMA_C / "schema_generated.c").read_text()
    if not verify and not aot:
        schema_c = strip.trim_tables(schema_c, analyze.option_tables(info))
    _write(out / "core" / "schema_generated.c", strip.schema_c(schema_c) if strip_errors else schema_c)
    for f in ("ember_platform_micro.c", "ember_micro.h", "startup.c", "semihost.h", "main.c"):
        _copy(MICRO_C / f, out / "src" / f)
    if strip_errors:
        for f in ("ember_strip.h", "ember_strip.c"):
            _copy(MICRO_C / f, out / "src" / f)
    runtime_shimmed = True
    if aot:
        from . import aot as _aot
        _copy(MICRO_C / "ember_aot_rt.c", out / "src" / "ember_aot_rt.c")
        _copy(MICRO_C / "ember_aot.h", out / "src" / "ember_aot.h")
        _write(out / "src" / "model_aot.c", _aot.generate(info, plan, data))
    else:
        for f in CORE_FILES:
            if strip_errors:
                text, done = strip.core_file(f, (CORE / f).read_text())
                _write(out / "core" / f, text)
                if f == "runtime.c":
                    runtime_shimmed = done.get("ember_fail", False)
            else:
                _copy(CORE / f, out / "core" / f)
        _copy(MICRO_C / "ember_micro.c", out / "src" / "ember_micro.c")
        _write(out / "src" / "model_data.c", codegen.model_data_c(data))
        _write(out / "src" / "op_registry.c", codegen.op_registry_c(info.ops))
    _write(out / "src" / "ember_micro_config.h", codegen.config_h(board, arena_bytes, aot))
    if board.memory:
        _write(out / "board.ld", codegen.linker_script(board, STACK_RESERVE))
        _write(out / "Makefile", codegen.makefile(board, semihosting, strip_errors=strip_errors,
                                                  verify=verify, runtime_shimmed=runtime_shimmed))
    if board.project_only:
        _write(out / "CMakeLists.txt", codegen.esp_idf_cmake())
    _write(out / "ember-project.txt", f"board={board.name}\naot={int(aot)}\nstrip_errors={int(strip_errors)}\n"
                                      f"verify={int(verify and not aot)}\nops={','.join(info.ops)}\n")
    return info, plan, arena_bytes


def build(model, board, out_dir, aot=False, compile=True, jobs=2, semihosting=None,
          strip_errors=False, verify=True):
    """Generate, then (if the toolchain exists) compile and measure. Returns the report dict."""
    data = _load_model(model)
    board = board_for(board) if isinstance(board, str) else board
    info, plan, arena_bytes = generate(data, board, out_dir, aot=aot, semihosting=semihosting,
                                       strip_errors=strip_errors, verify=verify)
    elf = None
    sizes = noverify = None
    built_note = None
    if board.project_only:
        built_note = (f"project only: {board.name} needs {board.toolchain}, which Ember does not "
                      f"install (build it with ESP-IDF)")
    elif not compile:
        built_note = "not compiled (--no-compile)"
    elif not toolchain.available(board):
        built_note = (f"not compiled: {board.toolchain}-gcc is not installed "
                      f"(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    else:
        elf, noverify = toolchain.make(out_dir, jobs=jobs, noverify=verify and not aot)
        sizes = toolchain.sizes(elf)
        toolchain.check_no_libc_heap_or_stdio(elf)
    report = fit.report(board, data, info, plan, arena_bytes, aot=aot, sizes=sizes,
                        noverify_sizes=toolchain.sizes(noverify) if noverify else None,
                        stack=toolchain.stack_estimate(out_dir) if elf else None)
    report["options"] = {"strip_errors": strip_errors, "verify": verify and not aot}
    report["elf"] = str(elf) if elf else None
    report["built"] = built_note or "built"
    fit.save(report, out_dir)
    return report
