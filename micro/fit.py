"""Will it fit? The refusal before building, and the memory report after.

precheck runs no compiler: the model's bytes against the board's flash and the
planner's activation arena (from the host interpreter, on the same reference-kernel
path the device uses) against its RAM. The report adds the exact plan (probe), the
ELF's sizes and a stack estimate, and totals them against the board."""
import json
import os
import pathlib

from .errors import MicroError


def _kb(n):
    return f"{n / 1024:,.1f} KB" if n is not None else "?"


def host_arena(data):
    """(activation arena, persistent) of the host interpreter on the reference
    kernels (what a micro build plans); None when the host cannot prepare it."""
    import ember
    old = os.environ.get("EMBER_KERNEL_PATH")
    os.environ["EMBER_KERNEL_PATH"] = "ref"
    try:
        it = ember.Interpreter(model_content=data)
        it.allocate_tensors()
        return it.arena_size()
    except Exception:  # noqa: BLE001 - the probe reports the real reason later
        return None
    finally:
        if old is None:
            os.environ.pop("EMBER_KERNEL_PATH", None)
        else:
            os.environ["EMBER_KERNEL_PATH"] = old


def _advice(info, board):
    tips = []
    if any(str(d) == "float32" for _n, _s, d in info.inputs + info.outputs):
        tips.append("quantise to int8 (weights and activations shrink 4x)")
    tips.append("a smaller input (resolution/sequence length) shrinks the activation arena")
    tips.append("fewer or narrower layers shrink the weights")
    return "; ".join(tips)


def precheck(data, info, board):
    """Raises MicroError, with the numbers and what to try, when the model cannot fit."""
    problems = []
    if board.flash_bytes is not None and len(data) > board.flash_bytes:
        problems.append(f"the model alone is {_kb(len(data))} but {board.name} has {_kb(board.flash_bytes)} "
                        f"of flash")
    ha = host_arena(data)
    if ha is not None and ha[0] + ha[1] > board.ram_bytes:
        problems.append(f"its activations need {_kb(ha[0])} of arena (+{_kb(ha[1])} persistent) but "
                        f"{board.name} has {_kb(board.ram_bytes)} of RAM")
    if problems:
        raise MicroError(f"the model does not fit {board.name} ({board.cpu}): " + "; ".join(problems)
                         + ". Try: " + _advice(info, board) + ".")


def report(board, data, info, plan, arena_bytes, aot=False, sizes=None, noverify_sizes=None, stack=None):
    planned = sum(s["arena"] for s in plan["subgraphs"])
    persistent = plan["persistent"]
    r = {
        "board": board.name, "cpu": board.cpu, "aot": aot, "ops": info.ops,
        "model_bytes": len(data),
        "arena": {"planned": planned, "persistent_host": persistent,
                  "bookkeeping_host": (max(0, arena_bytes - planned - persistent) if aot else
                                       max(0, plan["used_peak"] - planned - persistent)),
                  "given": arena_bytes,
                  "note": "planned is exact (the device's planner on the same kernels); persistent and "
                          "bookkeeping are measured on a 64-bit host, an upper bound of the 32-bit device"},
        "flash": {"capacity": board.flash_bytes},
        "ram": {"capacity": board.ram_bytes},
        "stack_estimate": stack,
    }
    if sizes:
        flash_total = sizes["text"] + sizes["data"]
        weights = len(data) if not aot else info_const_bytes(info)
        r["flash"].update(text=sizes["text"], data=sizes["data"], total=flash_total,
                          model=weights, code=flash_total - weights,
                          fits=board.flash_bytes is None or flash_total <= board.flash_bytes)
        ram_total = sizes["bss"] + sizes["data"] + (stack or 0)
        r["ram"].update(bss=sizes["bss"], data=sizes["data"], stack=stack, total=ram_total,
                        fits=ram_total <= board.ram_bytes)
        if noverify_sizes:
            r["verifier_bytes"] = sizes["text"] - noverify_sizes["text"]
        if not (r["flash"]["fits"] and r["ram"]["fits"]):
            r["fits"] = False
        else:
            r["fits"] = True
    return r


def info_const_bytes(info):
    """Bytes of constant tensor data (what the AOT build stores as C arrays)."""
    m = info.model
    used = set()
    for sg in m.subgraphs:
        for t in sg.tensors or []:
            if t.buffer:
                used.add(t.buffer)
    total = 0
    for b in used:
        buf = m.buffers[b]
        if buf.data is not None:
            total += len(buf.data)
    return total


def save(report, out_dir):
    pathlib.Path(out_dir, "report.json").write_text(json.dumps(report, indent=2) + "\n")


def format_report(r, device=None):
    a, fl, ram = r["arena"], r["flash"], r["ram"]
    opts = r.get("options") or {}
    extra = [o for o, on in (("error strings stripped", opts.get("strip_errors")),
                             ("no verifier", not r["aot"] and opts.get("verify") is False)) if on]
    lines = [f"{'AOT' if r['aot'] else 'interpreted'} build for {r['board']} ({r['cpu']})"
             f"{' [' + ', '.join(extra) + ']' if extra else ''}, ops: {', '.join(r['ops'])}",
             f"  model           {r['model_bytes']:>10,} B"]
    if "text" in fl:
        lines += [f"  code            {fl['code']:>10,} B   (ELF text+data {fl['total']:,} B minus the model's "
                  f"{fl['model']:,} B)"]
        if "verifier_bytes" in r:
            lines.append(f"  verifier        {r['verifier_bytes']:>10,} B   of that code (EMBER_NO_VERIFY drops it)")
    lines += [f"  arena planned   {a['planned']:>10,} B   (exact: activations + scratch)",
              f"  persistent      {a['persistent_host']:>10,} B   (64-bit host; device is less)",
              f"  bookkeeping     {a['bookkeeping_host']:>10,} B   (64-bit host; device is less)",
              f"  arena given     {a['given']:>10,} B   (EMBER_MICRO_ARENA_BYTES)"]
    if device:
        lines.append(f"  arena used      {device['arena_used']:>10,} B   (measured on the device: planned "
                     f"{device['arena_planned']:,} + persistent {device['persistent']:,} + bookkeeping)")
        lines.append(f"  stack used      {device['stack_used']:>10,} B   (measured, painted stack)")
    if r.get("stack_estimate") is not None:
        lines.append(f"  stack estimate  {r['stack_estimate']:>10,} B   (gcc call graph)")
    if "total" in fl:
        cap = f"{fl['capacity']:,}" if fl["capacity"] else "?"
        lines.append(f"  flash total     {fl['total']:>10,} B   of {cap} B ({'fits' if fl['fits'] else 'DOES NOT FIT'})")
        lines.append(f"  RAM total       {ram['total']:>10,} B   of {ram['capacity']:,} B ({'fits' if ram['fits'] else 'DOES NOT FIT'})"
                     f"  (bss {ram['bss']:,} + data {ram['data']:,} + stack {ram['stack'] or 0:,})")
    if r.get("built") and r["built"] != "built":
        lines.append(f"  {r['built']}")
    return "\n".join(lines)
