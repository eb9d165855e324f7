/*
 * activations.c — float32 activation functions:
 * LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, ELU,
 * HARD_SWISH, GELU.
 *
 * Quantised (uint8/int8/int16) activations are refused for now.
 * Formulas follow TFLite's reference kernels:
 *   LEAKY_RELU  x > 0 ? x : alpha * x     (alpha may be > 1 or negative)
 *   ELU         x < 0 ? expm1(x) : x
 *   HARD_SWISH  x * min(6, max(0, x + 3)) / 6
 *   GELU        0.5 x (1 + erf(x / sqrt 2))                  (approximate = false)
 *               0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (approximate = true)
 *   RELUs       clamps; NaN passes through.
 * exp-based functions (LOGISTIC, TANH, ELU, GELU) use the vectorisable
 * polynomials of fast_math.h (accuracy bounds documented there).
 */
#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "fast_math.h"

typedef struct act_params {
    float alpha;                    /* LEAKY_RELU */
} act_params;

#define ACT_FN(NAME, EXPR)                                                      \
    static void NAME(const void *in, void *out, size_t s, size_t e, const void *pv) { \
        const float *restrict x_ = (const float *)in;                           \
        float *restrict y_ = (float *)out;                                      \
        const float alpha = pv ? ((const act_params *)pv)->alpha : 0.0f;        \
        (void)alpha;                                                            \
        for (size_t i = s; i < e; i++) {                                        \
            const float x = x_[i];                                              \
            y_[i] = (EXPR);                                                     \
        }                                                                       \
    }

static inline float relu_range(float x, float lo, float hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}
/* x > 0 ? x : x * alpha, written as pos + alpha * neg with selects that
 * only pick between x and 0 (a multiply inside a branch is not
 * if-converted under -ftrapping-math, so the plain form does not
 * vectorise). Same value, NaN included; only the sign of a zero result may
 * differ. */
static inline float leaky(float x, float alpha) {
    const float pos = x > 0.0f ? x : 0.0f, neg = x > 0.0f ? 0.0f : x;
    return pos + alpha * neg;
}
static inline float gelu_tanh(float x) {
    const float k = 0.7978845608028654f;   /* sqrt(2 / pi) */
    return 0.5f * x * (1.0f + ember_fast_tanhf(k * (x + 0.044715f * x * x * x)));
}
static inline float gelu_erf(float x) {
    return 0.5f * x * ember_fast_erfcf(-x * 0.70710678118654752f);
}
/* x * relu6(x + 3) / 6, the division as a multiply (within 1 ulp). */
static inline float hard_swish(float x) {
    return x * relu_range(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
}
/* expm1 is evaluated for every lane (branch-free) and selected. */
static inline float elu(float x) {
    const float m = ember_fast_expm1f(x);
    return ember_fm_sel(x < 0.0f, m, x);
}

ACT_FN(logistic_f32, ember_fast_logisticf(x))
ACT_FN(tanh_f32, ember_fast_tanhf(x))
ACT_FN(relu_f32, x < 0.0f ? 0.0f : x)
ACT_FN(relu6_f32, relu_range(x, 0.0f, 6.0f))
ACT_FN(relu_n1_to_1_f32, relu_range(x, -1.0f, 1.0f))
ACT_FN(relu_0_to_1_f32, relu_range(x, 0.0f, 1.0f))
ACT_FN(leaky_relu_f32, leaky(x, alpha))
ACT_FN(elu_f32, elu(x))
ACT_FN(hard_swish_f32, hard_swish(x))
ACT_FN(gelu_tanh_f32, gelu_tanh(x))
ACT_FN(gelu_erf_f32, gelu_erf(x))

typedef struct act_data {
    ember_ew_fn fn;
    act_params prm;
} act_data;

static void *act_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(act_data));
}

static ember_status act_prepare(ember_context *ctx, ember_node *node, const char *name,
                                ember_ew_fn fn) {
    act_data *d = (act_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "%s: no op data", name);
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ (%s -> %s)", name,
                 ember_type_name(x->type), ember_type_name(y->type));
    if (x->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s yet", name,
                          ember_type_name(x->type));
    d->fn = fn;
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status act_eval(ember_context *ctx, ember_node *node) {
    const act_data *d = (const act_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    ember_ew_run(ctx, d->fn, x->data, y->data, ember_num_elements(x), &d->prm);
    return EMBER_OK;
}

#define ACT_PREPARE(OP, FN)                                                     \
    static ember_status prepare_##OP(ember_context *ctx, ember_node *node) {    \
        return act_prepare(ctx, node, #OP, FN);                                 \
    }
ACT_PREPARE(LOGISTIC, logistic_f32)
ACT_PREPARE(TANH, tanh_f32)
ACT_PREPARE(RELU, relu_f32)
ACT_PREPARE(RELU6, relu6_f32)
ACT_PREPARE(RELU_N1_TO_1, relu_n1_to_1_f32)
ACT_PREPARE(RELU_0_TO_1, relu_0_to_1_f32)
ACT_PREPARE(ELU, elu_f32)
ACT_PREPARE(HARD_SWISH, hard_swish_f32)

static ember_status prepare_LEAKY_RELU(ember_context *ctx, ember_node *node) {
    EMBER_CHECK(act_prepare(ctx, node, "LEAKY_RELU", leaky_relu_f32));
    act_data *d = (act_data *)node->data;
    d->prm.alpha = ember_opt_float(node, EMBER_BuiltinOptions_LeakyReluOptions,
                                   EMBER_LeakyReluOptions_alpha, 0.0f);
    return EMBER_OK;
}

static ember_status prepare_GELU(ember_context *ctx, ember_node *node) {
    int approximate = ember_opt_int(node, EMBER_BuiltinOptions_GeluOptions,
                                    EMBER_GeluOptions_approximate, 0) != 0;
    return act_prepare(ctx, node, "GELU", approximate ? gelu_tanh_f32 : gelu_erf_f32);
}

const ember_kernel ember_kernel_LOGISTIC = {"LOGISTIC", act_init, NULL, prepare_LOGISTIC, act_eval};
const ember_kernel ember_kernel_TANH = {"TANH", act_init, NULL, prepare_TANH, act_eval};
const ember_kernel ember_kernel_RELU = {"RELU", act_init, NULL, prepare_RELU, act_eval};
const ember_kernel ember_kernel_RELU6 = {"RELU6", act_init, NULL, prepare_RELU6, act_eval};
const ember_kernel ember_kernel_RELU_N1_TO_1 = {"RELU_N1_TO_1", act_init, NULL, prepare_RELU_N1_TO_1, act_eval};
const ember_kernel ember_kernel_RELU_0_TO_1 = {"RELU_0_TO_1", act_init, NULL, prepare_RELU_0_TO_1, act_eval};
const ember_kernel ember_kernel_LEAKY_RELU = {"LEAKY_RELU", act_init, NULL, prepare_LEAKY_RELU, act_eval};
const ember_kernel ember_kernel_ELU = {"ELU", act_init, NULL, prepare_ELU, act_eval};
const ember_kernel ember_kernel_HARD_SWISH = {"HARD_SWISH", act_init, NULL, prepare_HARD_SWISH, act_eval};
const ember_kernel ember_kernel_GELU = {"GELU", act_init, NULL, prepare_GELU, act_eval};
