"""The four real float models (Google's converter, float16 weights behind DEQUANTIZE)
quantised to int8 by Ember run in LiteRT and Ember, close to the float model.

Calibration: a few image-like samples (8x8 blocks of uniform colour plus noise, in
each model's input range). Threshold: mean output SQNR > 10 dB. These networks give
14-30 dB per output on such data (random images are far from what they were trained
on, which stretches activation ranges), while a wrong scale, axis or zero point
anywhere gives < 5 dB. Outputs whose float values stay under two quantisation steps
(hand_landmark's hand-presence flag on images without hands: ~1e-3 against a step of
1/256) carry no signal to measure and are left out of the mean.
"""
import numpy as np
import pytest

import ember
from oracle import litert
from oracle_int8 import assert_bitexact, tflm
from qhelp import ember_or_pending, quantize, sqnr_db
from real_models import INPUT_RANGE, MODELS, model_file


def image_like(shape, lo, hi, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        small = rng.uniform(lo, hi, [1, 8, 8, shape[3]])
        x = np.repeat(np.repeat(small, -(-shape[1] // 8), 1), -(-shape[2] // 8), 2)[:, :shape[1], :shape[2]]
        out.append(np.clip(x + rng.normal(0, 0.05 * (hi - lo), x.shape), lo, hi).astype(np.float32))
    return np.concatenate(out)


# selfie_segmentation's custom op (Convolution2DTransposeBias) runs in LiteRT only inside
# its default XNNPACK delegate: its quantised file is checked against the default kernels.
NO_REF = {"selfie_segmentation.tflite"}


@pytest.mark.parametrize("name", MODELS)
def test_real_model_int8(name):
    path = model_file(name)
    shape = [int(d) for d in ember.Interpreter(model_path=str(path)).get_input_details()[0]["shape"]]
    lo, hi = INPUT_RANGE[name]
    q, warns = quantize(path.read_bytes(), "int8", image_like(shape, lo, hi, 4, 0))
    if name == "selfie_segmentation.tflite":
        assert len(warns) == 1 and "Convolution2DTransposeBias" in warns[0]
    else:
        assert not warns, warns
    x = image_like(shape, lo, hi, 1, 9)
    want = litert(path.read_bytes(), [x])
    got = litert(q, [x], reference=name not in NO_REF)
    it = ember.Interpreter(model_content=q)
    sqnrs = []
    for g, w, d in zip(got, want, it.get_output_details()):
        step = d["quantization"][0] if d["dtype"] != np.float32 else None
        scale = next((t.quant.scale[0] for t in _int_outputs(q) if t.name == d["name"] + "_int8"), step)
        if scale is not None and np.max(np.abs(w)) < 2 * scale:
            continue
        sqnrs.append(sqnr_db(g, w))
    if not sqnrs:
        # No output carries signal on these inputs (selfie's mask is ~0 without a person):
        # measure the last quantised tensor before the outputs instead.
        rows = ember.quantize.report(path.read_bytes(), q, x).rows
        last = max((r for r in rows if r.dtype == "int8" and not r.name.endswith("_int8")),
                   key=lambda r: r.order)
        sqnrs = [last.sqnr_db]
    mean = float(np.mean(sqnrs))
    print(f"{name}: int8 output SQNR {', '.join(f'{s:.1f}' for s in sqnrs)} dB (mean {mean:.1f}); "
          f"{path.stat().st_size:,} -> {len(q):,} bytes")
    assert mean > 10, sqnrs
    mine = ember_or_pending(q, [x])
    if name in NO_REF:
        for m, g in zip(mine, got):
            assert sqnr_db(m, g) > 25
        return
    # TFLite Micro is the exact oracle here: LiteRT's BUILTIN_REF per-channel int8
    # FULLY_CONNECTED rounds a few values 1 LSB apart from it (hand_landmark's last layer).
    micro = tflm(q, [x])
    for i, (m, t, g) in enumerate(zip(mine, micro, got)):
        assert_bitexact(m, t, f"{name} output {i}: Ember vs TFLite Micro")
        step = it.get_output_details()[i]["quantization"][0] or _out_scale(q, i)
        assert np.max(np.abs(m.astype(np.float64) - g)) <= 1.01 * step, f"output {i} vs BUILTIN_REF"


def _out_scale(q, i):
    from ember.converter import load
    g = load(q).main
    src = next(op.inputs[0] for op in g.ops if op.outputs[0] is g.outputs[i])
    return float(src.quant.scale[0])

def _int_outputs(q):
    from ember.converter import load
    return [t for op in load(q).main.ops if op.type == "DEQUANTIZE" for t in op.inputs]

