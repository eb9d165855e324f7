"""Models compiled into firmware and run under QEMU on the four emulated Cortex-M boards:
outputs must equal Ember's host interpreter (bit for bit for int8; float on the FPU
boards, bit for bit against the host's reference-kernel path). One build per board and
mode (module fixtures) keeps the file near two minutes."""
import os
import shutil

import numpy as np
import pytest

import ember
from conftest import need
from ember import micro
from ember.micro import fit

import micro_models as models

EMULATED = ["mps2-an385", "mps2-an386", "mps2-an500", "mps3-an547"]
FPU = ["mps2-an386", "mps2-an500", "mps3-an547"]


def tools():
    need(shutil.which("arm-none-eabi-gcc"), "arm-none-eabi-gcc is not installed (make micro-deps)")
    need(shutil.which("qemu-system-arm"), "qemu-system-arm is not installed (make micro-deps)")


def host(model, xs, ref=False):
    old = os.environ.get("EMBER_KERNEL_PATH")
    if ref:
        os.environ["EMBER_KERNEL_PATH"] = "ref"
    try:
        it = ember.Interpreter(model_content=model)
        it.allocate_tensors()
        for d, x in zip(it.get_input_details(), xs):
            it.set_tensor(d["index"], x)
        it.invoke()
        return [it.get_tensor(d["index"]) for d in it.get_output_details()]
    finally:
        if ref:
            if old is None:
                os.environ.pop("EMBER_KERNEL_PATH")
            else:
                os.environ["EMBER_KERNEL_PATH"] = old


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("int8")
    q = models.int8_all_ops(tmp, softmax=True)
    try:      # SOFTMAX joins the int8 model as soon as the core has its int8 kernel
        ember.Interpreter(model_content=q).allocate_tensors()
    except ember.EmberError as e:
        assert "SOFTMAX" in str(e), e
        q = models.int8_all_ops(tmp, softmax=False)
    return q


def int8_inputs(seed):
    return [np.random.default_rng(seed).integers(-128, 128, models.IN_SHAPE).astype(np.int8)]


def float_inputs(seed):
    return [np.random.default_rng(seed).uniform(-1, 1, models.IN_SHAPE).astype(np.float32)]


def _check_report(rep, board):
    d = rep["device"]
    # the planner on the device made exactly the plan the host probe computed
    assert d["arena_planned"] == rep["arena"]["planned"]
    assert 0 < d["arena_used"] <= rep["arena"]["given"]
    assert d["persistent"] <= rep["arena"]["persistent_host"]
    assert d["instructions"] > 1000 and d["stack_used"] > 0
    assert rep["flash"]["fits"] and rep["ram"]["fits"]
    assert rep["flash"]["code"] > 0 and rep["stack_estimate"] >= d["stack_used"] // 2
    text = fit.format_report(rep)
    assert "arena planned" in text and board in text


@pytest.mark.parametrize("board", EMULATED)
def test_int8_bit_identical_on_every_emulated_board(board, int8_model, tmp_path):
    tools()
    xs = int8_inputs(3)
    outs, rep = micro.run(int8_model, board, xs, out_dir=tmp_path)
    want = host(int8_model, xs)
    for o, w in zip(outs, want):
        assert o.dtype == np.int8 and o.shape == w.shape
        np.testing.assert_array_equal(o, w)
    _check_report(rep, board)
    assert rep["verifier_bytes"] > 0          # EMBER_NO_VERIFY measured


@pytest.mark.parametrize("board", FPU)
def test_float_on_fpu_boards(board, tmp_path):
    tools()
    m = models.float_all_ops()
    xs = float_inputs(4)
    outs, rep = micro.run(m, board, xs, out_dir=tmp_path)
    np.testing.assert_allclose(outs[0], host(m, xs)[0], rtol=1e-5, atol=1e-7)
    # against the host on the same reference kernels: the same bits
    np.testing.assert_array_equal(outs[0], host(m, xs, ref=True)[0])
    _check_report(rep, board)


@pytest.mark.parametrize("board,kind", [("mps2-an385", "int8"), ("mps3-an547", "float")])
def test_aot_matches_and_is_smaller(board, kind, int8_model, tmp_path):
    tools()
    m = int8_model if kind == "int8" else models.float_all_ops()
    xs = int8_inputs(5) if kind == "int8" else float_inputs(5)
    outs, rep = micro.run(m, board, xs, aot=True, out_dir=tmp_path / "aot")
    np.testing.assert_array_equal(outs[0], host(m, xs, ref=True)[0])
    _check_report(rep, board)
    # the interpreted build of the same model, for the comparison the report makes
    interp = micro.build(m, board, tmp_path / "interp")
    assert rep["flash"]["total"] < interp["flash"]["total"]
    assert rep["ram"]["total"] < interp["ram"]["total"]
    assert not (tmp_path / "aot" / "core" / "model.c").exists()   # no flatbuffer code on the device
