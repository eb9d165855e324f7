"""ember.convert: any supported source model to .tflite bytes."""
import os

from ember.converter.ir import ConversionError

QUANTIZE_MODES = (None, "dynamic", "float16", "int8", "int16x8")


def convert(source, *, output=None, quantize=None, calibration=None, input_type=None,
            output_type=None, input_shapes=None, nhwc=False, calibration_method="minmax",
            strict_int8=False, report=None, **options):
    """Converts ``source`` to a .tflite flatbuffer and returns its bytes.

    source: a path (.keras, .h5, .onnx, .tflite), a keras.Model or an onnx.ModelProto.
    output: also write the bytes to this path.
    quantize: None, "dynamic", "float16", "int8" or "int16x8" (see ember.quantize).
    calibration: int8/int16x8 samples: a .npy/.npz path, an array, a dict by input name
      or an iterable of samples (like TensorFlow's representative_dataset).
    calibration_method: "minmax" (default), "percentile" or "mse".
    input_type, output_type: "int8"/"uint8" (or "int16" for int16x8) for integer I/O.
    strict_int8: fail instead of leaving ops without integer kernels in float.
    report: also write a quantisation report (.html or .md) to this path.
    input_shapes: {input name: shape} overrides for unknown dimensions.
    nhwc: give image models NHWC inputs/outputs (ONNX sources keep NCHW by default).
    """
    from ember.converter.passes import optimize
    from ember.schema.writer import write

    if quantize not in QUANTIZE_MODES:
        raise ConversionError(f"unknown quantisation mode {quantize!r} (choose from "
                              f"{', '.join(m for m in QUANTIZE_MODES if m)})")
    if quantize is None and (calibration is not None or input_type not in (None, "float32")
                             or output_type not in (None, "float32") or report is not None):
        raise ConversionError("calibration, input/output types and --report need a "
                              "quantisation mode (quantize=...)")
    model = load(source, input_shapes=input_shapes, nhwc=nhwc, **options)
    model = optimize(model)
    if quantize is not None:
        from ember.quantize import quantize as _quantize
        if report is not None and calibration is None:
            raise ConversionError("--report compares the quantised model with the float one on "
                                  "calibration data: give --calibration too")
        float_data = None
        if report is not None:
            from ember.quantize.data import reusable
            calibration = reusable(calibration)     # read by calibration, then by the report
            float_data = write(model)
        # float16/dynamic need no calibration; with --report the data is for the report only.
        needs_data = quantize in ("int8", "int16x8") or report is None
        model = _quantize(model, quantize, calibration if needs_data else None,
                          calibration_method=calibration_method,
                          input_type=input_type, output_type=output_type, strict_int8=strict_int8)
    data = write(model)
    if quantize is not None and report is not None:
        from ember.quantize import report as _report
        _report(float_data, data, calibration, path=report)
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
