"""Firmware size levers: the compile-time reference path (no GEMM engines linked), the release
build (--strip-errors: status codes without messages) and --no-verify — outputs unchanged,
flash smaller, errors still reported by code."""
import pathlib
import re
import shutil
import subprocess

import numpy as np
import pytest

import ember
from conftest import need
from ember import micro
from ember.micro import MicroError, qemu, toolchain

import micro_models as models

BOARD = "mps2-an386"


def tools():
    need(shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc is not installed (make micro-deps)")
    need(shutil.which("qemu-system-arm"), "qemu-system-arm is not installed (make micro-deps)")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("int8")
    q = models.int8_all_ops(tmp, softmax=True)
    if models.runs_on_host(q) is not None:
        q = models.int8_all_ops(tmp, softmax=False)
    return q


@pytest.fixture(scope="module")
def default_build(model, tmp_path_factory):
    tools()
    return micro.build(model, BOARD, tmp_path_factory.mktemp("default"))


def host(model, x):
    it = ember.Interpreter(model_content=model)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def flash_bytes(rep, tmp_path):
    """What goes into the board's flash (loadable sections only, not the debug info)."""
    out = tmp_path / (pathlib.Path(rep["elf"]).parent.parent.name + ".bin")
    subprocess.run([shutil.which("arm-none-eabi-objcopy"), "-O", "binary", rep["elf"], str(out)],
                   check=True)
    return out.read_bytes()


def test_reference_path_links_no_gemm_engines(default_build):
    syms = toolchain.linked_symbols(default_build["elf"])
    assert "ember_model_data" in syms and "Reset_Handler" in syms
    for engine in ("ember_gemm_block_generic", "ember_dw_row_generic", "ember_qgemm_panel_generic",
                   "ember_gemm_run", "ember_dw_pixel_generic"):
        assert engine not in syms, engine


@pytest.mark.parametrize("aot", [False, True], ids=["interp", "aot"])
def test_release_build_same_outputs_less_flash(aot, model, default_build, tmp_path):
    tools()
    x = np.random.default_rng(11).integers(-128, 128, models.IN_SHAPE).astype(np.int8)
    outs, rep = micro.run(model, BOARD, [x], aot=aot, out_dir=tmp_path, strip_errors=True,
                          verify=False)
    np.testing.assert_array_equal(outs[0], host(model, x))
    assert rep["options"] == {"strip_errors": True, "verify": False}
    base = default_build if not aot else micro.build(model, BOARD, tmp_path / "base", aot=True)
    assert rep["flash"]["code"] < base["flash"]["code"] - 8000     # messages are kilobytes
    # the default build carries its messages; the release build none of them
    messages = (b"malformed model: ", b"is out of range", b"quantized_dimension", b"node %d")
    if not aot:
        assert all(m in flash_bytes(default_build, tmp_path) for m in messages)
    stripped = flash_bytes(rep, tmp_path)
    for msg in messages + (b"FLOAT32", b"depth_multiplier"):      # type and field names too
        assert msg not in stripped, msg
    assert "error strings stripped" in micro.fit.format_report(rep)


def _rebuild_with_arena(project, nbytes):
    cfg = project / "src" / "ember_micro_config.h"
    cfg.write_text(re.sub(r"EMBER_MICRO_ARENA_BYTES \d+u", f"EMBER_MICRO_ARENA_BYTES {nbytes}u",
                          cfg.read_text()))
    r = subprocess.run(["make", "-s", "-j2", "-C", str(project), "all"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return project / "build" / "app.elf"


@pytest.mark.parametrize("strip", [False, True], ids=["messages", "stripped"])
def test_too_small_arena_reports_the_code(strip, model, tmp_path):
    """An arena too small fails init with EMBER_ERR_NOMEM; the release build names the code."""
    tools()
    rep = micro.build(model, BOARD, tmp_path, strip_errors=strip, compile=False)
    elf = _rebuild_with_arena(tmp_path, 512)
    info = micro.analyze.read(model)
    x = np.zeros(models.IN_SHAPE, np.int8)
    with pytest.raises(MicroError) as e:
        qemu.run_elf(elf, micro.project.board_for(BOARD), info, [x])
    msg = str(e.value)
    assert "error: init:" in msg
    if strip:
        assert "ember error 4: out of memory" in msg
    else:
        assert "too small" in msg and "512" in msg
    assert rep["arena"]["given"] > 512
