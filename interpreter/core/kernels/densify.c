/*
 * densify.c — DENSIFY: a constant sparse tensor (TFLite SparsityParameters,
 * see sparsity.h) → the dense tensor of the same shape and type.
 *
 * The sparsity comes from the loader through ember_tensor_sparsity(). As in
 * TFLite the input must be constant, so the dense result is computed once,
 * in prepare, into persistent memory; the output tensor then points at it
 * and is marked EMBER_MEM_CONST (later kernels may pre-pack it). eval only
 * recomputes if the runtime gave the output other storage after prepare.
 */
#include <string.h>

#include "ember_kernel.h"
#include "sparsity.h"

/* ---- maths (pure) ------------------------------------------------------- */

static int64_t vec_at(const ember_sparse_index_vector *v, int64_t i) {
    switch (v->type) {
    case EMBER_SparseIndexVector_Int32Vector: return ((const int32_t *)v->data)[i];
    case EMBER_SparseIndexVector_Uint16Vector: return ((const uint16_t *)v->data)[i];
    default: return ((const uint8_t *)v->data)[i];
    }
}

static int vec_ok(const ember_sparse_index_vector *v) {
    if (v->type != EMBER_SparseIndexVector_Int32Vector &&
        v->type != EMBER_SparseIndexVector_Uint16Vector &&
        v->type != EMBER_SparseIndexVector_Uint8Vector)
        return 0;
    return v->size >= 0 && (v->size == 0 || v->data != NULL);
}

/* Sizes of the n + k traversed dimensions; block sizes as TFLite reads them. */
static const char *expanded_sizes(const ember_sparsity *sp, int n, const int32_t *dims,
                                  int64_t *es, int64_t *block) {
    int k = sp->block_map_size;
    for (int d = 0; d < n; d++) es[d] = dims[d];
    for (int b = 0; b < k; b++) {
        int od = sp->block_map[b];
        block[b] = sp->dim_metadata[n + b].dense_size;
        if (block[b] <= 0) return "block size (dense_size of a block level) must be positive";
        if (dims[od] % block[b] != 0) return "dimension is not a multiple of its block size";
        es[od] = dims[od] / block[b];
        es[n + b] = block[b];
    }
    return NULL;
}

const char *ember_sparsity_validate(const ember_sparsity *sp, int n, const int32_t *dims,
                                    size_t n_values) {
    if (!sp) return "no sparsity parameters";
    if (n < 1 || n > EMBER_MAX_DIMS) return "sparse tensor rank out of range";
    int k = sp->block_map_size;
    if (k < 0 || k > n) return "block_map longer than the rank";
    if (k > 0 && !sp->block_map) return "block_map missing";
    int L = n + k;
    if (sp->traversal_order_size != L || !sp->traversal_order)
        return "traversal_order must have rank + block_map entries";
    if (sp->dim_metadata_size != L || !sp->dim_metadata)
        return "dim_metadata must have rank + block_map entries";
    uint8_t seen[EMBER_MAX_SPARSE_LEVELS] = {0};
    for (int l = 0; l < L; l++) {
        int32_t d = sp->traversal_order[l];
        int lo = l < n ? 0 : n, hi = l < n ? n : L;
        if (d < lo || d >= hi || seen[d]) return "traversal_order is not a valid permutation";
        seen[d] = 1;
    }
    uint8_t bm[EMBER_MAX_DIMS] = {0};
    for (int b = 0; b < k; b++) {
        int32_t od = sp->block_map[b];
        if (od < 0 || od >= n || bm[od]) return "block_map entry invalid or repeated";
        bm[od] = 1;
    }
    for (int d = 0; d < n; d++)
        if (dims[d] < 0) return "negative dimension";
    int64_t es[EMBER_MAX_SPARSE_LEVELS], block[EMBER_MAX_DIMS];
    const char *err = expanded_sizes(sp, n, dims, es, block);
    if (err) return err;
    int64_t P = 1;                      /* positions reaching the current level */
    for (int l = 0; l < L; l++) {
        const ember_dim_metadata *md = &sp->dim_metadata[l];
        int64_t size = es[sp->traversal_order[l]];
        if (md->format == EMBER_DimensionType_DENSE) {
            if (md->dense_size != size) return "dense_size of a DENSE level does not match the shape";
            P *= size;
            if (P > (int64_t)1 << 40) return "sparse tensor too large";
        } else if (md->format == EMBER_DimensionType_SPARSE_CSR) {
            const ember_sparse_index_vector *seg = &md->array_segments, *idx = &md->array_indices;
            if (!vec_ok(seg) || !vec_ok(idx)) return "SPARSE_CSR level needs array_segments and array_indices";
            if (seg->size < P + 1) return "array_segments too short";
            int64_t prev = vec_at(seg, 0);
            if (prev < 0) return "array_segments must start at or above 0";
            for (int64_t i = 1; i <= P; i++) {
                int64_t s = vec_at(seg, i);
                if (s < prev) return "array_segments must not decrease";
                prev = s;
            }
            if (prev > idx->size) return "array_segments point past array_indices";
            for (int64_t i = 0; i < prev; i++) {
                int64_t v = vec_at(idx, i);
                if (v < 0 || v >= size) return "array_indices entry out of range";
            }
            P = prev;
        } else {
            return "unknown DimensionType";
        }
    }
    if ((uint64_t)P > (uint64_t)n_values) return "buffer holds fewer values than the sparsity describes";
    return NULL;
}

typedef struct densify_state {
    const ember_sparsity *sp;
    int n, L;
    const int32_t *dims;
    int64_t es[EMBER_MAX_SPARSE_LEVELS], block[EMBER_MAX_DIMS];
    int64_t idx[EMBER_MAX_SPARSE_LEVELS];
    const uint8_t *values;
    uint8_t *out;
    size_t elem;
    size_t next_value;
} densify_state;

static void place(densify_state *s) {
    int64_t orig[EMBER_MAX_DIMS];
    int n = s->n;
    for (int l = 0; l < n; l++) orig[s->sp->traversal_order[l]] = s->idx[l];
    for (int l = n; l < s->L; l++) {
        int b = s->sp->traversal_order[l] - n;
        int od = s->sp->block_map[b];
        orig[od] = orig[od] * s->block[b] + s->idx[l];
    }
    int64_t flat = 0;
    for (int d = 0; d < n; d++) flat = flat * s->dims[d] + orig[d];
    memcpy(s->out + (size_t)flat * s->elem, s->values + s->next_value * s->elem, s->elem);
    s->next_value++;
}

static void walk(densify_state *s, int level, int64_t prev) {
    if (level == s->L) {
        place(s);
        return;
    }
    const ember_dim_metadata *md = &s->sp->dim_metadata[level];
    if (md->format == EMBER_DimensionType_DENSE) {
        int64_t size = md->dense_size;
        for (int64_t i = 0; i < size; i++) {
            s->idx[level] = i;
            walk(s, level + 1, prev * size + i);
        }
    } else {
        int64_t a = vec_at(&md->array_segments, prev), b = vec_at(&md->array_segments, prev + 1);
        for (int64_t i = a; i < b; i++) {
            s->idx[level] = vec_at(&md->array_indices, i);
            walk(s, level + 1, i);
        }
    }
}

void ember_densify(const ember_sparsity *sp, int ndim, const int32_t *dims,
                   const void *values, size_t elem_size, void *out) {
    densify_state s;
    size_t total = 1;
    for (int d = 0; d < ndim; d++) total *= (size_t)dims[d];
    memset(out, 0, total * elem_size);
    if (total == 0) return;
    s.sp = sp;
    s.n = ndim;
    s.L = ndim + sp->block_map_size;
    s.dims = dims;
    expanded_sizes(sp, ndim, dims, s.es, s.block);
    s.values = values;
    s.out = out;
    s.elem = elem_size;
    s.next_value = 0;
    walk(&s, 0, 0);
}


/* ---- glue --------------------------------------------------------------- */

typedef struct densify_data {
    void *dense;
    size_t dense_bytes;
    const ember_sparsity *sp;
} densify_data;

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(densify_data));
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    densify_data *d = node->data;
    EMBER_ENSURE(ctx, d, "DENSIFY: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "DENSIFY needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "DENSIFY: missing tensor");
    EMBER_ENSURE(ctx, x->type == y->type, "DENSIFY: output type %s differs from input %s",
                 ember_type_name(y->type), ember_type_name(x->type));
    size_t es = ember_type_size(x->type);
    if (!es || x->type == EMBER_TensorType_STRING)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "DENSIFY: type %s not supported",
                          ember_type_name(x->type));
    EMBER_ENSURE(ctx, ember_is_const(x) && x->data, "DENSIFY: input must be a constant tensor");
    d->sp = ember_tensor_sparsity(ctx, node->inputs[0]);
    if (!d->sp)
        return ember_fail(ctx, EMBER_ERR_MODEL, "DENSIFY: input '%s' has no sparsity parameters",
                          x->name ? x->name : "?");
    const char *err = ember_sparsity_validate(d->sp, x->ndim, x->dims, x->bytes / es);
    if (err) return ember_fail(ctx, EMBER_ERR_MODEL, "DENSIFY: %s", err);
    EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim, x->dims));
    size_t bytes = ember_num_elements(x) * es;
    if (!d->dense || d->dense_bytes < bytes) {
        d->dense = ember_alloc_persistent(ctx, bytes ? bytes : 1);
        if (!d->dense) return EMBER_ERR_NOMEM;
        d->dense_bytes = bytes;
    }
    ember_densify(d->sp, x->ndim, x->dims, x->data, es, d->dense);
    y->data = d->dense;
    y->mem = EMBER_MEM_CONST;
    return EMBER_OK;
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const densify_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->data == d->dense) return EMBER_OK;
    ember_densify(d->sp, x->ndim, x->dims, x->data, ember_type_size(x->type), y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_DENSIFY = { "DENSIFY", init, NULL, prepare, eval };
