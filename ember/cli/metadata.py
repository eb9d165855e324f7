"""What a model's TFLite metadata (the "TFLITE_METADATA" buffer) says about input
normalisation: per input, NormalizationOptions' mean and std.

The buffer is a flatbuffer of TFLite Support's metadata_schema.fbs (file
identifier "M001"): ModelMetadata.subgraph_metadata[0].input_tensor_metadata[i]
.process_units[j] with options_type NormalizationOptions (1) holds mean:[float]
and std:[float], applied as (x - mean) / std to pixel values in [0, 255].

The buffer comes from an untrusted file, so this reads it with a few bounds-
checked accessors instead of trusting a generated parser: anything malformed
reads as "no normalisation" rather than an error.
"""
import struct

NAME = "TFLITE_METADATA"
_NORMALIZATION_OPTIONS = 1         # ProcessUnitOptions union tag

# vtable slots (field ids) in metadata_schema.fbs
_MODEL_SUBGRAPHS = 3
_SUBGRAPH_INPUTS = 2
_TENSOR_NAME, _TENSOR_PROCESS_UNITS = 0, 4
_UNIT_TYPE, _UNIT_OPTIONS = 0, 1
_NORM_MEAN, _NORM_STD = 0, 1


class _Malformed(Exception):
    pass


class _Reader:
    def __init__(self, buf):
        self.buf = bytes(buf)

    def _u(self, fmt, pos):
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > len(self.buf):
            raise _Malformed(pos)
        return struct.unpack_from("<" + fmt, self.buf, pos)[0]

    def root(self):
        return self._u("I", 0)

    def field(self, table, slot):
        """Position of a field's value, or None when the field is absent."""
        vtable = table - self._u("i", table)
        vt_size = self._u("H", vtable)
        if 4 + 2 * slot >= vt_size:
            return None
        off = self._u("H", vtable + 4 + 2 * slot)
        return table + off if off else None

    def deref(self, pos):
        return pos + self._u("I", pos)

    def table(self, table, slot):
        pos = self.field(table, slot)
        return None if pos is None else self.deref(pos)

    def vector(self, table, slot):
        """(start of elements, length), or (None, 0)."""
        pos = self.field(table, slot)
        if pos is None:
            return None, 0
        vec = self.deref(pos)
        n = self._u("I", vec)
        if n > len(self.buf):
            raise _Malformed(vec)
        return vec + 4, n

    def tables(self, table, slot):
        start, n = self.vector(table, slot)
        return [self.deref(start + 4 * k) for k in range(n)]

    def floats(self, table, slot):
        start, n = self.vector(table, slot)
        return [self._u("f", start + 4 * k) for k in range(n)]

    def string(self, table, slot):
        start, n = self.vector(table, slot)
        if start is None or start + n > len(self.buf):
            return None
        return self.buf[start:start + n].decode("utf-8", "replace")

    def u8(self, table, slot):
        pos = self.field(table, slot)
        return 0 if pos is None else self._u("B", pos)


def input_normalization(metadata_blob):
    """[{"name", "mean": [float], "std": [float]} or None] per input of subgraph 0."""
    if not metadata_blob or len(metadata_blob) < 8 or bytes(metadata_blob[4:8]) != b"M001":
        return []
    r = _Reader(metadata_blob)
    try:
        subgraphs = r.tables(r.root(), _MODEL_SUBGRAPHS)
        if not subgraphs:
            return []
        out = []
        for tensor in r.tables(subgraphs[0], _SUBGRAPH_INPUTS):
            norm = None
            for unit in r.tables(tensor, _TENSOR_PROCESS_UNITS):
                if r.u8(unit, _UNIT_TYPE) == _NORMALIZATION_OPTIONS:
                    opts = r.table(unit, _UNIT_OPTIONS)
                    if opts is not None:
                        norm = {"name": r.string(tensor, _TENSOR_NAME),
                                "mean": r.floats(opts, _NORM_MEAN), "std": r.floats(opts, _NORM_STD)}
                    break
            out.append(norm)
        return out
    except (_Malformed, struct.error, RecursionError):
        return []


def from_model(model_handle):
    """input_normalization() of a loaded model's TFLITE_METADATA buffer (or [])."""
    from ember import _ember
    for name, blob in _ember.model_info(model_handle)["metadata"]:
        if name == NAME:
            return input_normalization(blob)
    return []
