/*
 * activations.c — float32 activation functions:
 * LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1, LEAKY_RELU, ELU,
 * HARD_SWISH, GELU.
 *
 * Quantised paths (TFLite's reference integer maths, bit for bit):
 *   LOGISTIC, TANH   int8/uint8: 256-entry table built in prepare from the
 *                    float function (LOGISTIC needs output scale 1/256);
 *                    int16: TFLite's fixed-point sigmoid-table interpolation
 *                    (zero points 0, output scale 2^-15)
 *   GELU             int8/uint8 table; int16 513-entry interpolated table
 *   ELU              int8 table
 *   RELU, RELU6      int8/uint8/int16: rescale, then clamp to the quantised
 *   RELU_N1_TO_1,    bounds (RELU_N1_TO_1 and RELU_0_TO_1 int8/uint8 only)
 *   RELU_0_TO_1
 *   LEAKY_RELU       int8/uint8/int16: separate multipliers for x >= 0 and alpha x
 *   HARD_SWISH       int8/uint8: TFLite's 16-bit fixed-point formulation
 * int16 needs zero points of 0 throughout.
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

#include "conv_q.h"
#include "ember_kernel.h"
#include "elementwise_common.h"
#include "fast_math.h"
#include "gemm.h"
#include "opt/act_f32.h"
#include "opt/qew.h"
#include "quant_elementwise.h"
#include "quant_lut.h"

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

/* ---- quantised ------------------------------------------------------------- */

typedef struct qact_params {
    uint8_t lut8[256];
    int16_t lut16[513];
    int32_t in_zp, out_zp;
    int32_t m_id, m_alpha;          /* RELU*, LEAKY_RELU: Q31 multipliers */
    int s_id, s_alpha;
    int32_t lo, hi;                 /* clamp bounds */
    int32_t mult;                   /* int16 LOGISTIC/TANH */
    int shift;
    int16_t hs_out_m, hs_relu_m;    /* HARD_SWISH Q15 multipliers */
    int hs_out_e, hs_relu_e;
} qact_params;

static void lut8_run(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const uint8_t *restrict x = (const uint8_t *)in;
    uint8_t *restrict y = (uint8_t *)out;
    const uint8_t *lut = ((const qact_params *)pv)->lut8;
    for (size_t i = s; i < e; i++) y[i] = lut[x[i]];
}
static void lut16_run(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const int16_t *restrict x = (const int16_t *)in;
    int16_t *restrict y = (int16_t *)out;
    const int16_t *lut = ((const qact_params *)pv)->lut16;
    for (size_t i = s; i < e; i++) y[i] = ember_lut16_lookup(x[i], lut);
}
static void logistic_i16_run(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const qact_params *p = (const qact_params *)pv;
    const int16_t *restrict x = (const int16_t *)in;
    int16_t *restrict y = (int16_t *)out;
    for (size_t i = s; i < e; i++) y[i] = ember_logistic_i16(x[i], p->mult, p->shift);
}
static void tanh_i16_run(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const qact_params *p = (const qact_params *)pv;
    const int16_t *restrict x = (const int16_t *)in;
    int16_t *restrict y = (int16_t *)out;
    for (size_t i = s; i < e; i++) y[i] = ember_tanh_i16(x[i], p->mult, p->shift);
}

/* RELU family: rescale to the output, then max(lo, min(hi, v)) (TFLite's order). */
#define QRELU_FN(NAME, T)                                                       \
    static void NAME(const void *in, void *out, size_t s, size_t e, const void *pv) { \
        const qact_params *p = (const qact_params *)pv;                         \
        const T *restrict x = (const T *)in;                                    \
        T *restrict y = (T *)out;                                               \
        for (size_t i = s; i < e; i++) {                                        \
            int32_t v = p->out_zp + ember_multiply_by_quantized_multiplier(     \
                                        (int32_t)x[i] - p->in_zp, p->m_id, p->s_id); \
            v = v > p->hi ? p->hi : v;                                          \
            y[i] = (T)(v < p->lo ? p->lo : v);                                  \
        }                                                                       \
    }
QRELU_FN(relu_i8, int8_t)
QRELU_FN(relu_u8, uint8_t)
QRELU_FN(relu_i16, int16_t)

/* LEAKY_RELU: identity multiplier for x >= 0, |alpha| multiplier (sign
 * applied after) below; clamp to the type. */
#define QLEAKY_FN(NAME, T)                                                      \
    static void NAME(const void *in, void *out, size_t s, size_t e, const void *pv) { \
        const qact_params *p = (const qact_params *)pv;                         \
        const T *restrict x = (const T *)in;                                    \
        T *restrict y = (T *)out;                                               \
        const int neg = p->m_alpha < 0;                                         \
        const int32_t ma = neg ? -p->m_alpha : p->m_alpha;                      \
        for (size_t i = s; i < e; i++) {                                        \
            const int32_t v = (int32_t)x[i] - p->in_zp;                         \
            int32_t r = p->out_zp;                                              \
            if (v >= 0) {                                                       \
                r += ember_multiply_by_quantized_multiplier(v, p->m_id, p->s_id); \
            } else {                                                            \
                const int32_t a = ember_multiply_by_quantized_multiplier(v, ma, p->s_alpha); \
                r += neg ? -a : a;                                              \
            }                                                                   \
            y[i] = (T)(r < p->lo ? p->lo : (r > p->hi ? p->hi : r));            \
        }                                                                       \
    }
QLEAKY_FN(leaky_i8, int8_t)
QLEAKY_FN(leaky_u8, uint8_t)
QLEAKY_FN(leaky_i16, int16_t)

/* gemmlowp's 16-bit SaturatingRoundingDoublingHighMul. */
static inline int16_t srdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}
/* The same without rounding (truncating division), as TFLite's HARD_SWISH. */
static inline int16_t sdhm16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    return (int16_t)(((int32_t)a * b) / (1 << 15));
}
static inline int16_t sat_lshift16(int16_t v, int amount) {
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}
static inline int32_t hard_swish_q(int32_t xv, const qact_params *p, int32_t tmin, int32_t tmax) {
    const int16_t in_v = (int16_t)(xv - p->in_zp);
    const int16_t hires = (int16_t)(in_v * (1 << 7));
    const int16_t pre_out = srdhm16(hires, p->hs_out_m);
    int16_t rel = hires;
    if (p->hs_relu_e > 0) rel = sat_lshift16(rel, p->hs_relu_e - 1);
    rel = srdhm16(rel, p->hs_relu_m);
    if (p->hs_relu_e > 0) rel = sat_lshift16(rel, 1);
    if (p->hs_relu_e < 0) rel = (int16_t)ember_rounding_divide_by_pot(rel, -p->hs_relu_e);
    rel = (int16_t)((rel + (1 << 15)) >> 1);
    const int16_t pre = sdhm16(rel, pre_out);
    int16_t o = (int16_t)ember_rounding_divide_by_pot(pre, -p->hs_out_e);
    o = (int16_t)(o + p->out_zp);
    return o > tmax ? tmax : (o < tmin ? tmin : o);
}
static void hswish_i8(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const int8_t *restrict x = (const int8_t *)in;
    int8_t *restrict y = (int8_t *)out;
    for (size_t i = s; i < e; i++) y[i] = (int8_t)hard_swish_q(x[i], (const qact_params *)pv, -128, 127);
}
static void hswish_u8(const void *in, void *out, size_t s, size_t e, const void *pv) {
    const uint8_t *restrict x = (const uint8_t *)in;
    uint8_t *restrict y = (uint8_t *)out;
    for (size_t i = s; i < e; i++) y[i] = (uint8_t)hard_swish_q(x[i], (const qact_params *)pv, 0, 255);
}

/* The float functions TFLite tabulates (plain libm, as TFLite calls). */
static float tf_logistic(float x, const void *p) { (void)p; return 1.0f / (1.0f + expf(-x)); }
static float tf_tanh(float x, const void *p) { (void)p; return tanhf(x); }
static float tf_elu(float x, const void *p) { (void)p; return x < 0.0f ? expm1f(x) : x; }
static float tf_gelu(float x, const void *p) {
    (void)p;
    volatile float h = 0.5f * x;
    return h * erfcf(x * -0.70710678118654752440f);
}
static float tf_gelu_tanh(float x, const void *p) {
    (void)p;
    volatile float x3 = 0.044715f * x * x * x;
    volatile float inner = 0.7978845608028654f * (x + x3);
    volatile float h = 0.5f * x;
    return h * (1.0f + tanhf(inner));
}

typedef struct act_data {
    ember_ew_fn fn;
    act_params prm;
    const void *params;             /* what fn receives: &prm or q */
    qact_params *q;                 /* quantised paths only */
} act_data;

static void *act_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(act_data));
}

/* Quantised set-up, per op, with TFLite's parameter derivations (float
 * arithmetic where LiteRT uses float). */
static ember_status qact_prepare(ember_context *ctx, ember_node *node, const char *name,
                                 const ember_tensor *x, const ember_tensor *y, act_data *d) {
    const int32_t t = x->type;
    const int i8 = t == EMBER_TensorType_INT8, u8 = t == EMBER_TensorType_UINT8,
              i16 = t == EMBER_TensorType_INT16;
    EMBER_CHECK(ember_qe_check_tensor(ctx, x, name, "input"));
    EMBER_CHECK(ember_qe_check_tensor(ctx, y, name, "output"));
    if (i16) {
        EMBER_CHECK(ember_qe_check_zp0(ctx, x, name, "input"));
        EMBER_CHECK(ember_qe_check_zp0(ctx, y, name, "output"));
    }
    qact_params *q = (qact_params *)ember_alloc_persistent(ctx, sizeof(qact_params));
    if (!q) return EMBER_ERR_NOMEM;
    d->q = q;
    d->params = q;
    const float sx = ember_qe_scale(x), sy = ember_qe_scale(y);
    q->in_zp = ember_qe_zp(x);
    q->out_zp = ember_qe_zp(y);
    int32_t tmin = 0, tmax = 0;
    ember_quant_type_range(t, &tmin, &tmax);
    const int32_t op = node->op;
#define UNSUPPORTED() \
    return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support quantised %s", name, \
                      ember_type_name(t))

    if (op == EMBER_BuiltinOperator_LOGISTIC || op == EMBER_BuiltinOperator_TANH) {
        const int logistic = op == EMBER_BuiltinOperator_LOGISTIC;
        if (i8 || u8) {
            if (logistic && sy != 1.0f / 256.0f)
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                                  "LOGISTIC: 8-bit output scale must be 1/256, got %g", (double)sy);
            ember_lut8_populate(t, sx, q->in_zp, sy, q->out_zp, logistic ? tf_logistic : tf_tanh,
                                NULL, q->lut8);
            d->fn = lut8_run;
            return EMBER_OK;
        }
        /* int16: input rescaled so that 3 * 4096 steps are one unit (the
         * sigmoid table spans +-10.7); a power-of-two input scale of 2^-12
         * (TANH also 2^-11) is applied as a pure multiply by 3. */
        int l2 = 0;
        int pot = ember_qe_checked_log2(sx, &l2);
        int shift = 12 + l2;
        pot = pot && (shift == 0 || (!logistic && shift == 1));
        if (pot) {
            q->mult = 3 << shift;
            q->shift = 0;
        } else {
            double m = (double)sx * 4096.0 * 3.0;
            shift = 0;
            while (m <= 32767.0 / 2.0 && shift <= 30) {
                shift++;
                m *= 2.0;
            }
            if (m > 2147483647.0)
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: int16 input scale %g too large",
                                  name, (double)sx);
            q->mult = (int32_t)m;
            q->shift = shift;
        }
        int lo2 = 0;
        if (!ember_qe_checked_log2(sy, &lo2) || lo2 != -15 || (logistic && sy != 1.0f / 32768.0f))
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "%s: int16 output scale must be 2^-15, got %g", name, (double)sy);
        d->fn = logistic ? logistic_i16_run : tanh_i16_run;
        return EMBER_OK;
    }
    if (op == EMBER_BuiltinOperator_GELU) {
        const int approx = ember_opt_int(node, EMBER_BuiltinOptions_GeluOptions,
                                         EMBER_GeluOptions_approximate, 0) != 0;
        ember_lut_fn f = approx ? tf_gelu_tanh : tf_gelu;
        if (i16) {
            ember_lut16_populate(sx, q->in_zp, sy, q->out_zp, f, NULL, q->lut16);
            d->fn = lut16_run;
        } else {
            ember_lut8_populate(t, sx, q->in_zp, sy, q->out_zp, f, NULL, q->lut8);
            d->fn = lut8_run;
        }
        return EMBER_OK;
    }
    if (op == EMBER_BuiltinOperator_ELU) {
        if (!i8) UNSUPPORTED();
        ember_lut8_populate(t, sx, q->in_zp, sy, q->out_zp, tf_elu, NULL, q->lut8);
        d->fn = lut8_run;
        return EMBER_OK;
    }
    if (op == EMBER_BuiltinOperator_LEAKY_RELU) {
        const float alpha = ember_opt_float(node, EMBER_BuiltinOptions_LeakyReluOptions,
                                            EMBER_LeakyReluOptions_alpha, 0.0f);
        const float ma = sx * alpha / sy, mi = sx / sy;
        ember_quantize_multiplier((double)ma, &q->m_alpha, &q->s_alpha);
        ember_quantize_multiplier((double)mi, &q->m_id, &q->s_id);
        if (q->s_alpha > 30 || q->s_id > 30)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "LEAKY_RELU: rescale factor too large");
        q->lo = tmin;
        q->hi = tmax;
        d->fn = i8 ? leaky_i8 : u8 ? leaky_u8 : leaky_i16;
        return EMBER_OK;
    }
    if (op == EMBER_BuiltinOperator_HARD_SWISH) {
        if (i16) UNSUPPORTED();
        const float hires = (1.0f / 128.0f) * sx;
        int32_t m32;
        ember_quantize_multiplier((double)(hires / sy), &m32, &q->hs_out_e);
        if (q->hs_out_e > 0)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "HARD_SWISH: input scale %g too large for output scale %g",
                              (double)sx, (double)sy);
        q->hs_out_m = m32 >= INT32_MAX - (1 << 15) ? INT16_MAX : (int16_t)((m32 + (1 << 15)) >> 16);
        ember_quantize_multiplier((double)(hires / (3.0f / 32768.0f)), &m32, &q->hs_relu_e);
        if (q->hs_relu_e > 15 || q->hs_relu_e < -31)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "HARD_SWISH: input scale %g out of range",
                              (double)sx);
        q->hs_relu_m = m32 >= INT32_MAX - (1 << 15) ? INT16_MAX : (int16_t)((m32 + (1 << 15)) >> 16);
        d->fn = i8 ? hswish_i8 : hswish_u8;
        return EMBER_OK;
    }
    /* RELU family */
    float amin = 0.0f, amax = INFINITY;
    if (op == EMBER_BuiltinOperator_RELU6) {
        amax = 6.0f;
    } else if (op == EMBER_BuiltinOperator_RELU_N1_TO_1) {
        if (i16) UNSUPPORTED();
        amin = -1.0f;
        amax = 1.0f;
    } else if (op == EMBER_BuiltinOperator_RELU_0_TO_1) {
        if (i16) UNSUPPORTED();
        amax = 1.0f;
    } else if (op != EMBER_BuiltinOperator_RELU) {
        UNSUPPORTED();
    }
    ember_quantize_multiplier((double)(sx / sy), &q->m_id, &q->s_id);
    if (q->s_id > 30)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: rescale factor too large", name);
    const int64_t qlo = (int64_t)q->out_zp + (int64_t)roundf(amin / sy);
    q->lo = qlo < tmin ? tmin : (qlo > INT32_MAX ? INT32_MAX : (int32_t)qlo);
    if (isinf(amax)) {
        q->hi = tmax;
    } else {
        const float r = roundf(amax / sy);
        const int64_t qhi = (int64_t)q->out_zp + (r > 4e9f ? (int64_t)4e9 : (int64_t)r);
        q->hi = qhi > tmax ? tmax : (int32_t)qhi;
    }
    d->fn = i8 ? relu_i8 : u8 ? relu_u8 : relu_i16;
    return EMBER_OK;
#undef UNSUPPORTED
}

#ifdef EMBER_HAVE_AVX2_BUILD
static void lut8_vbmi_run(const void *in, void *out, size_t s, size_t e, const void *pv) {
    ember_lut8_apply_avx512(((const qact_params *)pv)->lut8, (const uint8_t *)in + s, (uint8_t *)out + s,
                            e - s);
}
#endif

/* Off the reference path, an 8-bit activation (each output byte a function
 * of its input byte alone) runs as a table: the reference function is
 * evaluated once per possible byte here, so the bytes are the reference's,
 * and eval is a lookup (64 bytes per instruction pair with AVX-512 VBMI). */
static void qact_fast(act_data *d, int32_t type) {
#ifdef EMBER_QEW_REF_ONLY
    return;
#endif
    if (type != EMBER_TensorType_INT8 && type != EMBER_TensorType_UINT8) return;
    const int path = ember_kernel_path();
    if (path == EMBER_PATH_REF) return;
    if (d->fn != lut8_run) {
        uint8_t all[256];
        for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
        d->fn(all, d->q->lut8, 0, 256, d->q);
        d->fn = lut8_run;
    }
#ifdef EMBER_HAVE_AVX2_BUILD
    if (ember_qgemm8_usable(path) && ember_cpu_has_avx512vbmi()) d->fn = lut8_vbmi_run;
#endif
}

/* Float LOGISTIC / TANH on the x86 vector path: the same fast_math.h loops
 * compiled 8 (AVX2) or 16 (AVX-512) lanes wide instead of SSE2's 4; the
 * division and polynomial make them compute-bound, so width is speed. */
static ember_ew_fn act_f32_fast(ember_ew_fn fn) {
    /* (micro projects never copy the opt/ .c files) */
#if defined(EMBER_HAVE_AVX2_BUILD) && !defined(EMBER_MICRO)
    if (fn != logistic_f32 && fn != tanh_f32) return fn;
    if (ember_kernel_path() != EMBER_PATH_AVX2) return fn;
    const int wide = ember_f32_avx512();
    if (fn == logistic_f32) return wide ? ember_logistic_f32_avx512 : ember_logistic_f32_avx2;
    return wide ? ember_tanh_f32_avx512 : ember_tanh_f32_avx2;
#else
    return fn;
#endif
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
    d->params = NULL;
    if (ember_qe_is_qtype(x->type)) {
        EMBER_CHECK(qact_prepare(ctx, node, name, x, y, d));
        qact_fast(d, x->type);
    } else if (x->type != EMBER_TensorType_FLOAT32) {
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s", name,
                          ember_type_name(x->type));
    } else {
        d->fn = act_f32_fast(fn);
    }
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status act_eval(ember_context *ctx, ember_node *node) {
    const act_data *d = (const act_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    ember_ew_run(ctx, d->fn, x->data, y->data, ember_num_elements(x),
                 d->params ? d->params : (const void *)&d->prm);
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
