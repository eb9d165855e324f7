/* tile.c — TILE: repeat the input multiples[i] times along each dimension
 * (multiples: input 1, int32/int64, one non-negative value per dimension).
 * Any fixed-size element type. */
#include "shape_common.h"

static ember_status tile_shape(ember_context *ctx, ember_node *node, int32_t *reps,
                               int32_t *dims) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int64_t m[EMBER_MAX_DIMS];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 1), m, EMBER_MAX_DIMS, &n,
                              "TILE multiples"));
    EMBER_ENSURE(ctx, n == x->ndim, "TILE: %d multiples for rank %d", n, (int)x->ndim);
    for (int i = 0; i < n; i++) {
        EMBER_ENSURE(ctx, m[i] >= 0 && m[i] <= INT32_MAX, "TILE: multiple %lld invalid",
                     (long long)m[i]);
        int64_t d = (int64_t)x->dims[i] * m[i];
        EMBER_ENSURE(ctx, d <= INT32_MAX, "TILE: dimension %d too large", i);
        reps[i] = (int32_t)m[i];
        dims[i] = (int32_t)d;
    }
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "TILE needs 2 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *m = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && m && y, "TILE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "TILE: input and output types differ");
    EMBER_ENSURE(ctx, m->ndim == 1 && shp_is_index_type(m->type),
                 "TILE: multiples must be 1-D int32/int64");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "TILE", &es));
    if (!ember_is_const(m)) return ember_tensor_set_dynamic(ctx, y);
    int32_t reps[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(tile_shape(ctx, node, reps, dims));
    return ember_tensor_resize(ctx, y, x->ndim, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int32_t reps[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(tile_shape(ctx, node, reps, dims));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim, dims));
    shp_tile_bytes(x->ndim, x->dims, reps, ember_type_size(x->type), x->data, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_TILE = { "TILE", NULL, NULL, prepare, eval };
