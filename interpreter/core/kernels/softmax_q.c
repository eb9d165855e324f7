/*
 * softmax_q.c — quantised SOFTMAX and LOG_SOFTMAX, bit for bit with TFLite's
 * reference kernels (see softmax.c for the supported types and output
 * parameters).
 *
 * 8-bit inputs: x - max takes at most 256 values, so prepare tabulates, per
 * difference, its Q5.26 rescaling by beta * input scale and the fixed-point
 * exp of that (TFLite computes the same values per element, and so do micro
 * builds, where the 1-2 KB of tables cost more than the cycles). A row then
 * sums the exps in Q12.19, takes TFLite's fixed-point reciprocal (SOFTMAX)
 * or log (LOG_SOFTMAX) and rescales each element.
 *
 * int16 input: TFLite's 513-entry interpolated tables of exp on [-10, 0] and
 * of 1/(1+x) on [0, 1], built in double precision as LiteRT builds them.
 */
#include <math.h>

#include "quant_elementwise.h"
#include "quant_fixedpoint.h"
#include "quant_lut.h"
#include "softmax_q.h"

/* ---- prepare-time parameters ------------------------------------------- */

/* TFLite's PreprocessSoftmaxScaling with 5 integer bits: beta * scale as a
 * Q5.26 multiplier, capped at 2^31 - 1. TFLite then insists the multiplier
 * exceeds 1 (aborting otherwise); Ember keeps the negative shift a smaller
 * multiplier needs, which extends the same arithmetic to tiny scales. */
static void softmax_scaling(double beta, double scale, int32_t *mult, int *shift) {
    double m = beta * scale * (double)(1 << 26);
    if (m > 2147483647.0) m = 2147483647.0;
    ember_quantize_multiplier(m, mult, shift);
}

/* -TFLite's CalculateInputRadius(5, shift): the most negative difference
 * whose rescaled value still fits Q5.26 (clamped for the tiny-scale case). */
static int32_t softmax_diff_min(int shift) {
    const double r = floor(31.0 * 67108864.0 / ldexp(1.0, shift));
    return r > 1073741824.0 ? -1073741824 : -(int32_t)r;
}

/* The rescaled difference -k (Q5.26) and its fixed-point exp (0 where
 * TFLite skips the element), for k = max - x in 0..255. */
static inline int32_t q8_diff_q5_calc(const softmax_data *d, int32_t k) {
    return -k >= d->diff_min ? ember_multiply_by_quantized_multiplier(-k, d->diff_mult, d->diff_shift)
                             : 0;
}
static inline int32_t q8_exp_calc(const softmax_data *d, int32_t k) {
    return -k >= d->diff_min ? ember_fp_exp_on_negative(q8_diff_q5_calc(d, k), 5) : 0;
}

#ifdef EMBER_MICRO
/* Devices are short of RAM, not of cycles for one exp per element. */
#define Q8_EXP(d, k) q8_exp_calc((d), (k))
#define Q8_DIFF_Q5(d, k) q8_diff_q5_calc((d), (k))
#else
#define Q8_EXP(d, k) ((d)->exp_q0[k])
#define Q8_DIFF_Q5(d, k) ((d)->diff_q5[k])
#endif

/* The per-difference parameters of an 8-bit input and, on the host, their
 * tables. */
static ember_status tabulate_q8(ember_context *ctx, softmax_data *d, double beta, float scale,
                               int with_diffs) {
    int32_t mult;
    int shift;
    softmax_scaling(beta, (double)scale, &mult, &shift);
    d->diff_min = softmax_diff_min(shift);
    d->diff_mult = mult;
    d->diff_shift = shift;
#ifndef EMBER_MICRO
    if (!d->exp_q0) d->exp_q0 = (int32_t *)ember_alloc_persistent(ctx, 256 * sizeof(int32_t));
    if (with_diffs && !d->diff_q5)
        d->diff_q5 = (int32_t *)ember_alloc_persistent(ctx, 256 * sizeof(int32_t));
    if (!d->exp_q0 || (with_diffs && !d->diff_q5)) return EMBER_ERR_NOMEM;
    for (int32_t k = 0; k < 256; k++) {
        d->exp_q0[k] = q8_exp_calc(d, k);
        if (with_diffs) d->diff_q5[k] = q8_diff_q5_calc(d, k);
    }
#else
    (void)ctx;
#endif
    if (with_diffs) {
        /* TFLite's PreprocessLogSoftmaxScalingExp: the inverse of the input
         * rescaling, used to find the differences whose log-softmax falls
         * below Q5.26. Outside TFLite's domain (shift < 1) nothing does. */
        d->rev_none = shift < 1 || mult == 0;
        if (!d->rev_none)
            ember_quantize_multiplier(ldexp(1.0, 31 - shift) / (double)mult, &d->rev_mult,
                                      &d->rev_shift);
    }
    return EMBER_OK;
}

static int near_scale(float s, double want) { return fabs((double)s - want) <= 0.001 * want; }

static ember_status check_out(ember_context *ctx, const ember_tensor *y, const char *op,
                              double scale, int32_t zp, const char *scale_text, int exact) {
    EMBER_CHECK(ember_qe_check_tensor(ctx, y, op, "output"));
    const float s = ember_qe_scale(y);
    const int ok = exact ? (double)s == scale : near_scale(s, scale);
    if (!ok || ember_qe_zp(y) != zp)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "%s: %s output needs scale %s and zero point %d (got %g, %d)", op,
                          ember_type_name(y->type), scale_text, (int)zp, (double)s,
                          (int)ember_qe_zp(y));
    return EMBER_OK;
}

/* ---- 8-bit input SOFTMAX ------------------------------------------------- */

/* Sum of a row's exps in Q12.19; TFLite's accumulator wraps past 4096, so a
 * longer sum is narrowed here, the dropped bits counted in *extra. */
static int32_t narrow_sum(int64_t sum, int *extra) {
    *extra = 0;
    while (sum > INT32_MAX) {
        sum >>= 1;
        (*extra)++;
    }
    return (int32_t)sum;
}

#define Q8_SOFTMAX_ROWS(NAME, TI, TO, OMIN, OMAX)                               \
    static void NAME(const softmax_data *d, const void *xv, void *yv, size_t rows) { \
        const TI *x = (const TI *)xv;                                           \
        TO *y = (TO *)yv;                                                       \
        const size_t n = d->depth;                                              \
        for (size_t r = 0; r < rows; r++, x += n, y += n) {                     \
            TI mx = x[0];                                                       \
            for (size_t c = 1; c < n; c++) mx = x[c] > mx ? x[c] : mx;          \
            int64_t sum = 0;                                                    \
            for (size_t c = 0; c < n; c++)                                      \
                sum += ember_rounding_divide_by_pot(Q8_EXP(d, mx - x[c]), 12);  \
            int extra, over;                                                    \
            const int32_t s32 = narrow_sum(sum, &extra);                        \
            const int32_t inv = ember_fp_reciprocal(s32, 12 + extra, &over);    \
            const int e = over + 31 - (int)(8 * sizeof(TO));                    \
            for (size_t c = 0; c < n; c++) {                                    \
                int64_t v = ember_fp_rdbpot64(EMBER_FP_MUL(inv, Q8_EXP(d, mx - x[c])), e) + (OMIN); \
                y[c] = (TO)(v > (OMAX) ? (OMAX) : (v < (OMIN) ? (OMIN) : v));   \
            }                                                                   \
        }                                                                       \
    }
Q8_SOFTMAX_ROWS(softmax_i8_i8, int8_t, int8_t, -128, 127)
Q8_SOFTMAX_ROWS(softmax_i8_i16, int8_t, int16_t, -32768, 32767)
Q8_SOFTMAX_ROWS(softmax_u8_u8, uint8_t, uint8_t, 0, 255)
Q8_SOFTMAX_ROWS(softmax_u8_i16, uint8_t, int16_t, -32768, 32767)

/* ---- 8-bit LOG_SOFTMAX --------------------------------------------------- */

/* The difference at or below which an output saturates to the type minimum. */
static int32_t log_adjusted_min(const softmax_data *d, int32_t log_sum) {
    const int32_t lo = d->diff_min - 1;
    if (d->rev_none) return lo;
    const int32_t shifted = ember_fp_add(log_sum, INT32_MIN);
    const int32_t m = d->rev_shift <= 0
                          ? ember_multiply_by_quantized_multiplier(shifted, d->rev_mult,
                                                                   d->rev_shift)
                          : ember_fp_mul_pot(EMBER_FP_MUL(shifted, d->rev_mult), d->rev_shift);
    return m > lo ? m : lo;
}

#define Q8_LOG_SOFTMAX_ROWS(NAME, T, TMIN, TMAX)                                \
    static void NAME(const softmax_data *d, const void *xv, void *yv, size_t rows) { \
        const T *x = (const T *)xv;                                             \
        T *y = (T *)yv;                                                         \
        const size_t n = d->depth;                                              \
        for (size_t r = 0; r < rows; r++, x += n, y += n) {                     \
            T mx = x[0];                                                        \
            for (size_t c = 1; c < n; c++) mx = x[c] > mx ? x[c] : mx;          \
            int64_t sum = 0;                                                    \
            for (size_t c = 0; c < n; c++)                                      \
                sum += ember_rounding_divide_by_pot(Q8_EXP(d, mx - x[c]), 12);  \
            int extra;                                                          \
            const int32_t s32 = narrow_sum(sum, &extra);                        \
            const int32_t log_sum = ember_fp_log_ge1(s32, 12 + extra, 5);       \
            const int32_t adj = log_adjusted_min(d, log_sum);                   \
            for (size_t c = 0; c < n; c++) {                                    \
                const int32_t diff = (int32_t)x[c] - (int32_t)mx;               \
                if (diff > adj) {                                               \
                    const int32_t v = ember_rounding_divide_by_pot(             \
                        ember_fp_sub(Q8_DIFF_Q5(d, -diff), log_sum), 22) + d->out_zp; \
                    y[c] = (T)(v > (TMAX) ? (TMAX) : (v < (TMIN) ? (TMIN) : v)); \
                } else {                                                        \
                    y[c] = (T)(TMIN);                                           \
                }                                                               \
            }                                                                   \
        }                                                                       \
    }
Q8_LOG_SOFTMAX_ROWS(log_softmax_i8, int8_t, -128, 127)
Q8_LOG_SOFTMAX_ROWS(log_softmax_u8, uint8_t, 0, 255)

/* ---- int16 SOFTMAX ------------------------------------------------------- */

static double exp_f64(double v) { return exp(v); }
static double recip_f64(double v) { return 1.0 / (1.0 + v); }

static int16_t sat16(int64_t v) {
    return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

static void softmax_i16_rows(const softmax_data *d, const void *xv, void *yv, size_t rows) {
    const int16_t *x = (const int16_t *)xv;
    int16_t *y = (int16_t *)yv;
    const size_t n = d->depth;
    /* Differences below this would overflow TFLite's left shift; they are
     * far below exp(-10) anyway and go straight to the table's low end. */
    const int32_t lowest = d->shift16 >= 31 ? 0
                           : d->shift16 > 0 ? -(int32_t)((INT64_C(1) << (31 - d->shift16)) - 1)
                                            : INT32_MIN;
    for (size_t r = 0; r < rows; r++, x += n, y += n) {
        int16_t mx = x[0];
        for (size_t c = 1; c < n; c++) mx = x[c] > mx ? x[c] : mx;
        int64_t sum = 0;
        for (size_t c = 0; c < n; c++) {   /* the exps wait in y (Q0.15) */
            const int32_t diff = (int32_t)x[c] - mx;
            const int32_t sc = diff == 0 ? 0
                               : diff < lowest ? INT32_MIN
                                               : ember_multiply_by_quantized_multiplier(
                                                     diff, d->mult16, d->shift16);
            y[c] = ember_lut16_lookup(sat16((int64_t)sc + 32767), d->exp_lut);
            sum += y[c];
        }
        int extra;
        const int32_t s32 = narrow_sum(sum, &extra);
        const int hp1 = ember_fp_clz32((uint32_t)s32);
        const int32_t shifted = (int32_t)((((int64_t)s32 << (hp1 - 1)) + (1 << 13)) >> 14);
        const int32_t recip = ember_lut16_lookup(sat16((int64_t)shifted - (32768 + 65536)),
                                                 d->recip_lut);
        const int rs = 31 - hp1 + extra;
        const int64_t round = INT64_C(1) << (rs - 1);
        for (size_t c = 0; c < n; c++) {
            const int64_t v = ((int64_t)y[c] * recip + round) >> rs;
            y[c] = (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
        }
    }
}

/* ---- prepare ------------------------------------------------------------ */

ember_status ember_softmax_q_prepare(ember_context *ctx, softmax_data *d, const ember_tensor *x,
                                     const ember_tensor *y) {
    const char *op = "SOFTMAX";
    EMBER_CHECK(ember_qe_check_tensor(ctx, x, op, "input"));
    if (!(d->beta >= 0.0f) || !isfinite(d->beta))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "SOFTMAX: quantised softmax needs a finite beta >= 0, got %g",
                          (double)d->beta);
    const int32_t ti = x->type, to = y->type;
    d->in_size = ember_type_size(ti);
    d->out_size = ember_type_size(to);
    if (ti == EMBER_TensorType_INT16) {
        if (to != EMBER_TensorType_INT16)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "SOFTMAX: int16 input needs an int16 "
                              "output, not %s", ember_type_name(to));
        EMBER_CHECK(ember_qe_check_zp0(ctx, x, op, "input"));
        EMBER_CHECK(check_out(ctx, y, op, 1.0 / 32768, 0, "1/32768", 0));
        if (!d->exp_lut) d->exp_lut = (int16_t *)ember_alloc_persistent(ctx, 513 * sizeof(int16_t));
        if (!d->recip_lut)
            d->recip_lut = (int16_t *)ember_alloc_persistent(ctx, 513 * sizeof(int16_t));
        if (!d->exp_lut || !d->recip_lut) return EMBER_ERR_NOMEM;
        ember_lut16_populate_f64(10.0 / 65535, 32767, 2.0 / 65535, 0, exp_f64, d->exp_lut);
        ember_lut16_populate_f64(1.0 / 65535, -32768, 2.0 / 65535, 0, recip_f64, d->recip_lut);
        /* LiteRT multiplies scale and beta in float before going to double;
         * the difference [-65535, 0] then maps onto the table's [-10, 0]. */
        volatile float sb = ember_qe_scale(x) * d->beta;
        ember_quantize_multiplier((double)sb / (10.0 / 65535.0), &d->mult16, &d->shift16);
        d->kind = SM_Q16;
        d->qrows = softmax_i16_rows;
        return EMBER_OK;
    }
    if (to == EMBER_TensorType_INT16) {
        EMBER_CHECK(check_out(ctx, y, op, 1.0 / 65536, -32768, "1/65536", 0));
        d->qrows = ti == EMBER_TensorType_INT8 ? softmax_i8_i16 : softmax_u8_i16;
    } else if (ti == EMBER_TensorType_INT8 && to == EMBER_TensorType_INT8) {
        EMBER_CHECK(check_out(ctx, y, op, 1.0 / 256, -128, "1/256", 0));
        d->qrows = softmax_i8_i8;
    } else if (ti == EMBER_TensorType_UINT8 && to == EMBER_TensorType_UINT8) {
        EMBER_CHECK(check_out(ctx, y, op, 1.0 / 256, 0, "1/256", 0));
        d->qrows = softmax_u8_u8;
    } else {
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "SOFTMAX does not support %s -> %s",
                          ember_type_name(ti), ember_type_name(to));
    }
    d->kind = SM_Q8;
    return tabulate_q8(ctx, d, (double)d->beta, ember_qe_scale(x), 0);
}

ember_status ember_log_softmax_q_prepare(ember_context *ctx, softmax_data *d,
                                         const ember_tensor *x, const ember_tensor *y) {
    const char *op = "LOG_SOFTMAX";
    const int32_t t = x->type;
    if (t == EMBER_TensorType_INT16 || y->type != t)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "LOG_SOFTMAX does not support %s -> %s",
                          ember_type_name(t), ember_type_name(y->type));
    EMBER_CHECK(ember_qe_check_tensor(ctx, x, op, "input"));
    d->out_zp = t == EMBER_TensorType_INT8 ? 127 : 255;
    EMBER_CHECK(check_out(ctx, y, op, 16.0 / 256, d->out_zp, "16/256", 1));
    d->in_size = d->out_size = 1;
    d->kind = SM_LOG_Q8;
    d->qrows = t == EMBER_TensorType_INT8 ? log_softmax_i8 : log_softmax_u8;
    return tabulate_q8(ctx, d, 1.0, ember_qe_scale(x), 1);
}
