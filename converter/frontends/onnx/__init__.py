"""ONNX frontend: an .onnx file or onnx.ModelProto into the converter IR.

    read(source, *, input_shapes=None, nhwc=False) -> ir.Model

The graph keeps ONNX's layout (NCHW) everywhere; each layout-sensitive op
(Conv, pools, Resize, DepthToSpace, ...) is wrapped in TRANSPOSE(NCHW->NHWC)
... TRANSPOSE(NHWC->NCHW), which ``passes.layout`` then cancels. With
``nhwc=True`` 4-D inputs and outputs are NHWC: the frontend adds the edge
transposes and the same pass removes them.

Everything computable at conversion (initializers, Constant nodes and ops
whose inputs are all constants, which covers exported shape arithmetic) is
folded into NumPy arrays with ONNX's own reference evaluator.
"""
import os

import numpy as np

from ember.converter import ir
from ember.converter.frontends.onnx import fold, patterns
from ember.converter.frontends.onnx.context import Ctx, NCHW_TO_NHWC, NHWC_TO_NCHW
from ember.converter.frontends.onnx.registry import OPS, supported_ops
# Handler modules register themselves in OPS on import.
from ember.converter.frontends.onnx import (  # noqa: F401
    elementwise, nn, tensor_ops, reduce_ops, resize)

MIN_OPSET = 7

__all__ = ["read", "supported_ops"]


def _onnx():
    try:
        import onnx
    except ImportError as e:     # pragma: no cover - onnx is a converter dependency
        raise ir.ConversionError("converting ONNX models needs the onnx package "
                                 "(pip install onnx)") from e
    return onnx


def _load(source):
    onnx = _onnx()
    if isinstance(source, onnx.ModelProto):
        m = onnx.ModelProto()
        m.CopyFrom(source)
        return m
    path = os.fspath(source)
    try:
        return onnx.load(path)
    except Exception as e:
        raise ir.ConversionError(f"{path}: not a readable ONNX model ({e})") from e


def _default_opset(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return int(imp.version)
    raise ir.ConversionError("the model imports no version of the default ONNX operator set")


def _np_dtype(elem_type):
    from onnx import helper
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))
    except Exception:
        return None


def _type_info(vi):
    t = vi.type.tensor_type
    dtype = _np_dtype(t.elem_type) if t.elem_type else None
    if not t.HasField("shape"):
        return dtype, None
    dims = tuple(int(d.dim_value) if d.HasField("dim_value") else None for d in t.shape.dim)
    return dtype, dims


def _example_shape(dims):
    return tuple((1 if i == 0 else 224 if len(dims) == 4 else 16) if d is None else d
                 for i, d in enumerate(dims))


def _resolve_inputs(model, input_shapes):
    """[(name, dtype, dims)] of the real inputs, with overrides applied and checked."""
    inits = {t.name for t in model.graph.initializer}
    inputs = [vi for vi in model.graph.input if vi.name not in inits]
    overrides = dict(input_shapes or {})
    names = {vi.name for vi in inputs}
    for k in overrides:
        if k not in names:
            raise ir.ConversionError(f"input_shapes names {k!r}, which is not an input of the "
                                     f"model (inputs: {', '.join(sorted(names)) or 'none'})")
    out = []
    for vi in inputs:
        dtype, dims = _type_info(vi)
        if dtype is None:
            raise ir.ConversionError(f"input {vi.name!r} is not a tensor of a supported type")
        if vi.name in overrides:
            want = tuple(int(d) for d in overrides[vi.name])
            if dims is not None and len(dims) != len(want):
                raise ir.ConversionError(f"input_shapes[{vi.name!r}] = {want} has rank "
                                         f"{len(want)}, but the input has rank {len(dims)}")
            for i, (d, w) in enumerate(zip(dims or want, want)):
                if d is not None and d != w:
                    raise ir.ConversionError(f"input_shapes[{vi.name!r}] = {want} disagrees with "
                                             f"the model's fixed dimension {i} = {d}")
            dims = want
        if dims is None:
            raise ir.ConversionError(
                f"input {vi.name!r} has no known rank; give its shape with input_shapes="
                f"{{{vi.name!r}: (1, 3, 224, 224)}} (CLI: --input-shape {vi.name}=1,3,224,224)")
        unknown = [i for i, d in enumerate(dims) if d is None and i > 0]
        if unknown:
            ex = _example_shape(dims)
            raise ir.ConversionError(
                f"input {vi.name!r} has unknown dimension(s) {unknown} in shape "
                f"{tuple('?' if d is None else d for d in dims)}; give it a fixed shape, e.g. "
                f"input_shapes={{{vi.name!r}: {ex}}} (CLI: --input-shape "
                f"{vi.name}={','.join(map(str, ex))})")
        out.append((vi.name, dtype, dims))
    return out


def _infer(model, inputs):
    """ONNX shape inference with the input shapes pinned; {name: (dtype, dims)}."""
    onnx = _onnx()
    m = onnx.ModelProto()
    m.CopyFrom(model)
    fixed = {name: dims for name, _, dims in inputs}
    for vi in m.graph.input:
        if vi.name in fixed:
            shp = vi.type.tensor_type.shape
            shp.ClearField("dim")
            for d in fixed[vi.name]:
                dim = shp.dim.add()
                if d is not None:
                    dim.dim_value = d
                else:
                    dim.dim_param = "batch"
    try:
        m = onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception:
        try:
            m = onnx.shape_inference.infer_shapes(m, strict_mode=False)
        except Exception:
            pass
    info = {}
    for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
        info[vi.name] = _type_info(vi)
    return info


def read(source, *, input_shapes=None, nhwc=False, **options):
    """Converts an ONNX model (path or ModelProto) into an ir.Model."""
    if options:
        raise ir.ConversionError(f"unknown option(s) for ONNX models: {', '.join(sorted(options))}")
    model = _load(source)
    opset = _default_opset(model)
    if opset < MIN_OPSET:
        raise ir.ConversionError(f"opset {opset} is older than the oldest Ember converts "
                                 f"({MIN_OPSET}); upgrade it with onnx.version_converter")
    if model.graph.sparse_initializer:
        raise ir.ConversionError("sparse initializers are not supported")
    inputs = _resolve_inputs(model, input_shapes)
    info = _infer(model, inputs)

    from onnx import numpy_helper
    out_model = ir.Model(description=f"converted by Ember from ONNX "
                                     f"({model.producer_name or 'unknown producer'}, opset {opset})")
    g = out_model.main
    g.name = model.graph.name or "main"
    ctx = Ctx(g, opset, info)
    nodes = patterns.rewrite(list(model.graph.node), model.graph, ctx)
    ctx.reserved = {n for node in nodes for n in node.output} | {n for n, _, _ in inputs}
    ctx.reserved |= {t.name for t in model.graph.initializer}
    for t in model.graph.initializer:
        try:
            ctx.env[t.name] = numpy_helper.to_array(t)
        except Exception as e:
            raise ir.ConversionError(f"initializer {t.name!r} cannot be read ({e})") from e

    for name, dtype, dims in inputs:
        if nhwc and len(dims) == 4:
            t = ir.Tensor(ctx.unique(name, onnx_name=True), dtype,
                          shape=tuple(dims[p] for p in NCHW_TO_NHWC))
            g.inputs.append(t)
            ctx.env[name] = ctx.transpose(t, NHWC_TO_NCHW)
        else:
            t = ir.Tensor(ctx.unique(name, onnx_name=True), dtype, shape=dims)
            g.inputs.append(t)
            ctx.env[name] = t

    for index, node in enumerate(nodes):
        ctx.node, ctx.index = node, index
        _convert_node(ctx, node)
    ctx.node = None

    _outputs(ctx, model.graph.output, nhwc)
    # No signature here: the writer derives serving_default from the graph after the passes.
    return out_model


def _convert_node(ctx, node):
    if node.domain not in ("", "ai.onnx"):
        raise ctx.error(f"operator {node.domain}::{node.op_type} is not supported "
                        "(only the default ONNX domain is)")
    ins = []
    for n in node.input:
        if not n:
            ins.append(None)
        elif n in ctx.env:
            ins.append(ctx.env[n])
        else:
            raise ctx.error(f"input {n!r} is not produced by any earlier node")
    if fold.can_fold(node, ins):
        outs = fold.evaluate(ctx, node, ins)
    else:
        handler = OPS.get(node.op_type)
        if handler is None:
            raise ctx.error(f"unsupported ONNX operator {node.op_type} (node {node.name!r}, "
                            f"index {ctx.index}, opset {ctx.opset})")
        from onnx import helper
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        outs = handler(ctx, node, ins, attrs)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    for name, v in zip(node.output, outs):
        if name:
            ctx.env[name] = v


def _outputs(ctx, graph_outputs, nhwc):
    g = ctx.g
    used = set()
    inputs = {id(t) for t in g.inputs}
    for vi in graph_outputs:
        if vi.name not in ctx.env:
            raise ir.ConversionError(f"graph output {vi.name!r} is not produced by any node")
        v = ctx.env[vi.name]
        rank = v.ndim if isinstance(v, np.ndarray) else v.rank
        if nhwc and rank == 4:
            v = ctx.transpose(ctx.tensor(v), NCHW_TO_NHWC)
            _rename(ctx, v, vi.name)
        elif isinstance(v, np.ndarray) or id(v) in inputs or id(v) in used or v.name != vi.name:
            # An output must be its own tensor, named after the source: copy it.
            v = ctx.tensor(v)
            v = ctx.reshape(v, v.shape, name=vi.name)
            if v.name != vi.name:
                _rename(ctx, v, vi.name)
        used.add(id(v))
        g.outputs.append(v)


def _rename(ctx, t, name):
    """Gives ``t`` the graph-output name ``name``, moving whatever had it aside."""
    for other in ctx.g.tensors():
        if other.name == name and other is not t:
            other.name = ctx.unique(name + "_inner")
    t.name = name
