/* squeeze.c — SQUEEZE: drop size-1 dimensions (all of them, or those listed
 * in SqueezeOptions.squeeze_dims, which may be negative and must be 1). */
#include "shape_common.h"

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "SQUEEZE needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "SQUEEZE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "SQUEEZE: input and output types differ");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "SQUEEZE", &es));
    int32_t sq[EMBER_MAX_DIMS];
    int n = ember_opt_ints(node, EMBER_BuiltinOptions_SqueezeOptions,
                           EMBER_SqueezeOptions_squeeze_dims, sq, EMBER_MAX_DIMS);
    EMBER_ENSURE(ctx, n <= EMBER_MAX_DIMS, "SQUEEZE: too many squeeze_dims (%d)", n);
    int drop[EMBER_MAX_DIMS] = {0};
    if (n <= 0) {
        for (int i = 0; i < x->ndim; i++) drop[i] = x->dims[i] == 1;
    } else {
        for (int i = 0; i < n; i++) {
            int a = 0;
            EMBER_CHECK(shp_axis(ctx, sq[i], x->ndim, &a, "SQUEEZE: squeeze dim"));
            EMBER_ENSURE(ctx, x->dims[a] == 1, "SQUEEZE: dimension %d has size %d, not 1",
                         a, (int)x->dims[a]);
            drop[a] = 1;
        }
    }
    int32_t dims[EMBER_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < x->ndim; i++)
        if (!drop[i]) dims[k++] = x->dims[i];
    return ember_tensor_resize(ctx, y, k, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    shp_copy(y->data, x->data, ember_num_elements(x) * ember_type_size(x->type));
    return EMBER_OK;
}

const ember_kernel ember_kernel_SQUEEZE = { "SQUEEZE", NULL, NULL, prepare, eval };
