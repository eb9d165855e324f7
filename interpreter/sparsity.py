"""sparsity_parameters detail dicts, as LiteRT reports them (read on demand)."""
import numpy as np


def sparsity_details(model_bytes, sg, index):
    """LiteRT-style {'traversal_order', 'block_map', 'dim_metadata'} for a sparse tensor."""
    if model_bytes is None:
        return {}
    from ember.schema import schema_generated as fb
    model = fb.Model.GetRootAs(model_bytes, 0)
    sp = model.Subgraphs(sg).Tensors(index).Sparsity()
    if sp is None:
        return {}
    dims = []
    for i in range(sp.DimMetadataLength()):
        dm = sp.DimMetadata(i)
        if dm.Format() == 0:
            dims.append({"format": 0, "dense_size": dm.DenseSize()})
        else:
            dims.append({"format": 1, "array_segments": _index_vector(dm.ArraySegments(), dm.ArraySegmentsType()),
                         "array_indices": _index_vector(dm.ArrayIndices(), dm.ArrayIndicesType())})
    return {"traversal_order": sp.TraversalOrderAsNumpy() if sp.TraversalOrderLength() else np.array([], np.int32),
            "block_map": sp.BlockMapAsNumpy() if sp.BlockMapLength() else np.array([], np.int32),
            "dim_metadata": dims}


def _index_vector(table, kind):
    from ember.schema import schema_generated as fb
    if table is None:
        return np.array([], np.int32)
    cls = {1: fb.Int32Vector, 2: fb.Uint16Vector, 3: fb.Uint8Vector}.get(kind)
    if cls is None:
        return np.array([], np.int32)
    vec = cls()
    vec.Init(table.Bytes, table.Pos)
    return vec.ValuesAsNumpy().astype(np.int32)
