/*
 * unary.c — element-wise maths on one tensor:
 * EXP, LOG, SQRT, RSQRT, SQUARE, ABS, NEG, SIN, COS, FLOOR, CEIL, ROUND.
 *
 * Types (LiteRT's non-quantised paths): float32 for all; ABS also int32;
 * NEG also int32 and int64. Quantised int8/int16 ABS, NEG, RSQRT, SQRT, EXP
 * and LOG follow LiteRT's reference kernels (unary_q.c); SQUARE, SIN, COS,
 * FLOOR, CEIL and ROUND have no quantised form in TFLite and are refused.
 *
 * ROUND is round-half-to-even ("banker's rounding", as tf.round). FLOOR,
 * CEIL and ROUND use the 2^23 trick so that they vectorise without SSE4.1
 * / rounding instructions; they are exact for every float. Integer ABS and
 * NEG wrap (INT_MIN stays INT_MIN), as LiteRT.
 */
#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "fast_math.h"
#include "unary_q.h"

/* Round half to even, exact for all floats (|x| >= 2^23 is integral). */
static inline float round_even_f32(float x) {
    const float big = 8388608.0f;
    float ax = fabsf(x);
    float r = copysignf((ax + big) - big, x);
    return ax < big ? r : x;
}
static inline float floor_even_trick(float x) {
    float r = round_even_f32(x);
    return r > x ? r - 1.0f : r;
}
static inline float ceil_even_trick(float x) {
    float r = round_even_f32(x);
    return r < x ? r + 1.0f : r;
}

/* UNARY_FN(name, Tin, Tout, expr(x)): loop over elements [s, e). */
#define UNARY_FN(NAME, TI, TO, EXPR)                                            \
    static void NAME(const void *in, void *out, size_t s, size_t e, const void *pv) { \
        const TI *restrict x_ = (const TI *)in;                                 \
        TO *restrict y_ = (TO *)out;                                            \
        (void)pv;                                                               \
        for (size_t i = s; i < e; i++) {                                        \
            const TI x = x_[i];                                                 \
            y_[i] = (EXPR);                                                     \
        }                                                                       \
    }

UNARY_FN(exp_f32, float, float, ember_fast_expf(x))   /* <= 1 ulp, fast_math.h */
UNARY_FN(log_f32, float, float, logf(x))
UNARY_FN(sqrt_f32, float, float, sqrtf(x))
UNARY_FN(rsqrt_f32, float, float, 1.0f / sqrtf(x))
UNARY_FN(square_f32, float, float, x * x)
UNARY_FN(abs_f32, float, float, fabsf(x))
UNARY_FN(neg_f32, float, float, -x)
UNARY_FN(sin_f32, float, float, sinf(x))
UNARY_FN(cos_f32, float, float, cosf(x))
UNARY_FN(floor_f32, float, float, floor_even_trick(x))
UNARY_FN(ceil_f32, float, float, ceil_even_trick(x))
UNARY_FN(round_f32, float, float, round_even_f32(x))
UNARY_FN(abs_i32, int32_t, int32_t, (int32_t)(x < 0 ? 0u - (uint32_t)x : (uint32_t)x))
UNARY_FN(neg_i32, int32_t, int32_t, (int32_t)(0u - (uint32_t)x))
UNARY_FN(neg_i64, int64_t, int64_t, (int64_t)(0u - (uint64_t)x))

typedef struct unary_spec {
    const char *name;
    ember_ew_fn f32, i32, i64;
} unary_spec;

static void *unary_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(unary_q));
}

static int unary_is_q(const ember_node *node, const ember_tensor *x) {
    return ember_unary_q_supports(node->op, x->type);
}

static ember_status unary_prepare(ember_context *ctx, ember_node *node, const unary_spec *s) {
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ (%s -> %s)",
                 s->name, ember_type_name(x->type), ember_type_name(y->type));
    if (unary_is_q(node, x)) {
        EMBER_ENSURE(ctx, node->data != NULL, "%s: no op data", s->name);
        EMBER_CHECK(ember_unary_q_prepare(ctx, (unary_q *)node->data, node->op, s->name, x, y));
        return ember_tensor_resize(ctx, y, x->ndim, x->dims);
    }
    ember_ew_fn fn = NULL;
    switch (x->type) {
    case EMBER_TensorType_FLOAT32: fn = s->f32; break;
    case EMBER_TensorType_INT32: fn = s->i32; break;
    case EMBER_TensorType_INT64: fn = s->i64; break;
    default: break;
    }
    if (!fn)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s", s->name,
                          ember_type_name(x->type));
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status unary_eval(ember_context *ctx, ember_node *node, const unary_spec *s) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (unary_is_q(node, x))
        return ember_unary_q_eval(ctx, (const unary_q *)node->data, s->name, x, y);
    ember_ew_fn fn = x->type == EMBER_TensorType_FLOAT32 ? s->f32
                   : x->type == EMBER_TensorType_INT32 ? s->i32 : s->i64;
    ember_ew_run(ctx, fn, x->data, y->data, ember_num_elements(x), NULL);
    return EMBER_OK;
}

#define UNARY_KERNEL(OP, F32, I32, I64)                                         \
    static const unary_spec spec_##OP = {#OP, F32, I32, I64};                   \
    static ember_status prepare_##OP(ember_context *ctx, ember_node *node) {    \
        return unary_prepare(ctx, node, &spec_##OP);                            \
    }                                                                           \
    static ember_status eval_##OP(ember_context *ctx, ember_node *node) {       \
        return unary_eval(ctx, node, &spec_##OP);                               \
    }

UNARY_KERNEL(EXP, exp_f32, NULL, NULL)
UNARY_KERNEL(LOG, log_f32, NULL, NULL)
UNARY_KERNEL(SQRT, sqrt_f32, NULL, NULL)
UNARY_KERNEL(RSQRT, rsqrt_f32, NULL, NULL)
UNARY_KERNEL(SQUARE, square_f32, NULL, NULL)
UNARY_KERNEL(ABS, abs_f32, abs_i32, NULL)
UNARY_KERNEL(NEG, neg_f32, neg_i32, neg_i64)
UNARY_KERNEL(SIN, sin_f32, NULL, NULL)
UNARY_KERNEL(COS, cos_f32, NULL, NULL)
UNARY_KERNEL(FLOOR, floor_f32, NULL, NULL)
UNARY_KERNEL(CEIL, ceil_f32, NULL, NULL)
UNARY_KERNEL(ROUND, round_f32, NULL, NULL)

const ember_kernel ember_kernel_EXP = {"EXP", unary_init, NULL, prepare_EXP, eval_EXP};
const ember_kernel ember_kernel_LOG = {"LOG", unary_init, NULL, prepare_LOG, eval_LOG};
const ember_kernel ember_kernel_SQRT = {"SQRT", unary_init, NULL, prepare_SQRT, eval_SQRT};
const ember_kernel ember_kernel_RSQRT = {"RSQRT", unary_init, NULL, prepare_RSQRT, eval_RSQRT};
const ember_kernel ember_kernel_SQUARE = {"SQUARE", unary_init, NULL, prepare_SQUARE, eval_SQUARE};
const ember_kernel ember_kernel_ABS = {"ABS", unary_init, NULL, prepare_ABS, eval_ABS};
const ember_kernel ember_kernel_NEG = {"NEG", unary_init, NULL, prepare_NEG, eval_NEG};
const ember_kernel ember_kernel_SIN = {"SIN", unary_init, NULL, prepare_SIN, eval_SIN};
const ember_kernel ember_kernel_COS = {"COS", unary_init, NULL, prepare_COS, eval_COS};
const ember_kernel ember_kernel_FLOOR = {"FLOOR", unary_init, NULL, prepare_FLOOR, eval_FLOOR};
const ember_kernel ember_kernel_CEIL = {"CEIL", unary_init, NULL, prepare_CEIL, eval_CEIL};
const ember_kernel ember_kernel_ROUND = {"ROUND", unary_init, NULL, prepare_ROUND, eval_ROUND};
