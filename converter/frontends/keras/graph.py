"""Walking a Keras model config (Sequential or functional, nested, shared layers) into the IR.

Each call of a layer (a "node" in Keras terms) is converted where it happens,
so a layer used twice emits its ops twice, reading the same weight constants
(shared weights); a model used as a layer is inlined at each call.
"""
import numpy as np

from ember.converter import ir
from ember.converter.frontends.keras import layers as L
from ember.converter.frontends.keras import kops
from ember.converter.frontends.keras.emit import Emitter
from ember.converter.frontends.keras.source import NoWeights, _is_op_node, _layer_name

MODEL_CLASSES = {"Functional", "Model", "Sequential"}
_DTYPES = {"float32": np.float32, "float16": np.float32, "bfloat16": np.float32,
           "float64": np.float32, "int32": np.int32, "int64": np.int64, "uint8": np.uint8,
           "int8": np.int8, "int16": np.int16, "bool": np.bool_}


def _is_model(cfg):
    return cfg.get("class_name") in MODEL_CLASSES or "layers" in (cfg.get("config") or {})


def _dtype_name(dt):
    if isinstance(dt, dict):                 # a DTypePolicy
        dt = (dt.get("config") or {}).get("name", "float32")
    dt = str(dt or "float32")
    if dt.startswith("mixed_"):
        dt = "float32"
    return dt


def _is_ref(x):
    return (isinstance(x, dict) and x.get("class_name") == "__keras_tensor__") or (
        isinstance(x, list) and len(x) in (3, 4) and isinstance(x[0], str)
        and isinstance(x[1], int) and isinstance(x[2], int)
        and (len(x) == 3 or isinstance(x[3], dict)))


def _ref_key(x):
    if isinstance(x, dict):
        h = x["config"]["keras_history"]
        return (h[0], int(h[1]), int(h[2]))
    return (x[0], int(x[1]), int(x[2]))


def _node_args(node):
    """(args, kwargs) of one inbound node, in either the Keras 3 or the tf.keras layout."""
    if isinstance(node, dict):
        return list(node.get("args", [])), dict(node.get("kwargs", {}))
    # tf.keras 2: [[layer, node, tensor, kwargs], ...]
    refs = [list(r) for r in node]
    kwargs = {}
    for r in refs:
        if len(r) == 4 and isinstance(r[3], dict):
            kwargs.update(r[3])
    refs = [r[:3] for r in refs]
    return ([refs[0]] if len(refs) == 1 else [refs]), kwargs


def _resolve(x, tensors):
    """Replaces tensor references in an args structure; raises KeyError if one is not ready."""
    if _is_ref(x):
        return tensors[_ref_key(x)]
    if isinstance(x, list):
        return [_resolve(v, tensors) for v in x]
    if isinstance(x, tuple):
        return tuple(_resolve(v, tensors) for v in x)
    if isinstance(x, dict) and x.get("class_name") != "__keras_tensor__":
        return {k: _resolve(v, tensors) for k, v in x.items()}
    return x


def _io_list(spec):
    """input_layers/output_layers: one [name, node, tensor] or a (nested) list of them."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        spec = list(spec.values())
    if len(spec) == 3 and isinstance(spec[0], str) and isinstance(spec[1], int):
        return [tuple(spec)]
    out = []
    for s in spec:
        out += _io_list(s)
    return out


class Walker:
    def __init__(self, src, input_shapes=None):
        self.src = src
        self.input_shapes = dict(input_shapes or {})
        self.model = ir.Model(description="ember keras")
        self.e = Emitter(self.model.main)
        self.legacy = src.keras_version.startswith("2.")

    # ---- entry -------------------------------------------------------------
    def run(self):
        cfg = self.src.config
        if "class_name" not in cfg:
            raise ir.ConversionError("the Keras config has no class_name; not a saved model")
        if not _is_model(cfg):
            raise ir.ConversionError(f"the file holds a {cfg['class_name']}, not a Keras model")
        outs = self.call_model(cfg, self.src.root, None, path=_layer_name(cfg) or "model")
        g = self.model.main
        seen = set()
        fixed = []
        for t in outs:
            # a graph output that is an input or repeats needs its own tensor
            if any(t is i for i in g.inputs) or id(t) in seen:
                self.e.origin = "output"
                t = self.e.reshape(t, t.shape, f"{t.name}_out")
            seen.add(id(t))
            fixed.append(t)
        g.outputs = fixed
        # no signature set here: the writer derives serving_default from the final graph, so
        # passes that replace an output tensor cannot leave a stale signature behind
        return self.model

    # ---- models ------------------------------------------------------------
    def call_model(self, cfg, weights, inputs, path):
        """Converts one model call; ``inputs`` None means the top-level graph inputs."""
        c = cfg.get("config") or {}
        layer_cfgs = c.get("layers") or []
        wmap = weights.child_map(layer_cfgs) if hasattr(weights, "child_map") else {}
        if cfg.get("class_name") == "Sequential" or ("input_layers" not in c and layer_cfgs
                                                      and "inbound_nodes" not in layer_cfgs[-1]):
            return self._sequential(c, layer_cfgs, wmap, inputs, path)
        return self._functional(c, layer_cfgs, wmap, inputs, path)

    def _make_input(self, name, shape, dtype, where):
        if name in self.input_shapes:
            want = tuple(self.input_shapes[name])
            if shape is not None and len(want) != len(shape):
                raise ir.ConversionError(f"input_shapes[{name!r}] = {want} has rank {len(want)}, "
                                         f"but the input has shape {tuple(shape)}")
            shape = want
        if shape is None:
            raise ir.ConversionError(f"input {name!r} ({where}) has no known shape; pass "
                                     f"input_shapes={{{name!r}: (1, ...)}}")
        shape = tuple(None if d is None or (i == 0 and d == -1) else int(d)
                      for i, d in enumerate(shape))
        unknown = [i for i, d in enumerate(shape) if d is None and i > 0]
        if unknown:
            example = ",".join(["1"] + ["224" if d is None else str(d) for d in shape[1:]])
            raise ir.ConversionError(
                f"input {name!r} has unknown dimension {unknown[0]} (shape "
                f"{tuple('?' if d is None else d for d in shape)}); give it a size with "
                f"input_shapes={{{name!r}: ({example.replace(',', ', ')})}} or "
                f"--input-shape {name}={example}")
        np_dtype = _DTYPES.get(dtype)
        if np_dtype is None:
            raise ir.ConversionError(f"input {name!r} has dtype {dtype}, which Ember cannot take")
        t = ir.Tensor(self.e.name(name), np_dtype, shape=shape)
        self.model.main.inputs.append(t)
        return t

    def _input_from_layer(self, lc):
        c = lc.get("config") or {}
        shape = c.get("batch_shape") or c.get("batch_input_shape")
        if shape is None and c.get("input_shape") is not None:
            shape = [None] + list(c["input_shape"])
        return self._make_input(c.get("name") or lc.get("name"), shape,
                                _dtype_name(c.get("dtype")), "InputLayer")

    def _sequential(self, c, layer_cfgs, wmap, inputs, path):
        idx0 = 0
        if inputs is not None:
            x = inputs[0]
            if layer_cfgs and layer_cfgs[0]["class_name"] == "InputLayer":
                idx0 = 1
        elif layer_cfgs and layer_cfgs[0]["class_name"] == "InputLayer":
            x = self._input_from_layer(layer_cfgs[0])
            idx0 = 1
        else:
            shape = c.get("build_input_shape")
            first = (layer_cfgs[0].get("config") or {}) if layer_cfgs else {}
            shape = shape or first.get("batch_input_shape") or first.get("batch_shape")
            x = self._make_input(c.get("name", "input"), shape, _dtype_name(first.get("dtype")),
                                 "Sequential")
        outs = [x]
        for i in range(idx0, len(layer_cfgs)):
            lc = layer_cfgs[i]
            outs = self.call_layer(lc, i, [outs[0]], {}, wmap, path)
        return outs

    def _functional(self, c, layer_cfgs, wmap, inputs, path):
        tensors = {}
        in_refs = _io_list(c.get("input_layers"))
        by_name = {_layer_name(lc): lc for lc in layer_cfgs}
        if inputs is not None and len(inputs) != len(in_refs):
            raise ir.ConversionError(f"model {path!r} takes {len(in_refs)} inputs but is called "
                                     f"with {len(inputs)}")
        for k, ref in enumerate(in_refs):
            if inputs is not None:
                tensors[(ref[0], ref[1], ref[2])] = inputs[k]
            else:
                lc = by_name.get(ref[0])
                if lc is None:
                    raise ir.ConversionError(f"model {path!r} names input layer {ref[0]!r}, "
                                             "which it does not contain")
                tensors[(ref[0], ref[1], ref[2])] = self._input_from_layer(lc)
        pending = []
        for i, lc in enumerate(layer_cfgs):
            if lc["class_name"] == "InputLayer":
                continue
            for n, node in enumerate(lc.get("inbound_nodes") or []):
                pending.append((i, n, node))
        while pending:
            left = []
            for i, n, node in pending:
                args, kwargs = _node_args(node)
                try:
                    args = _resolve(args, tensors)
                    kwargs = _resolve(kwargs, tensors)
                except KeyError:
                    left.append((i, n, node))
                    continue
                lc = layer_cfgs[i]
                outs = self.call_layer(lc, i, args, kwargs, wmap, path)
                for k, t in enumerate(outs):
                    tensors[(_layer_name(lc), n, k)] = t
            if len(left) == len(pending):
                i, n, node = left[0]
                raise ir.ConversionError(
                    f"model {path!r}: layer {i} {_layer_name(layer_cfgs[i])!r} reads a tensor no "
                    "layer produces (a broken or cyclic config)")
            pending = left
        outs = []
        for ref in _io_list(c.get("output_layers")):
            key = (ref[0], int(ref[1]), int(ref[2]))
            if key not in tensors:
                raise ir.ConversionError(f"model {path!r}: output {ref[0]!r} is never computed")
            outs.append(tensors[key])
        return outs

    # ---- layers ------------------------------------------------------------
    def call_layer(self, lc, index, args, kwargs, wmap, path):
        name = _layer_name(lc)
        cls = lc.get("class_name")
        weights = wmap.get(name, NoWeights())
        if _is_model(lc):
            flat = L.flatten_tensors(args)
            return self.call_model(lc, weights, flat, path=f"{path}/{name}")
        where = f"layer {index} {name!r} ({cls}" + (f", in model {path!r})" if "/" in path else ")")
        self.e.origin = name
        ctx = L.Ctx(self, lc, name, index, where, args, kwargs, weights)
        # legacy .h5 configs drop the module; an op's config, unlike a layer's, has no "trainable"
        is_op = _is_op_node(lc) or (cls in kops.OPS and "trainable" not in (lc.get("config") or {}))
        if is_op or cls in ("TFOpLambda", "SlicingOpLambda"):
            fn = kops.lookup(ctx)
        else:
            fn = L.REGISTRY.get(cls)
        if fn is None:
            raise ir.ConversionError(f"{where}: Ember's Keras converter does not support the "
                                     f"{cls} layer")
        try:
            out = fn(ctx)
        except ir.ConversionError:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise ir.ConversionError(f"{where}: cannot convert this layer "
                                     f"({type(e).__name__}: {e})") from None
        return list(out) if isinstance(out, (list, tuple)) else [out]
