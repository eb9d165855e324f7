"""Writes a Keras 3 model as tf.keras 2.x would have saved it to .h5.

TensorFlow is not installed in the test environment, so files in the tf.keras
layout are produced here from a Keras 3 model (same weights, so Keras 3's
predict stays the oracle). The layout, as tf.keras 2 writes it: attributes
``keras_version`` ("2.x") and ``model_config`` (InputLayer ``batch_input_shape``,
inbound nodes as ``[[layer, node, tensor, kwargs], ...]``, keras.ops calls as
``TFOpLambda`` layers with the second operand in kwargs), and
``model_weights/<layer>/<weight name>:0`` datasets listed by a ``weight_names``
attribute; a nested model lists all its trainable weights before the
non-trainable ones, as tf.keras' ``Model.weights`` does.
"""
import json

import numpy as np

_TF_OPS = {"Add": "math.add", "Multiply": "math.multiply", "Subtract": "math.subtract",
           "TrueDivide": "math.truediv", "Relu6": "nn.relu6", "Sigmoid": "math.sigmoid"}


def _ref(x):
    h = x["config"]["keras_history"]
    return [h[0], int(h[1]), int(h[2])]


def _is_ref(x):
    return isinstance(x, dict) and x.get("class_name") == "__keras_tensor__"


def _layer(lc):
    cfg = dict(lc["config"])
    out = {"class_name": lc["class_name"], "name": lc.get("name", cfg.get("name"))}
    if lc["class_name"] == "InputLayer":
        cfg["batch_input_shape"] = cfg.pop("batch_shape")
    if str(lc.get("module", "")).startswith("keras.src.ops"):
        out["class_name"] = "TFOpLambda"
        cfg = {"name": f"tf.{_TF_OPS[lc['class_name']]}", "trainable": True, "dtype": "float32",
               "function": _TF_OPS[lc["class_name"]]}
    if "layers" in cfg:
        cfg["layers"] = [_layer(c) for c in cfg["layers"]]
        for key in ("input_layers", "output_layers"):
            if key in cfg and cfg[key] and isinstance(cfg[key][0], str):
                cfg[key] = [cfg[key]]
    out["config"] = cfg
    nodes = []
    for node in lc.get("inbound_nodes") or []:
        args = node["args"]
        if out["class_name"] == "TFOpLambda":
            first, second = args[0], args[1]
            y = _ref(second) if _is_ref(second) else second
            nodes.append([_ref(first) + [{"y": y, "name": None}]])
        elif len(args) == 1 and isinstance(args[0], list):
            nodes.append([_ref(a) + [{}] for a in args[0]])
        else:
            nodes.append([_ref(args[0]) + [{}]])
    if lc["class_name"] != "Sequential" or nodes:
        out["inbound_nodes"] = nodes
    return out


def _weights(layer):
    """[(name, array)] in tf.keras order."""
    if hasattr(layer, "layers"):
        subs = [s for s in layer.layers if s.weights]
        train = [(f"{s.name}/{v.name}:0", v) for s in subs for v in s.trainable_weights]
        fixed = [(f"{s.name}/{v.name}:0", v) for s in subs for v in s.non_trainable_weights]
        return [(n, np.asarray(v.numpy())) for n, v in train + fixed]
    return [(f"{layer.name}/{v.name}:0", np.asarray(v.numpy())) for v in layer.weights]


def write(model, path):
    import h5py
    config = {"class_name": model.__class__.__name__, "config": json.loads(model.to_json())["config"]}
    config = _layer(config)
    config.pop("inbound_nodes", None)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [lay.name.encode() for lay in model.layers]
        for layer in model.layers:
            lg = g.create_group(layer.name)
            ws = _weights(layer)
            lg.attrs["weight_names"] = [n.encode() for n, _ in ws]
            for n, a in ws:
                lg.create_dataset(n, data=a)
