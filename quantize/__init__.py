"""ember.quantize: post-training quantisation (float16, dynamic, int8, int16x8) and its report.

    import ember
    ember.convert("model.keras", quantize="int8", calibration="samples.npy", output="m.tflite")
    ember.quantize.report(float_bytes, quant_bytes, "samples.npy", path="report.html")

Modules: data (calibration samples), observers (minmax/percentile/mse ranges), calibrate
(runs the float model in Ember), spec (TFLite's per-op quantisation rules), float16,
dynamic, integer (the rewrites), report (per-tensor error against the float model).
"""
from ember.quantize.api import MODES, quantize
from ember.quantize.float16 import QuantizationWarning
from ember.quantize.report import report

__all__ = ["MODES", "quantize", "report", "QuantizationWarning"]
