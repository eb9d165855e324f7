"""--strip-errors and --no-verify: the copies of core files a release build compiles.

platform.h turns formatting into a no-op and src/ember_strip.h drops the
messages of ember_fail calls, but format strings passed to the core's own
message helpers would still be linked. Each helper's definition is copied with
its name in parentheses, `(bad)(...)`, and a macro after it passes "" for the
message, so the strings vanish while every status code stays. A helper that is
not found as expected is left alone: its messages stay, nothing breaks."""
import re

_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')

# file -> [(helper, macro replacing its calls)]
HELPERS = {
    "runtime.c": [("ember_fail", None),          # the macro is in src/ember_strip.h
                  ("interp_fail", '#define interp_fail(it, code, ...) (interp_fail)((it), (code), "%s", "")')],
    "model.c": [("bad", '#define bad(L, ...) (bad)((L), "%s", "")')],
    "fb.c": [("fail", '#define fail(v, table, field, what) (fail)((v), "", "", "")')],
}


def schema_c(text):
    """schema_generated.c with every name string emptied (preprocessor lines kept):
    no lookup depends on them, only messages."""
    return "\n".join(line if line.lstrip().startswith("#") else _STRING.sub('""', line)
                     for line in text.split("\n"))


_TABLE_ROW = re.compile(r'^(\s*\{)("[^"]*"), (\d+), fields_(\w+)(\},?)$', re.M)


def trim_tables(text, keep):
    """schema_generated.c for a build without the verifier: only the option tables in `keep`
    (those the model's operators carry) keep their field descriptions, the one thing the
    runtime reads them for (ember_opt_*); the others' field arrays drop out of flash."""
    def row(m):
        if m.group(4) in keep:
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}, 0, 0{m.group(5)}"
    return _TABLE_ROW.sub(row, text)


def core_file(name, text):
    """(the stripped copy of core file `name`, {helper: stripped?})."""
    done = {}
    for helper, macro in HELPERS.get(name, []):
        pat = re.compile(rf"^((?:static\s+)?(?:ember_status|int)\s+){helper}(\s*\()", re.M)
        m = list(pat.finditer(text))
        if len(m) != 1 or m[0].group(0).rstrip().endswith(";"):
            done[helper] = False
            continue
        start = m[0].start()
        head = f"{m[0].group(1)}({helper}){m[0].group(2)}"
        rest = text[m[0].end():]
        body_end = _function_end(rest)
        if body_end is None:
            done[helper] = False
            continue
        after = rest[:body_end] + (f"\n{macro}\n" if macro else "")
        text = text[:start] + head + after + rest[body_end:]
        done[helper] = True
    return text, done


def _function_end(rest):
    """Index just past the closing brace of the definition that starts in `rest`."""
    i = rest.find("{")
    if i < 0 or ";" in rest[:i]:
        return None
    depth, quote, j = 0, None, i
    while j < len(rest):
        c = rest[j]
        if quote:                         # braces inside literals do not count
            if c == "\\":
                j += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None
