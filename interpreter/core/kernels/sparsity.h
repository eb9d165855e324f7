/*
 * sparsity.h — TFLite's sparse tensor format (SparsityParameters) as plain C,
 * and the densify maths over it.
 *
 * The loader fills an ember_sparsity for every tensor whose Tensor table has
 * a `sparsity` field and returns it from ember_tensor_sparsity(); all
 * pointers refer to memory that lives as long as the interpreter (they may
 * point straight into the model buffer: flatbuffers vectors are aligned to
 * their element size).
 *
 * Layout (see schema.fbs, table SparsityParameters): a tensor of dense rank n
 * with k block dimensions is traversed in n + k levels.
 *   traversal_order[n + k]: level l walks dimension traversal_order[l]; the
 *       first n entries permute 0..n-1 (the original dims), the last k permute
 *       n..n+k-1 (the block dims).
 *   block_map[k]: block dim b splits original dim block_map[b]; its block size
 *       is dim_metadata[n + b].dense_size (as TFLite reads it).
 *   dim_metadata[n + k], one per level in traversal order: DENSE (dense_size
 *       positions) or SPARSE_CSR (array_segments / array_indices, each an
 *       Int32Vector, Uint16Vector or Uint8Vector).
 * The tensor's buffer holds only the stored values, in traversal order.
 */
#ifndef EMBER_SPARSITY_H
#define EMBER_SPARSITY_H

#include <stddef.h>
#include <stdint.h>

#include "ember_kernel.h"

#define EMBER_MAX_SPARSE_LEVELS (2 * EMBER_MAX_DIMS)

/* One SparseIndexVector union value. */
typedef struct ember_sparse_index_vector {
    int32_t type;           /* EMBER_SparseIndexVector_{NONE,Int32Vector,Uint16Vector,Uint8Vector} */
    int32_t size;           /* number of elements */
    const void *data;       /* int32_t / uint16_t / uint8_t values (host byte order) */
} ember_sparse_index_vector;

/* One DimensionMetadata table. */
typedef struct ember_dim_metadata {
    int32_t format;         /* EMBER_DimensionType_DENSE or EMBER_DimensionType_SPARSE_CSR */
    int32_t dense_size;     /* DENSE: number of positions on this level */
    ember_sparse_index_vector array_segments;   /* SPARSE_CSR only */
    ember_sparse_index_vector array_indices;    /* SPARSE_CSR only */
} ember_dim_metadata;

/* One SparsityParameters table. Absent vectors: size 0, pointer NULL. */
typedef struct ember_sparsity {
    int32_t traversal_order_size;
    const int32_t *traversal_order;
    int32_t block_map_size;
    const int32_t *block_map;
    int32_t dim_metadata_size;
    const ember_dim_metadata *dim_metadata;
} ember_sparsity;

/* Implemented by the loader: the sparsity of tensor `tensor_index` of this
 * subgraph, or NULL when the tensor is dense. */
const ember_sparsity *ember_tensor_sparsity(ember_context *ctx, int32_t tensor_index);

/* Checks `sp` against the dense shape and the number of stored values.
 * Returns NULL when valid, else a static message saying what is wrong. */
const char *ember_sparsity_validate(const ember_sparsity *sp, int ndim, const int32_t *dims,
                                    size_t n_values);

/* Writes the dense tensor (zeros where nothing is stored) into out, copying
 * elem_size-byte values. `sp` must have passed ember_sparsity_validate. */
void ember_densify(const ember_sparsity *sp, int ndim, const int32_t *dims,
                   const void *values, size_t elem_size, void *out);

#endif /* EMBER_SPARSITY_H */
