"""`ember micro run`: build for an emulated board, run under qemu-system-arm with
semihosting (tensors move through input<i>.bin/output<i>.bin files in QEMU's working
directory), and read back the outputs, the device's memory figures and the
instruction count from QEMU's instruction counting (-icount)."""
import pathlib
import re
import shutil
import subprocess
import tempfile

import numpy as np

from . import analyze, project
from .errors import MicroError

ICOUNT_SHIFT = 0          # one instruction = 2**0 ns of virtual time


def _inputs(info, inputs):
    if len(inputs) != len(info.inputs):
        raise MicroError(f"the model has {len(info.inputs)} input(s) "
                         f"({', '.join(n for n, _s, _d in info.inputs)}), got {len(inputs)}")
    out = []
    for (name, shape, dtype), x in zip(info.inputs, inputs):
        x = np.asarray(x)
        if list(x.shape) != list(shape):
            raise MicroError(f"input {name!r}: shape {list(x.shape)}, the model wants {shape}")
        if x.dtype != dtype:
            if not np.can_cast(x.dtype, dtype, "same_kind"):
                raise MicroError(f"input {name!r}: dtype {x.dtype}, the model wants {dtype}")
            x = x.astype(dtype)
        out.append(np.ascontiguousarray(x))
    return out


def run_elf(elf, board, info, inputs, timeout=120):
    """Runs a built ELF under QEMU; returns (outputs, device stats dict)."""
    qemu = shutil.which(board.emulator["qemu"]) if board.emulator else None
    if not board.emulated:
        raise MicroError(f"{board.name} cannot be emulated: build it with `ember micro build` and "
                         f"flash it; emulated boards: mps2-an385, mps2-an386, mps2-an500, mps3-an547")
    if not qemu:
        raise MicroError(f"{board.emulator['qemu']} is not installed (apt-get install qemu-system-arm)")
    xs = _inputs(info, inputs)
    with tempfile.TemporaryDirectory(prefix="ember-qemu-") as tmp:
        tmp = pathlib.Path(tmp)
        for i, x in enumerate(xs):
            (tmp / f"input{i}.bin").write_bytes(x.tobytes())
        cmd = [qemu, "-machine", board.emulator["machine"], "-nographic", "-monitor", "none",
               "-serial", "none", "-semihosting-config", "enable=on,target=native",
               "-icount", f"shift={ICOUNT_SHIFT}", "-kernel", str(pathlib.Path(elf).resolve())]
        try:
            r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MicroError(f"QEMU ({board.emulator['machine']}) did not finish within {timeout} s") from None
        log = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or "ember: stats" not in log:
            raise MicroError(f"the firmware failed on {board.name} (QEMU exit {r.returncode}): "
                             f"{log[-1500:] or 'no output (a fault?)'}")
        stats = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", log.split("ember: stats", 1)[1])}
        outs = []
        for i, (name, shape, dtype) in enumerate(info.outputs):
            raw = (tmp / f"output{i}.bin").read_bytes()
            outs.append(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())
    hz = board.emulator.get("systick_hz") or board.clock_hz
    stats["instructions"] = stats.get("ticks", 0) * 1_000_000_000 // (hz << ICOUNT_SHIFT) if hz else None
    stats["instruction_resolution"] = 1_000_000_000 // hz if hz else None
    return outs, stats


def run(model, board, inputs, aot=False, out_dir=None, timeout=120, strip_errors=False, verify=True):
    """Build MODEL for BOARD (emulated), run it once on `inputs` (a list of arrays);
    returns (outputs, report) with the device's figures in report['device']."""
    data = project._load_model(model)
    b = project.board_for(board) if isinstance(board, str) else board
    if not b.emulated:
        raise MicroError(f"{b.name} cannot be emulated: use `ember micro build` and flash it; "
                         f"emulated boards: mps2-an385, mps2-an386, mps2-an500, mps3-an547")
    info = analyze.read(data)
    _inputs(info, inputs)                     # bad inputs fail before anything is built
    ctx = tempfile.TemporaryDirectory(prefix="ember-micro-") if out_dir is None else None
    try:
        d = out_dir or ctx.name
        report = project.build(data, b, d, aot=aot, strip_errors=strip_errors, verify=verify)
        if not report.get("elf"):
            raise MicroError(f"cannot run: {report['built']}")
        outs, stats = run_elf(report["elf"], b, info, inputs, timeout=timeout)
        report["device"] = stats
        return outs, report
    finally:
        if ctx:
            ctx.cleanup()
