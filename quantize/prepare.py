"""Graph preparation every mode runs first.

- Constants stored quantised behind DEQUANTIZE (Google's converter writes float16
  weights that way) are read back as float32, so a float .tflite is re-quantised from
  its real weights instead of quantising DEQUANTIZE's output a second time.
- Tensor names are made unique: calibration and the report find tensors by name.
"""
import numpy as np

from ember.converter import ir
from ember.quantize.common import dequantize_values


def dequantize_constants(model):
    """Folds DEQUANTIZE(constant) into a float32 constant of the same name, in every graph."""
    for g in model.subgraphs:
        for op in list(g.ops):
            if op.type != "DEQUANTIZE" or len(op.inputs) != 1 or op.inputs[0] is None:
                continue
            src, out = op.inputs[0], op.outputs[0]
            if not src.is_const or out.dtype != np.float32 or g.is_output(out):
                continue
            if src.dtype == np.float16:
                data = src.data.astype(np.float32)
            elif src.quant is not None and np.issubdtype(src.dtype, np.integer):
                data = dequantize_values(src.data, src.quant)
            else:
                continue
            folded = ir.Tensor(out.name, np.float32, data=data.reshape(src.data.shape))
            g.replace_uses(out, folded)
            g.remove_op(op)
    return model


def unique_names(model):
    """Renames tensors that share a name (in place), so names identify tensors."""
    for g in model.subgraphs:
        seen = set()
        for t in g.tensors():
            if t.name in seen:
                base, k = t.name, 1
                while f"{base}_{k}" in seen:
                    k += 1
                t.name = f"{base}_{k}"
            seen.add(t.name)
    return model


def float_tensor(t):
    return t is not None and t.dtype == np.float32
