"""The converter's intermediate representation: TFLite-vocabulary ops on named tensors.

Every frontend lowers its source format into this form; every pass rewrites it;
the writer turns it into a .tflite flatbuffer. Tensors are objects (identity
matters: an op's inputs *are* the producing op's outputs), ops are kept in
execution order, and the vocabulary is TFLite's own (op names are
BuiltinOperator names, options are the snake_case fields of the op's options
table), so writing a graph is a direct translation.

Layout is NHWC throughout the network, as TFLite's kernels expect; frontends
of NCHW formats insert TRANSPOSEs that the layout pass then cancels.
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ember.errors import EmberError


class ConversionError(EmberError):
    """A source model Ember cannot convert; the message names the layer or node."""


@dataclasses.dataclass(eq=False)
class Quant:
    """Affine quantisation: real = scale * (q - zero_point), per tensor or per axis."""
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 0

    def __post_init__(self):
        self.scale = np.atleast_1d(np.asarray(self.scale, np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, np.int64))


@dataclasses.dataclass(eq=False)
class Tensor:
    """A value in the graph. ``shape`` dims may be None (unknown, e.g. batch)."""
    name: str
    dtype: np.dtype
    shape: Optional[Tuple[Optional[int], ...]] = None
    data: Optional[np.ndarray] = None          # set for constants
    quant: Optional[Quant] = None
    is_variable: bool = False

    def __post_init__(self):
        self.dtype = np.dtype(self.dtype)
        if self.data is not None:
            self.data = np.asarray(self.data)
            if self.data.dtype != self.dtype:
                self.data = self.data.astype(self.dtype)
            self.shape = tuple(self.data.shape)
        elif self.shape is not None:
            self.shape = tuple(None if d is None or d < 0 else int(d) for d in self.shape)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def rank(self) -> Optional[int]:
        return None if self.shape is None else len(self.shape)

    def __repr__(self):
        kind = "const " if self.is_const else ""
        return f"<{kind}Tensor {self.name!r} {self.dtype.name}{list(self.shape or [])}>"


@dataclasses.dataclass(eq=False)
class Op:
    """One TFLite op. ``inputs`` may hold None for an absent optional input."""
    type: str
    inputs: List[Optional[Tensor]]
    outputs: List[Tensor]
    options: Dict[str, object] = dataclasses.field(default_factory=dict)
    options_table: Optional[str] = None          # defaults from OPTIONS_TABLE[type]
    custom_code: Optional[str] = None
    custom_options: Optional[bytes] = None
    version: int = 1
    origin: str = ""                             # the source layer/node, for messages

    def __repr__(self):
        ins = ", ".join(t.name if t is not None else "-" for t in self.inputs)
        outs = ", ".join(t.name for t in self.outputs)
        return f"<Op {self.type}({ins}) -> {outs}>"


class Graph:
    """A subgraph: inputs, outputs and ops in execution order."""

    def __init__(self, name: str = "main"):
        self.name = name
        self.inputs: List[Tensor] = []
        self.outputs: List[Tensor] = []
        self.ops: List[Op] = []
        self._names = itertools.count()

    # ---- building ---------------------------------------------------------
    def unique_name(self, base: str) -> str:
        taken = {t.name for t in self.tensors()}
        if base not in taken:
            return base
        while True:
            cand = f"{base}_{next(self._names)}"
            if cand not in taken:
                return cand

    def const(self, name: str, value, dtype=None) -> Tensor:
        arr = np.asarray(value, dtype=dtype)
        return Tensor(name, arr.dtype, data=arr)

    def add(self, type_: str, inputs: Sequence[Optional[Tensor]], outputs: Sequence[Tensor],
            options: Optional[dict] = None, *, origin: str = "", **kw) -> Op:
        op = Op(type_, list(inputs), list(outputs), dict(options or {}), origin=origin, **kw)
        self.ops.append(op)
        return op

    # ---- queries ----------------------------------------------------------
    def tensors(self) -> List[Tensor]:
        """Every tensor reachable from inputs, outputs and ops, in a stable order."""
        seen, out = set(), []
        for t in itertools.chain(self.inputs,
                                 (t for op in self.ops for t in op.inputs + op.outputs),
                                 self.outputs):
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                out.append(t)
        return out

    def producer(self, t: Tensor) -> Optional[Op]:
        for op in self.ops:
            if any(o is t for o in op.outputs):
                return op
        return None

    def consumers(self, t: Tensor) -> List[Op]:
        return [op for op in self.ops if any(i is t for i in op.inputs)]

    def is_output(self, t: Tensor) -> bool:
        return any(o is t for o in self.outputs)

    # ---- rewriting --------------------------------------------------------
    def replace_uses(self, old: Tensor, new: Tensor) -> None:
        """Every reader of ``old`` (ops and graph outputs) reads ``new`` instead."""
        for op in self.ops:
            op.inputs = [new if i is old else i for i in op.inputs]
        self.outputs = [new if o is old else o for o in self.outputs]

    def remove_op(self, op: Op) -> None:
        self.ops = [o for o in self.ops if o is not op]

    def topo_sort(self) -> None:
        """Orders ops so each runs after the producers of its inputs.

        Iterative depth-first search: real graphs are deeper than Python's recursion limit.
        """
        produced = {}
        for op in self.ops:
            for o in op.outputs:
                produced[id(o)] = op
        done, visiting, order = set(), set(), []
        for root in self.ops:
            if id(root) in done:
                continue
            stack = [(root, iter(root.inputs))]
            visiting.add(id(root))
            while stack:
                op, pending = stack[-1]
                for t in pending:
                    dep = produced.get(id(t)) if t is not None else None
                    if dep is None or id(dep) in done:
                        continue
                    if id(dep) in visiting:
                        raise ConversionError(f"the graph has a cycle through {dep}")
                    visiting.add(id(dep))
                    stack.append((dep, iter(dep.inputs)))
                    break
                else:
                    stack.pop()
                    visiting.discard(id(op))
                    done.add(id(op))
                    order.append(op)
        self.ops = order


@dataclasses.dataclass
class Signature:
    key: str
    inputs: Dict[str, Tensor]
    outputs: Dict[str, Tensor]
    subgraph: int = 0


class Model:
    """Subgraphs (0 is the entry), signatures and metadata."""

    def __init__(self, description: str = ""):
        self.subgraphs: List[Graph] = [Graph("main")]
        self.signatures: List[Signature] = []
        self.metadata: Dict[str, bytes] = {}
        self.description = description

    @property
    def main(self) -> Graph:
        return self.subgraphs[0]

    def default_signature(self) -> None:
        """A serving_default signature over the main graph's inputs and outputs."""
        g = self.main
        self.signatures = [Signature("serving_default",
                                     {t.name: t for t in g.inputs},
                                     {t.name: t for t in g.outputs})]


# Options table of each op type that has one (TFLite's BuiltinOptions pairing).
OPTIONS_TABLE = {
    "ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions",
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions", "FULLY_CONNECTED": "FullyConnectedOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "L2_NORMALIZATION": "L2NormOptions", "SOFTMAX": "SoftmaxOptions",
    "LOG_SOFTMAX": "LogSoftmaxOptions", "LEAKY_RELU": "LeakyReluOptions",
    "GELU": "GeluOptions", "RESHAPE": "ReshapeOptions", "SQUEEZE": "SqueezeOptions",
    "EXPAND_DIMS": "ExpandDimsOptions", "TRANSPOSE": "TransposeOptions",
    "CONCATENATION": "ConcatenationOptions", "SPLIT": "SplitOptions", "SPLIT_V": "SplitVOptions",
    "PACK": "PackOptions", "UNPACK": "UnpackOptions", "SLICE": "SliceOptions",
    "STRIDED_SLICE": "StridedSliceOptions", "GATHER": "GatherOptions",
    "GATHER_ND": "GatherNdOptions", "PAD": "PadOptions", "PADV2": "PadV2Options",
    "MIRROR_PAD": "MirrorPadOptions", "TILE": "TileOptions", "SHAPE": "ShapeOptions",
    "FILL": "FillOptions", "RANGE": "RangeOptions", "CAST": "CastOptions",
    "MEAN": "ReducerOptions", "SUM": "ReducerOptions", "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions", "REDUCE_PROD": "ReducerOptions",
    "ARG_MAX": "ArgMaxOptions", "ARG_MIN": "ArgMinOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "DEPTH_TO_SPACE": "DepthToSpaceOptions", "SPACE_TO_DEPTH": "SpaceToDepthOptions",
    "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions", "POW": "PowOptions", "SELECT_V2": "SelectV2Options",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "IF": "IfOptions", "WHILE": "WhileOptions", "CALL_ONCE": "CallOnceOptions",
    "VAR_HANDLE": "VarHandleOptions", "BROADCAST_TO": "BroadcastToOptions",
}
