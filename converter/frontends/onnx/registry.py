"""The table of ONNX op handlers: ``OPS[op_type](ctx, node, inputs, attrs) -> outputs``.

Handlers register with ``@op("Relu", "Sigmoid")``. ``inputs`` are values
(ir.Tensor, NumPy array for constants, or None for an absent optional input);
the handler returns one value per ONNX output.
"""
OPS = {}


def op(*names):
    def register(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return register


def supported_ops():
    """The ONNX op types the frontend converts (with constant inputs, any op folds)."""
    return sorted(OPS)
