"""The ``ember`` command line: ``ember convert``, ``ember run``, ``ember inspect``,
``ember bench``, ``ember boards`` and ``ember micro``.

Conventions: errors print one line (what, where, what to do) and exit 1 with no
traceback (``--debug`` shows it); usage errors exit 2 (argparse). Colour only on
a terminal, never with NO_COLOR set or ``--no-color`` (ember.cli.style); progress
bars on stderr, only on a terminal (ember.progress). ``--debug`` and
``--no-color`` go before or after the subcommand.
"""
import argparse
import sys

from ember.cli import bench_cmd, boards_cmd, convert_cmd, inspect_cmd, micro_cmd, run_cmd
from ember.cli import style

EXAMPLES = """examples:
  ember convert model.tflite -o model.rewritten.tflite
  ember inspect examples/demo_model.tflite
  ember inspect model.tflite --json > model.json
  ember run examples/demo_model.tflite
  ember run model.tflite --input image=x.npy -o out.npz --threads 2
  ember bench model.tflite --vs litert --profile --plot profile.png

`ember COMMAND --help` shows each command's options and examples.
"""


def build_parser():
    p = argparse.ArgumentParser(prog="ember", description="Ember: convert, run, inspect and time TFLite-format models.",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    convert_cmd.add_parser(sub)
    run_cmd.add_parser(sub)
    inspect_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    boards_cmd.add_parser(sub)
    micro_cmd.add_parser(sub)
    _common_options(sub)
    return p


def _common_options(sub):
    """--debug and --no-color after the subcommand too. SUPPRESS keeps a subcommand
    that was not given them from overwriting what came before it."""
    for cmd in sub.choices.values():
        known = {s for a in cmd._actions for s in a.option_strings}
        if "--debug" not in known:
            cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show the traceback of an error")
        if "--no-color" not in known:
            cmd.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS,
                             help="plain text even on a terminal")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.no_color:
        style.disable()
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("ember: interrupted", file=sys.stderr)
        return 130
    except Exception as e:          # noqa: BLE001 - one clear line, not a traceback
        if args.debug:
            raise
        msg = str(e) or type(e).__name__
        head = style.paint(f"ember {args.command}: error:", "red", "bold", stream=sys.stderr)
        print(f"{head} {msg}", file=sys.stderr)
        return 1
