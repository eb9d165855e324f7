/* slice.c — SLICE: out = in[begin : begin + size] per dimension (inputs 1
 * and 2, int32/int64, one value per input dimension; size -1 = to the end).
 * Any fixed-size type. */
#include "shape_common.h"

static ember_status slice_params(ember_context *ctx, ember_node *node, int32_t *begin,
                                 int32_t *size) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int64_t b[EMBER_MAX_DIMS], s[EMBER_MAX_DIMS];
    int nb = 0, ns = 0;
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 1), b, EMBER_MAX_DIMS, &nb,
                              "SLICE begin"));
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 2), s, EMBER_MAX_DIMS, &ns,
                              "SLICE size"));
    EMBER_ENSURE(ctx, nb == x->ndim && ns == x->ndim,
                 "SLICE: begin/size have %d/%d values for rank %d", nb, ns, (int)x->ndim);
    for (int i = 0; i < x->ndim; i++) {
        const int64_t d = x->dims[i];
        EMBER_ENSURE(ctx, b[i] >= 0 && b[i] <= d, "SLICE: begin[%d] = %lld outside [0, %lld]",
                     i, (long long)b[i], (long long)d);
        int64_t sz = s[i] == -1 ? d - b[i] : s[i];
        EMBER_ENSURE(ctx, sz >= 0 && b[i] + sz <= d,
                     "SLICE: size[%d] = %lld invalid for begin %lld and dimension %lld", i,
                     (long long)s[i], (long long)b[i], (long long)d);
        begin[i] = (int32_t)b[i];
        size[i] = (int32_t)sz;
    }
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 3 && node->n_outputs == 1,
                 "SLICE needs 3 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *b = ember_input(ctx, node, 1);
    const ember_tensor *s = ember_input(ctx, node, 2);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && b && s && y, "SLICE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "SLICE: input and output types differ");
    EMBER_ENSURE(ctx, b->ndim == 1 && s->ndim == 1 && shp_is_index_type(b->type) &&
                          shp_is_index_type(s->type),
                 "SLICE: begin and size must be 1-D int32/int64");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "SLICE", &es));
    if (!ember_is_const(b) || !ember_is_const(s)) return ember_tensor_set_dynamic(ctx, y);
    int32_t begin[EMBER_MAX_DIMS], size[EMBER_MAX_DIMS];
    EMBER_CHECK(slice_params(ctx, node, begin, size));
    return ember_tensor_resize(ctx, y, x->ndim, size);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int32_t begin[EMBER_MAX_DIMS], size[EMBER_MAX_DIMS], step[EMBER_MAX_DIMS];
    EMBER_CHECK(slice_params(ctx, node, begin, size));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim, size));
    for (int i = 0; i < x->ndim; i++) step[i] = 1;
    shp_strided_copy(x->ndim, x->dims, begin, step, size, ember_type_size(x->type), x->data,
                     y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_SLICE = { "SLICE", NULL, NULL, prepare, eval };
