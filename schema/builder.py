"""Write .tflite models from Python.

``ModelBuilder`` assembles a ``ModelT`` (the flatc object API in
``ember.schema.schema_generated``) and serialises it with every buffer's data
aligned to 16 bytes (the Python flatbuffers builder ignores the schema's
``force_align``, so buffers are packed here explicitly).

Example::

    from ember.schema.builder import ModelBuilder
    b = ModelBuilder(description="test")          # b is also subgraph 0
    x = b.input("x", [1, 8, 8, 3], "float32")
    w = b.const("w", np.ones([4, 3, 3, 3], np.float32))
    y = b.tensor("y", [1, 8, 8, 4], "float32")
    b.op("CONV_2D", [x, w, -1], [y],
         options=("Conv2DOptions", {"padding": "SAME", "stride_w": 1, "stride_h": 1}))
    b.output(y)
    data = b.build()

Options are ``(TableName, {snake_case_field: value})``; enum fields take the
member name or an int, vector fields take lists/arrays, table fields take a
nested dict, union fields take another ``(TableName, dict)`` tuple.  Unknown
table, field, enum member and operator names raise ``ValueError``.
"""
import functools
import os

import flatbuffers
import numpy as np

from . import gen_c as _gen
from . import schema_generated as fb

__all__ = ["ModelBuilder", "SubgraphBuilder", "read_model", "write_model",
           "tensor_type", "BUFFER_ALIGNMENT"]

BUFFER_ALIGNMENT = 16
FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


# ----------------------------------------------------------------------------
# Schema introspection (from our own schema.fbs)
# ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _schema():
    return _gen.parse_file(os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.fbs"))


@functools.lru_cache(maxsize=None)
def _enum_members(enum_name):
    e = _schema().by_name.get(enum_name)
    if not isinstance(e, _gen.Enum):
        raise ValueError("unknown enum %r" % enum_name)
    return {name: val for name, val, _ in e.values}


def _enum_value(enum_name, value, what=None):
    members = _enum_members(enum_name)
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("%s: expected a %s member name or int, got %r"
                         % (what or enum_name, enum_name, value))
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        if value in members:
            return members[value]
        if value.upper() in members:
            return members[value.upper()]
    raise ValueError("%s: unknown %s member %r" % (what or enum_name, enum_name, value))


def _camel(snake):
    parts = snake.split("_")
    out = parts[0][:1].lower() + parts[0][1:]
    for p in parts[1:]:
        out += p[:1].upper() + p[1:]
    return out


def _attr_name(obj, field_name):
    cand = _camel(field_name)
    attrs = vars(obj)
    if cand in attrs:
        return cand
    norm = field_name.replace("_", "").lower()
    for a in attrs:
        if a.replace("_", "").lower() == norm:
            return a
    raise ValueError("%s: no attribute for field %r" % (type(obj).__name__, field_name))


def _table(name):
    d = _schema().by_name.get(name)
    if not isinstance(d, _gen.Compound) or d.kind != "table":
        raise ValueError("unknown table %r" % (name,))
    cls = getattr(fb, name + "T", None)
    if cls is None:
        raise ValueError("unknown table %r (no object-API class)" % (name,))
    return d, cls


def _union_for_table(table_name, unions=("BuiltinOptions", "BuiltinOptions2")):
    for uname in unions:
        u = _schema().by_name[uname]
        for label, tname, val, _ in u.members:
            if tname == table_name:
                return uname, val
    raise ValueError("table %r is not a member of %s" % (table_name, " or ".join(unions)))


def _convert_field(table_name, f, value):
    s = _schema()
    kind, tname = f.type[0], f.type[1]
    what = "%s.%s" % (table_name, f.name)
    d = s.by_name.get(tname)
    if value is None:
        return None
    if kind == "vector":
        if isinstance(value, (str, bytes)) and tname != "ubyte":
            raise ValueError("%s: expected a list" % what)
        if isinstance(d, _gen.Enum):
            return [_enum_value(tname, v, what) for v in value]
        if isinstance(d, _gen.Compound):
            return [_make_table(tname, v) for v in value]
        if tname == "string":
            return [v if isinstance(v, (str, bytes)) else str(v) for v in value]
        if tname == "bool":
            return [bool(v) for v in value]
        if isinstance(value, (bytes, bytearray, memoryview)):
            return list(bytes(value))
        if tname in _gen.SCALARS and _gen.SCALARS[tname][2]:
            return [float(v) for v in np.asarray(value).reshape(-1)]
        return [int(v) for v in np.asarray(value).reshape(-1)]
    if isinstance(d, _gen.Enum):
        return _enum_value(tname, value, what)
    if isinstance(d, _gen.Compound):
        return _make_table(tname, value)
    if tname == "string":
        return value
    if tname == "bool":
        return bool(value)
    if tname in _gen.SCALARS:
        return float(value) if _gen.SCALARS[tname][2] else int(value)
    raise ValueError("%s: unsupported field type %s" % (what, tname))


def _make_table(table_name, fields):
    """Build an object-API instance of ``table_name`` from a snake_case dict."""
    d, cls = _table(table_name)
    if isinstance(fields, cls):
        return fields
    if fields is None:
        fields = {}
    if not isinstance(fields, dict):
        raise ValueError("%s: expected a dict of fields, got %r" % (table_name, type(fields).__name__))
    obj = cls()
    by_name = {f.name: f for f in d.fields}
    for key, value in fields.items():
        f = by_name.get(key)
        if f is None:
            raise ValueError("unknown field %r in table %s" % (key, table_name))
        if f.deprecated:
            raise ValueError("field %s.%s is deprecated" % (table_name, key))
        u = _schema().by_name.get(f.type[1])
        if isinstance(u, _gen.Union):
            if f.type[0] != "single":
                raise ValueError("%s.%s: union vectors are not supported" % (table_name, key))
            if value is None:
                continue
            sub_name, sub_fields = value
            _, tag = _union_for_table(sub_name, (u.name,))
            setattr(obj, _attr_name(obj, key + "_type"), tag)
            setattr(obj, _attr_name(obj, key), _make_table(sub_name, sub_fields))
            continue
        setattr(obj, _attr_name(obj, key), _convert_field(table_name, f, value))
    return obj


# ----------------------------------------------------------------------------
# Types
# ----------------------------------------------------------------------------

_NP_TO_TT = {
    np.dtype(np.float32): "FLOAT32", np.dtype(np.float16): "FLOAT16",
    np.dtype(np.float64): "FLOAT64", np.dtype(np.int8): "INT8",
    np.dtype(np.uint8): "UINT8", np.dtype(np.int16): "INT16",
    np.dtype(np.uint16): "UINT16", np.dtype(np.int32): "INT32",
    np.dtype(np.uint32): "UINT32", np.dtype(np.int64): "INT64",
    np.dtype(np.uint64): "UINT64", np.dtype(np.bool_): "BOOL",
    np.dtype(np.complex64): "COMPLEX64", np.dtype(np.complex128): "COMPLEX128",
}


def tensor_type(dtype):
    """TensorType value for a numpy dtype, a TensorType name ("float32", "int8",
    "string", "resource", ...) or a TensorType int."""
    members = _enum_members("TensorType")
    if isinstance(dtype, (int, np.integer)) and not isinstance(dtype, bool):
        if int(dtype) not in members.values():
            raise ValueError("unknown TensorType value %r" % dtype)
        return int(dtype)
    if isinstance(dtype, str):
        key = dtype.upper()
        if key == "BOOL_":
            key = "BOOL"
        if key in members:
            return members[key]
        try:
            npd = np.dtype(dtype)
        except TypeError:
            raise ValueError("unknown tensor type %r" % dtype) from None
    else:
        try:
            npd = np.dtype(dtype)
        except TypeError:
            raise ValueError("unknown tensor type %r" % (dtype,)) from None
    if npd.kind in ("U", "S", "O"):
        return members["STRING"]
    if npd not in _NP_TO_TT:
        raise ValueError("numpy dtype %s has no TensorType" % npd)
    return members[_NP_TO_TT[npd]]


def _string_tensor_bytes(arr):
    """TFLite string tensor layout: int32 count, count+1 int32 offsets, bytes."""
    items = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)]
    n = len(items)
    header = 4 * (n + 2)
    offs, pos = [], header
    for it in items:
        offs.append(pos)
        pos += len(it)
    offs.append(pos)
    return np.array([n] + offs, "<i4").tobytes() + b"".join(items)


def _quant(q):
    if q is None:
        return None
    if isinstance(q, fb.QuantizationParametersT):
        return q
    if not isinstance(q, dict):
        raise ValueError("quant must be a dict(scale=..., zero_point=..., quantized_dimension=...)")
    known = {"scale", "zero_point", "quantized_dimension", "min", "max", "details"}
    bad = set(q) - known
    if bad:
        raise ValueError("unknown quantization field(s) %s" % ", ".join(sorted(bad)))
    out = fb.QuantizationParametersT()
    if q.get("scale") is not None:
        out.scale = [float(v) for v in np.asarray(q["scale"], np.float64).reshape(-1)]
    if q.get("zero_point") is not None:
        out.zeroPoint = [int(v) for v in np.asarray(q["zero_point"], np.int64).reshape(-1)]
    if q.get("min") is not None:
        out.min = [float(v) for v in np.asarray(q["min"], np.float64).reshape(-1)]
    if q.get("max") is not None:
        out.max = [float(v) for v in np.asarray(q["max"], np.float64).reshape(-1)]
    out.quantizedDimension = int(q.get("quantized_dimension", 0) or 0)
    if q.get("details") is not None:
        name, fields = q["details"]
        _, tag = _union_for_table(name, ("QuantizationDetails",))
        out.detailsType = tag
        out.details = _make_table(name, fields)
    return out


def _int_list(v, what):
    if v is None:
        return None
    try:
        return [int(x) for x in v]
    except TypeError:
        raise ValueError("%s must be a list of ints" % what) from None


# ----------------------------------------------------------------------------
# Serialisation
# ----------------------------------------------------------------------------

def _aligned_byte_vector(builder, data, alignment=BUFFER_ALIGNMENT):
    n = len(data)
    builder.StartVector(1, n, alignment)
    builder.head = builder.head - n
    builder.Bytes[builder.head:builder.head + n] = data
    return builder.EndVector()


class _AlignedBufferT(fb.BufferT):
    """BufferT whose data vector is packed with 16-byte alignment."""

    def __init__(self, src=None):
        super().__init__()
        if src is not None:
            self.data, self.offset, self.size = src.data, src.offset, src.size

    def Pack(self, builder):
        data = None
        if self.data is not None and len(self.data):
            raw = self.data
            if isinstance(raw, np.ndarray):
                raw = raw.astype(np.uint8, copy=False).tobytes()
            elif not isinstance(raw, (bytes, bytearray)):
                raw = bytes(bytearray(raw))
            data = _aligned_byte_vector(builder, bytes(raw))
        fb.BufferStart(builder)
        if data is not None:
            fb.BufferAddData(builder, data)
        fb.BufferAddOffset(builder, self.offset)
        fb.BufferAddSize(builder, self.size)
        return fb.BufferEnd(builder)


def write_model(model):
    """Serialise a ``ModelT`` to bytes (identifier TFL3, buffers 16-byte aligned)."""
    saved = model.buffers
    if saved is not None:
        model.buffers = [b if isinstance(b, _AlignedBufferT) else _AlignedBufferT(b) for b in saved]
    try:
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
        return bytes(builder.Output())
    finally:
        model.buffers = saved


def read_model(data):
    """Parse .tflite bytes into a ``ModelT``."""
    if isinstance(data, (str, os.PathLike)):
        raise TypeError("read_model takes the model bytes, not a path")
    buf = bytes(data)
    if len(buf) < 8:
        raise ValueError("buffer too small to be a model")
    if not fb.Model.ModelBufferHasIdentifier(buf, 0):
        raise ValueError("not a TFLite model (file identifier %r, expected %r)"
                         % (buf[4:8], FILE_IDENTIFIER))
    return fb.ModelT.InitFromPackedBuf(buf, 0)


# ----------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------

class SubgraphBuilder:
    """One subgraph of a model under construction; ``index`` is its position."""

    def __init__(self, model, index, name):
        self._model = model
        self.index = index
        self.name = name
        self._sg = fb.SubGraphT()
        self._sg.tensors = []
        self._sg.inputs = []
        self._sg.outputs = []
        self._sg.operators = []
        self._sg.name = name

    # -- tensors ---------------------------------------------------------
    def _add_tensor(self, name, shape, dtype, buffer=0, quant=None, is_variable=False,
                    shape_signature=None):
        t = fb.TensorT()
        t.name = str(name)
        t.shape = _int_list(shape, "shape")
        if t.shape is None:
            raise ValueError("tensor %r: shape is required" % name)
        t.type = tensor_type(dtype)
        t.buffer = int(buffer)
        t.quantization = _quant(quant)
        t.isVariable = bool(is_variable)
        t.shapeSignature = _int_list(shape_signature, "shape_signature")
        t.hasRank = True
        self._sg.tensors.append(t)
        return len(self._sg.tensors) - 1

    def tensor(self, name, shape, dtype, quant=None, is_variable=False, shape_signature=None):
        """Add a (non-constant) tensor; returns its index."""
        return self._add_tensor(name, shape, dtype, 0, quant, is_variable, shape_signature)

    def input(self, name, shape, dtype, shape_signature=None, quant=None):
        """Add a tensor and append it to the subgraph inputs; returns its index."""
        i = self._add_tensor(name, shape, dtype, 0, quant, False, shape_signature)
        self._sg.inputs.append(i)
        return i

    def const(self, *args, quant=None, name=None, dtype=None):
        """Add a constant tensor with its own buffer; returns its index.

        ``const(name, array)``, ``const(array, name)`` or ``const(array, name=...)``.
        The tensor type follows the array's dtype (``dtype=`` casts first; string
        arrays become STRING tensors).
        """
        strs = [a for a in args if isinstance(a, str)]
        arrays = [a for a in args if not isinstance(a, str)]
        if len(arrays) != 1 or len(strs) > 1:
            raise ValueError("const() takes a name and one array")
        pos_name = strs[0] if strs else None
        value = arrays[0]
        if pos_name is not None and name is not None and pos_name != name:
            raise ValueError("const(): two different names %r and %r" % (pos_name, name))
        name = pos_name if pos_name is not None else name
        if name is None:
            name = "const_%d" % len(self._sg.tensors)
        arr = np.asarray(value)
        if dtype is not None and tensor_type(dtype) != _enum_members("TensorType")["STRING"]:
            arr = arr.astype(_np_dtype_for(dtype))
        tt = tensor_type(dtype if dtype is not None else arr.dtype)
        if tt == _enum_members("TensorType")["STRING"]:
            raw = _string_tensor_bytes(arr.astype(object))
        else:
            raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        buf = self._model._add_buffer(raw)
        return self._add_tensor(name, list(arr.shape), tt, buf, quant)

    def output(self, *tensors):
        """Append tensor(s) to the subgraph outputs, in order."""
        flat = []
        for t in tensors:
            if isinstance(t, (list, tuple)):
                flat.extend(t)
            else:
                flat.append(t)
        for t in flat:
            self._check_tensor(t, "output")
            self._sg.outputs.append(int(t))
        return flat[0] if len(flat) == 1 else flat

    def _check_tensor(self, t, what, allow_omitted=False):
        t = int(t)
        if allow_omitted and t == -1:
            return
        if not 0 <= t < len(self._sg.tensors):
            raise ValueError("%s: tensor index %d out of range (subgraph %d has %d tensors)"
                             % (what, t, self.index, len(self._sg.tensors)))

    # -- operators -------------------------------------------------------
    def op(self, opname, inputs, outputs, options=None, version=1, intermediates=None,
           custom_code=None, custom_options=None):
        """Append an operator; returns its index in the subgraph."""
        code = _enum_value("BuiltinOperator", opname, "operator")
        if code not in _enum_members("BuiltinOperator").values():
            raise ValueError("unknown builtin operator %r" % (opname,))
        if code == _enum_members("BuiltinOperator")["CUSTOM"]:
            if not custom_code:
                raise ValueError("CUSTOM operator needs custom_code")
        elif custom_code is not None:
            raise ValueError("custom_code given for builtin operator %r" % (opname,))
        o = fb.OperatorT()
        o.opcodeIndex = self._model._opcode(code, custom_code, int(version))
        for t in inputs:
            self._check_tensor(t, "op %s input" % opname, allow_omitted=True)
        for t in outputs:
            self._check_tensor(t, "op %s output" % opname)
        o.inputs = [int(t) for t in inputs]
        o.outputs = [int(t) for t in outputs]
        if intermediates is not None:
            o.intermediates = [int(t) for t in intermediates]
        if options is not None:
            if isinstance(options, tuple) and len(options) == 2:
                tname, fields = options
            elif isinstance(options, str):
                tname, fields = options, {}
            else:
                tname = type(options).__name__
                tname, fields = (tname[:-1] if tname.endswith("T") else tname), options
            uname, tag = _union_for_table(tname)
            obj = _make_table(tname, fields)
            if uname == "BuiltinOptions":
                o.builtinOptionsType, o.builtinOptions = tag, obj
            else:
                o.builtinOptions2Type, o.builtinOptions2 = tag, obj
        if custom_options is not None:
            o.customOptions = list(bytes(custom_options))
            o.customOptionsFormat = 0  # FLEXBUFFERS
        self._sg.operators.append(o)
        return len(self._sg.operators) - 1

    @property
    def tensors(self):
        return self._sg.tensors

    @property
    def operators(self):
        return self._sg.operators


def _np_dtype_for(dtype):
    if isinstance(dtype, str):
        try:
            return np.dtype(dtype.lower())
        except TypeError:
            raise ValueError("no numpy dtype for %r" % dtype) from None
    return np.dtype(dtype)


class ModelBuilder:
    """Builds a TFLite model; the builder itself is subgraph 0."""

    def __init__(self, description="ember", subgraph_name="main"):
        self.description = description
        self._buffers = [fb.BufferT()]  # buffer 0: the empty sentinel
        self._opcodes = []
        self._opcode_index = {}
        self._subgraphs = [SubgraphBuilder(self, 0, subgraph_name)]
        self._signatures = []
        self._metadata = []

    # -- subgraph 0 proxies ---------------------------------------------
    @property
    def index(self):
        return 0

    def __getattr__(self, name):
        # Delegate tensor/op helpers to subgraph 0.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._subgraphs[0], name)

    def input(self, *a, **k):
        return self._subgraphs[0].input(*a, **k)

    def const(self, *a, **k):
        return self._subgraphs[0].const(*a, **k)

    def tensor(self, *a, **k):
        return self._subgraphs[0].tensor(*a, **k)

    def op(self, *a, **k):
        return self._subgraphs[0].op(*a, **k)

    def output(self, *a, **k):
        return self._subgraphs[0].output(*a, **k)

    # -- model level -----------------------------------------------------
    def subgraph(self, name=None):
        """Start a new subgraph; returns a SubgraphBuilder (``.index`` is its index)."""
        i = len(self._subgraphs)
        sg = SubgraphBuilder(self, i, name if name is not None else "subgraph_%d" % i)
        self._subgraphs.append(sg)
        return sg

    def _add_buffer(self, raw):
        b = _AlignedBufferT()
        b.data = bytes(raw)
        self._buffers.append(b)
        return len(self._buffers) - 1

    def _opcode(self, code, custom_code, version):
        key = (code, custom_code, version)
        if key not in self._opcode_index:
            oc = fb.OperatorCodeT()
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, PLACEHOLDER_FOR_GREATER_OP_CODES)
            oc.customCode = custom_code
            oc.version = version
            self._opcode_index[key] = len(self._opcodes)
            self._opcodes.append(oc)
        return self._opcode_index[key]

    def signature(self, key, inputs, outputs, subgraph=0):
        """Add a SignatureDef; inputs/outputs map names to tensor indices."""
        sgi = subgraph.index if isinstance(subgraph, (SubgraphBuilder, ModelBuilder)) else int(subgraph)
        if not 0 <= sgi < len(self._subgraphs):
            raise ValueError("signature %r: no subgraph %d" % (key, sgi))
        sd = fb.SignatureDefT()
        sd.signatureKey = key
        sd.subgraphIndex = sgi

        def maps(d, what):
            out = []
            for name, t in d.items():
                self._subgraphs[sgi]._check_tensor(t, "signature %r %s %r" % (key, what, name))
                m = fb.TensorMapT()
                m.name, m.tensorIndex = name, int(t)
                out.append(m)
            return out

        sd.inputs = maps(inputs, "input")
        sd.outputs = maps(outputs, "output")
        self._signatures.append(sd)
        return len(self._signatures) - 1

    def metadata(self, name, data):
        """Attach a named metadata blob (stored in its own buffer)."""
        m = fb.MetadataT()
        m.name = name
        m.buffer = self._add_buffer(bytes(data))
        self._metadata.append(m)
        return m.buffer

    def model(self):
        """The assembled ``ModelT`` (shares objects with the builder)."""
        m = fb.ModelT()
        m.version = SCHEMA_VERSION
        m.description = self.description
        m.operatorCodes = list(self._opcodes)
        m.subgraphs = [sg._sg for sg in self._subgraphs]
        m.buffers = list(self._buffers)
        m.signatureDefs = list(self._signatures) or None
        m.metadata = list(self._metadata) or None
        return m

    def build(self):
        """Serialise to .tflite bytes."""
        return write_model(self.model())
