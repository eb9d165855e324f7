"""ember.convert: any supported source model to .tflite bytes."""
import os

from ember.converter.ir import ConversionError

QUANTIZE_MODES = (None, "dynamic", "float16", "int8", "int16x8")


def convert(source, *, output=None, quantize=None, calibration=None, input_type=None,
            output_type=None, input_shapes=None, nhwc=False, **options):
    """Converts ``source`` to a .tflite flatbuffer and returns its bytes.

    source: a path (.keras, .h5, .onnx, .tflite), a keras.Model or an onnx.ModelProto.
    output: also write the bytes to this path.
    quantize, calibration, input_type, output_type: quantisation (issue #4).
    input_shapes: {input name: shape} overrides for unknown dimensions.
    nhwc: give image models NHWC inputs/outputs (ONNX sources keep NCHW by default).
    """
    from ember.converter.passes import optimize
    from ember.schema.writer import write

    if quantize not in QUANTIZE_MODES:
        raise ConversionError(f"unknown quantisation mode {quantize!r} (choose from "
                              f"{', '.join(m for m in QUANTIZE_MODES if m)})")
    if quantize is not None or calibration is not None or input_type or output_type:
        raise ConversionError("quantisation is not implemented yet (issue #4); convert without "
                              "--quantize for a float model")
    model = load(source, input_shapes=input_shapes, nhwc=nhwc, **options)
    model = optimize(model)
    data = write(model)
    if output is not None:
        with open(os.fspath(output), "wb") as f:
            f.write(data)
    return data


def _frontend(name):
    import importlib
    return importlib.import_module(f"ember.converter.frontends.{name}")


def load(source, *, input_shapes=None, nhwc=False, **options):
    """Reads ``source`` into the converter IR (no passes run)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.exists(path):
            raise ConversionError(f"no such file: {path}")
        ext = os.path.splitext(path)[1].lower()
        if ext == ".tflite":
            with open(path, "rb") as f:
                return _frontend("tflite").read(f.read())
        if ext in (".keras", ".h5", ".hdf5"):
            return _frontend("keras").read(path, input_shapes=input_shapes, **options)
        if ext == ".onnx":
            return _frontend("onnx").read(path, input_shapes=input_shapes, nhwc=nhwc, **options)
        raise ConversionError(f"{path}: unsupported source format {ext or '(no extension)'} "
                              "(Ember converts .keras, .h5, .onnx and .tflite)")
    if isinstance(source, (bytes, bytearray)):
        return _frontend("tflite").read(bytes(source))
    kind = f"{type(source).__module__}.{type(source).__name__}"
    if kind.startswith("onnx") and type(source).__name__ == "ModelProto":
        return _frontend("onnx").read(source, input_shapes=input_shapes, nhwc=nhwc, **options)
    if kind.startswith("keras") or hasattr(source, "get_config") and hasattr(source, "layers"):
        return _frontend("keras").read(source, input_shapes=input_shapes, **options)
    raise ConversionError(f"cannot convert a {kind}: pass a path (.keras, .h5, .onnx, .tflite), "
                          "a keras.Model or an onnx.ModelProto")
