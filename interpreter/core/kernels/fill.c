/* fill.c — FILL (output of shape `dims` (input 0, int32/int64 1-D) filled
 * with the scalar input 1; output type = value type) and ZEROS_LIKE (all-zero
 * bytes, same shape and type). Any fixed-size element type. */
#include "shape_common.h"

static ember_status fill_shape(ember_context *ctx, ember_node *node, int *n, int32_t *dims) {
    int64_t v[EMBER_MAX_DIMS];
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 0), v, EMBER_MAX_DIMS, n,
                              "FILL dims"));
    return shp_dims_from_i64(ctx, v, *n, dims, "FILL dims");
}

static ember_status fill_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "FILL needs 2 inputs and 1 output");
    const ember_tensor *d = ember_input(ctx, node, 0);
    const ember_tensor *v = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, d && v && y, "FILL: missing input or output");
    EMBER_ENSURE(ctx, d->ndim == 1 && shp_is_index_type(d->type),
                 "FILL: dims must be 1-D int32/int64");
    EMBER_ENSURE(ctx, ember_num_elements(v) == 1 && v->ndim <= 1, "FILL: value must be a scalar");
    EMBER_ENSURE(ctx, v->type == y->type, "FILL: value is %s, output %s",
                 ember_type_name(v->type), ember_type_name(y->type));
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, v, "FILL", &es));
    if (!ember_is_const(d)) return ember_tensor_set_dynamic(ctx, y);
    int n = 0;
    int32_t dims[EMBER_MAX_DIMS];
    EMBER_CHECK(fill_shape(ctx, node, &n, dims));
    return ember_tensor_resize(ctx, y, n, dims);
}

static ember_status fill_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *v = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->mem == EMBER_MEM_DYNAMIC) {
        int n = 0;
        int32_t dims[EMBER_MAX_DIMS];
        EMBER_CHECK(fill_shape(ctx, node, &n, dims));
        EMBER_CHECK(ember_tensor_resize(ctx, y, n, dims));
    }
    shp_fill_bytes(y->data, ember_num_elements(y), v->data, ember_type_size(v->type));
    return EMBER_OK;
}

static ember_status zeros_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "ZEROS_LIKE needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "ZEROS_LIKE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "ZEROS_LIKE: input and output types differ");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "ZEROS_LIKE", &es));
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status zeros_eval(ember_context *ctx, ember_node *node) {
    ember_tensor *y = ember_output(ctx, node, 0);
    size_t n = ember_num_elements(y) * ember_type_size(y->type);
    if (n) memset(y->data, 0, n);
    return EMBER_OK;
}

const ember_kernel ember_kernel_FILL = { "FILL", NULL, NULL, fill_prepare, fill_eval };
const ember_kernel ember_kernel_ZEROS_LIKE = { "ZEROS_LIKE", NULL, NULL, zeros_prepare,
                                               zeros_eval };
