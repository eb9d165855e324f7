"""Whole keras.applications models (random weights, randomised normalisation statistics)
converted by the Keras frontend and matched against Keras' predict in Ember and LiteRT."""
import pathlib
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

# (application, input size); the smallest inputs each architecture accepts cheaply
MODELS = {"MobileNetV2": 96, "MobileNetV3Small": 96, "EfficientNetB0": 96, "ResNet50": 64}
# legacy .h5 is checked on the smallest model only (the others' files are large and slow)
H5_TOO = {"MobileNetV3Small"}


@pytest.fixture(scope="module", params=list(MODELS))
def app(request, tmp_path_factory):
    try:
        import keras
    except ImportError:
        keras = None
    need(keras is not None, "keras is not installed")
    size = MODELS[request.param]
    model = getattr(keras.applications, request.param)(
        input_shape=(size, size, 3), weights=None, classifier_activation=None)
    K.randomize(model)
    x = np.random.default_rng(0).uniform(0, 255, (1, size, size, 3)).astype(np.float32)
    d = tmp_path_factory.mktemp(request.param)
    paths = [d / "m.keras"] + ([d / "m.h5"] if request.param in H5_TOO else [])
    for p in paths:
        model.save(p)
    return request.param, paths, x, np.asarray(model.predict(x, verbose=0))


def test_application(app):
    import ember
    name, paths, x, want = app
    assert np.isfinite(want).all() and np.abs(want).max() > 0
    try:
        import ai_edge_litert.interpreter  # noqa: F401
        have_litert = True
    except ImportError:
        have_litert = False
    need(have_litert, "ai-edge-litert is not installed")
    for p in paths:
        data = ember.convert(p)
        for who, run in (("ember", run_ember), ("litert", litert)):
            (got,) = run(data, [x])
            assert_close(got, want, rtol=RTOL, what=f"{name} from {p.suffix}, {who}")
