"""Quantisation arithmetic shared by the modes: parameters from ranges, weights, biases.

The formulas follow TFLite's post-training quantiser (tflite/tools/optimize in the
LiteRT sources), so a range calibrated by Ember gives the same scale and zero point
TensorFlow would write:
- activations, int8: asymmetric over [min(lo, 0), max(hi, 0)] mapped onto [-128, 127],
  zero point rounded half away from zero and clamped;
- activations, int16: symmetric, scale = max(|lo|, |hi|) / 32767, zero point 0;
- weights: symmetric int8, scale = max|w| / 127 per channel (or per tensor), values
  rounded half away from zero and clamped to [-127, 127];
- bias: int32 (int64 in 16x8) with scale = input scale x weight scale, zero point 0.
"""
import numpy as np

from ember.converter import ir

INT_RANGE = {np.dtype(np.int8): (-128, 127), np.dtype(np.uint8): (0, 255),
             np.dtype(np.int16): (-32768, 32767)}

# An all-zero tensor has no range; any scale represents it exactly, but a scale of 0
# would divide by zero in the kernels' multipliers, so it gets this nominal range.
_EMPTY_RANGE = (-1.0, 1.0)


def round_half_away(x):
    """C's round(): TFLite's quantiser rounds ties away from zero (numpy rounds to even)."""
    x = np.asarray(x, np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def activation_quant(lo, hi, dtype):
    """Per-tensor parameters for an activation observed in [lo, hi]."""
    dtype = np.dtype(dtype)
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ir.ConversionError(f"calibrated range [{lo}, {hi}] is not finite")
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if dtype == np.int16:
        half = max(abs(lo), abs(hi))
        if half == 0:
            half = _EMPTY_RANGE[1]
        return ir.Quant(np.float32(half / 32767.0), 0)
    qmin, qmax = INT_RANGE[dtype]
    if hi == lo:
        lo, hi = _EMPTY_RANGE
    # TFLite computes in float32; doing the same keeps the scale bit-identical.
    scale = np.float32((np.float32(hi) - np.float32(lo)) / np.float32(qmax - qmin))
    zp_from_min = np.float32(qmin) - np.float32(lo) / scale
    if zp_from_min < qmin:
        zp = qmin
    elif zp_from_min > qmax:
        zp = qmax
    else:
        zp = int(round_half_away(zp_from_min))
    return ir.Quant(scale, zp)


def quantize_values(x, q, dtype):
    """Real values to integers with parameters ``q`` (per tensor or along ``q.axis``)."""
    dtype = np.dtype(dtype)
    x = np.asarray(x, np.float64)
    scale = q.scale.astype(np.float64)
    zp = q.zero_point.astype(np.float64)
    if scale.size > 1:
        shape = [1] * x.ndim
        shape[q.axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    info = np.iinfo(dtype)
    return np.clip(round_half_away(x / scale) + zp, info.min, info.max).astype(dtype)


def dequantize_values(x, q):
    x = np.asarray(x, np.float64)
    scale = q.scale.astype(np.float64)
    zp = q.zero_point.astype(np.float64)
    if scale.size > 1:
        shape = [1] * x.ndim
        shape[q.axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((x - zp) * scale).astype(np.float32)


def symmetric_weight_scales(w, axis=None, qmax=127):
    """max|w| / qmax per slice along ``axis`` (None: one scale for the tensor)."""
    w = np.asarray(w, np.float32)
    if axis is None:
        m = np.array([np.max(np.abs(w), initial=0.0)], np.float32)
    else:
        axes = tuple(i for i in range(w.ndim) if i != axis)
        m = np.max(np.abs(w), axis=axes, initial=0.0).astype(np.float32).reshape(-1)
    scales = (m / np.float32(qmax)).astype(np.float32)
    # An all-zero channel: its weights are 0 whatever the scale; borrowing the other
    # channels' typical scale keeps the bias (scale = input x weight scale) finely resolved.
    zero = scales == 0
    if zero.any():
        fill = float(np.median(scales[~zero])) if (~zero).any() else 1.0 / qmax
        scales[zero] = fill
    return scales


def quantize_weights(w, axis=None, min_scales=None):
    """Symmetric int8 weights: (int8 data, Quant). ``min_scales`` raises scales where a
    bias would otherwise overflow its integer type."""
    scales = symmetric_weight_scales(w, axis)
    if min_scales is not None:
        scales = np.maximum(scales, np.asarray(min_scales, np.float32)).astype(np.float32)
    q = ir.Quant(scales, np.zeros(scales.size, np.int64), axis if axis is not None else 0)
    data = quantize_values(w, q, np.int8)
    return np.clip(data, -127, 127).astype(np.int8), q


def bias_min_weight_scales(bias, input_scale, n_channels, dtype=np.int32):
    """Smallest weight scales for which ``bias`` fits its integer type (TFLite widens the
    weight range the same way rather than saturating a large bias)."""
    limit = float(np.iinfo(dtype).max)
    b = np.abs(np.asarray(bias, np.float64).reshape(-1))
    if n_channels == 1:
        b = np.array([b.max(initial=0.0)])
    return (2.0 * b / (limit * float(input_scale))).astype(np.float32)


def quantize_bias(bias, input_scale, weight_scales, dtype=np.int32):
    scales = (np.float32(input_scale) * np.asarray(weight_scales, np.float32)).astype(np.float32)
    b = np.asarray(bias, np.float64)
    if scales.size == 1:
        scales = np.full(b.shape[-1] if b.ndim else 1, scales[0], np.float32)
    info = np.iinfo(dtype)
    data = np.clip(round_half_away(b / scales.astype(np.float64).reshape(b.shape)),
                   info.min, info.max).astype(dtype)
    return data, ir.Quant(scales, np.zeros(scales.size, np.int64), 0)


def same_quant(a, b):
    if a is None or b is None:
        return a is b
    return (a.scale.shape == b.scale.shape and np.array_equal(a.scale, b.scale)
            and np.array_equal(a.zero_point, b.zero_point) and a.axis == b.axis)


FUSED = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


def fused_activation(op):
    v = op.options.get("fused_activation_function", "NONE")
    if v is None:
        return "NONE"
    return FUSED.get(v, str(v)) if isinstance(v, (int, np.integer)) else str(v).upper()
