/* broadcast_to.c — BROADCAST_TO: NumPy broadcasting of the input to the
 * shape given by input 1 (int32/int64, 1-D, rank >= input rank; each input
 * dimension, aligned from the right, equals the target or is 1).
 * Any fixed-size element type. */
#include "shape_common.h"

/* Target shape, and the input shape left-padded with 1s to its rank. */
static ember_status bcast_shape(ember_context *ctx, ember_node *node, int *ndim,
                                int32_t *in_dims, int32_t *reps, int32_t *dims) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int64_t v[EMBER_MAX_DIMS];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 1), v, EMBER_MAX_DIMS, &n,
                              "BROADCAST_TO shape"));
    EMBER_ENSURE(ctx, n >= x->ndim, "BROADCAST_TO: target rank %d below input rank %d", n,
                 (int)x->ndim);
    EMBER_CHECK(shp_dims_from_i64(ctx, v, n, dims, "BROADCAST_TO shape"));
    const int lead = n - x->ndim;
    for (int i = 0; i < n; i++) {
        in_dims[i] = i < lead ? 1 : x->dims[i - lead];
        EMBER_ENSURE(ctx, in_dims[i] == dims[i] || in_dims[i] == 1,
                     "BROADCAST_TO: input dimension %d (%d) cannot become %d", i,
                     (int)in_dims[i], (int)dims[i]);
        reps[i] = in_dims[i] == dims[i] ? 1 : dims[i];
    }
    *ndim = n;
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "BROADCAST_TO needs 2 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *s = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && s && y, "BROADCAST_TO: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "BROADCAST_TO: input and output types differ");
    EMBER_ENSURE(ctx, s->ndim == 1 && shp_is_index_type(s->type),
                 "BROADCAST_TO: shape must be 1-D int32/int64");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "BROADCAST_TO", &es));
    if (!ember_is_const(s)) return ember_tensor_set_dynamic(ctx, y);
    int n = 0;
    int32_t in_dims[EMBER_MAX_DIMS], reps[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(bcast_shape(ctx, node, &n, in_dims, reps, dims));
    return ember_tensor_resize(ctx, y, n, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int n = 0;
    int32_t in_dims[EMBER_MAX_DIMS], reps[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(bcast_shape(ctx, node, &n, in_dims, reps, dims));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, n, dims));
    shp_tile_bytes(n, in_dims, reps, ember_type_size(x->type), x->data, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_BROADCAST_TO = { "BROADCAST_TO", NULL, NULL, prepare, eval };
