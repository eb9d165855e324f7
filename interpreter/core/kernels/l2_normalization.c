/*
 * l2_normalization.c — L2_NORMALIZATION over the last axis.
 *
 * float32: y = x / max(sqrt(sum x^2), 1e-6), as TFLite.
 * int8 / uint8: TFLite's integer arithmetic — per row, the sum of squared
 * (x - zp) in int32, its inverse square root as a fixed-point multiplier
 * (gemmlowp's Newton-Raphson, ember_inv_sqrt_quantized_multiplier_exp), each
 * element rescaled to the fixed output quantisation the spec demands:
 * scale 1/128 with zero point 0 (int8) or 128 (uint8).
 * The fused activation must be NONE (TFLite refuses any other).
 */
#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "quant_common.h"

static void l2norm_rows_f32(const float *x, float *y, size_t rows, size_t depth) {
    const float eps = 1e-6f;
    for (size_t r = 0; r < rows; r++, x += depth, y += depth) {
        float ss = 0.0f;
        for (size_t c = 0; c < depth; c++) ss += x[c] * x[c];
        float norm = sqrtf(ss);
        norm = norm > eps ? norm : eps;
        for (size_t c = 0; c < depth; c++) y[c] = x[c] / norm;
    }
}

/* int8: x * inv_norm * 128 through the int32 multiply (output scale 1/128
 * folded in as 7 more bits of shift), clamped to int8. */
static void l2norm_rows_i8(const int8_t *x, int8_t *y, size_t rows, size_t depth, int32_t zp) {
    for (size_t r = 0; r < rows; r++, x += depth, y += depth) {
        uint32_t ss = 0;   /* TFLite's int32 sum; unsigned keeps the wrap defined */
        for (size_t c = 0; c < depth; c++) {
            const int32_t v = x[c] - zp;
            ss += (uint32_t)(v * v);
        }
        int32_t mult;
        int shift;
        ember_inv_sqrt_quantized_multiplier_exp((int32_t)ss, -1, &mult, &shift);
        for (size_t c = 0; c < depth; c++) {
            const int32_t v = ember_multiply_by_quantized_multiplier(x[c] - zp, mult, shift + 7);
            y[c] = (int8_t)ember_clamp_i32(v, -128, 127);
        }
    }
}

/* uint8 (legacy): 128 * (x - zp) * inv_norm, re-centred on 128. */
static void l2norm_rows_u8(const uint8_t *x, uint8_t *y, size_t rows, size_t depth, int32_t zp) {
    for (size_t r = 0; r < rows; r++, x += depth, y += depth) {
        uint32_t ss = 0;
        for (size_t c = 0; c < depth; c++) {
            const int32_t v = x[c] - zp;
            ss += (uint32_t)(v * v);
        }
        int32_t mult;
        int shift;
        ember_inv_sqrt_quantized_multiplier_exp((int32_t)ss, -1, &mult, &shift);
        for (size_t c = 0; c < depth; c++) {
            const int32_t v = 128 + ember_multiply_by_quantized_multiplier(128 * (x[c] - zp), mult, shift);
            y[c] = (uint8_t)ember_clamp_i32(v, 0, 255);
        }
    }
}

static ember_status l2_prepare(ember_context *ctx, ember_node *node) {
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    const int32_t t = x->type;
    if (t != EMBER_TensorType_FLOAT32 && t != EMBER_TensorType_INT8 && t != EMBER_TensorType_UINT8)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "L2_NORMALIZATION supports float32, int8 and uint8, not %s",
                          ember_type_name(t));
    if (y->type != t)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "L2_NORMALIZATION: output type %s differs from input type %s",
                          ember_type_name(y->type), ember_type_name(t));
    EMBER_ENSURE(ctx, x->ndim >= 1, "L2_NORMALIZATION needs rank >= 1");
    int32_t act = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_L2NormOptions,
                                         EMBER_L2NormOptions_fused_activation_function, 0);
    if (act != EMBER_ActivationFunctionType_NONE)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "L2_NORMALIZATION with fused activation %d is not supported", (int)act);
    if (t != EMBER_TensorType_FLOAT32) {
        EMBER_CHECK(ember_quant_require(ctx, x, "L2_NORMALIZATION", "input"));
        EMBER_CHECK(ember_quant_require(ctx, y, "L2_NORMALIZATION", "output"));
        int32_t lo, hi;
        ember_quant_type_range(t, &lo, &hi);
        EMBER_ENSURE(ctx, x->q.zero_point[0] >= lo && x->q.zero_point[0] <= hi,
                     "L2_NORMALIZATION: input zero point %d outside the %s range",
                     (int)x->q.zero_point[0], ember_type_name(t));
        const int64_t want_zp = t == EMBER_TensorType_INT8 ? 0 : 128;
        EMBER_ENSURE(ctx, y->q.scale[0] == 1.0f / 128.0f && y->q.zero_point[0] == want_zp,
                     "L2_NORMALIZATION: %s output '%s' must have scale 1/128 and zero point %d "
                     "(has %g, %d)", ember_type_name(t), y->name ? y->name : "?", (int)want_zp,
                     (double)y->q.scale[0], (int)y->q.zero_point[0]);
    }
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status l2_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    size_t depth = (size_t)x->dims[x->ndim - 1];
    if (depth == 0) return EMBER_OK;
    const size_t rows = ember_num_elements(x) / depth;
    switch (x->type) {
    case EMBER_TensorType_INT8:
        l2norm_rows_i8((const int8_t *)x->data, (int8_t *)y->data, rows, depth, (int32_t)x->q.zero_point[0]);
        break;
    case EMBER_TensorType_UINT8:
        l2norm_rows_u8((const uint8_t *)x->data, (uint8_t *)y->data, rows, depth, (int32_t)x->q.zero_point[0]);
        break;
    default:
        l2norm_rows_f32((const float *)x->data, (float *)y->data, rows, depth);
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_L2_NORMALIZATION = {"L2_NORMALIZATION", NULL, NULL, l2_prepare, l2_eval};
