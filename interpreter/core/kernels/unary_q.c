/*
 * unary_q.c — see unary_q.h.
 *
 * LiteRT's quantised NEG negates the raw integers whatever the quantisation
 * says (right only for a zero point of 0, and -128 stays -128). Ember
 * negates the real value instead: zp_out - (x - zp_in), rescaled when the
 * scales differ, saturated to the type, so it agrees with LiteRT wherever
 * LiteRT's answer is meaningful and gives 127 (32767) for the most
 * negative input.
 */
#include <math.h>

#include "quant_elementwise.h"
#include "quant_fixedpoint.h"
#include "quant_lut.h"
#include "unary_q.h"

enum { UQ_RAW_ABS, UQ_RAW_NEG, UQ_ABS, UQ_NEG, UQ_RSQRT8, UQ_SQRT, UQ_LUT };

int ember_unary_q_supports(int32_t op, int32_t type) {
    if (type != EMBER_TensorType_INT8 && type != EMBER_TensorType_INT16) return 0;
    switch (op) {
    case EMBER_BuiltinOperator_ABS:
    case EMBER_BuiltinOperator_NEG:
    case EMBER_BuiltinOperator_RSQRT:
    case EMBER_BuiltinOperator_SQRT:
    case EMBER_BuiltinOperator_EXP:
    case EMBER_BuiltinOperator_LOG:
        return 1;
    default:
        return 0;
    }
}

/* ---- table functions (float, as LiteRT's lambdas) ------------------------- */

static float exp_fn(float x, const void *p) {
    (void)p;
    return expf(x);
}
/* log; at or below 0 the output's lowest representable value */
static float log_fn(float x, const void *p) { return x <= 0.0f ? *(const float *)p : logf(x); }
/* 1/sqrt; at or below 0 the output's largest value */
static float rsqrt_fn(float x, const void *p) {
    return x <= 0.0f ? 32767.0f * *(const float *)p : 1.0f / sqrtf(x);
}

/* ---- TFLite's GetInvSqrtQuantizedMultiplierExp ---------------------------- */

/* 1/sqrt(x) for x >= 2 as a Q31 multiplier and a left shift (reverse
 * shift -1), by five Newton-Raphson steps in Q3. */
static void inv_sqrt_multiplier(int32_t x, int32_t *mult, int *shift) {
    if (x <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int s = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        s++;
    }
    const int pairs = (ember_fp_clz32((uint32_t)x) - 1) / 2 - 1;
    s -= pairs;
    x = (int32_t)((uint32_t)x << (2 * pairs));
    const int32_t half_in = ember_fp_mul_pot(x >> 1, -1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t r = 1 << 28;                                    /* 1 in Q3 */
    for (int i = 0; i < 5; i++) {
        const int32_t r3 = ember_fp_mul_pot(EMBER_FP_MUL(EMBER_FP_MUL(r, r), r), 6);
        r = ember_fp_mul_pot(ember_fp_sub(EMBER_FP_MUL(half_three, r), EMBER_FP_MUL(half_in, r3)),
                             3);
    }
    r = EMBER_FP_MUL(r, 1518500250);                        /* * sqrt(2)/2 */
    if (s < 0) {
        r = (int32_t)((uint32_t)r << -s);
        s = 0;
    }
    *mult = r;
    *shift = -s;
}

static int32_t rsqrt_i8(const unary_q *q, int32_t v) {
    if (v == 0) return 127;
    int32_t m;
    int s;
    inv_sqrt_multiplier(v, &m, &s);
    const int32_t data = ember_multiply_by_quantized_multiplier(1, m, s + 20);
    return ember_multiply_by_quantized_multiplier(data, q->mult, q->shift - 20) + q->out_zp;
}

/* ---- prepare --------------------------------------------------------------- */

static int32_t clamp_t(int64_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

ember_status ember_unary_q_prepare(ember_context *ctx, unary_q *q, int32_t op, const char *name,
                                   const ember_tensor *x, const ember_tensor *y) {
    const int32_t t = x->type;
    const int i16 = t == EMBER_TensorType_INT16;
    q->op = op;
    q->type = t;
    if (!x->q.count && !y->q.count &&
        (op == EMBER_BuiltinOperator_ABS || op == EMBER_BuiltinOperator_NEG)) {
        q->kind = op == EMBER_BuiltinOperator_ABS ? UQ_RAW_ABS : UQ_RAW_NEG;
        return EMBER_OK;
    }
    EMBER_CHECK(ember_qe_check_tensor(ctx, x, name, "input"));
    EMBER_CHECK(ember_qe_check_tensor(ctx, y, name, "output"));
    if (i16) {
        EMBER_CHECK(ember_qe_check_zp0(ctx, x, name, "input"));
        EMBER_CHECK(ember_qe_check_zp0(ctx, y, name, "output"));
    }
    q->in_zp = ember_qe_zp(x);
    q->out_zp = ember_qe_zp(y);
    q->in_scale = ember_qe_scale(x);
    q->out_scale = ember_qe_scale(y);
    q->rescale = q->in_scale != q->out_scale;
    int32_t lo, hi;
    ember_quant_type_range(t, &lo, &hi);
    switch (op) {
    case EMBER_BuiltinOperator_ABS:
    case EMBER_BuiltinOperator_NEG: {
        q->kind = op == EMBER_BuiltinOperator_ABS ? UQ_ABS : UQ_NEG;
        volatile float ratio = q->in_scale / q->out_scale;     /* in float, as LiteRT */
        ember_quantize_multiplier((double)ratio, &q->mult, &q->shift);
        if (q->shift > 30)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "%s: input/output scale ratio %g too large", name, (double)ratio);
        return EMBER_OK;
    }
    case EMBER_BuiltinOperator_SQRT:
        q->kind = UQ_SQRT;
        return EMBER_OK;
    default:
        break;
    }
    if (op == EMBER_BuiltinOperator_RSQRT && !i16) {
        /* 1 / (sqrt(in_scale) * out_scale): the product in float, as TFLite. */
        volatile float den = sqrtf(q->in_scale) * q->out_scale;
        ember_quantize_multiplier(1.0 / (double)den, &q->mult, &q->shift);
        if (q->shift - 20 < -31 || q->shift - 20 > 30)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "RSQRT: scales (input %g, output %g) outside the integer kernel's "
                              "range", (double)q->in_scale, (double)q->out_scale);
        q->kind = UQ_RSQRT8;
        return EMBER_OK;
    }
    /* table ops: EXP, LOG, RSQRT (int16) */
    ember_lut_fn fn = exp_fn;
    float param = 0.0f;
    if (op == EMBER_BuiltinOperator_LOG) {
        fn = log_fn;
        param = (float)(lo - q->out_zp) * q->out_scale;
    } else if (op == EMBER_BuiltinOperator_RSQRT) {
        fn = rsqrt_fn;
        param = q->out_scale;
    }
    q->kind = UQ_LUT;
    if (i16) {
        if (!q->lut16) q->lut16 = (int16_t *)ember_alloc_persistent(ctx, 513 * sizeof(int16_t));
        if (!q->lut16) return EMBER_ERR_NOMEM;
        ember_lut16_populate(q->in_scale, q->in_zp, q->out_scale, q->out_zp, fn, &param, q->lut16);
    } else {
        if (!q->lut8) q->lut8 = (uint8_t *)ember_alloc_persistent(ctx, 256);
        if (!q->lut8) return EMBER_ERR_NOMEM;
        ember_lut8_populate(t, q->in_scale, q->in_zp, q->out_scale, q->out_zp, fn, &param, q->lut8);
    }
    (void)hi;
    return EMBER_OK;
}

/* ---- eval ------------------------------------------------------------------ */

#define UQ_LOOP(T, LO, HI)                                                      \
    do {                                                                        \
        const T *restrict xs = (const T *)x->data;                              \
        T *restrict ys = (T *)y->data;                                          \
        for (size_t i = 0; i < n; i++) {                                        \
            const int32_t xv = xs[i];                                           \
            int64_t r;                                                          \
            switch (q->kind) {                                                  \
            case UQ_RAW_ABS: r = (T)(xv < 0 ? -xv : xv); break;                 \
            case UQ_RAW_NEG: r = (T)(-xv); break;                               \
            case UQ_ABS:                                                        \
            case UQ_NEG: {                                                      \
                int32_t v = xv - q->in_zp;                                      \
                v = q->kind == UQ_ABS ? (v < 0 ? -v : v) : -v;                  \
                r = (int64_t)q->out_zp +                                        \
                    (q->rescale ? ember_multiply_by_quantized_multiplier(v, q->mult, q->shift) \
                                : v);                                           \
                break;                                                          \
            }                                                                   \
            case UQ_RSQRT8: r = rsqrt_i8(q, xv - q->in_zp); break;              \
            case UQ_SQRT: {                                                     \
                volatile float d = q->in_scale * (float)(xv - q->in_zp);       \
                const float f = sqrtf(d) / q->out_scale;                        \
                r = (f >= 2147483647.0f ? INT64_C(2147483647) : (int64_t)(int32_t)f) + q->out_zp; \
                break;                                                          \
            }                                                                   \
            default:                                                            \
                r = sizeof(T) == 1 ? (int64_t)(T)q->lut8[(uint8_t)xv]           \
                                   : (int64_t)ember_lut16_lookup((int16_t)xv, q->lut16); \
                break;                                                          \
            }                                                                   \
            ys[i] = (T)clamp_t(r, LO, HI);                                      \
        }                                                                       \
    } while (0)

ember_status ember_unary_q_eval(ember_context *ctx, const unary_q *q, const char *name,
                                const ember_tensor *x, ember_tensor *y) {
    const size_t n = ember_num_elements(x);
    if ((q->kind == UQ_RSQRT8 || q->kind == UQ_SQRT ||
         (q->kind == UQ_LUT && q->op == EMBER_BuiltinOperator_RSQRT))) {
        /* LiteRT refuses negative inputs to (R)SQRT at run time; so does Ember. */
        for (size_t i = 0; i < n; i++) {
            const int32_t xv = q->type == EMBER_TensorType_INT8 ? ((const int8_t *)x->data)[i]
                                                                : ((const int16_t *)x->data)[i];
            if (xv < q->in_zp)
                return ember_fail(ctx, EMBER_ERR_ARG,
                                  "%s: element %lu is negative (%d below the zero point %d); "
                                  "the op is only defined for non-negative values", name,
                                  (unsigned long)i, (int)xv, (int)q->in_zp);
        }
    }
    if (q->type == EMBER_TensorType_INT8)
        UQ_LOOP(int8_t, -128, 127);
    else
        UQ_LOOP(int16_t, -32768, 32767);
    return EMBER_OK;
}
