/* concatenation.c — CONCATENATION along ConcatenationOptions.axis (negative
 * counts from the end). Any fixed-size type; a fused activation is allowed
 * for float32 only. Quantised inputs must share the output's scale/zero
 * point (requantising concatenation is not implemented yet). */
#include "shape_common.h"

/* Copies n_in inputs, each outer x inner_bytes[i], into dst interleaved. */
static void concat_bytes(int n_in, const void *const *src, const size_t *inner_bytes,
                         size_t outer, void *dst) {
    char *d = (char *)dst;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n_in; i++) {
            memcpy(d, (const char *)src[i] + o * inner_bytes[i], inner_bytes[i]);
            d += inner_bytes[i];
        }
}

static void clamp_f32(float *y, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) y[i] = ember_clampf(y[i], lo, hi);
}

static int get_axis(const ember_node *node, int rank) {
    int64_t a = ember_opt_int(node, EMBER_BuiltinOptions_ConcatenationOptions,
                              EMBER_ConcatenationOptions_axis, 0);
    return (int)(a < 0 ? a + rank : a);
}

static int32_t get_act(const ember_node *node) {
    return (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_ConcatenationOptions,
                                  EMBER_ConcatenationOptions_fused_activation_function,
                                  EMBER_ActivationFunctionType_NONE);
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs >= 1 && node->n_outputs == 1,
                 "CONCATENATION needs at least 1 input and 1 output");
    const ember_tensor *x0 = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x0 && y, "CONCATENATION: missing input or output");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x0, "CONCATENATION", &es));
    const int rank = x0->ndim;
    int64_t raw = ember_opt_int(node, EMBER_BuiltinOptions_ConcatenationOptions,
                                EMBER_ConcatenationOptions_axis, 0);
    int axis = 0;
    EMBER_CHECK(shp_axis(ctx, raw, rank, &axis, "CONCATENATION axis"));
    const int32_t act = get_act(node);
    if (act != EMBER_ActivationFunctionType_NONE) {
        if (x0->type != EMBER_TensorType_FLOAT32)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "CONCATENATION: fused activation on %s",
                              ember_type_name(x0->type));
        float lo, hi;
        EMBER_CHECK(ember_act_range_f32(ctx, act, &lo, &hi));
    }
    int32_t dims[EMBER_MAX_DIMS];
    memcpy(dims, x0->dims, sizeof dims);
    int64_t sum = 0;
    for (int i = 0; i < node->n_inputs; i++) {
        const ember_tensor *xi = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, xi, "CONCATENATION: input %d missing", i);
        EMBER_ENSURE(ctx, xi->type == x0->type, "CONCATENATION: input %d is %s, input 0 %s",
                     i, ember_type_name(xi->type), ember_type_name(x0->type));
        EMBER_ENSURE(ctx, xi->ndim == rank, "CONCATENATION: input %d has rank %d, not %d", i,
                     (int)xi->ndim, rank);
        for (int d = 0; d < rank; d++)
            EMBER_ENSURE(ctx, d == axis || xi->dims[d] == x0->dims[d],
                         "CONCATENATION: input %d dimension %d is %d, not %d", i, d,
                         (int)xi->dims[d], (int)x0->dims[d]);
        sum += xi->dims[axis];
        if (xi->q.count || y->q.count)
            if (!shp_same_quant(xi, y))
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                                  "CONCATENATION: input %d quantisation differs from output", i);
    }
    EMBER_ENSURE(ctx, y->type == x0->type, "CONCATENATION: output type differs");
    EMBER_ENSURE(ctx, sum <= INT32_MAX, "CONCATENATION: output too large");
    dims[axis] = (int32_t)sum;
    return ember_tensor_resize(ctx, y, rank, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    ember_tensor *y = ember_output(ctx, node, 0);
    const size_t es = ember_type_size(y->type);
    const int rank = y->ndim, axis = get_axis(node, rank);
    const void *src[256];
    size_t inner[256];
    const size_t after = shp_prod(y->dims, axis + 1, rank) * es;
    const size_t outer = shp_prod(y->dims, 0, axis);
    /* In chunks of 256 inputs so any input count works without allocation. */
    if (node->n_inputs <= 256) {
        for (int i = 0; i < node->n_inputs; i++) {
            const ember_tensor *xi = ember_input(ctx, node, i);
            src[i] = xi->data;
            inner[i] = (size_t)xi->dims[axis] * after;
        }
        concat_bytes(node->n_inputs, src, inner, outer, y->data);
    } else {
        size_t row = (size_t)y->dims[axis] * after, col = 0;
        for (int i = 0; i < node->n_inputs; i++) {
            const ember_tensor *xi = ember_input(ctx, node, i);
            size_t ib = (size_t)xi->dims[axis] * after;
            for (size_t o = 0; o < outer; o++)
                memcpy((char *)y->data + o * row + col, (const char *)xi->data + o * ib, ib);
            col += ib;
        }
    }
    const int32_t act = get_act(node);
    if (act != EMBER_ActivationFunctionType_NONE) {
        float lo, hi;
        EMBER_CHECK(ember_act_range_f32(ctx, act, &lo, &hi));
        clamp_f32((float *)y->data, ember_num_elements(y), lo, hi);
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_CONCATENATION = { "CONCATENATION", NULL, NULL, prepare, eval };
