"""ember convert SRC -o OUT.tflite [--quantize MODE] [--calibration FILE] [--input-type T] [--output-type T]"""
import argparse
import os
import sys

from ember.progress import progress

EXAMPLES = """examples:
  ember convert examples/demo_model.tflite -o demo.tflite
  ember convert model.keras -o model.tflite
  ember convert model.onnx -o model.tflite --input-shape input=1,3,224,224
  ember convert model.onnx -o model.tflite --nhwc
  ember convert model.tflite -o model_int8.tflite --quantize int8 --calibration samples.npy
  ember convert model.keras -o model_int8.tflite --quantize int8 --calibration samples.npz \
        --strict-int8 --report report.html
"""


def add_parser(sub):
    p = sub.add_parser("convert", help="convert a model to .tflite",
                       description="Converts SRC (.keras, .h5, .onnx or .tflite) to an optimised "
                                   ".tflite flatbuffer, without TensorFlow, and optionally quantises it "
                                   "(float16, dynamic, int8, int16x8).",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="the source model")
    p.add_argument("-o", "--output", required=True, help="the .tflite file to write")
    p.add_argument("--quantize", choices=["dynamic", "float16", "int8", "int16x8"],
                   help="float16: half-size weights; dynamic: int8 weights, float maths; int8: full "
                        "integer (needs --calibration); int16x8: int16 activations, int8 weights")
    p.add_argument("--calibration", metavar="FILE", help=".npy (samples on axis 0) or .npz (per input)")
    p.add_argument("--calibration-method", choices=["minmax", "percentile", "mse"], default="minmax",
                   help="how calibration picks each tensor's range (default minmax, as TensorFlow)")
    p.add_argument("--input-type", choices=["float32", "int8", "uint8", "int16"],
                   help="graph input type for int8/int16x8 (default float32)")
    p.add_argument("--output-type", choices=["float32", "int8", "uint8", "int16"],
                   help="graph output type for int8/int16x8 (default float32)")
    p.add_argument("--strict-int8", action="store_true",
                   help="fail, naming them, if any op would stay float (Edge TPU, microcontrollers)")
    p.add_argument("--report", metavar="FILE",
                   help="write a quantisation report (.html or .md): per-tensor scale, zero point, "
                        "SQNR and max error vs the float model on the calibration data")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="fix an input's unknown dimensions; repeatable")
    p.add_argument("--nhwc", action="store_true",
                   help="ONNX sources: give 4-D image inputs and outputs NHWC layout instead of "
                        "the model's NCHW (no transposes left at the edges)")
    p.set_defaults(func=run)


def _shapes(specs):
    out = {}
    for spec in specs:
        name, _, dims = spec.partition("=")
        try:
            out[name] = [int(d) for d in dims.split(",")]
        except ValueError:
            raise ValueError(f"--input-shape {spec!r}: write it as NAME=1,224,224,3") from None
        if not name or not out[name]:
            raise ValueError(f"--input-shape {spec!r}: write it as NAME=1,224,224,3")
    return out


def run(args):
    import ember
    if not os.path.exists(args.source):
        raise ValueError(f"no such source model: {args.source}")
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", _quant_warning())
        with progress(desc=f"converting {os.path.basename(args.source)}"):    # a spinner after 1 s
            data = ember.convert(args.source, output=args.output, quantize=args.quantize,
                                 calibration=args.calibration, input_type=args.input_type,
                                 output_type=args.output_type,
                                 input_shapes=_shapes(args.input_shape) or None,
                                 nhwc=args.nhwc, calibration_method=args.calibration_method,
                                 strict_int8=args.strict_int8, report=args.report)
    for w in caught:        # quantisation fallbacks: one line each, not Python's warning format
        print(f"ember convert: warning: {w.message}", file=sys.stderr)
    print(f"wrote {args.output} ({len(data):,} bytes) from {args.source} "
          f"({os.path.getsize(args.source):,} bytes)")
    if args.report:
        from ember.quantize.report import last_summary
        print(f"wrote {args.report}")
        print(last_summary())


def _quant_warning():
    from ember.quantize import QuantizationWarning
    return QuantizationWarning
