/* expand_dims.c — EXPAND_DIMS: insert a size-1 dimension at `axis` (input 1,
 * int32/int64 scalar or 1-element; negative counts from the end of the
 * output, i.e. axis + rank + 1). */
#include "shape_common.h"
#include "quant_elementwise.h"

static ember_status resize_output(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *ax = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    int64_t v[1];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, ax, v, 1, &n, "EXPAND_DIMS axis"));
    EMBER_ENSURE(ctx, n == 1, "EXPAND_DIMS: axis must have one value");
    EMBER_ENSURE(ctx, x->ndim < EMBER_MAX_DIMS, "EXPAND_DIMS: input rank too large");
    int a = 0;
    EMBER_CHECK(shp_axis(ctx, v[0], x->ndim + 1, &a, "EXPAND_DIMS axis"));
    int32_t dims[EMBER_MAX_DIMS];
    for (int i = 0, k = 0; i <= x->ndim; i++)
        dims[i] = i == a ? 1 : x->dims[k++];
    return ember_tensor_resize(ctx, y, x->ndim + 1, dims);
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "EXPAND_DIMS needs 2 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *ax = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && ax && y, "EXPAND_DIMS: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "EXPAND_DIMS: input and output types differ");
    EMBER_CHECK(ember_qe_check_same(ctx, x, y, "EXPAND_DIMS", "input"));
    EMBER_ENSURE(ctx, shp_is_index_type(ax->type), "EXPAND_DIMS: axis must be int32/int64");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "EXPAND_DIMS", &es));
    if (!ember_is_const(ax)) return ember_tensor_set_dynamic(ctx, y);
    return resize_output(ctx, node);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(resize_output(ctx, node));
    shp_copy(y->data, x->data, ember_num_elements(x) * ember_type_size(x->type));
    return EMBER_OK;
}

const ember_kernel ember_kernel_EXPAND_DIMS = { "EXPAND_DIMS", NULL, NULL, prepare, eval };
