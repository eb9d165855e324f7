/* pack.c — PACK (stack N same-shaped inputs along a new axis) and UNPACK
 * (its inverse). Axes may be negative. Any fixed-size type. */
#include "shape_common.h"
#include "quant_elementwise.h"

/* dst[o][i][0..inner) = src[i][o][0..inner) for i < n, o < outer (bytes). */
static void pack_bytes(int n, const void *const *src, size_t outer, size_t inner, void *dst) {
    char *d = (char *)dst;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++, d += inner)
            memcpy(d, (const char *)src[i] + o * inner, inner);
}

/* dst[i][o][..] = src[o][i][..]. */
static void unpack_bytes(int n, const void *src, size_t outer, size_t inner, void *const *dst) {
    const char *s = (const char *)src;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n; i++, s += inner)
            memcpy((char *)dst[i] + o * inner, s, inner);
}

static ember_status pack_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs >= 1 && node->n_outputs == 1,
                 "PACK needs at least 1 input and 1 output");
    const ember_tensor *x0 = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x0 && y, "PACK: missing input or output");
    int64_t count = ember_opt_int(node, EMBER_BuiltinOptions_PackOptions,
                                  EMBER_PackOptions_values_count, 0);
    EMBER_ENSURE(ctx, count == node->n_inputs, "PACK: values_count %lld but %d inputs",
                 (long long)count, (int)node->n_inputs);
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x0, "PACK", &es));
    EMBER_ENSURE(ctx, x0->ndim < EMBER_MAX_DIMS, "PACK: input rank too large");
    EMBER_ENSURE(ctx, y->type == x0->type, "PACK: output type differs");
    int axis = 0;
    EMBER_CHECK(shp_axis(ctx, ember_opt_int(node, EMBER_BuiltinOptions_PackOptions,
                                            EMBER_PackOptions_axis, 0),
                         x0->ndim + 1, &axis, "PACK axis"));
    for (int i = 1; i < node->n_inputs; i++) {
        const ember_tensor *xi = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, xi, "PACK: input %d missing", i);
        /* TFLite packs raw values: every input must share the output's quantisation. */
        EMBER_CHECK(ember_qe_check_same(ctx, xi, y, "PACK", "an input's"));
        EMBER_ENSURE(ctx, xi->type == x0->type && ember_same_shape(xi, x0),
                     "PACK: input %d differs in type or shape from input 0", i);
    }
    int32_t dims[EMBER_MAX_DIMS];
    for (int i = 0, k = 0; i <= x0->ndim; i++)
        dims[i] = i == axis ? (int32_t)node->n_inputs : x0->dims[k++];
    return ember_tensor_resize(ctx, y, x0->ndim + 1, dims);
}

static ember_status pack_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x0 = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int axis = 0;
    EMBER_CHECK(shp_axis(ctx, ember_opt_int(node, EMBER_BuiltinOptions_PackOptions,
                                            EMBER_PackOptions_axis, 0),
                         x0->ndim + 1, &axis, "PACK axis"));
    const size_t outer = shp_prod(x0->dims, 0, axis);
    const size_t inner = shp_prod(x0->dims, axis, x0->ndim) * ember_type_size(x0->type);
    const void *src[64];
    if (node->n_inputs <= 64) {
        for (int i = 0; i < node->n_inputs; i++) src[i] = ember_input(ctx, node, i)->data;
        pack_bytes(node->n_inputs, src, outer, inner, y->data);
    } else {
        const size_t row = inner * (size_t)node->n_inputs;
        for (int i = 0; i < node->n_inputs; i++) {
            const char *s = (const char *)ember_input(ctx, node, i)->data;
            for (size_t o = 0; o < outer; o++)
                memcpy((char *)y->data + o * row + (size_t)i * inner, s + o * inner, inner);
        }
    }
    return EMBER_OK;
}

static ember_status unpack_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs >= 1,
                 "UNPACK needs 1 input and at least 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    EMBER_ENSURE(ctx, x && x->ndim >= 1, "UNPACK: input missing or scalar");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "UNPACK", &es));
    int axis = 0;
    EMBER_CHECK(shp_axis(ctx, ember_opt_int(node, EMBER_BuiltinOptions_UnpackOptions,
                                            EMBER_UnpackOptions_axis, 0),
                         x->ndim, &axis, "UNPACK axis"));
    int64_t num = ember_opt_int(node, EMBER_BuiltinOptions_UnpackOptions,
                                EMBER_UnpackOptions_num, 0);
    EMBER_ENSURE(ctx, num == node->n_outputs && num == x->dims[axis],
                 "UNPACK: num %lld, %d outputs, dimension %d is %d", (long long)num,
                 (int)node->n_outputs, axis, (int)x->dims[axis]);
    int32_t dims[EMBER_MAX_DIMS];
    for (int i = 0, k = 0; i < x->ndim; i++)
        if (i != axis) dims[k++] = x->dims[i];
    for (int i = 0; i < node->n_outputs; i++) {
        ember_tensor *y = ember_output(ctx, node, i);
        EMBER_ENSURE(ctx, y && y->type == x->type, "UNPACK: output %d missing or mistyped", i);
        EMBER_CHECK(ember_qe_check_same(ctx, x, y, "UNPACK", "the input's"));
        EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim - 1, dims));
    }
    return EMBER_OK;
}

static ember_status unpack_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int axis = 0;
    EMBER_CHECK(shp_axis(ctx, ember_opt_int(node, EMBER_BuiltinOptions_UnpackOptions,
                                            EMBER_UnpackOptions_axis, 0),
                         x->ndim, &axis, "UNPACK axis"));
    const size_t outer = shp_prod(x->dims, 0, axis);
    const size_t inner = shp_prod(x->dims, axis + 1, x->ndim) * ember_type_size(x->type);
    void *dst[64];
    if (node->n_outputs <= 64) {
        for (int i = 0; i < node->n_outputs; i++) dst[i] = ember_output(ctx, node, i)->data;
        unpack_bytes(node->n_outputs, x->data, outer, inner, dst);
    } else {
        const size_t row = inner * (size_t)node->n_outputs;
        for (int i = 0; i < node->n_outputs; i++) {
            char *d = (char *)ember_output(ctx, node, i)->data;
            for (size_t o = 0; o < outer; o++)
                memcpy(d + o * inner, (const char *)x->data + o * row + (size_t)i * inner, inner);
        }
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_PACK = { "PACK", NULL, NULL, pack_prepare, pack_eval };
const ember_kernel ember_kernel_UNPACK = { "UNPACK", NULL, NULL, unpack_prepare, unpack_eval };
