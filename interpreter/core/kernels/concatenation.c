/* concatenation.c — CONCATENATION along ConcatenationOptions.axis (negative
 * counts from the end). Any fixed-size type; a fused activation is allowed
 * for float32 only.
 *
 * Quantised int8/uint8/int16: an input whose scale or zero point differs
 * from the output's is requantised with TFLite's uint8 formula (float
 * s = in_scale * (1 / out_scale), q = round(x * s - zp_in * s) + zp_out,
 * clamped). TFLite itself refuses differing int8 parameters and copies
 * int16 values unscaled; Ember applies the same requantisation to both,
 * so the result always means what the output's parameters say. int16
 * needs zero points of 0, as in TFLite. */
#include <math.h>

#include "quant_elementwise.h"
#include "shape_common.h"

/* Each product is rounded to float on its own (no FMA), as TFLite does. */
static float cc_fl(volatile float v) { return v; }

/* Requantises one input's block into its columns of the output: `outer`
 * runs of n elements from src, each written at dst + k * row. */
#define CONCAT_REQUANT(NAME, T, LO, HI)                                         \
    static void NAME(const void *src, void *dst, size_t outer, size_t n, size_t row, \
                     float scale, float bias, int32_t zp) {                     \
        const T *x = (const T *)src;                                            \
        for (size_t k = 0; k < outer; k++) {                                    \
            T *o = (T *)dst + k * row;                                          \
            for (size_t j = 0; j < n; j++) {                                    \
                const int32_t v = (int32_t)roundf(cc_fl((float)*x++ * scale) + bias) + zp; \
                o[j] = (T)(v < (LO) ? (LO) : (v > (HI) ? (HI) : v));            \
            }                                                                   \
        }                                                                       \
    }
CONCAT_REQUANT(requant_i8, int8_t, -128, 127)
CONCAT_REQUANT(requant_u8, uint8_t, 0, 255)
CONCAT_REQUANT(requant_i16, int16_t, -32768, 32767)

static int concat_needs_requant(const ember_tensor *x, const ember_tensor *y) {
    return ember_qe_is_qtype(y->type) && y->q.count &&
           (ember_qe_scale(x) != ember_qe_scale(y) || ember_qe_zp(x) != ember_qe_zp(y));
}

/* Overwrites the columns of each input that needs requantising. */
static void concat_requant(ember_context *ctx, const ember_node *node, const ember_tensor *y,
                           int axis) {
    const size_t after = shp_prod(y->dims, axis + 1, y->ndim);
    const size_t outer = shp_prod(y->dims, 0, axis);
    const size_t row = (size_t)y->dims[axis] * after;
    const float inv = 1.0f / ember_qe_scale(y);
    size_t col = 0;
    for (int i = 0; i < node->n_inputs; i++) {
        const ember_tensor *xi = ember_input(ctx, node, i);
        const size_t n = (size_t)xi->dims[axis] * after;
        if (concat_needs_requant(xi, y) && n) {
            const float scale = cc_fl(ember_qe_scale(xi) * inv);
            const float bias = cc_fl((float)-ember_qe_zp(xi) * scale);
            const size_t es = ember_type_size(y->type);
            void *dst = (char *)y->data + col * es;
            switch (y->type) {
            case EMBER_TensorType_INT8:
                requant_i8(xi->data, dst, outer, n, row, scale, bias, ember_qe_zp(y));
                break;
            case EMBER_TensorType_UINT8:
                requant_u8(xi->data, dst, outer, n, row, scale, bias, ember_qe_zp(y));
                break;
            default:
                requant_i16(xi->data, dst, outer, n, row, scale, bias, ember_qe_zp(y));
                break;
            }
        }
        col += n;
    }
}

/* Quantised inputs and output: per-tensor parameters, zero points of 0 for
 * int16. Other types must simply agree on whatever quantisation they carry. */
static ember_status concat_check_quant(ember_context *ctx, const ember_tensor *xi,
                                       const ember_tensor *y, int i) {
    if (!ember_qe_is_qtype(y->type) || (!xi->q.count && !y->q.count)) {
        if ((xi->q.count || y->q.count) && !shp_same_quant(xi, y))
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "CONCATENATION: input %d quantisation differs from output", i);
        return EMBER_OK;
    }
    EMBER_CHECK(ember_qe_check_tensor(ctx, xi, "CONCATENATION", "input"));
    EMBER_CHECK(ember_qe_check_tensor(ctx, y, "CONCATENATION", "output"));
    if (y->type == EMBER_TensorType_INT16 && (ember_qe_zp(xi) != 0 || ember_qe_zp(y) != 0))
        return ember_fail(ctx, EMBER_ERR_MODEL,
                          "CONCATENATION: int16 zero points must be 0 (input %d: %d, output: %d)",
                          i, (int)ember_qe_zp(xi), (int)ember_qe_zp(y));
    return EMBER_OK;
}

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
    }
    EMBER_ENSURE(ctx, y->type == x0->type, "CONCATENATION: output type differs");
    for (int i = 0; i < node->n_inputs; i++)
        EMBER_CHECK(concat_check_quant(ctx, ember_input(ctx, node, i), y, i));
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
    if (ember_qe_is_qtype(y->type) && y->q.count) concat_requant(ctx, node, y, axis);
    const int32_t act = get_act(node);
    if (act != EMBER_ActivationFunctionType_NONE) {
        float lo, hi;
        EMBER_CHECK(ember_act_range_f32(ctx, act, &lo, &hi));
        clamp_f32((float *)y->data, ember_num_elements(y), lo, hi);
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_CONCATENATION = { "CONCATENATION", NULL, NULL, prepare, eval };
