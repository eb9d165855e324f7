"""Opening a Keras source: the model config (JSON) and a tree of weight arrays.

Read with zipfile/json/h5py only: converting a file never imports keras or
tensorflow. Two weight layouts exist:

* ``.keras`` (Keras 3): ``model.weights.h5`` holds ``layers/<key>/vars/<i>``
  groups, one per layer in ``model.layers`` order, where ``<key>`` is a
  snake-cased class name and ``vars`` carries the layer's name as an attribute;
  sub-objects (an RNN's ``cell``, a nested model's ``layers``) are subgroups.
* legacy ``.h5`` (tf.keras 2 and Keras 3's ``save("x.h5")``): attribute
  ``model_config`` and group ``model_weights/<layer name>`` whose
  ``weight_names`` attribute lists the layer's arrays (a nested model's
  arrays are listed flat, as ``outer/inner_layer/var``).
"""
import io
import json
import os
import re
import zipfile

import numpy as np

from ember.converter.ir import ConversionError


def _snake(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _is_op_node(layer_cfg):
    return str(layer_cfg.get("module") or "").startswith("keras.src.ops")


def _is_weightless_op(layer_cfg):
    """A keras.ops node (in any file layout): it has no weights group."""
    return _is_op_node(layer_cfg) or "trainable" not in (layer_cfg.get("config") or {"trainable": 1})


class NoWeights:
    """A layer without stored arrays."""
    names = None

    def arrays(self):
        return []

    def child(self, name, cfg=None):
        return self


class KerasWeights:
    """One layer's group in a .keras weights file."""

    def __init__(self, group):
        self.group = group
        self.names = None

    def arrays(self):
        out = []
        g = self.group
        if "vars" in g:
            v = g["vars"]
            out += [np.asarray(v[k]) for k in sorted(v.keys(), key=int)]
        for k in sorted(g.keys()):
            if k not in ("vars", "layers"):
                out += KerasWeights(g[k]).arrays()
        return out

    def child_map(self, layer_cfgs):
        """{layer name: weights} for the layers of a (nested) model stored in this group."""
        g = self.group["layers"] if "layers" in self.group else None
        if g is None:
            return {}
        by_name = {}
        for key in g.keys():
            vars_ = g[key].get("vars")
            name = vars_.attrs.get("name") if vars_ is not None else None
            if name is not None:
                by_name[name.decode() if isinstance(name, bytes) else str(name)] = KerasWeights(g[key])
        if by_name:
            return by_name
        # Older files carry no name attribute: keys follow model.layers order (ops excluded).
        counts = {}
        for cfg in layer_cfgs:
            if _is_weightless_op(cfg):
                continue
            base = _snake(cfg["class_name"])
            n = counts.get(base, 0)
            counts[base] = n + 1
            key = base if n == 0 else f"{base}_{n}"
            if key in g:
                by_name[_layer_name(cfg)] = KerasWeights(g[key])
        return by_name


class H5Weights:
    """One layer's arrays in a legacy .h5 file: [(weight name, array)] in layer.weights order."""

    def __init__(self, items):
        self.items = items
        self.names = [n.split("/")[-1].split(":")[0] for n, _ in items]

    @classmethod
    def from_group(cls, group):
        names = [n.decode() if isinstance(n, bytes) else str(n)
                 for n in group.attrs.get("weight_names", [])]
        return cls([(n, np.asarray(group[n])) for n in names])

    def arrays(self):
        return [a for _, a in self.items]

    def child_map(self, layer_cfgs):
        """Splits a nested model's flat list among its layers by the name components."""
        names = {_layer_name(c) for c in layer_cfgs}
        parts = {}
        for n, a in self.items:
            comps = n.split(":")[0].split("/")[:-1]
            owner = next((c for c in reversed(comps) if c in names), None)
            if owner is not None:
                parts.setdefault(owner, []).append((n, a))
        return {k: H5Weights(v) for k, v in parts.items()}


def _layer_name(cfg):
    return cfg.get("name") or cfg.get("config", {}).get("name")


class Source:
    """config: the model's {"class_name", "config"} dict; weights: root weights object."""

    def __init__(self, config, root, legacy_h5=False, keras_version=""):
        self.config = config
        self.root = root
        self.legacy_h5 = legacy_h5
        self.keras_version = keras_version
        self._h5 = None

    def close(self):
        if self._h5 is not None:
            self._h5.close()


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ConversionError("reading Keras files needs h5py (pip install h5py)") from None
    return h5py


def open_keras_archive(path):
    h5py = _h5py()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ConversionError(f"{path}: not a Keras 3 .keras archive ({e})") from None
    with zf:
        names = set(zf.namelist())
        if "config.json" not in names:
            raise ConversionError(f"{path}: the archive has no config.json; not a .keras model")
        try:
            config = json.loads(zf.read("config.json"))
        except ValueError as e:
            raise ConversionError(f"{path}: config.json is not valid JSON ({e})") from None
        meta = {}
        if "metadata.json" in names:
            try:
                meta = json.loads(zf.read("metadata.json"))
            except ValueError:
                meta = {}
        if "model.weights.h5" in names:
            raw = zf.read("model.weights.h5")
        else:
            raw = None
    src = Source(config, NoWeights(), keras_version=str(meta.get("keras_version", "3")))
    if raw is not None:
        try:
            f = h5py.File(io.BytesIO(raw), "r")
        except OSError as e:
            raise ConversionError(f"{path}: model.weights.h5 is not readable HDF5 ({e})") from None
        src._h5 = f
        src.root = KerasWeights(f)
    return src


def open_legacy_h5(path):
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ConversionError(f"{path}: not an HDF5 file ({e})") from None
    raw = f.attrs.get("model_config")
    if raw is None:
        f.close()
        raise ConversionError(f"{path}: the HDF5 file has no 'model_config' attribute "
                              "(a weights-only file? save the whole model)")
    if isinstance(raw, bytes):
        raw = raw.decode()
    try:
        config = json.loads(raw)
    except ValueError as e:
        f.close()
        raise ConversionError(f"{path}: model_config is not valid JSON ({e})") from None
    version = f.attrs.get("keras_version", b"")
    version = version.decode() if isinstance(version, bytes) else str(version)
    src = Source(config, NoWeights(), legacy_h5=True, keras_version=version)
    src._h5 = f
    src.root = LegacyRoot(f["model_weights"] if "model_weights" in f else f)
    return src


class LegacyRoot:
    """The top of a legacy .h5 file: each layer's arrays live under model_weights/<name>."""

    def __init__(self, group):
        self.group = group

    def arrays(self):
        return []

    def child_map(self, layer_cfgs):
        out = {}
        for cfg in layer_cfgs:
            name = _layer_name(cfg)
            if name in self.group:
                out[name] = H5Weights.from_group(self.group[name])
        return out


def open_source(source):
    """A Source for a path (.keras / .h5) or an in-memory keras.Model."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ConversionError(f"no such file: {path}")
        if zipfile.is_zipfile(path):
            return open_keras_archive(path)
        with open(path, "rb") as f:
            magic = f.read(8)
        if magic == b"\x89HDF\r\n\x1a\n":
            return open_legacy_h5(path)
        raise ConversionError(f"{path}: neither a .keras archive nor a legacy Keras .h5 file")
    if hasattr(source, "get_config") and hasattr(source, "save"):
        return _from_memory(source)
    raise ConversionError(f"cannot read a {type(source).__name__} as a Keras model")


def _from_memory(model):
    """Saves the in-memory model to a temporary .keras and reads that: one code path for all."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.keras")
        try:
            model.save(path)
        except Exception as e:  # keras raises many types; the user needs the reason
            raise ConversionError(f"could not serialise the keras model {getattr(model, 'name', '')!r} "
                                  f"for conversion: {type(e).__name__}: {e}") from None
        return open_keras_archive(path)
