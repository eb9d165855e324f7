"""The real converter-made models in ../shared/models (see its README), for tests.

Set EMBER_MODELS_DIR to use another copy of the models. They come unchanged
from the ``mediapipe==0.10.14`` wheel on PyPI (``pip download mediapipe==0.10.14
--no-deps`` and unzip ``mediapipe/modules/*/*.tflite``); SHA256SUMS pins them.
Missing files skip a test outside CI and fail it under CI=true.
"""
import hashlib
import os
import pathlib

from conftest import need

REPO = pathlib.Path(__file__).resolve().parents[1]
# Input value ranges MediaPipe's graphs feed these models (ImageToTensorCalculator
# output_tensor_float_range); others default to [0, 1].
INPUT_RANGE = {
    "face_detection_short_range.tflite": (-1.0, 1.0),
    "hand_landmark_lite.tflite": (0.0, 1.0),
    "palm_detection_lite.tflite": (0.0, 1.0),
    "selfie_segmentation.tflite": (0.0, 1.0),
}
MODELS = sorted(INPUT_RANGE)

WHERE = ("get them from the mediapipe==0.10.14 wheel on PyPI (pip download mediapipe==0.10.14 "
         "--no-deps; unzip mediapipe/modules/*/*.tflite) and point EMBER_MODELS_DIR at the folder")


def models_dir():
    return pathlib.Path(os.environ.get("EMBER_MODELS_DIR") or (REPO.parent / "shared" / "models"))


def _sums(folder):
    sums = {}
    f = folder / "SHA256SUMS"
    if f.exists():
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                sums[parts[1].lstrip("*")] = parts[0]
    return sums


def model_file(name):
    """Path of a real model, checked against SHA256SUMS; skip (fail in CI) if absent."""
    folder = models_dir()
    path = folder / name
    need(path.exists(), f"real model {path} is missing: {WHERE}")
    sums = _sums(folder)
    if name in sums:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == sums[name], f"{path}: SHA256 {digest} != SHA256SUMS {sums[name]}"
    return path
