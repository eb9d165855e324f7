/* gather.c — GATHER (GatherOptions.axis, .batch_dims; both may be negative)
 * and GATHER_ND. Indices are int32 or int64; an index outside the gathered
 * dimension is an error at eval (never an out-of-bounds read). Any
 * fixed-size element type is gathered byte-wise. */
#include "shape_common.h"

static int64_t index_at(const void *idx, int32_t type, size_t i) {
    if (type == EMBER_TensorType_INT32) return ((const int32_t *)idx)[i];
    return ((const int64_t *)idx)[i];
}

/* out[b][o][i][..inner] = params[b][o][indices[b][i]][..inner].
 * Returns the first bad index position + 1 (0 when all are in range). */
static size_t gather_bytes(const void *params, const void *indices, int32_t itype,
                           size_t batch, size_t outer, size_t axis_size, size_t n_idx,
                           size_t inner_bytes, void *out, int64_t *bad) {
    const char *p = (const char *)params;
    char *o = (char *)out;
    for (size_t b = 0; b < batch; b++)
        for (size_t r = 0; r < outer; r++) {
            const char *src = p + (b * outer + r) * axis_size * inner_bytes;
            for (size_t i = 0; i < n_idx; i++) {
                int64_t k = index_at(indices, itype, b * n_idx + i);
                if (k < 0 || (uint64_t)k >= axis_size) {
                    *bad = k;
                    return b * n_idx + i + 1;
                }
                memcpy(o, src + (size_t)k * inner_bytes, inner_bytes);
                o += inner_bytes;
            }
        }
    return 0;
}

typedef struct gather_geo {
    int axis, batch_dims;
} gather_geo;

static ember_status gather_geometry(ember_context *ctx, ember_node *node, gather_geo *g) {
    const ember_tensor *p = ember_input(ctx, node, 0);
    const ember_tensor *ix = ember_input(ctx, node, 1);
    int64_t axis = ember_opt_int(node, EMBER_BuiltinOptions_GatherOptions,
                                 EMBER_GatherOptions_axis, 0);
    int64_t bd = ember_opt_int(node, EMBER_BuiltinOptions_GatherOptions,
                               EMBER_GatherOptions_batch_dims, 0);
    EMBER_ENSURE(ctx, p->ndim >= 1, "GATHER: params must have rank >= 1");
    EMBER_CHECK(shp_axis(ctx, axis, p->ndim, &g->axis, "GATHER axis"));
    if (bd < 0) bd += ix->ndim;
    EMBER_ENSURE(ctx, bd >= 0 && bd <= ix->ndim, "GATHER: batch_dims out of range");
    EMBER_ENSURE(ctx, bd <= g->axis, "GATHER: batch_dims %lld exceeds axis %d",
                 (long long)bd, g->axis);
    g->batch_dims = (int)bd;
    for (int i = 0; i < g->batch_dims; i++)
        EMBER_ENSURE(ctx, p->dims[i] == ix->dims[i],
                     "GATHER: batch dimension %d differs (%d vs %d)", i, (int)p->dims[i],
                     (int)ix->dims[i]);
    return EMBER_OK;
}

static ember_status gather_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "GATHER needs 2 inputs and 1 output");
    const ember_tensor *p = ember_input(ctx, node, 0);
    const ember_tensor *ix = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, p && ix && y, "GATHER: missing input or output");
    EMBER_ENSURE(ctx, shp_is_index_type(ix->type), "GATHER: indices must be int32/int64");
    EMBER_ENSURE(ctx, p->type == y->type, "GATHER: params and output types differ");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, p, "GATHER", &es));
    gather_geo g;
    EMBER_CHECK(gather_geometry(ctx, node, &g));
    int n = 0;
    int32_t dims[EMBER_MAX_DIMS];
    EMBER_ENSURE(ctx, p->ndim - 1 + ix->ndim - g.batch_dims <= EMBER_MAX_DIMS,
                 "GATHER: output rank too large");
    for (int i = 0; i < g.axis; i++) dims[n++] = p->dims[i];
    for (int i = g.batch_dims; i < ix->ndim; i++) dims[n++] = ix->dims[i];
    for (int i = g.axis + 1; i < p->ndim; i++) dims[n++] = p->dims[i];
    return ember_tensor_resize(ctx, y, n, dims);
}

static ember_status gather_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *p = ember_input(ctx, node, 0);
    const ember_tensor *ix = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    gather_geo g;
    EMBER_CHECK(gather_geometry(ctx, node, &g));
    const size_t es = ember_type_size(p->type);
    const size_t batch = shp_prod(p->dims, 0, g.batch_dims);
    const size_t outer = shp_prod(p->dims, g.batch_dims, g.axis);
    const size_t n_idx = shp_prod(ix->dims, g.batch_dims, ix->ndim);
    const size_t inner = shp_prod(p->dims, g.axis + 1, p->ndim) * es;
    int64_t bad = 0;
    size_t at = gather_bytes(p->data, ix->data, ix->type, batch, outer,
                             (size_t)p->dims[g.axis], n_idx, inner, y->data, &bad);
    if (at)
        return ember_fail(ctx, EMBER_ERROR, "GATHER: index %lld (position %zu) outside [0, %d)",
                          (long long)bad, at - 1, (int)p->dims[g.axis]);
    return EMBER_OK;
}

/* out[i][..inner] = params[indices[i][0..nd)][..inner]; returns bad position+1. */
static size_t gather_nd_bytes(const void *params, const int32_t *pdims, const void *indices,
                              int32_t itype, size_t n_idx, int nd, size_t inner_bytes,
                              void *out, int64_t *bad) {
    const char *p = (const char *)params;
    char *o = (char *)out;
    for (size_t i = 0; i < n_idx; i++) {
        size_t off = 0;
        for (int k = 0; k < nd; k++) {
            int64_t v = index_at(indices, itype, i * (size_t)nd + (size_t)k);
            if (v < 0 || v >= pdims[k]) {
                *bad = v;
                return i + 1;
            }
            off = off * (size_t)pdims[k] + (size_t)v;
        }
        memcpy(o, p + off * inner_bytes, inner_bytes);
        o += inner_bytes;
    }
    return 0;
}

static ember_status gather_nd_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "GATHER_ND needs 2 inputs and 1 output");
    const ember_tensor *p = ember_input(ctx, node, 0);
    const ember_tensor *ix = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, p && ix && y, "GATHER_ND: missing input or output");
    EMBER_ENSURE(ctx, shp_is_index_type(ix->type), "GATHER_ND: indices must be int32/int64");
    EMBER_ENSURE(ctx, p->type == y->type, "GATHER_ND: params and output types differ");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, p, "GATHER_ND", &es));
    EMBER_ENSURE(ctx, p->ndim >= 1 && ix->ndim >= 1, "GATHER_ND: params and indices need rank >= 1");
    const int nd = ix->dims[ix->ndim - 1];
    EMBER_ENSURE(ctx, nd >= 1 && nd <= p->ndim,
                 "GATHER_ND: index depth %d invalid for params rank %d", nd, (int)p->ndim);
    int n = 0;
    int32_t dims[EMBER_MAX_DIMS];
    EMBER_ENSURE(ctx, ix->ndim - 1 + p->ndim - nd <= EMBER_MAX_DIMS,
                 "GATHER_ND: output rank too large");
    for (int i = 0; i < ix->ndim - 1; i++) dims[n++] = ix->dims[i];
    for (int i = nd; i < p->ndim; i++) dims[n++] = p->dims[i];
    return ember_tensor_resize(ctx, y, n, dims);
}

static ember_status gather_nd_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *p = ember_input(ctx, node, 0);
    const ember_tensor *ix = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const int nd = ix->dims[ix->ndim - 1];
    const size_t n_idx = shp_prod(ix->dims, 0, ix->ndim - 1);
    const size_t inner = shp_prod(p->dims, nd, p->ndim) * ember_type_size(p->type);
    int64_t bad = 0;
    size_t at = gather_nd_bytes(p->data, p->dims, ix->data, ix->type, n_idx, nd, inner,
                                y->data, &bad);
    if (at)
        return ember_fail(ctx, EMBER_ERROR, "GATHER_ND: index %lld out of bounds (row %zu)",
                          (long long)bad, at - 1);
    return EMBER_OK;
}

const ember_kernel ember_kernel_GATHER = { "GATHER", NULL, NULL, gather_prepare, gather_eval };
const ember_kernel ember_kernel_GATHER_ND = { "GATHER_ND", NULL, NULL, gather_nd_prepare,
                                              gather_nd_eval };
