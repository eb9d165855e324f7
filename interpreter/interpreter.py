"""ember.Interpreter: a drop-in for ``tflite_runtime.interpreter.Interpreter``.

The same constructor, methods and detail dictionaries as LiteRT's Python
interpreter, over Ember's C core. ``from ember import interpreter as tflite``
lets a script written for tflite_runtime run unchanged.
"""
import enum
import os
import sys

import numpy as np

from ember import _ember
from ember.errors import EmberError, NotReadyError  # noqa: F401 (re-exported)

# TFLite TensorType -> numpy dtype (None: no numpy equivalent)
_DTYPES = {
    0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 5: np.bytes_,
    6: np.bool_, 7: np.int16, 8: np.complex64, 9: np.int8, 10: np.float64,
    11: np.complex128, 12: np.uint64, 13: None, 14: None, 15: np.uint32, 16: np.uint16,
    17: np.int8, 18: None,
}
_TYPE_NAMES = {
    0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING", 6: "BOOL",
    7: "INT16", 8: "COMPLEX64", 9: "INT8", 10: "FLOAT64", 11: "COMPLEX128", 12: "UINT64",
    13: "RESOURCE", 14: "VARIANT", 15: "UINT32", 16: "UINT16", 17: "INT4", 18: "BFLOAT16",
}
_TYPE_CODES = {np.dtype(v): k for k, v in _DTYPES.items() if v is not None and k != 17}


def type_code(dtype):
    """TFLite TensorType code of a numpy dtype."""
    return _TYPE_CODES[np.dtype(dtype)]


def type_name(code):
    return _TYPE_NAMES.get(code, f"TYPE_{code}")


class OpResolverType(enum.Enum):
    """Accepted for compatibility: Ember has one kernel per op, the same in every mode."""
    AUTO = 0
    BUILTIN = 1
    BUILTIN_REF = 2
    BUILTIN_WITHOUT_DEFAULT_DELEGATES = 3


class Delegate:
    """A delegate handle, as returned by :func:`load_delegate`."""

    def __init__(self, name, options=None):
        self.name = name
        self.options = dict(options or {})

    def __repr__(self):
        return f"Delegate({self.name!r})"


_DELEGATES = {}   # name -> factory, filled by ember.interpreter.delegates when present


def load_delegate(library, options=None):
    """Returns a delegate by name or library path, as tflite_runtime does.

    Raises ValueError (like tflite_runtime) when no such delegate is available.
    """
    key = os.path.basename(str(library))
    for name, factory in _DELEGATES.items():
        if key == name or key.startswith(name):
            return factory(options or {})
    raise ValueError(
        f"Failed to load delegate from {library}: Ember knows no delegate of that name "
        f"(available: {', '.join(sorted(_DELEGATES)) or 'none'})")


class _ArrayHolder:
    """Exposes tensor memory to numpy and pins the interpreter's view owner.

    numpy arrays made from it keep it (and so the owner) alive, which is how
    the interpreter knows a view is still held (LiteRT's guard)."""

    __slots__ = ("__array_interface__", "owner")

    def __init__(self, address, shape, dtype, readonly, owner):
        self.__array_interface__ = {
            "data": (address, readonly), "shape": tuple(shape),
            "typestr": np.dtype(dtype).str, "version": 3,
        }
        self.owner = owner


class _ViewOwner:
    pass


class Interpreter:
    """Runs a TFLite-format model. See tflite_runtime.interpreter.Interpreter."""

    def __init__(self, model_path=None, model_content=None, experimental_delegates=None,
                 num_threads=None, experimental_op_resolver_type=OpResolverType.AUTO,
                 experimental_preserve_all_tensors=False,
                 experimental_disable_delegate_clustering=False,
                 experimental_default_delegate_latest_features=False,
                 custom_ops=None):
        if model_path is not None and model_content is not None:
            raise ValueError("Can't both provide `model_path` and `model_content`")
        if model_path is None and model_content is None:
            raise ValueError("Can't create interpreter: provide `model_path` or `model_content`")
        if num_threads is not None:
            if not isinstance(num_threads, int):
                raise ValueError("type of num_threads should be int")
            if num_threads < 1 and num_threads != -1:
                raise ValueError("num_threads should >= 1 or just -1")
        threads = 1 if num_threads in (None, -1) else num_threads
        if not isinstance(experimental_op_resolver_type, OpResolverType):
            # accept LiteRT's enum members too, by name
            name = getattr(experimental_op_resolver_type, "name", None)
            if name not in OpResolverType.__members__:
                raise ValueError(f"unknown op resolver type {experimental_op_resolver_type!r}")
        self._model_bytes = None
        if model_path is not None:
            self._model = _ember.load_model_file(os.fspath(model_path))
            self._model_path = os.fspath(model_path)
        else:
            if isinstance(model_content, (bytearray, memoryview)):
                model_content = bytes(model_content)
            if not isinstance(model_content, bytes):
                raise ValueError("model_content must be bytes")
            self._model = _ember.load_model(model_content)
            self._model_bytes = model_content
        self._info = _ember.model_info(self._model)
        self._preserve_all = bool(experimental_preserve_all_tensors)
        self._interp = _ember.create(self._model, threads, int(self._preserve_all))
        self._num_threads = threads
        self._delegates = list(experimental_delegates or [])
        for d in self._delegates:
            if not isinstance(d, Delegate):
                raise ValueError(f"{d!r} is not an Ember delegate (use ember.interpreter.load_delegate)")
        self._custom_ops = {}
        for name, op in (custom_ops or {}).items():
            self.register_custom_op(name, op)
        self._owner = _ViewOwner()
        self._owner_refs = sys.getrefcount(self._owner)
        self._allocated = set()

    # ---- set-up -----------------------------------------------------------
    def register_custom_op(self, name, op):
        """Registers a Python custom op (prototyping). ``op`` has
        ``prepare(inputs)`` taking [(shape, dtype)] and returning [(shape, dtype)]
        per output, and ``eval(inputs, outputs)`` on numpy arrays (write outputs in place)."""
        from ember.interpreter.python_op import PythonOp
        self._custom_ops[name] = op
        _ember.register_python_op(self._interp, name, PythonOp(op))

    def _ensure_safe(self):
        if sys.getrefcount(self._owner) > self._owner_refs:
            raise RuntimeError(
                "There is at least 1 reference to internal data in the interpreter in the "
                "form of a numpy array or slice. Be sure to only hold the function returned "
                "from tensor() if you are using raw data access.")

    def allocate_tensors(self):
        self._ensure_safe()
        _ember.allocate(self._interp, 0)
        self._allocated.add(0)

    def _allocate_subgraph(self, sg):
        self._ensure_safe()
        _ember.allocate(self._interp, sg)
        self._allocated.add(sg)

    def invoke(self):
        self._ensure_safe()
        _ember.invoke(self._interp, 0)

    def reset_all_variables(self):
        _ember.reset_variables(self._interp)

    def num_subgraphs(self):
        return len(self._info["subgraphs"])

    # ---- details ------------------------------------------------------------
    def _details(self, index, sg=0):
        (name, code, dims, sig, scales, zps, qdim, _mem, _bytes, sparse,
         _var) = _ember.tensor_info(self._interp, sg, index)
        dtype = _DTYPES.get(code)
        if dtype is None:
            dtype = np.int32 if code == 13 else np.object_
        shape = np.array(dims, dtype=np.int32)
        return {
            "name": name,
            "index": index,
            "shape": shape,
            "shape_signature": np.array(sig if sig is not None else dims, dtype=np.int32),
            "dtype": dtype,
            "quantization": (float(scales[0]), int(zps[0])) if len(scales) == 1 else (0.0, 0),
            "quantization_parameters": {
                "scales": np.array(scales, dtype=np.float32),
                "zero_points": np.array(zps, dtype=np.int32),
                "quantized_dimension": qdim,
                "block_size": 0,     # LiteRT >= 2.x: blockwise quantisation (unsupported)
            },
            "sparsity_parameters": self._sparsity(index, sg) if sparse else {},
        }

    def _sparsity(self, index, sg):
        from ember.interpreter.sparsity import sparsity_details
        data = self._model_bytes
        if data is None:
            with open(self._model_path, "rb") as f:
                data = f.read()
        return sparsity_details(data, sg, index)

    def get_input_details(self):
        return [self._details(i) for i in self._info["subgraphs"][0]["inputs"]]

    def get_output_details(self):
        return [self._details(i) for i in self._info["subgraphs"][0]["outputs"]]

    def get_tensor_details(self):
        out = []
        for i in range(self._info["subgraphs"][0]["tensors"]):
            try:
                out.append(self._details(i))
            except ValueError:
                continue
        return out

    # ---- data -------------------------------------------------------------
    def _check_index(self, index, sg=0):
        n = self._info["subgraphs"][sg]["tensors"]
        if not isinstance(index, (int, np.integer)) or not 0 <= int(index) < n:
            raise ValueError(f"Tensor index {index} out of range (model has {n} tensors)")
        return int(index)

    def _array(self, index, sg=0):
        index = self._check_index(index, sg)
        info = _ember.tensor_info(self._interp, sg, index)
        addr = _ember.tensor_address(self._interp, sg, index)
        if addr is None:
            raise ValueError("Tensor data is null. Run allocate_tensors() first")
        dtype = _DTYPES.get(info[1])
        if dtype is None or info[1] == 5:
            raise ValueError(f"tensor {index} has type {type_name(info[1])}, which numpy cannot view")
        return addr, info, dtype

    def get_tensor(self, tensor_index, subgraph_index=0):
        addr, info, dtype = self._array(tensor_index, subgraph_index)
        holder = _ArrayHolder(addr[0], info[2], dtype, True, None)
        return np.array(holder, copy=True)

    def tensor(self, tensor_index):
        """A function returning a zero-copy numpy view of the tensor's memory.
        Don't hold the array across allocate_tensors() or invoke()."""
        return lambda: self._view(tensor_index)

    def _view(self, index, sg=0):
        addr, info, dtype = self._array(index, sg)
        holder = _ArrayHolder(addr[0], info[2], dtype, bool(addr[2]), self._owner)
        return np.asarray(holder)

    def set_tensor(self, tensor_index, value, subgraph_index=0):
        index = self._check_index(tensor_index, subgraph_index)
        info = _ember.tensor_info(self._interp, subgraph_index, index)
        name, code, dims = info[0], info[1], info[2]
        value = np.asarray(value)
        want = _DTYPES.get(code)
        if want is None or value.dtype != np.dtype(want):
            got = _TYPE_CODES.get(value.dtype)
            raise ValueError(
                f"Cannot set tensor: Got value of type {type_name(got) if got is not None else value.dtype} "
                f"but expected type {type_name(code)} for input {index}, name: {name} ")
        if value.ndim != len(dims):
            raise ValueError(
                f"Cannot set tensor: Dimension mismatch. Got {value.ndim} but expected "
                f"{len(dims)} for input {index}.")
        for d, (g, w) in enumerate(zip(value.shape, dims)):
            if g != w:
                raise ValueError(
                    f"Cannot set tensor: Dimension mismatch. Got {g} but expected {w} for "
                    f"dimension {d} of input {index}.")
        addr = _ember.tensor_address(self._interp, subgraph_index, index)
        if addr is None:
            raise ValueError("Tensor data is null. Run allocate_tensors() first")
        if addr[2]:
            raise ValueError(f"Cannot set tensor {index} ({name}): it is a constant of the model")
        dst = np.asarray(_ArrayHolder(addr[0], dims, want, False, None))
        np.copyto(dst, value)

    def resize_tensor_input(self, input_index, tensor_size, strict=False, subgraph_index=0):
        index = self._check_index(input_index, subgraph_index)
        if index not in self._info["subgraphs"][subgraph_index]["inputs"]:
            raise ValueError(f"Tensor {index} is not an input of the model")
        dims = tuple(int(d) for d in np.asarray(tensor_size).reshape(-1))
        if strict:
            sig = self._details(index, subgraph_index)["shape_signature"]
            if len(sig) != len(dims) or any(s != -1 and s != d for s, d in zip(sig, dims)):
                raise ValueError(
                    f"ResizeInputTensorStrict only allows mutating unknown dimensions "
                    f"identified by -1 (signature {list(sig)}, asked {list(dims)})")
        self._ensure_safe()
        _ember.resize_input(self._interp, subgraph_index, index, dims)

    # ---- signatures ---------------------------------------------------------
    def get_signature_list(self):
        return {s["key"]: {"inputs": [n for n, _ in s["inputs"]],
                           "outputs": [n for n, _ in s["outputs"]]}
                for s in self._info["signatures"]}

    def _get_full_signature_list(self):
        return {s["key"]: {"inputs": dict(s["inputs"]), "outputs": dict(s["outputs"]),
                           "subgraph_index": s["subgraph"]}
                for s in self._info["signatures"]}

    def get_signature_runner(self, signature_key=None):
        sigs = self._info["signatures"]
        if signature_key is None:
            if len(sigs) != 1:
                raise ValueError(
                    "SignatureDef signature_key is None and model has "
                    f"{len(sigs)} Signatures. None is only allowed when the model has 1 SignatureDef")
            signature_key = sigs[0]["key"]
        for s in sigs:
            if s["key"] == signature_key:
                return SignatureRunner(self, s)
        raise ValueError(f"SignatureDef signature_key is not found: {signature_key!r} "
                         f"(model has {[s['key'] for s in sigs]})")

    # ---- Ember extras -------------------------------------------------------
    def arena_size(self):
        """(arena bytes of the main subgraph, persistent bytes) after allocate_tensors()."""
        return _ember.arena_size(self._interp, 0)

    def memory_plan(self):
        """[{tensor, name, offset, bytes, first_node, last_node}] of the main
        subgraph's arena, after allocate_tensors()."""
        return [{"tensor": t, "name": _ember.tensor_info(self._interp, 0, t)[0], "offset": off,
                 "bytes": size, "first_node": first, "last_node": last}
                for t, off, size, first, last in _ember.memory_plan(self._interp, 0)]

    def profile(self, enable=True):
        """Turns the C core's per-node timers on (zeroed) or off."""
        _ember.set_profiling(self._interp, bool(enable))

    def node_times_ns(self):
        """Nanoseconds spent in each node of the main subgraph since profile(True)."""
        return _ember.node_times(self._interp)

    def _get_ops_details(self):
        return [{"index": i, "op_name": custom or name, "inputs": np.array(ins, dtype=np.int32),
                 "outputs": np.array(outs, dtype=np.int32), "version": version}
                for i, (name, _code, custom, version, ins, outs)
                in enumerate(_ember.nodes(self._interp, 0))]


class SignatureRunner:
    """Runs one SignatureDef by input/output names (LiteRT's SignatureRunner)."""

    def __init__(self, interpreter, sig):
        self._it = interpreter
        self._sig = sig
        self._sg = sig["subgraph"]
        self._inputs = dict(sig["inputs"])
        self._outputs = dict(sig["outputs"])
        self._allocated = False

    def get_input_details(self):
        return {n: self._it._details(i, self._sg) for n, i in self._inputs.items()}

    def get_output_details(self):
        return {n: self._it._details(i, self._sg) for n, i in self._outputs.items()}

    def allocate_tensors(self):
        self._it._allocate_subgraph(self._sg)
        self._allocated = True

    def resize_input(self, input_name, new_shape):
        if input_name not in self._inputs:
            raise ValueError(f"Invalid Input name ({input_name}) for SignatureDef")
        self._it.resize_tensor_input(self._inputs[input_name], new_shape,
                                     subgraph_index=self._sg)
        self._allocated = False

    def invoke(self):
        self._it._ensure_safe()
        _ember.invoke(self._it._interp, self._sg)

    def __call__(self, **kwargs):
        missing = set(self._inputs) - set(kwargs)
        if missing:
            raise ValueError(f"Missing inputs for signature: {sorted(missing)}")
        unknown = set(kwargs) - set(self._inputs)
        if unknown:
            raise ValueError(f"Invalid Input name ({sorted(unknown)[0]}) for SignatureDef")
        for name, value in kwargs.items():
            value = np.asarray(value)
            cur = _ember.tensor_info(self._it._interp, self._sg, self._inputs[name])[2]
            if tuple(cur) != value.shape:
                self.resize_input(name, value.shape)
        if not self._allocated:
            self.allocate_tensors()
        for name, value in kwargs.items():
            self._it.set_tensor(self._inputs[name], np.asarray(value), subgraph_index=self._sg)
        self.invoke()
        return {n: self._it.get_tensor(i, self._sg) for n, i in self._outputs.items()}
