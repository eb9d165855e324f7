/* reshape.c — RESHAPE: same bytes, new shape.
 *
 * Where the new shape comes from follows TFLite: a second input that is a
 * 1-D int32 tensor wins; otherwise ReshapeOptions.new_shape is used (a
 * legacy new_shape of [0] means a scalar; an absent new_shape means rank 0).
 * One dimension may be -1 and is inferred; the element count must match.
 */
#include "shape_common.h"

/* Output shape of reshaping `in_elems` elements to `req[0..n)` (may hold one
 * -1). Pure shape arithmetic, separate from the glue. */
static ember_status reshape_infer(ember_context *ctx, size_t in_elems, const int64_t *req,
                                  int n, int32_t *dims) {
    int stretch = -1;
    uint64_t known = 1;
    for (int i = 0; i < n; i++) {
        if (req[i] == -1) {
            EMBER_ENSURE(ctx, stretch < 0, "RESHAPE: more than one -1 in the new shape");
            stretch = i;
            continue;
        }
        EMBER_ENSURE(ctx, req[i] >= 0 && req[i] <= INT32_MAX,
                     "RESHAPE: invalid dimension %lld", (long long)req[i]);
        dims[i] = (int32_t)req[i];
        if (req[i] == 0) known = 0;
        else if (known > 0) {
            EMBER_ENSURE(ctx, known <= UINT64_MAX / (uint64_t)req[i],
                         "RESHAPE: element count overflows");
            known *= (uint64_t)req[i];
        }
    }
    if (stretch >= 0) {
        if (known == 0) {
            EMBER_ENSURE(ctx, in_elems == 0,
                         "RESHAPE: cannot infer -1 next to a zero dimension");
            dims[stretch] = 0;
            known = 0;
        } else {
            uint64_t d = (uint64_t)in_elems / known;
            EMBER_ENSURE(ctx, d <= INT32_MAX, "RESHAPE: inferred dimension too large");
            dims[stretch] = (int32_t)d;
            known *= d;
        }
    }
    EMBER_ENSURE(ctx, known == (uint64_t)in_elems,
                 "RESHAPE: new shape has %llu elements, input has %zu",
                 (unsigned long long)known, in_elems);
    return EMBER_OK;
}

/* TFLite's rule: the shape input is used when it is a 1-D int32 tensor. */
static const ember_tensor *shape_input(ember_context *ctx, const ember_node *node) {
    const ember_tensor *s = node->n_inputs >= 2 ? ember_input(ctx, node, 1) : NULL;
    if (s && s->ndim == 1 && s->type == EMBER_TensorType_INT32) return s;
    return NULL;
}

static ember_status resize_output(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    const ember_tensor *s = shape_input(ctx, node);
    int64_t req[EMBER_MAX_DIMS];
    int n = 0;
    if (s) {
        EMBER_CHECK(shp_read_ints(ctx, s, req, EMBER_MAX_DIMS, &n, "RESHAPE shape"));
    } else {
        int32_t opt[EMBER_MAX_DIMS];
        int len = ember_opt_ints(node, EMBER_BuiltinOptions_ReshapeOptions,
                                 EMBER_ReshapeOptions_new_shape, opt, EMBER_MAX_DIMS);
        EMBER_ENSURE(ctx, len <= EMBER_MAX_DIMS,
                     "RESHAPE: new_shape has %d dimensions (at most %d)", len,
                     EMBER_MAX_DIMS);
        n = len < 0 ? 0 : len;
        if (n == 1 && opt[0] == 0) n = 0;   /* legacy spelling of a scalar */
        for (int i = 0; i < n; i++) req[i] = opt[i];
    }
    int32_t dims[EMBER_MAX_DIMS];
    EMBER_CHECK(reshape_infer(ctx, ember_num_elements(x), req, n, dims));
    return ember_tensor_resize(ctx, y, n, dims);
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 || node->n_inputs == 2,
                 "RESHAPE needs 1 or 2 inputs, got %d", (int)node->n_inputs);
    EMBER_ENSURE(ctx, node->n_outputs == 1, "RESHAPE needs 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "RESHAPE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "RESHAPE: input is %s, output %s",
                 ember_type_name(x->type), ember_type_name(y->type));
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "RESHAPE", &es));
    const ember_tensor *s = shape_input(ctx, node);
    if (s && !ember_is_const(s)) return ember_tensor_set_dynamic(ctx, y);
    return resize_output(ctx, node);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(resize_output(ctx, node));
    shp_copy(y->data, x->data, ember_num_elements(x) * ember_type_size(x->type));
    return EMBER_OK;
}

const ember_kernel ember_kernel_RESHAPE = { "RESHAPE", NULL, NULL, prepare, eval };
