"""quantize(): one entry point for every mode, on a converter IR model."""
import copy

import numpy as np

from ember.converter.ir import ConversionError
from ember.errors import EmberError
from ember.quantize.prepare import dequantize_constants, unique_names

MODES = ("dynamic", "float16", "int8", "int16x8")
IO_TYPES = (None, "float32", "int8", "uint8", "int16")


def _check_io(mode, input_type, output_type):
    for what, v in (("input_type", input_type), ("output_type", output_type)):
        if v not in IO_TYPES:
            raise ConversionError(f"unknown {what} {v!r} (choose from float32, int8, uint8, int16)")
        if v not in (None, "float32") and mode not in ("int8", "int16x8"):
            raise ConversionError(f"{what}={v} needs full-integer quantisation (--quantize int8 or "
                                  f"int16x8), not {mode or 'no quantisation'}")


def quantize(model, mode, calibration=None, *, calibration_method="minmax", input_type=None,
             output_type=None, strict_int8=False, progress=None, hybrid=True,
             min_elements=None, per_channel=True, max_samples=None):
    """Returns a quantised copy of ``model`` (an ember.converter.ir.Model).

    mode: ``dynamic``, ``float16``, ``int8`` or ``int16x8``.
    calibration: samples for int8/int16x8 (see ember.quantize.data).
    calibration_method: ``minmax`` (default, TensorFlow's), ``percentile`` or ``mse``.
    input_type/output_type: ``int8``/``uint8`` (int8 mode) or ``int16`` (int16x8 mode)
    for integer graph I/O; float32 by default.
    strict_int8: fail, naming them, instead of leaving ops without integer kernels in float.
    hybrid (dynamic, default True): int8 weights of FC/conv/depthwise fed straight to the
    hybrid kernels (LiteRT and Ember); False puts every weight behind DEQUANTIZE (the form
    TFLite Micro runs).
    min_elements (dynamic): smaller weights stay float (default 1024, as TensorFlow).
    per_channel (dynamic): False for per-tensor weights (TFLite Micro's DEQUANTIZE).
    max_samples: calibrate on at most this many samples.
    """
    if mode not in MODES:
        raise ConversionError(f"unknown quantisation mode {mode!r} (choose from {', '.join(MODES)})")
    _check_io(mode, input_type, output_type)
    if calibration is not None and mode not in ("int8", "int16x8"):
        raise ConversionError(f"--quantize {mode} needs no calibration data (only int8 and int16x8 do)")
    model = copy.deepcopy(model)
    dequantize_constants(model)
    unique_names(model)
    if mode == "float16":
        from ember.quantize.float16 import to_float16
        return to_float16(model)
    if mode == "dynamic":
        from ember.quantize.dynamic import MIN_ELEMENTS, to_dynamic
        return to_dynamic(model, min_elements=MIN_ELEMENTS if min_elements is None else min_elements,
                          hybrid=hybrid, per_channel=per_channel)
    from ember.quantize.calibrate import calibrate
    from ember.quantize.integer import to_integer
    act = np.int8 if mode == "int8" else np.int16
    try:
        obs, _ = calibrate(model, calibration, calibration_method, progress=progress, limit=max_samples)
    except ConversionError:
        raise
    except EmberError as e:
        raise ConversionError(f"calibration: the float model did not run in Ember's interpreter: {e}") from None
    ranges = {n: o.range(act) for n, o in obs.items() if o.seen}
    to_integer(model, ranges, act, input_type=input_type, output_type=output_type, strict=strict_int8)
    return model
