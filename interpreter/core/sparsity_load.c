/* sparsity_load.c — reads a tensor's SparsityParameters (for DENSIFY).
 *
 * Parsed on first request into persistent memory and cached per tensor.
 * Every vector is copied out of the file: the data then has the alignment
 * its type needs whatever the file's layout. */
#include <string.h>

#include "kernels/sparsity.h"
#include "runtime.h"

static int32_t *copy_ints(ember_context *ctx, const fb_vec *v, uint32_t width, int is_signed) {
    int32_t *out = ember_alloc_persistent(ctx, (size_t)v->len * sizeof *out);
    if (!out) return NULL;
    for (uint32_t i = 0; i < v->len; i++) out[i] = (int32_t)fb_vec_int(v, i, width, is_signed);
    return out;
}

static int read_index_vector(ember_context *ctx, const ember_fb_table *dm, int type_field,
                             int field, ember_sparse_index_vector *out) {
    int64_t type = fb_int(dm, type_field, 1, 0, 0);
    ember_fb_table t = fb_table(dm, field);
    out->type = (int32_t)type;
    out->size = 0;
    out->data = NULL;
    if (type == EMBER_SparseIndexVector_NONE || !t.pos) return 1;
    uint32_t width = type == EMBER_SparseIndexVector_Int32Vector ? 4
                   : type == EMBER_SparseIndexVector_Uint16Vector ? 2
                   : type == EMBER_SparseIndexVector_Uint8Vector ? 1 : 0;
    if (!width) return 0;
    fb_vec v = fb_vector(&t, 0 /* values */, width);
    void *data = ember_alloc_persistent(ctx, (size_t)v.len * width);
    if (!data) return 0;
    if (v.len) memcpy(data, v.buf + v.pos, (size_t)v.len * width);
    out->size = (int32_t)v.len;
    out->data = data;
    return 1;
}

const ember_sparsity *ember_tensor_sparsity(ember_context *ctx, int32_t index) {
    if (index < 0 || index >= ctx->n_tensors) return NULL;
    if (!ctx->sparsity) {
        ctx->sparsity = ember_alloc_persistent(ctx, (size_t)ctx->n_tensors * sizeof *ctx->sparsity);
        if (!ctx->sparsity) return NULL;
    }
    if (ctx->sparsity[index]) return ctx->sparsity[index];
    const ember_tensor_def *td = &ctx->def->tensors[index];
    ember_fb_table sp = fb_table(&td->table, EMBER_Tensor_sparsity);
    if (!sp.pos) return NULL;
    ember_sparsity *s = ember_alloc_persistent(ctx, sizeof *s);
    if (!s) return NULL;
    fb_vec order = fb_vector(&sp, EMBER_SparsityParameters_traversal_order, 4);
    fb_vec blocks = fb_vector(&sp, EMBER_SparsityParameters_block_map, 4);
    fb_vec dims = fb_vector(&sp, EMBER_SparsityParameters_dim_metadata, 4);
    if (order.len > EMBER_MAX_SPARSE_LEVELS || blocks.len > EMBER_MAX_SPARSE_LEVELS ||
        dims.len > EMBER_MAX_SPARSE_LEVELS) {
        ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s': sparsity has more than %d levels",
                   td->name, EMBER_MAX_SPARSE_LEVELS);
        return NULL;
    }
    s->traversal_order_size = (int32_t)order.len;
    s->traversal_order = copy_ints(ctx, &order, 4, 1);
    s->block_map_size = (int32_t)blocks.len;
    s->block_map = copy_ints(ctx, &blocks, 4, 1);
    ember_dim_metadata *md = ember_alloc_persistent(ctx, (size_t)dims.len * sizeof *md);
    if (!s->traversal_order || !s->block_map || !md) return NULL;
    for (uint32_t i = 0; i < dims.len; i++) {
        ember_fb_table dm = fb_vec_table(&dims, i);
        md[i].format = (int32_t)fb_int(&dm, EMBER_DimensionMetadata_format, 1, 1, 0);
        md[i].dense_size = (int32_t)fb_int(&dm, EMBER_DimensionMetadata_dense_size, 4, 1, 0);
        if (!read_index_vector(ctx, &dm, EMBER_DimensionMetadata_array_segments_type,
                               EMBER_DimensionMetadata_array_segments, &md[i].array_segments) ||
            !read_index_vector(ctx, &dm, EMBER_DimensionMetadata_array_indices_type,
                               EMBER_DimensionMetadata_array_indices, &md[i].array_indices)) {
            ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s': bad sparse index vector", td->name);
            return NULL;
        }
    }
    s->dim_metadata_size = (int32_t)dims.len;
    s->dim_metadata = md;
    ctx->sparsity[index] = s;
    return s;
}
