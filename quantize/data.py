"""Calibration data: files and iterables into checked samples, one dict per sample.

Accepted, like TensorFlow's ``representative_dataset``:
- a ``.npy`` path or a numpy array (single-input models): the leading axis numbers
  the samples;
- a ``.npz`` path or a dict {input name: array}: one array per input, samples on the
  leading axis, the same number for every input;
- an iterable or a generator (or a function returning one): each item is one sample -
  a list/tuple of arrays in input order, a dict by input name, or one array.

A sample's array either has the input's full shape, or (when the input's batch is 1
or unknown) the shape without the batch axis, which is then added. Anything else -
wrong rank or shape, a non-numeric dtype, NaN or infinity, no samples at all, an
unknown or missing input name - is a ConversionError naming the input and sample.
"""
import os

import numpy as np

from ember.converter.ir import ConversionError


class InputSpec:
    """What a graph input accepts: name, shape (None = any) and dtype."""

    def __init__(self, name, shape, dtype, aliases=()):
        self.name = name
        self.shape = tuple(shape) if shape is not None else None
        self.dtype = np.dtype(dtype)
        self.aliases = tuple(aliases)

    def __repr__(self):
        dims = ",".join("?" if d is None else str(d) for d in (self.shape or ()))
        return f"{self.name!r} [{dims}] {self.dtype.name}"


def input_specs(model):
    """InputSpecs of a converter IR model's entry graph (signature names as aliases)."""
    g = model.main
    aliases = {}
    for s in model.signatures:
        if s.subgraph == 0:
            for n, t in s.inputs.items():
                aliases.setdefault(id(t), []).append(n)
    return [InputSpec(t.name, t.shape, t.dtype, [a for a in aliases.get(id(t), []) if a != t.name])
            for t in g.inputs]


def _fits(shape, want):
    return len(shape) == len(want) and all(w is None or w == s for s, w in zip(shape, want))


def _fit_sample(arr, spec, where):
    """One sample for ``spec``: checked, batch axis added if left out, cast to its dtype."""
    try:
        arr = np.asarray(arr)
    except Exception as e:      # ragged lists and the like
        raise ConversionError(f"calibration {where} for input {spec.name!r} is not an array: {e}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) \
            or np.issubdtype(arr.dtype, np.complexfloating):
        raise ConversionError(f"calibration {where} for input {spec.name!r} has dtype {arr.dtype}; "
                              f"it must be numeric (the input is {spec.dtype.name})")
    if np.issubdtype(spec.dtype, np.floating) and arr.dtype == np.bool_:
        raise ConversionError(f"calibration {where} for input {spec.name!r} is boolean; "
                              f"the input is {spec.dtype.name}")
    want = spec.shape
    if want is not None:
        if not _fits(arr.shape, want):
            if len(want) >= 1 and want[0] in (1, None) and _fits((1,) + arr.shape, want):
                arr = arr[np.newaxis]
            else:
                dims = "x".join("?" if d is None else str(d) for d in want)
                raise ConversionError(
                    f"calibration {where} for input {spec.name!r} has shape {list(arr.shape)}; "
                    f"the input takes [{dims.replace('x', ', ')}]"
                    + (f" (or [{', '.join('?' if d is None else str(d) for d in want[1:])}] without "
                       "the batch axis)" if len(want) >= 1 and want[0] in (1, None) else ""))
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "infinite values"
        raise ConversionError(f"calibration {where} for input {spec.name!r} contains {bad}")
    if np.issubdtype(spec.dtype, np.integer) and np.issubdtype(arr.dtype, np.floating):
        raise ConversionError(f"calibration {where} for input {spec.name!r} is {arr.dtype}; "
                              f"the input is {spec.dtype.name}")
    return np.ascontiguousarray(arr.astype(spec.dtype, copy=False))


def _lookup(specs, name):
    for s in specs:
        if name == s.name or name in s.aliases:
            return s
    return None


def _from_mapping(mapping, specs, where):
    known = ", ".join(repr(s.name) for s in specs)
    out = {}
    for name, arr in mapping.items():
        s = _lookup(specs, name)
        if s is None:
            raise ConversionError(f"calibration {where}: unknown input name {name!r} (the model's "
                                  f"inputs: {known})")
        out[s.name] = arr
    missing = [s.name for s in specs if s.name not in out]
    if missing:
        raise ConversionError(f"calibration {where}: no data for input {missing[0]!r} "
                              f"(the model's inputs: {known})")
    return out


def _split_stacked(arrays, specs, what):
    """{name: stacked array} -> list of per-sample dicts (samples on the leading axis)."""
    n = None
    for s in specs:
        a = np.asarray(arrays[s.name])
        if a.ndim == 0:
            raise ConversionError(f"calibration {what} for input {s.name!r} is a scalar; put the "
                                  "samples on the leading axis")
        if a.shape[0] == 0:
            raise ConversionError(f"calibration {what} for input {s.name!r} is empty (0 samples)")
        if n is not None and a.shape[0] != n:
            raise ConversionError(f"calibration {what}: input {s.name!r} has {a.shape[0]} samples, "
                                  f"others have {n}")
        n = a.shape[0]
    return [{s.name: np.asarray(arrays[s.name])[k] for s in specs} for k in range(n)]


def _load_file(path, specs):
    ext = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise ConversionError(f"calibration file {path} does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as e:
        raise ConversionError(f"calibration file {path} is not a readable .npy/.npz file: {e}") from None
    if isinstance(loaded, np.ndarray):
        if len(specs) != 1:
            raise ConversionError(f"calibration file {path} is a single array but the model has "
                                  f"{len(specs)} inputs ({', '.join(repr(s.name) for s in specs)}); "
                                  "give a .npz with one array per input name")
        return _split_stacked({specs[0].name: loaded}, specs, f"file {path}")
    with loaded:
        arrays = {k: loaded[k] for k in loaded.files}
    if ext not in (".npz", "") and not arrays:
        raise ConversionError(f"calibration file {path} holds no arrays")
    return _split_stacked(_from_mapping(arrays, specs, f"file {path}"), specs, f"file {path}")


def _item_to_dict(item, specs, k):
    where = f"sample {k}"
    if isinstance(item, dict):
        return _from_mapping(item, specs, where)
    if isinstance(item, (list, tuple)):
        if len(item) != len(specs):
            raise ConversionError(f"calibration {where} has {len(item)} arrays; the model has "
                                  f"{len(specs)} inputs ({', '.join(repr(s.name) for s in specs)})")
        return {s.name: a for s, a in zip(specs, item)}
    if len(specs) != 1:
        raise ConversionError(f"calibration {where} is one array but the model has {len(specs)} "
                              "inputs: give a list/tuple in input order or a dict by name")
    return {specs[0].name: item}


def samples(calibration, specs, limit=None):
    """Yields checked samples ({input name: array}) from any accepted calibration source."""
    if calibration is None:
        raise ConversionError("this quantisation mode needs calibration data (--calibration "
                              "FILE.npy/.npz, or calibration= an iterable of samples)")
    stacked = None
    if isinstance(calibration, (str, os.PathLike)):
        stacked = _load_file(os.fspath(calibration), specs)
    elif isinstance(calibration, np.ndarray):
        if len(specs) != 1:
            raise ConversionError(f"calibration is one array but the model has {len(specs)} inputs")
        stacked = _split_stacked({specs[0].name: calibration}, specs, "array")
    elif isinstance(calibration, dict):
        stacked = _split_stacked(_from_mapping(calibration, specs, "dict"), specs, "dict")
    if stacked is not None:
        source = iter(stacked)
    else:
        if callable(calibration):
            calibration = calibration()
        try:
            source = iter(calibration)
        except TypeError:
            raise ConversionError(f"calibration must be a .npy/.npz path, an array, a dict or an "
                                  f"iterable of samples, not {type(calibration).__name__}") from None
    count = 0
    for k, item in enumerate(source):
        if limit is not None and k >= limit:
            break
        d = _item_to_dict(item, specs, k)
        yield {s.name: _fit_sample(d[s.name], s, f"sample {k}") for s in specs}
        count += 1
    if count == 0:
        raise ConversionError("calibration data is empty: it yielded no samples")


def reusable(calibration):
    """``calibration`` in a form that can be read twice (a one-shot iterator is listed)."""
    if calibration is None or isinstance(calibration, (str, os.PathLike, np.ndarray, dict, list, tuple)):
        return calibration
    if callable(calibration):
        calibration = calibration()
    return list(calibration)
