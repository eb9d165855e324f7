"""The examples' digits CNN (examples/digits.keras) converted by Ember, compiled into firmware
and run under QEMU on the four emulated boards: int8 on all four, float on the FPU ones, both
interpreted and --aot. Outputs must equal Ember's host interpreter bit for bit (and, for int8,
TFLite Micro's Python interpreter: the oracle both follow). One build per board, kind and mode
(module-scoped cache); each ELF then runs a few test images."""
import os
import shutil

import numpy as np
import pytest

import ember
from conftest import need
from ember import micro
from ember.micro import qemu

import micro_models as models

EMULATED = ["mps2-an385", "mps2-an386", "mps2-an500", "mps3-an547"]
FPU = ["mps2-an386", "mps2-an500", "mps3-an547"]
IMAGES = [0, 7, 123]          # test-split images each firmware runs


def tools():
    need(shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc is not installed (make micro-deps)")
    need(shutil.which("qemu-system-arm"), "qemu-system-arm is not installed (make micro-deps)")


@pytest.fixture(scope="module")
def digits():
    q = models.digits_int8()
    why = models.runs_on_host(q)
    if why is not None:       # int8 SOFTMAX missing in this core: the scores are still the model
        assert "SOFTMAX" in why, why
        q = models.drop_final_softmax(q)
    data = models.digits_data()
    return {"int8": q, "float": models.digits_float(), "x": data["x_test"][IMAGES]}


@pytest.fixture(scope="module")
def firmware(digits, tmp_path_factory):
    """(board, kind, aot) -> build report, built on first use."""
    built = {}

    def get(board, kind, aot):
        key = (board, kind, aot)
        if key not in built:
            d = tmp_path_factory.mktemp(f"{board}-{kind}-{'aot' if aot else 'interp'}")
            built[key] = micro.build(digits[kind], board, d, aot=aot)
        return built[key]
    return get


def inputs(digits, kind, i):
    x = digits["x"][i:i + 1]
    return [models.quantize_input(digits["int8"], x) if kind == "int8" else x.astype(np.float32)]


def host(model, xs, ref=False):
    old = os.environ.get("EMBER_KERNEL_PATH")
    if ref:
        os.environ["EMBER_KERNEL_PATH"] = "ref"
    try:
        it = ember.Interpreter(model_content=model)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], xs[0])
        it.invoke()
        return it.get_tensor(it.get_output_details()[0]["index"])
    finally:
        if ref:
            if old is None:
                os.environ.pop("EMBER_KERNEL_PATH")
            else:
                os.environ["EMBER_KERNEL_PATH"] = old


def tflm(model, xs):
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        need(False, "tflite-micro is not installed (pip install tflite-micro)")
    it = runtime.Interpreter.from_bytes(model)
    it.set_input(xs[0], 0)
    it.invoke()
    return it.get_output(0)


def run_images(digits, kind, board, rep):
    info = micro.analyze.read(digits[kind])
    b = micro.project.board_for(board)
    for i in range(len(IMAGES)):
        xs = inputs(digits, kind, i)
        outs, stats = qemu.run_elf(rep["elf"], b, info, xs)
        assert stats["arena_planned"] == rep["arena"]["planned"]
        assert 0 < stats["arena_used"] <= rep["arena"]["given"]
        yield xs, outs[0]


@pytest.mark.parametrize("aot", [False, True], ids=["interp", "aot"])
@pytest.mark.parametrize("board", EMULATED)
def test_digits_int8_bit_identical(board, aot, digits, firmware):
    tools()
    rep = firmware(board, "int8", aot)
    assert rep["flash"]["fits"] and rep["ram"]["fits"]
    for xs, y in run_images(digits, "int8", board, rep):
        assert y.dtype == np.int8 and y.shape == (1, 10)
        np.testing.assert_array_equal(y, host(digits["int8"], xs))
        np.testing.assert_array_equal(y, tflm(digits["int8"], xs))


@pytest.mark.parametrize("aot", [False, True], ids=["interp", "aot"])
@pytest.mark.parametrize("board", FPU)
def test_digits_float_on_fpu_boards(board, aot, digits, firmware):
    tools()
    rep = firmware(board, "float", aot)
    for xs, y in run_images(digits, "float", board, rep):
        # the host on the same reference kernels gives the same bits; its fast path agrees closely
        np.testing.assert_array_equal(y, host(digits["float"], xs, ref=True))
        np.testing.assert_allclose(y, host(digits["float"], xs), rtol=1e-5, atol=1e-6)


def test_digits_int8_classifies_like_float(digits, firmware):
    """The int8 firmware's predictions agree with the float model's on the test images."""
    tools()
    rep = firmware("mps2-an386", "int8", False)
    fl = [np.argmax(host(digits["float"], inputs(digits, "float", i))) for i in range(len(IMAGES))]
    q = [np.argmax(y) for _xs, y in run_images(digits, "int8", "mps2-an386", rep)]
    assert q == fl


def test_aot_needs_less_flash_and_ram_than_interpreted(firmware):
    tools()
    for board in ("mps2-an385", "mps3-an547"):
        interp, aot = firmware(board, "int8", False), firmware(board, "int8", True)
        assert aot["flash"]["total"] < interp["flash"]["total"]
        assert aot["ram"]["total"] < interp["ram"]["total"]
