"""Calibration: every accepted source gives the same ranges; bad data is refused with
a message naming the input; observers behave as documented; parameters follow TFLite's
formulas (checked against the quantisation spec's definitions, not copied numbers)."""
import numpy as np
import pytest

import ember
from ember.converter import ConversionError, load
from ember.quantize import data as qdata
from ember.quantize.calibrate import calibrate
from ember.quantize.common import activation_quant, dequantize_values, quantize_values
from ember.quantize.observers import MSE, MinMax, Percentile
from ember.schema.builder import ModelBuilder
from qhelp import cnn, images, ops_of

CAL = images(6)


def two_input_model():
    b = ModelBuilder()
    a = b.input("a", [1, 4], "float32")
    c = b.input("c", [1, 4], "float32")
    y = b.tensor("y", [1, 4], "float32")
    b.op("ADD", [a, c], [y], options=("AddOptions", {"fused_activation_function": "NONE"}))
    b.output(y)
    return b.build()


def _ranges(model_bytes, cal, method="minmax"):
    obs, n = calibrate(load(model_bytes), cal, method)
    return {k: o.range() for k, o in obs.items()}, n


def test_sources_agree(tmp_path):
    m = cnn()
    np.save(tmp_path / "cal.npy", CAL)
    np.savez(tmp_path / "cal.npz", image=CAL)
    want, n = _ranges(m, CAL)
    assert n == len(CAL)
    for src in [str(tmp_path / "cal.npy"), tmp_path / "cal.npz", {"image": CAL},
                [x for x in CAL],                               # items without the batch axis
                (lambda: ([x[None]] for x in CAL)),              # TF style: lists of batched arrays
                ({"image": x[None]} for x in CAL)]:              # a generator of dicts
        got, n2 = _ranges(m, src)
        assert n2 == len(CAL) and got == want


def test_minmax_is_the_observed_extremes():
    m = cnn()
    ranges, _ = _ranges(m, CAL)
    # The input's range is the data's; the float model's own intermediate (via LiteRT) too.
    assert ranges["image"] == (float(CAL.min()), float(CAL.max()))
    from ai_edge_litert import interpreter as lrt
    it = lrt.Interpreter(model_content=m, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    idx = {d["name"]: d["index"] for d in it.get_tensor_details()}
    vals = []
    for x in CAL:
        it.set_tensor(it.get_input_details()[0]["index"], x[None])
        it.invoke()
        vals.append(it.get_tensor(idx["conv2"]))
    lo, hi = ranges["conv2"]
    assert np.isclose(lo, np.min(vals), rtol=1e-5) and np.isclose(hi, np.max(vals), rtol=1e-5)


def test_two_inputs_npz_by_name(tmp_path):
    m = two_input_model()
    a = np.random.default_rng(0).uniform(-2, 1, (5, 4)).astype(np.float32)
    c = np.random.default_rng(1).uniform(0, 3, (5, 4)).astype(np.float32)
    np.savez(tmp_path / "two.npz", c=c, a=a)
    ranges, n = _ranges(m, tmp_path / "two.npz")
    assert n == 5 and ranges["a"] == (a.min(), a.max()) and ranges["c"] == (c.min(), c.max())
    assert np.allclose(ranges["y"], ((a + c).min(), (a + c).max()))


BAD = [
    ("wrong shape", lambda: np.zeros((3, 5, 5, 3), np.float32), "has shape [5, 5, 3]"),
    ("wrong rank", lambda: np.zeros((3, 12), np.float32), "'image'"),
    ("NaN", lambda: np.where(np.arange(3 * 12 * 12 * 3).reshape(3, 12, 12, 3) == 7, np.nan, 0).astype(np.float32), "contains NaN"),
    ("infinity", lambda: np.full((2, 12, 12, 3), np.inf, np.float32), "infinite"),
    ("strings", lambda: np.array([["a"] * 3] * 2), "dtype <U1"),
    ("complex", lambda: np.zeros((2, 12, 12, 3), np.complex64), "complex64"),
    ("empty", lambda: np.zeros((0, 12, 12, 3), np.float32), "empty"),
    ("empty iterable", lambda: iter([]), "empty"),
    ("unknown name", lambda: {"imagee": CAL}, "unknown input name 'imagee'"),
    ("bad item", lambda: [CAL[0], "x"], "sample 1"),
    ("scalar", lambda: {"image": np.float32(1)}, "scalar"),
    ("not data", lambda: 42, "not int"),
]


@pytest.mark.parametrize("what,make,words", BAD, ids=[b[0] for b in BAD])
def test_bad_calibration_is_refused(what, make, words):
    with pytest.raises(ConversionError) as e:
        ember.convert(cnn(), quantize="int8", calibration=make())
    msg = str(e.value)
    assert words in msg, msg
    if what not in ("empty iterable", "not data"):
        assert "image" in msg, msg


def test_bad_calibration_files(tmp_path):
    m = two_input_model()
    np.save(tmp_path / "one.npy", np.zeros((2, 4), np.float32))
    with pytest.raises(ConversionError, match="single array but the model has 2 inputs"):
        ember.convert(m, quantize="int8", calibration=str(tmp_path / "one.npy"))
    np.savez(tmp_path / "missing.npz", a=np.zeros((2, 4), np.float32))
    with pytest.raises(ConversionError, match="no data for input 'c'"):
        ember.convert(m, quantize="int8", calibration=str(tmp_path / "missing.npz"))
    np.savez(tmp_path / "counts.npz", a=np.zeros((2, 4), np.float32), c=np.zeros((3, 4), np.float32))
    with pytest.raises(ConversionError, match="input 'c' has 3 samples"):
        ember.convert(m, quantize="int8", calibration=str(tmp_path / "counts.npz"))
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ConversionError, match="not a readable"):
        ember.convert(m, quantize="int8", calibration=str(tmp_path / "junk.npy"))
    with pytest.raises(ConversionError, match="does not exist"):
        ember.convert(m, quantize="int8", calibration=str(tmp_path / "nope.npy"))
    with pytest.raises(ConversionError, match="needs calibration data"):
        ember.convert(m, quantize="int8")
    with pytest.raises(ConversionError, match="needs no calibration"):
        ember.convert(m, quantize="float16", calibration=CAL)
    with pytest.raises(ConversionError, match="unknown calibration method 'kl'"):
        ember.convert(cnn(), quantize="int8", calibration=CAL, calibration_method="kl")


def test_integer_data_for_float_input_is_cast():
    specs = [qdata.InputSpec("x", (1, 3), np.float32)]
    (s,) = list(qdata.samples([np.array([1, 2, 3], np.int64)], specs))
    assert s["x"].dtype == np.float32 and s["x"].shape == (1, 3)


# ---- observers -----------------------------------------------------------------

def test_percentile_ignores_outliers():
    x = np.random.default_rng(3).standard_normal(200_000).astype(np.float32)
    x[17] = 60.0
    mm, pc = MinMax(), Percentile()
    for chunk in np.split(x, 10):
        mm.observe(chunk)
        pc.observe(chunk)
    assert mm.range()[1] == 60.0
    lo, hi = pc.range()
    assert 3.0 < hi < 6.0 and -6.0 < lo < -3.0


def test_mse_lowers_the_error():
    # A heavy-tailed activation: clipping the rare tail buys finer steps for the bulk.
    # (fewer values than the reservoir holds: the search sees them all)
    x = np.random.default_rng(5).standard_t(3, 30_000).astype(np.float32)
    mm, ms = MinMax(), MSE()
    for chunk in np.split(x, 10):
        mm.observe(chunk)
        ms.observe(chunk)

    def err(r):
        q = activation_quant(*r, np.int8)
        return np.mean((dequantize_values(quantize_values(x, q, np.int8), q) - x) ** 2)
    lo, hi = ms.range()
    assert mm.range()[0] <= lo and hi < mm.range()[1]
    assert err((lo, hi)) < err(mm.range())


@pytest.mark.parametrize("method", ["percentile", "mse"])
def test_methods_run_end_to_end(method):
    q = ember.convert(cnn(), quantize="int8", calibration=CAL, calibration_method=method)
    assert "QUANTIZE" in {op.type for op in ops_of(q)}


# ---- parameters ------------------------------------------------------------------

@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (0.0, 6.0), (0.5, 3.0), (-4.0, -1.0), (-0.3, 7.1)])
def test_int8_activation_params_follow_the_spec(lo, hi):
    q = activation_quant(lo, hi, np.int8)
    s, z = float(q.scale[0]), int(q.zero_point[0])
    rlo, rhi = min(lo, 0.0), max(hi, 0.0)       # the range is nudged to include 0
    assert -128 <= z <= 127
    assert np.isclose(s, (rhi - rlo) / 255, rtol=1e-6)
    assert abs((-128 - z) * s - rlo) <= s          # -128 maps to (about) the minimum
    assert abs((127 - z) * s - rhi) <= s           # and 127 to the maximum


def test_int16_activation_params_are_symmetric():
    q = activation_quant(-0.5, 3.0, np.int16)
    assert int(q.zero_point[0]) == 0 and np.isclose(q.scale[0], 3.0 / 32767)
