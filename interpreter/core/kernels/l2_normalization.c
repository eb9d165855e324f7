/*
 * l2_normalization.c — L2_NORMALIZATION over the last axis, float32:
 * y = x / max(sqrt(sum x^2), 1e-6), as TFLite. The fused activation must
 * be NONE (TFLite refuses any other); quantised uint8/int8 is refused for
 * now.
 */
#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"

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

static ember_status l2_prepare(ember_context *ctx, ember_node *node) {
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (x->type != EMBER_TensorType_FLOAT32 || y->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "L2_NORMALIZATION supports float32 only (%s -> %s)",
                          ember_type_name(x->type), ember_type_name(y->type));
    EMBER_ENSURE(ctx, x->ndim >= 1, "L2_NORMALIZATION needs rank >= 1");
    int32_t act = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_L2NormOptions,
                                         EMBER_L2NormOptions_fused_activation_function, 0);
    if (act != EMBER_ActivationFunctionType_NONE)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "L2_NORMALIZATION with fused activation %d is not supported", (int)act);
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status l2_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    size_t depth = (size_t)x->dims[x->ndim - 1];
    if (depth == 0) return EMBER_OK;
    l2norm_rows_f32((const float *)x->data, (float *)y->data, ember_num_elements(x) / depth, depth);
    return EMBER_OK;
}

const ember_kernel ember_kernel_L2_NORMALIZATION = {"L2_NORMALIZATION", NULL, NULL, l2_prepare, l2_eval};
