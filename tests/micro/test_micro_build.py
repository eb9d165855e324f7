"""ember micro without a device run: fit refusal before any compiler, unsupported models,
the generated project's contents, Linux/project-only boards, the CLI."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ember import micro
from ember.micro import MicroError, probe, toolchain
from ember.schema.builder import ModelBuilder

import micro_models as models


def ember_cli(*args):
    return subprocess.run([sys.executable, "-m", "ember", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_too_big_for_pico_refused_before_any_compiler(tmp_path, monkeypatch):
    def no_compiler(*a, **k):
        raise AssertionError("a compiler ran before the fit check refused the model")
    monkeypatch.setattr(probe, "probe_binary", no_compiler)
    monkeypatch.setattr(toolchain, "make", no_compiler)
    with pytest.raises(MicroError) as e:
        micro.build(models.too_big_for_pico(), "rpi-pico", tmp_path / "p")
    msg = str(e.value)
    assert "rpi-pico" in msg and "flash" in msg and "KB" in msg and "Try:" in msg and "int8" in msg
    assert not (tmp_path / "p").exists()


def test_too_big_refused_by_the_cli(tmp_path):
    model = tmp_path / "big.tflite"
    model.write_bytes(models.too_big_for_pico())
    r = ember_cli("micro", "build", model, "--board", "rpi-pico", "-o", tmp_path / "p")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "does not fit rpi-pico" in r.stderr and "flash" in r.stderr


def test_unsupported_lists_what_micro_cannot_take():
    b = ModelBuilder()
    x = b.input("x", [2], "float32")
    y = b.tensor("y", [2], "float32")
    b.op("CUSTOM", [x], [y], custom_code="MyOp")
    b.output(y)
    probs = micro.unsupported(b.build())
    assert any("MyOp" in p for p in probs)
    assert micro.unsupported(models.float_all_ops()) == []
    with pytest.raises(MicroError, match="not a readable TFLite model"):
        micro.unsupported(b"garbage!")


def test_linux_board_and_unknown_board(tmp_path):
    with pytest.raises(MicroError, match="Linux board"):
        micro.build(models.float_all_ops(), "rpi-5", tmp_path)
    with pytest.raises(micro.MicroError.__mro__[1], match="unknown board"):
        micro.build(models.float_all_ops(), "nope", tmp_path)


def test_project_contents_without_compiling(tmp_path):
    rep = micro.build(models.float_all_ops(), "stm32f746-disco", tmp_path, compile=False)
    src = (tmp_path / "src" / "op_registry.c").read_text()
    assert "ember_kernel_CONV_2D" in src and "ember_kernel_TANH" not in src
    kernels = {p.name for p in (tmp_path / "core" / "kernels").glob("*.c")}
    assert "conv_2d.c" in kernels and "unidirectional_sequence_lstm.c" not in kernels
    assert "registry.c" not in kernels
    data = (tmp_path / "src" / "model_data.c").read_text()
    assert "aligned(16)" in data and "const unsigned char ember_model_data" in data
    mk = (tmp_path / "Makefile").read_text()
    assert "-mcpu=cortex-m7" in mk and "-mfpu=fpv5-sp-d16" in mk and "-mfloat-abi=hard" in mk
    ld = (tmp_path / "board.ld").read_text()
    assert "0x08000000" in ld and "0x20000000" in ld
    assert rep["arena"]["planned"] > 0 and rep["built"].startswith("not compiled")
    assert json.loads((tmp_path / "report.json").read_text())["board"] == "stm32f746-disco"


def test_esp32_is_project_only(tmp_path):
    rep = micro.build(models.float_all_ops(), "esp32-s3", tmp_path)
    assert "project only" in rep["built"] and rep["elf"] is None
    assert (tmp_path / "CMakeLists.txt").exists() and (tmp_path / "src" / "ember_micro.h").exists()


def test_run_refuses_boards_without_emulator_and_bad_inputs(tmp_path):
    with pytest.raises(MicroError, match="cannot be emulated"):
        micro.run(models.float_all_ops(), "rpi-pico", [np.zeros(models.IN_SHAPE, np.float32)])
    with pytest.raises(MicroError, match="shape"):
        micro.run(models.float_all_ops(), "mps2-an386", [np.zeros((1, 2), np.float32)])


def test_unsupported_prints_dynamic_dims_as_plain_ints():
    b = ModelBuilder()
    x = b.input("x", [1, 4], "float32", shape_signature=[-1, 4])
    y = b.tensor("y", [1, 4], "float32")
    b.op("RELU", [x], [y])
    b.output(y)
    notes = micro.unsupported(b.build())
    assert any("dynamic dimensions [-1, 4] are fixed at [1, 4]" in n for n in notes), notes
    assert not any("np." in n for n in notes)


def test_help_has_examples():
    for args in (["micro", "--help"], ["micro", "build", "--help"], ["micro", "run", "--help"],
                 ["boards", "--help"]):
        r = ember_cli(*args)
        assert r.returncode == 0 and "examples:" in r.stdout, args
    r = ember_cli("micro", "build", "--help")
    assert "--strip-errors" in r.stdout and "--no-verify" in r.stdout
