"""Calibration: run the float model in Ember's interpreter and observe every tensor.

The model is written as it stands and loaded with ``experimental_preserve_all_tensors``,
so every intermediate keeps its value after ``invoke`` and is read by name (names are
made unique first). Each float32 activation of the entry graph gets an observer.
"""
import numpy as np

from ember.converter.ir import ConversionError
from ember.quantize import data as qdata
from ember.quantize import observers
from ember.quantize.prepare import unique_names


def _progress(iterable, total, enabled):
    try:
        from ember.progress import progress
    except ImportError:         # the CLI's bars not available: plain iteration
        return iterable
    return progress(iterable, total=total, desc="calibrating", enabled=enabled)


def _total(calibration):
    try:
        if isinstance(calibration, np.ndarray):
            return len(calibration)
        if isinstance(calibration, (list, tuple)):
            return len(calibration)
    except TypeError:
        pass
    return None


def run_float(model_bytes, feeds, names):
    """Values of ``names`` (None: every readable tensor) for each feed dict, in Ember."""
    import ember
    it = ember.Interpreter(model_content=model_bytes, experimental_preserve_all_tensors=True)
    details = it.get_input_details()
    index = {d["name"]: d["index"] for d in it.get_tensor_details()}
    shapes = None
    for feed in feeds:
        want = [list(feed[d["name"]].shape) for d in details]
        if want != shapes:
            for d, s in zip(details, want):
                if list(d["shape"]) != s:
                    it.resize_tensor_input(d["index"], s)
            it.allocate_tensors()
            shapes = want
        for d in details:
            it.set_tensor(d["index"], feed[d["name"]])
        it.invoke()
        out = {}
        for n in (names if names is not None else index):
            i = index.get(n)
            if i is None:
                continue
            try:
                out[n] = it.get_tensor(i)
            except ValueError:       # no data (e.g. an unused optional tensor)
                continue
        yield out


def calibrate(model, calibration, method="minmax", *, progress=None, limit=None):
    """Observers for every float32 activation of ``model``'s entry graph, by tensor name.

    ``model`` (a converter IR model) gets unique tensor names in place.
    """
    from ember.schema.writer import write

    make = observers.make(method)
    unique_names(model)
    g = model.main
    specs = qdata.input_specs(model)
    watched = [t.name for t in g.tensors() if not t.is_const and t.dtype == np.float32]
    obs = {n: make() for n in watched}
    try:
        blob = write(model)
    except Exception as e:
        raise ConversionError(f"cannot write the float model for calibration: {e}") from None
    feeds = qdata.samples(calibration, specs, limit=limit)
    # Map input names as the interpreter reports them (the writer keeps IR names).
    n = 0
    for values in run_float(blob, _progress(feeds, _total(calibration), progress), watched):
        for name, v in values.items():
            obs[name].observe(v)
        n += 1
    return obs, n
