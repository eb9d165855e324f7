"""``float16`` mode: float32 constants stored as float16 behind DEQUANTIZE.

This is the form TensorFlow writes: every runtime reads it (DEQUANTIZE of a float16
constant is plain TFLite), the file halves, and the arithmetic stays float32.
Scalars stay float32 (nothing to gain, and some ops read them while preparing).
Values beyond float16's range (|x| > 65504) would turn into infinities, so such a
constant stays float32 and a warning names it.
"""
import warnings

import numpy as np

from ember.converter import ir

F16_MAX = float(np.finfo(np.float16).max)


class QuantizationWarning(UserWarning):
    """Something was left in float (or changed) during quantisation; the message says what."""


def to_float16(model):
    g = model.main
    done = {}           # id(float32 constant) -> its DEQUANTIZE output
    kept = []
    new_ops = []
    for op in g.ops:
        for i, t in enumerate(op.inputs):
            if t is None or not t.is_const or t.dtype != np.float32 or t.data.size <= 1:
                continue
            if id(t) not in done:
                if not np.all(np.abs(t.data[np.isfinite(t.data)]) <= F16_MAX):
                    kept.append(t.name)
                    done[id(t)] = t
                else:
                    half = ir.Tensor(g.unique_name(t.name + "_fp16"), np.float16,
                                     data=t.data.astype(np.float16))
                    out = ir.Tensor(t.name, np.float32, shape=t.shape)
                    new_ops.append(ir.Op("DEQUANTIZE", [half], [out], origin=f"float16 {t.name}"))
                    done[id(t)] = out
            op.inputs[i] = done[id(t)]
        new_ops.append(op)
    g.ops = new_ops
    if kept:
        warnings.warn(f"float16: kept {len(kept)} constant(s) in float32 because values exceed "
                      f"float16's range: {', '.join(sorted(set(kept))[:10])}", QuantizationWarning,
                      stacklevel=3)
    return model
