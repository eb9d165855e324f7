"""ember micro build MODEL --board B -o DIR [--aot] [--strip-errors] [--no-verify]
| ember micro run MODEL --board B --input x.npy -o y.npy"""
import argparse

import numpy as np

EXAMPLES = """examples:
  ember micro build digits_int8.tflite --board mps2-an386 -o fw/        # project + ELF + memory report
  ember micro build digits_int8.tflite --board rpi-pico -o fw/ --aot    # straight-line C, no flatbuffer
  ember micro build model.tflite --board stm32f746-disco -o fw/ --strip-errors --no-verify   # smallest
  ember micro build model.tflite --board esp32-s3 -o fw/ --no-compile  # only write the project
  ember micro run digits_int8.tflite --board mps2-an385 --input x.npy -o y.npy   # under QEMU
  ember micro run model.tflite --board mps3-an547 --aot --json          # seeded random input

`ember boards` lists the boards; the emulated ones (qemu-system-arm) are mps2-an385,
mps2-an386, mps2-an500 and mps3-an547. The report gives the model's bytes, the code size
from the ELF, the exact arena, persistent state, a stack estimate and the totals against the
board's RAM and flash; a model that cannot fit is refused before any compiler runs.
"""

BUILD_EXAMPLES = """examples:
  ember micro build model.tflite --board mps2-an386 -o fw/
  ember micro build model.tflite --board rpi-pico -o fw/ --aot --strip-errors
  ember micro build model.tflite --board arduino-nano-33-ble -o fw/ --json > report.json
"""

RUN_EXAMPLES = """examples:
  ember micro run model.tflite --board mps2-an386 --input x.npy -o y.npy
  ember micro run model.tflite --board mps2-an385 --aot --project fw/   # keep the project
  ember micro run model.tflite --board mps3-an547 -i a.npy -i b.npy -o out.npz
"""


def _size_options(p):
    p.add_argument("--strip-errors", action="store_true",
                   help="release build: keep status codes, drop error messages (smaller flash, like "
                        "TFLite Micro's TF_LITE_STRIP_ERROR_STRINGS)")
    p.add_argument("--no-verify", action="store_true",
                   help="leave out the flatbuffer verifier (only for models you trust; --aot has none)")


def add_parser(sub):
    p = sub.add_parser("micro", help="compile a model into firmware for a microcontroller board",
                       description="Builds a self-contained bare-metal project (the C core, the model, "
                                   "its op table, an example main, a Makefile) and reports whether it "
                                   "fits the board; `run` also executes it under QEMU.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    msub = p.add_subparsers(dest="micro_command", metavar="{build,run}")
    msub.required = True
    b = msub.add_parser("build", help="write (and compile, when the toolchain is installed) a project",
                        description="Writes a self-contained project for MODEL on the board (C core, "
                                    "the model as a const array, its op table, ember_micro.h, an "
                                    "example main.c, a Makefile), compiles it when the board's "
                                    "toolchain is installed and prints the memory report.",
                        epilog=BUILD_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("model", help="a .tflite file")
    b.add_argument("--board", required=True, help="a board name (see `ember boards`)")
    b.add_argument("-o", "--output", required=True, metavar="DIR", help="project directory")
    b.add_argument("--aot", action="store_true",
                   help="straight-line C with the plan baked in instead of the interpreter")
    b.add_argument("--no-compile", action="store_true", help="only write the project")
    _size_options(b)
    b.add_argument("--json", action="store_true", help="print the report as JSON")
    b.set_defaults(func=run_build)
    r = msub.add_parser("run", help="build for an emulated board and run it once under QEMU",
                        description="Builds MODEL for an emulated board, runs it once under "
                                    "qemu-system-arm (semihosting moves the tensors), saves the "
                                    "output and prints the report with the device's measured "
                                    "arena, stack and instruction count.",
                        epilog=RUN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("model", help="a .tflite file")
    r.add_argument("--board", required=True, help="an emulated board (mps2-an385/386/500, mps3-an547)")
    r.add_argument("--input", "-i", action="append", default=[], metavar="X.npy",
                   help="an input array (.npy), one per model input in order")
    r.add_argument("-o", "--output", metavar="Y.npy", help="save the first output (.npy; .npz for all)")
    r.add_argument("--aot", action="store_true", help="run the AOT build")
    r.add_argument("--project", metavar="DIR", help="keep the built project here")
    _size_options(r)
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    r.set_defaults(func=run_run)


def run_build(args):
    import json

    from ember import micro
    from ember.micro import fit
    rep = micro.build(args.model, args.board, args.output, aot=args.aot, compile=not args.no_compile,
                      strip_errors=args.strip_errors, verify=not args.no_verify)
    print(json.dumps(rep, indent=2) if args.json else fit.format_report(rep))
    print(f"project: {args.output}" if not args.json else "", end="\n" if not args.json else "")
    return 0


def _load(path):
    import os
    if not os.path.exists(path):
        raise ValueError(f"--input: no such file {path!r}")
    return np.load(path, allow_pickle=False)


def run_run(args):
    import json

    from ember import micro
    from ember.micro import fit
    from ember.micro.analyze import read
    with open(args.model, "rb") as f:
        data = f.read()
    info = read(data)
    xs = [_load(p) for p in args.input]
    if not xs:
        rng = np.random.default_rng(0)
        xs = [(rng.random(s) * 2 - 1).astype(d) if d.kind == "f" else
              rng.integers(-128, 128, size=s).astype(d) for _n, s, d in info.inputs]
        print(f"no --input given: seeded random input(s) for {', '.join(n for n, _s, _d in info.inputs)}")
    outs, rep = micro.run(data, args.board, xs, aot=args.aot, out_dir=args.project,
                          strip_errors=args.strip_errors, verify=not args.no_verify)
    if args.output:
        if args.output.endswith(".npz"):
            np.savez(args.output, **{n: o for (n, _s, _d), o in zip(info.outputs, outs)})
        else:
            np.save(args.output, outs[0])
    if args.json:
        print(json.dumps(rep, indent=2))
        return 0
    d = rep["device"]
    print(fit.format_report(rep, {"arena_used": d["arena_used"], "arena_planned": d["arena_planned"],
                                  "persistent": d["persistent"], "stack_used": d["stack_used"]}))
    print(f"  instructions    {d['instructions']:>10,}     (QEMU -icount, invoke only, "
          f"±{d['instruction_resolution']})")
    for (n, _s, _dt), o in zip(info.outputs, outs):
        print(f"output {n}: shape {list(o.shape)} {o.dtype}")
    return 0
