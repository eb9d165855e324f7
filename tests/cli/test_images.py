"""`ember run` with images: resize, layout, normalisation (flags, TFLite metadata, defaults) and
quantisation, checked against Pillow's own resize and the Python API on the same tensor."""
import sys

import flatbuffers
import numpy as np
import pytest

import ember
from clihelp import DEMO, ember_cli
from conftest import need
from ember.cli import metadata
from ember.schema.builder import ModelBuilder
from real_models import INPUT_RANGE, MODELS, model_file

try:
    from PIL import Image
except ImportError:                                # pragma: no cover
    Image = None


@pytest.fixture(autouse=True)
def _pillow():
    need(Image is not None, "pillow is not installed (requirements-test.txt)")


def api_run(model, x):
    it = ember.Interpreter(model_path=str(model)) if not isinstance(model, bytes) else ember.Interpreter(model_content=model)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def cli_outputs(tmp_path, model, *args):
    out = tmp_path / "y.npz"
    r = ember_cli("run", model, *args, "-o", out)
    assert r.returncode == 0, r.stderr
    return r, np.load(out)


def pixels(shape, seed=0):
    return (np.random.default_rng(seed).random(shape) * 255).astype(np.uint8)


def test_grey_png_at_the_input_size_is_pixels_over_255(tmp_path):
    p = pixels((16, 16))
    Image.fromarray(p, "L").save(tmp_path / "d.png")
    r, got = cli_outputs(tmp_path, DEMO, "--input", tmp_path / "d.png")
    assert "p / 255" in r.stdout
    want = api_run(DEMO, (p.astype(np.float32) / 255).reshape(1, 16, 16, 1))[0]
    np.testing.assert_allclose(got["probabilities"], want, rtol=1e-6, atol=1e-7)


def test_flags_normalise_and_colour_converts_to_grey(tmp_path):
    p = pixels((16, 16, 3), seed=1)
    Image.fromarray(p, "RGB").save(tmp_path / "c.png")
    _r, got = cli_outputs(tmp_path, DEMO, "--input", f"image={tmp_path / 'c.png'}",
                          "--mean", "127.5", "--std", "127.5")
    grey = np.asarray(Image.fromarray(p, "RGB").convert("L"), np.float64)   # Pillow's own conversion
    x = ((grey - 127.5) / 127.5).astype(np.float32).reshape(1, 16, 16, 1)
    np.testing.assert_allclose(got["probabilities"], api_run(DEMO, x)[0], rtol=1e-6, atol=1e-7)
    _r, got = cli_outputs(tmp_path, DEMO, "--input", f"0={tmp_path / 'c.png'}", "--scale", "2/255", "--mean", "1")
    x = (grey * (2 / 255) - 1).astype(np.float32).reshape(1, 16, 16, 1)
    np.testing.assert_allclose(got["probabilities"], api_run(DEMO, x)[0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [m for m in MODELS if m != "palm_detection_lite.tflite"])
def test_real_model_metadata_gives_mediapipes_input_range(name):
    """The metadata reader agrees with the ranges MediaPipe's graphs feed these models."""
    it = ember.Interpreter(model_path=str(model_file(name)))
    norm = metadata.from_model(it._model)
    assert len(norm) == 1 and norm[0] is not None
    lo, hi = INPUT_RANGE[name]
    m, s = np.asarray(norm[0]["mean"]), np.asarray(norm[0]["std"])
    np.testing.assert_allclose((0 - m) / s, lo, atol=1e-6)
    np.testing.assert_allclose((255 - m) / s, hi, atol=1e-6)


def test_real_model_resized_and_normalised_by_its_metadata(tmp_path):
    name = "face_detection_short_range.tflite"
    path = model_file(name)
    p = pixels((40, 30, 3), seed=2)                      # 30 wide, 40 high
    Image.fromarray(p, "RGB").save(tmp_path / "face.png")
    r, got = cli_outputs(tmp_path, path, "--input", tmp_path / "face.png")
    assert "30x40 -> 128x128" in r.stdout and "model metadata" in r.stdout
    resized = np.asarray(Image.fromarray(p, "RGB").resize((128, 128), Image.BILINEAR), np.float64)
    lo, hi = INPUT_RANGE[name]
    x = (resized / 255 * (hi - lo) + lo).astype(np.float32)[None]
    want = api_run(path, x)
    it = ember.Interpreter(model_path=str(path))
    names = [d["name"] for d in it.get_output_details()]
    for n, w in zip(names, want):
        np.testing.assert_allclose(got[n], w, rtol=1e-4, atol=1e-4)


def identity_model(shape, dtype="float32", quant=None, meta=None):
    """input -> (DEQUANTIZE | ADD 0) -> float output, so the output shows what was fed."""
    b = ModelBuilder(description="image probe")
    x = b.input("image", shape, dtype, quant=quant)
    y = b.tensor("y", shape, "float32")
    if dtype == "float32":
        b.op("ADD", [x, b.const("zero", np.zeros([1], np.float32))], [y], options=("AddOptions", {}))
    else:
        b.op("DEQUANTIZE", [x], [y])
    b.output(y)
    if meta is not None:
        b.metadata("TFLITE_METADATA", meta)
    return b.build()


def test_nchw_input_gets_channels_first(tmp_path):
    model = tmp_path / "nchw.tflite"
    model.write_bytes(identity_model([1, 3, 8, 8]))
    p = pixels((8, 8, 3), seed=3)
    Image.fromarray(p, "RGB").save(tmp_path / "i.png")
    r, got = cli_outputs(tmp_path, model, "--input", tmp_path / "i.png")
    assert "NCHW" in r.stdout
    np.testing.assert_allclose(got["y"], (p.transpose(2, 0, 1)[None] / 255).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("dtype,zp", [("int8", -128), ("uint8", 0)])
def test_quantised_input_uses_its_scale_and_zero_point(tmp_path, dtype, zp):
    model = tmp_path / "q.tflite"
    model.write_bytes(identity_model([1, 4, 4, 3], dtype, quant={"scale": [1 / 255], "zero_point": [zp]}))
    p = pixels((4, 4, 3), seed=4)
    Image.fromarray(p, "RGB").save(tmp_path / "i.png")
    r, got = cli_outputs(tmp_path, model, "--input", tmp_path / "i.png")
    assert "quantised with scale" in r.stdout
    # [0, 1] quantised with scale 1/255 is the pixel itself, shifted by the zero point;
    # DEQUANTIZE (the core's own) turns it back into p / 255.
    q = (p.astype(np.int32) + zp).astype(dtype)[None]
    np.testing.assert_array_equal(got["y"], api_run(model.read_bytes(), q)[0])


def metadata_blob(mean, std):
    """A TFLITE_METADATA flatbuffer (metadata_schema.fbs) with NormalizationOptions for input 0."""
    b = flatbuffers.Builder(256)

    def floats(vals):
        b.StartVector(4, len(vals), 4)
        for v in reversed(vals):
            b.PrependFloat32(v)
        return b.EndVector()

    m, s = floats(mean), floats(std)
    b.StartObject(2); b.PrependUOffsetTRelativeSlot(0, m, 0); b.PrependUOffsetTRelativeSlot(1, s, 0)
    norm = b.EndObject()
    b.StartObject(2); b.PrependUint8Slot(0, 1, 0); b.PrependUOffsetTRelativeSlot(1, norm, 0)
    unit = b.EndObject()
    b.StartVector(4, 1, 4); b.PrependUOffsetTRelative(unit); units = b.EndVector()
    name = b.CreateString("image")
    b.StartObject(7); b.PrependUOffsetTRelativeSlot(0, name, 0); b.PrependUOffsetTRelativeSlot(4, units, 0)
    tensor = b.EndObject()
    b.StartVector(4, 1, 4); b.PrependUOffsetTRelative(tensor); inputs = b.EndVector()
    b.StartObject(7); b.PrependUOffsetTRelativeSlot(2, inputs, 0)
    sg = b.EndObject()
    b.StartVector(4, 1, 4); b.PrependUOffsetTRelative(sg); sgs = b.EndVector()
    b.StartObject(8); b.PrependUOffsetTRelativeSlot(3, sgs, 0)
    root = b.EndObject()
    b.Finish(root, file_identifier=b"M001")
    return bytes(b.Output())


def test_metadata_normalisation_per_channel_and_flags_override_it(tmp_path):
    model = tmp_path / "meta.tflite"
    mean, std = [10.0, 20.0, 30.0], [2.0, 4.0, 8.0]
    model.write_bytes(identity_model([1, 4, 4, 3], meta=metadata_blob(mean, std)))
    p = pixels((4, 4, 3), seed=5)
    Image.fromarray(p, "RGB").save(tmp_path / "i.png")
    r, got = cli_outputs(tmp_path, model, "--input", tmp_path / "i.png")
    assert "model metadata" in r.stdout
    want = ((p - np.array(mean)) / np.array(std)).astype(np.float32)[None]
    np.testing.assert_allclose(got["y"], want, rtol=1e-6)
    _r, got = cli_outputs(tmp_path, model, "--input", tmp_path / "i.png", "--scale", "1/255")
    np.testing.assert_allclose(got["y"], (p / 255).astype(np.float32)[None], rtol=1e-6)


def test_malformed_metadata_reads_as_none():
    blob = metadata_blob([1.0], [2.0])
    assert metadata.input_normalization(blob)[0]["std"] == [2.0]
    for cut in (8, 20, len(blob) // 2, len(blob) - 4):
        metadata.input_normalization(blob[:cut])     # no exception, whatever it finds
    assert metadata.input_normalization(b"\xff" * 64) == []


def test_image_errors_are_one_clean_line(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    r = ember_cli("run", DEMO, "--input", bad)
    assert r.returncode == 1 and "cannot read" in r.stderr and "Traceback" not in r.stderr
    model = tmp_path / "flat.tflite"
    b = ModelBuilder()
    x = b.input("v", [1, 8], "float32")
    y = b.tensor("y", [1, 8], "float32")
    b.op("RELU", [x], [y])
    b.output(y)
    model.write_bytes(b.build())
    Image.fromarray(pixels((8, 8)), "L").save(tmp_path / "i.png")
    r = ember_cli("run", model, "--input", tmp_path / "i.png")
    assert r.returncode == 1 and "4-D input" in r.stderr and "Traceback" not in r.stderr
    r = ember_cli("run", DEMO, "--input", tmp_path / "i.png", "--mean", "1,2")
    assert r.returncode == 1 and "--mean has 2 values" in r.stderr


def test_missing_pillow_says_how_to_install_it(tmp_path):
    import subprocess
    Image.fromarray(pixels((16, 16)), "L").save(tmp_path / "i.png")
    code = ("import sys; sys.modules['PIL'] = None\nfrom ember.cli import main\n"
            f"sys.exit(main(['run', {str(DEMO)!r}, '--input', {str(tmp_path / 'i.png')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "pip install 'ember[images]'" in r.stderr and "Traceback" not in r.stderr
