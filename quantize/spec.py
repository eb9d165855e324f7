"""Which ops TFLite runs in integers, and how each op's tensors are quantised.

Facts from TFLite's quantisation spec and its quantiser's operator table
(tflite/converter/tools/optimize/operator_property.cc in the LiteRT sources):
- ``inputs``: the activation inputs (quantised per tensor, asymmetric int8 or symmetric
  int16); a constant in one of these slots is quantised the same way from its own range;
- ``weights``: {input: per-channel axis or None}: symmetric int8 weights;
- ``bias``: {input: (activation input, weight input)}: int32 (int64 in 16x8), scale =
  input scale x weight scale;
- ``same``: outputs keep the inputs' scale and zero point (data movement, max pooling,
  concatenation...): those tensors share one set of parameters;
- ``fixed``: output parameters the kernels mandate, per activation type;
- ``outputs``: False where the outputs are not quantised (ARG_MAX, comparisons);
- ``int16``: whether the 16x8 mode quantises the op;
- ``version``: the op version TFLite's quantiser writes for the int8 form, capped at what
  LiteRT's reference resolver registers (RESHAPE, SQUEEZE, EXPAND_DIMS, DEPTH_TO_SPACE,
  PRELU, HARD_SWISH and RELU_N1_TO_1 exist there at version 1 only).
"""
import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

ALL = "all"


@dataclasses.dataclass(frozen=True)
class OpSpec:
    inputs: object = (0,)                         # tuple of indices or ALL
    weights: Dict[int, Optional[int]] = dataclasses.field(default_factory=dict)
    bias: Dict[int, Tuple[int, int]] = dataclasses.field(default_factory=dict)
    same: bool = False
    fixed: Dict[str, Tuple[float, int]] = dataclasses.field(default_factory=dict)
    outputs: bool = True
    int16: bool = True
    version: int = 2
    version16: Optional[int] = None

    def activation_inputs(self, op) -> Sequence[int]:
        if self.inputs == ALL:
            return [i for i, t in enumerate(op.inputs) if t is not None]
        return [i for i in self.inputs if i < len(op.inputs) and op.inputs[i] is not None]


S = OpSpec
_SAME = dict(same=True)
_LOGISTIC = {"int8": (1.0 / 256, -128), "int16": (1.0 / 32768, 0)}

SPEC = {
    # matrix ops
    "CONV_2D": S(weights={1: 0}, bias={2: (0, 1)}, version=3, version16=4),
    "DEPTHWISE_CONV_2D": S(weights={1: 3}, bias={2: (0, 1)}, version=3, version16=5),
    "FULLY_CONNECTED": S(weights={1: 0}, bias={2: (0, 1)}, version=4, version16=7),
    "TRANSPOSE_CONV": S(inputs=(2,), weights={1: 0}, bias={3: (2, 1)}, version=3),
    "BATCH_MATMUL": S(inputs=(0, 1), version=2, version16=3),
    # arithmetic
    "ADD": S(inputs=(0, 1), version=2, version16=3), "SUB": S(inputs=(0, 1), version=2, version16=3),
    "MUL": S(inputs=(0, 1), version=2, version16=4),
    "SQUARED_DIFFERENCE": S(inputs=(0, 1), int16=False),
    "MAXIMUM": S(inputs=(0, 1), **_SAME), "MINIMUM": S(inputs=(0, 1), **_SAME),
    # pooling and reductions
    "AVERAGE_POOL_2D": S(**_SAME, version16=3), "MAX_POOL_2D": S(**_SAME, version16=3),
    "MEAN": S(), "SUM": S(int16=False), "REDUCE_PROD": S(int16=False),
    "REDUCE_MAX": S(**_SAME), "REDUCE_MIN": S(**_SAME),
    "ARG_MAX": S(outputs=False, int16=False), "ARG_MIN": S(outputs=False, int16=False),
    # activations
    # TFLite Micro's RELU6 clamps in the input's parameters without requantising, so its
    # output must share them to be right everywhere (LiteRT requantises either way).
    "RELU": S(), "RELU6": S(**_SAME), "RELU_N1_TO_1": S(**_SAME, int16=False, version=1),
    "LEAKY_RELU": S(),
    "HARD_SWISH": S(int16=False, version=1), "PRELU": S(inputs=(0, 1), int16=False, version=1),
    "LOGISTIC": S(fixed=_LOGISTIC, version16=3), "TANH": S(fixed={"int8": (1.0 / 128, 0), "int16": (1.0 / 32768, 0)}),
    "SOFTMAX": S(fixed=_LOGISTIC, version16=3),
    "LOG_SOFTMAX": S(fixed={"int8": (16.0 / 256, 127)}, int16=False),
    "L2_NORMALIZATION": S(fixed={"int8": (1.0 / 128, 0)}, int16=False),
    "GELU": S(int16=False), "EXP": S(int16=False), "LOG": S(int16=False),
    "ABS": S(), "RSQRT": S(int16=False), "SQRT": S(int16=False),
    # data movement: outputs keep the input's parameters
    "RESHAPE": S(**_SAME, version=1), "SQUEEZE": S(**_SAME, version=1),
    "EXPAND_DIMS": S(**_SAME, version=1), "TRANSPOSE": S(**_SAME),
    "SLICE": S(**_SAME), "STRIDED_SLICE": S(**_SAME), "GATHER": S(**_SAME),
    "GATHER_ND": S(**_SAME, int16=False), "PAD": S(**_SAME), "PADV2": S(inputs=(0, 2), **_SAME),
    "MIRROR_PAD": S(**_SAME), "TILE": S(**_SAME, int16=False), "BROADCAST_TO": S(**_SAME, int16=False),
    "BATCH_TO_SPACE_ND": S(**_SAME), "SPACE_TO_BATCH_ND": S(**_SAME),
    "DEPTH_TO_SPACE": S(**_SAME, int16=False, version=1), "SPACE_TO_DEPTH": S(**_SAME, int16=False),
    "RESIZE_BILINEAR": S(**_SAME), "RESIZE_NEAREST_NEIGHBOR": S(**_SAME),
    "CONCATENATION": S(inputs=ALL, **_SAME), "PACK": S(inputs=ALL, **_SAME),
    "UNPACK": S(**_SAME, version=1), "SPLIT": S(inputs=(1,), **_SAME), "SPLIT_V": S(**_SAME),
    "SELECT_V2": S(inputs=(1, 2), **_SAME, int16=False),
    # comparisons: quantised inputs, boolean outputs
    "EQUAL": S(inputs=(0, 1), outputs=False, int16=False),
    "NOT_EQUAL": S(inputs=(0, 1), outputs=False, int16=False),
    "GREATER": S(inputs=(0, 1), outputs=False, int16=False),
    "GREATER_EQUAL": S(inputs=(0, 1), outputs=False, int16=False),
    "LESS": S(inputs=(0, 1), outputs=False, int16=False),
    "LESS_EQUAL": S(inputs=(0, 1), outputs=False, int16=False),
}

# Fused activations the integer kernels apply by clamping; others (TANH, SIGN_BIT) need float.
INTEGER_FUSED = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def spec_for(op_type, act_dtype):
    s = SPEC.get(op_type)
    if s is None:
        return None
    if np.dtype(act_dtype) == np.int16 and not s.int16:
        return None
    return s
