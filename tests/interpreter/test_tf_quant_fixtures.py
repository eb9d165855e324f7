"""Models quantised by TensorFlow's own converter run in Ember exactly as in TFLite.

The files in tests/fixtures/tf_quant were written once by
tools/make_tf_quant_fixtures.py (TensorFlow 2.21). Integer files (int8, 16x8) must give
Ember outputs bit-identical to TFLite Micro and to LiteRT's reference kernels; the
dynamic-range files (hybrid kernels, float outputs) must match LiteRT's reference
kernels to float tolerance.
"""
import pathlib

import numpy as np
import pytest

import ember
from oracle import assert_close, litert
from oracle import ember as run_ember
from oracle_int8 import assert_matches_reference, litert_ref

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_quant"
FILES = sorted(FIXTURES.glob("*.tflite"))

# Files an oracle gets wrong or cannot run, and why (checked by hand against TFLite's sources).
TFLM_GAPS = {
    # TF lowers a dilated conv to SPACE_TO_BATCH_ND + CONV_2D + BATCH_TO_SPACE_ND. TFLite
    # Micro's SPACE_TO_BATCH_ND pads with 0 instead of the zero point (int8), and has no
    # int16 kernel for it.
    "conv_valid_dilated.int8", "conv_valid_dilated.int16x8",
    # TFLite Micro's RESIZE_BILINEAR takes float or int8 only ("Output type is 7, requires
    # float or int8"); LiteRT's reference kernel has the int16 path.
    "resize_bilinear.int16x8",
}
# LiteRT's reference FULLY_CONNECTED requantises 16x8 results in double precision;
# TFLite Micro (and Ember) use the integer multiplier every other kernel uses, so LiteRT's
# reference may differ by 1 LSB there.
LITERT_REF_LSB = {"int16x8": 1}


def _inputs(model, seed):
    rng = np.random.default_rng(seed)
    out = []
    for d in ember.Interpreter(model_content=model).get_input_details():
        dt = np.dtype(d["dtype"])
        if np.issubdtype(dt, np.integer):
            info = np.iinfo(dt)
            out.append(rng.integers(info.min, info.max + 1, d["shape"]).astype(dt))
        else:
            out.append(rng.uniform(-1, 1, d["shape"]).astype(dt))
    return out


def test_fixtures_exist():
    assert len(FILES) >= 25, "run tools/make_tf_quant_fixtures.py with TensorFlow"


@pytest.mark.parametrize("path", [p for p in FILES if ".dynamic." not in p.name],
                         ids=lambda p: p.stem)
def test_integer_file_is_bit_exact(path):
    model = path.read_bytes()
    mode = path.stem.split(".")[-1]
    lsb = LITERT_REF_LSB.get(mode, 0)
    for seed in range(2):
        x = _inputs(model, seed)
        got = assert_matches_reference(model, x, use_tflm=path.stem not in TFLM_GAPS,
                                       use_litert_ref=lsb == 0)
        if lsb:
            for g, w in zip(got, litert_ref(model, x)):
                assert np.max(np.abs(g.astype(np.int64) - w)) <= lsb


@pytest.mark.parametrize("path", [p for p in FILES if ".dynamic." in p.name],
                         ids=lambda p: p.stem)
def test_dynamic_range_file_matches_litert(path):
    model = path.read_bytes()
    x = _inputs(model, 0)
    want = litert(model, x, reference=True)
    for i, (g, w) in enumerate(zip(run_ember(model, x), want)):
        assert_close(g, w, rtol=1e-4, what=f"output {i}")
