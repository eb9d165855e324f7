"""The ``ember`` command line: ``ember convert``, ``ember run``, ``ember inspect``,
``ember bench`` (``ember boards`` and ``ember micro`` arrive with the microcontroller issue).

Conventions: errors print one line (what, where, what to do) and exit 1 with no
traceback (``--debug`` shows it); usage errors exit 2 (argparse).
"""
import argparse
import sys

from ember.cli import bench_cmd, boards_cmd, convert_cmd, inspect_cmd, run_cmd

EXAMPLES = """examples:
  ember convert model.tflite -o model.rewritten.tflite
  ember inspect examples/demo_model.tflite
  ember inspect model.tflite --json > model.json
  ember run examples/demo_model.tflite
  ember run model.tflite --input image=x.npy -o out.npz --threads 2
  ember bench model.tflite --vs litert --profile
"""


def build_parser():
    p = argparse.ArgumentParser(prog="ember", description="Ember: convert, run, inspect and time TFLite-format models.",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    convert_cmd.add_parser(sub)
    run_cmd.add_parser(sub)
    inspect_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    boards_cmd.add_parser(sub)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130
    except Exception as e:          # noqa: BLE001 - one clear line, not a traceback
        if args.debug:
            raise
        msg = str(e) or type(e).__name__
        print(f"ember {args.command}: error: {msg}", file=sys.stderr)
        return 1
