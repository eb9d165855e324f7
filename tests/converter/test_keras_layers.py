"""Keras frontend, layer by layer: one small model per layer/option family, converted from
all three sources (in-memory keras.Model, .keras saved by Keras, legacy .h5) and run in
Ember and LiteRT against Keras' own predict (torch backend) as the oracle."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import need
from oracle import assert_close, ember as run_ember, litert

sys.path.insert(0, str(pathlib.Path(__file__).parent / "keras_fixtures"))
import cases as K  # noqa: E402

RTOL = 1e-4
# Keras (torch backend) warns about numpy 2 copy semantics on every predict; not ours
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
# "raw": the frontend's own graph written without passes.optimize, so the frontend is
# checked on its own whatever the passes do
SOURCES = ("memory", "keras", "h5", "raw")


def _keras():
    try:
        import keras
    except ImportError:
        keras = None
    need(keras is not None, "keras is not installed")
    return keras


def _litert_available():
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def _predict(model, xs):
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return [np.asarray(w) for w in (want if isinstance(want, (list, tuple)) else [want])]


@pytest.fixture(scope="module", params=list(K.CASES))
def case(request, tmp_path_factory):
    _keras()
    model, xs = K.CASES[request.param]()
    K.randomize(model)
    d = tmp_path_factory.mktemp(request.param)
    paths = {"memory": model, "keras": d / "m.keras", "h5": d / "m.h5", "raw": d / "m.keras"}
    model.save(paths["keras"])
    model.save(paths["h5"])
    return request.param, paths, xs, _predict(model, xs)


@pytest.mark.parametrize("source", SOURCES)
def test_layer_family(case, source):
    import ember
    name, paths, xs, want = case
    if source == "raw":
        from ember.converter.api import load
        from ember.schema.writer import write
        data = write(load(paths[source]))
    else:
        data = ember.convert(paths[source])
    runs = [("ember", run_ember)]
    need(_litert_available(), "ai-edge-litert is not installed")
    runs.append(("litert", litert))
    for who, run in runs:
        got = run(data, xs)
        assert len(got) == len(want), f"{name}/{source}/{who}: {len(got)} outputs, want {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rtol=RTOL, what=f"{name} from {source}, {who}, output {i}")


def test_files_convert_without_keras_or_tensorflow(tmp_path):
    """Reading a .keras or .h5 file must not import keras or tensorflow."""
    _keras()
    model, _ = K.sequential()
    paths = {"keras": tmp_path / "m.keras", "h5": tmp_path / "m.h5"}
    for p in paths.values():
        model.save(p)
    code = ("import sys, ember\n"
            f"for p in ({str(paths['keras'])!r}, {str(paths['h5'])!r}):\n"
            "    assert ember.convert(p)[4:8] == b'TFL3'\n"
            "bad = [m for m in ('keras', 'tensorflow') if m in sys.modules]\n"
            "assert not bad, bad\n")
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


# ---- errors ---------------------------------------------------------------------------
def test_unsupported_layer_names_class_layer_and_index():
    keras = _keras()
    import ember
    from ember.converter.ir import ConversionError
    x = keras.Input((4, 4, 4, 2), name="vol")
    y = keras.layers.Conv3D(2, 2, name="my_conv3d")(keras.layers.Activation("relu")(x))
    m = keras.Model(x, y)
    with pytest.raises(ConversionError, match=r"layer 2 'my_conv3d' \(Conv3D\).*Conv3D"):
        ember.convert(m)


def test_unsupported_keras_op_is_named():
    keras = _keras()
    import ember
    from ember.converter.ir import ConversionError
    x = keras.Input((4,), name="x")
    m = keras.Model(x, keras.ops.cumsum(x, axis=-1))
    with pytest.raises(ConversionError, match=r"Cumsum"):
        ember.convert(m)


def test_unknown_dim_asks_for_input_shapes(tmp_path):
    keras = _keras()
    import ember
    from ember.converter.ir import ConversionError
    x = keras.Input((None, 6), name="seq")
    m = keras.Model(x, keras.layers.Dense(3, activation="relu")(x))
    K.randomize(m)
    with pytest.raises(ConversionError, match=r"'seq'.*dimension 1.*input_shapes"):
        ember.convert(m)
    xs = [np.random.default_rng(0).standard_normal((1, 5, 6)).astype(np.float32)]
    data = ember.convert(m, input_shapes={"seq": (1, 5, 6)})
    assert_close(run_ember(data, xs)[0], _predict(m, xs)[0], rtol=RTOL)


def test_not_a_keras_file(tmp_path):
    import ember
    from ember.converter.ir import ConversionError
    p = tmp_path / "x.h5"
    p.write_bytes(b"not hdf5 at all")
    with pytest.raises(ConversionError, match="x.h5"):
        ember.convert(p)
    p = tmp_path / "x.keras"
    p.write_bytes(b"PK\x05\x06" + b"\0" * 18)     # an empty zip archive
    with pytest.raises(ConversionError, match="config.json"):
        ember.convert(p)


# ---- tf.keras 2 .h5 layout -----------------------------------------------------------
def test_tf_keras_h5_layout(tmp_path):
    """Files in tf.keras 2's layout (TFOpLambda, list-style nodes, ':0' names, trainable-first
    nested weights), written from a Keras 3 model whose predict stays the oracle."""
    keras = _keras()
    import ember
    import tf_keras_h5
    L = keras.layers
    # BatchNormalization first: tf.keras lists the nested model's trainable weights first,
    # so only name matching gives each layer its own arrays
    inner = keras.Sequential([keras.Input((6,)), L.BatchNormalization(name="bn_in"),
                              L.Dense(4, name="d_in")], name="inner")
    x = keras.Input((8, 8, 3), name="img")
    y = L.BatchNormalization(name="bn")(L.Conv2D(4, 3, activation="relu", name="c1")(x))
    y = L.Dense(6, name="fc")(L.GlobalAveragePooling2D()(keras.ops.add(y, 3.0)))
    z = keras.ops.multiply(y, L.Activation("sigmoid")(y))
    m = keras.Model(x, L.Add()([inner(z), L.Dense(4)(y)]), name="legacy")
    seq = keras.Sequential([keras.Input((5,)), L.Dense(3, activation="relu"), L.Dense(2)], name="s")
    for model, xs in ((m, [K._x(2, 8, 8, 3)]), (seq, [K._x(2, 5)])):
        K.randomize(model)
        path = tmp_path / f"{model.name}.h5"
        tf_keras_h5.write(model, path)
        want = _predict(model, xs)
        data = ember.convert(path)
        assert_close(run_ember(data, xs)[0], want[0], rtol=RTOL, what=f"{model.name} in Ember")
        need(_litert_available(), "ai-edge-litert is not installed")
        assert_close(litert(data, xs)[0], want[0], rtol=RTOL, what=f"{model.name} in LiteRT")


def test_malformed_config(tmp_path):
    import zipfile

    import ember
    from ember.converter.ir import ConversionError
    p = tmp_path / "bad.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", '{"class_name": "Functional", "config": {"layers": '
                                  '[{"class_name": "Dense", "config": {}, "inbound_nodes": '
                                  '[{"args": [{"class_name": "__keras_tensor__", "config": '
                                  '{"keras_history": ["nowhere", 0, 0]}}]}]}]}}')
    with pytest.raises(ConversionError, match="no layer produces"):
        ember.convert(p)
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", '{"class_name": "Functional", "config": {"layers": 3}}')
    with pytest.raises(ConversionError, match="malformed"):
        ember.convert(p)
