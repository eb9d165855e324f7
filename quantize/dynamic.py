"""``dynamic`` mode: int8 weights, float activations (TFLite's dynamic-range quantisation).

Weights of the matrix ops are quantised symmetrically to int8 (per output channel for
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV, along the axis
TFLite's quantiser uses; per tensor for the other operand of BATCH_MATMUL). Like
TensorFlow, tensors under ``min_elements`` (1024) stay float: they cost little and
quantising them buys nothing.

Two forms of the file:
- ``hybrid=True`` (the default, as TensorFlow writes it): the int8 weights of
  FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D are fed straight to the op, which
  LiteRT and Ember run with hybrid kernels (the float input quantised on the fly per row
  or image, ``asymmetric_quantize_inputs``): the weights stay int8 in memory at run time
  and the matrix maths is integer. Other weighted ops (TRANSPOSE_CONV, BATCH_MATMUL,
  EMBEDDING_LOOKUP) get a DEQUANTIZE.
- ``hybrid=False``: every int8 weight feeds a DEQUANTIZE whose float output the op reads
  (the file is as small; the weights are expanded to float once, at load). TFLite Micro
  has no hybrid kernels, so this is the form for it.

TFLite Micro's DEQUANTIZE reads only the first scale of a per-channel tensor, so
per-channel DEQUANTIZE files compute wrong values there; ``per_channel=False`` writes
per-tensor weights for it (at some accuracy cost). For microcontrollers, int8 is the
mode to use anyway.
"""
import numpy as np

from ember.converter import ir
from ember.quantize.common import quantize_weights

# op -> (weight input, per-channel axis or None)
WEIGHTS = {
    "CONV_2D": (1, 0), "DEPTHWISE_CONV_2D": (1, 3), "FULLY_CONNECTED": (1, 0),
    "TRANSPOSE_CONV": (1, 0), "BATCH_MATMUL": (1, None),
    "EMBEDDING_LOOKUP": (1, None),
}
# The ops both LiteRT and Ember run with int8 weights and float activations.
HYBRID = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
MIN_ELEMENTS = 1024


def to_dynamic(model, *, min_elements=MIN_ELEMENTS, hybrid=True, per_channel=True):
    g = model.main
    done = {}
    new_ops = []
    for op in g.ops:
        spec = WEIGHTS.get(op.type)
        if spec is not None and len(op.inputs) > spec[0]:
            idx, axis = spec
            w = op.inputs[idx]
            direct = hybrid and op.type in HYBRID
            if w is not None and w.is_const and w.dtype == np.float32 and w.data.size >= min_elements:
                if not per_channel or (axis is not None and axis >= w.data.ndim):
                    axis = None
                key = (id(w), axis, direct)
                if key not in done:
                    data, q = quantize_weights(w.data, axis)
                    qt = ir.Tensor(g.unique_name(w.name + "_int8") if not direct else w.name,
                                   np.int8, data=data, quant=q)
                    if direct:
                        done[key] = qt
                    else:
                        out = ir.Tensor(w.name, np.float32, shape=w.shape)
                        new_ops.append(ir.Op("DEQUANTIZE", [qt], [out], version=2,
                                             origin=f"dynamic {w.name}"))
                        done[key] = out
                op.inputs[idx] = done[key]
                if direct:
                    if op.type == "FULLY_CONNECTED":
                        op.options["asymmetric_quantize_inputs"] = True
                    op.version = max(op.version, {"CONV_2D": 5, "DEPTHWISE_CONV_2D": 6,
                                                  "FULLY_CONNECTED": 9}[op.type])
        new_ops.append(op)
    g.ops = new_ops
    return model
