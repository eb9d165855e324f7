"""ember boards [--json]: the boards Ember knows, with CPU, memory and how to run them."""
import argparse
import json

from ember import boards

EXAMPLES = """examples:
  ember boards                       # the table: cpu, FPU / float ABI, RAM, flash, clock, how to run
  ember boards --json                # every board's data file (flags, memory map, emulator)
  ember boards --json | python -c "import json,sys; print([b['name'] for b in json.load(sys.stdin) if b['emulated']])"

Use a board's name with `ember micro build MODEL --board NAME -o DIR`; boards marked
"emulated" also take `ember micro run`. Linux boards run models with the host interpreter
(`ember run`).
"""


def add_parser(sub):
    p = sub.add_parser("boards", help="list the boards (microcontrollers and Linux boards)",
                       description="Lists every board Ember knows: CPU, FPU/float ABI, RAM, flash, "
                                   "clock, and whether `ember micro run` can emulate it.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the board data as JSON")
    p.set_defaults(func=run)


def _size(n):
    if n is None:
        return "-"
    if n >= 1 << 30 and n % (1 << 30) == 0:
        return f"{n >> 30} GB"
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    return f"{n >> 10} KB" if n % 1024 == 0 else f"{n} B"


def _how(b):
    if b.kind == "linux":
        return "Linux: host interpreter"
    if b.emulated:
        return f"emulated: qemu {b.emulator['machine']}"
    if b.project_only:
        return "project only (no toolchain)"
    return f"build ({b.toolchain})"


def run(args):
    all_b = boards.all_boards()
    if args.json:
        print(json.dumps([b.as_dict() for b in all_b], indent=2))
        return 0
    rows = [("board", "cpu", "fpu / float ABI", "ram", "flash", "clock", "how")]
    for b in all_b:
        fpu = f"{b.fpu or 'none'} / {b.float_abi}" if b.kind == "mcu" else "-"
        ram = b.ram_note or _size(b.ram_bytes)
        rows.append((b.name, b.cpu, fpu, ram, _size(b.flash_bytes), f"{b.clock_hz / 1e6:g} MHz", _how(b)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0
