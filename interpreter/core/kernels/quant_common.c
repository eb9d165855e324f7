/* quant_common.c — see quant_common.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv_q.h"
#include "ember_kernel.h"
#include "gemm.h"
#include "quant_common.h"

void ember_quantize_multiplier(double real_multiplier, int32_t *quantized_multiplier, int *shift) {
    if (real_multiplier == 0.0 || !isfinite(real_multiplier)) {
        *quantized_multiplier = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    double q = frexp(real_multiplier, &e);        /* |q| in [0.5, 1) */
    int64_t q_fixed = (int64_t)round(q * (double)(INT64_C(1) << 31));
    if (q_fixed == (INT64_C(1) << 31)) {          /* rounding carried into bit 31 */
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {                                /* flush to zero like TFLite */
        e = 0;
        q_fixed = 0;
    }
    *quantized_multiplier = (int32_t)q_fixed;
    *shift = e;
}

int ember_quant_type_range(int32_t type, int32_t *lo, int32_t *hi) {
    switch (type) {
    case EMBER_TensorType_INT8: *lo = -128; *hi = 127; return 1;
    case EMBER_TensorType_UINT8: *lo = 0; *hi = 255; return 1;
    case EMBER_TensorType_INT16: *lo = -32768; *hi = 32767; return 1;
    case EMBER_TensorType_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return 1;
    default: return 0;
    }
}

int ember_quant_require(ember_context *ctx, const ember_tensor *t, const char *op,
                        const char *role) {
    const char *name = t->name ? t->name : "?";
    if (t->q.count < 1 || !t->q.scale || !t->q.zero_point)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s: %s tensor '%s' (%s) has no quantization parameters",
                          op, role, name, ember_type_name(t->type));
    for (int32_t i = 0; i < t->q.count; i++)
        if (!(t->q.scale[i] > 0.0f) || !isfinite(t->q.scale[i]))
            return ember_fail(ctx, EMBER_ERR_MODEL, "%s: %s tensor '%s' has scale[%d] = %g (must be > 0)",
                              op, role, name, (int)i, (double)t->q.scale[i]);
    return EMBER_OK;
}

int ember_quant_zp_all_zero(const ember_tensor *t) {
    for (int32_t i = 0; i < t->q.count; i++)
        if (t->q.zero_point[i] != 0) return 0;
    return 1;
}

/* zp + round(f / scale) with TFLite's float division; fails when the
 * quotient leaves int32 (TFLite refuses the same). */
static int quantize_bound(ember_context *ctx, float scale, int32_t zp, float f, int32_t *q) {
    float r = roundf(f / scale);
    if (!(r >= -2147483648.0f && r <= 2147483520.0f))
        return ember_fail(ctx, EMBER_ERR_MODEL, "activation bound %g does not fit at scale %g",
                          (double)f, (double)scale);
    int64_t v = (int64_t)zp + (int64_t)r;
    *q = v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : (int32_t)v);
    return EMBER_OK;
}

int ember_act_range_quant(ember_context *ctx, int32_t act, const ember_tensor *out, int32_t *lo,
                          int32_t *hi) {
    int32_t qmin, qmax, t;
    if (!ember_quant_type_range(out->type, &qmin, &qmax) || out->type == EMBER_TensorType_INT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "no quantized activation range for %s output",
                          ember_type_name(out->type));
    if (out->q.count < 1)
        return ember_fail(ctx, EMBER_ERR_MODEL, "output tensor '%s' has no quantization parameters",
                          out->name ? out->name : "?");
    const float scale = out->q.scale[0];
    const int32_t zp = (int32_t)out->q.zero_point[0];
    *lo = qmin;
    *hi = qmax;
    switch (act) {
    case EMBER_ActivationFunctionType_NONE:
        return EMBER_OK;
    case EMBER_ActivationFunctionType_RELU:
        EMBER_CHECK(quantize_bound(ctx, scale, zp, 0.0f, &t));
        if (t > *lo) *lo = t;
        return EMBER_OK;
    case EMBER_ActivationFunctionType_RELU6:
        EMBER_CHECK(quantize_bound(ctx, scale, zp, 0.0f, &t));
        if (t > *lo) *lo = t;
        EMBER_CHECK(quantize_bound(ctx, scale, zp, 6.0f, &t));
        if (t < *hi) *hi = t;
        return EMBER_OK;
    case EMBER_ActivationFunctionType_RELU_N1_TO_1:
        EMBER_CHECK(quantize_bound(ctx, scale, zp, -1.0f, &t));
        if (t > *lo) *lo = t;
        EMBER_CHECK(quantize_bound(ctx, scale, zp, 1.0f, &t));
        if (t < *hi) *hi = t;
        return EMBER_OK;
    default:
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "fused activation %d is not supported on a quantized output", (int)act);
    }
}

int ember_quantize_multiplier_checked(ember_context *ctx, double real_multiplier,
                                      int32_t *quantized_multiplier, int *shift, const char *what) {
    if (!(real_multiplier >= 0.0) || !isfinite(real_multiplier))
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s: rescale factor %g is not a finite non-negative number",
                          what, real_multiplier);
    ember_quantize_multiplier(real_multiplier, quantized_multiplier, shift);
    if (*shift > 30)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "%s: rescale factor %g is too large for integer arithmetic", what,
                          real_multiplier);
    return EMBER_OK;
}

static unsigned count_leading_zeros_u32(uint32_t v) {
    unsigned n = 0;
    if (v == 0) return 32;
    while (!(v & 0x80000000u)) {
        v <<= 1;
        n++;
    }
    return n;
}

void ember_inv_sqrt_quantized_multiplier_exp(int32_t input, int reverse_shift,
                                             int32_t *multiplier, int *shift) {
    if (input <= 1) {   /* 0 and 1 as TFLite: no division by zero, no overflow */
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int s = 11;
    while (input >= (1 << 29)) {
        input /= 4;
        ++s;
    }
    /* normalise into [2^27, 2^29) by an even shift (keeps sqrt exact) */
    const unsigned pairs = (count_leading_zeros_u32((uint32_t)input) - 1) / 2 - 1;
    s -= (int)pairs;
    input = (int32_t)((uint32_t)input << (2 * pairs));
    /* fixed point with 3 integer bits: raw / 2^28 */
    const int32_t fx = input >> 1;
    const int32_t half_input = ember_rounding_divide_by_pot(fx, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t x = 1 << 28;   /* starting guess 1.0 */
    for (int i = 0; i < 5; i++) {
        /* x^3 carries 9 integer bits, each product 6: rescale back to 3 */
        const int32_t x3 = ember_saturating_shift_left(
            ember_saturating_rounding_doubling_high_mul(ember_saturating_rounding_doubling_high_mul(x, x), x), 6);
        const int32_t a = ember_saturating_rounding_doubling_high_mul(half_three, x);
        const int32_t b = ember_saturating_rounding_doubling_high_mul(half_input, x3);
        x = ember_saturating_shift_left((int32_t)((uint32_t)a - (uint32_t)b), 3);
    }
    x = ember_saturating_rounding_doubling_high_mul(x, 1518500250);   /* sqrt(2)/2 in Q31 */
    if (s < 0) {
        x = (int32_t)((uint32_t)x << -s);
        s = 0;
    }
    *multiplier = x;
    *shift = s * reverse_shift;
}

/* std::minmax_element's answer: first smallest, last largest (NaN compares
 * false, so it is never picked unless it comes first). */
static void minmax_f32(const float *x, size_t n, float *lo, float *hi) {
    float a = n ? x[0] : 0.0f, b = a;
    for (size_t i = 1; i < n; i++) {
        if (x[i] < a) a = x[i];
        if (!(x[i] < b)) b = x[i];
    }
    *lo = a;
    *hi = b;
}

void ember_quantize_floats_symmetric(const float *x, size_t n, int8_t *q, float *scale) {
    float lo, hi;
    minmax_f32(x, n, &lo, &hi);
    const float range = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);
    if (range == 0.0f) {
        for (size_t i = 0; i < n; i++) q[i] = 0;
        *scale = 1.0f;
        return;
    }
    *scale = range / 127.0f;
    const float inv = 127.0f / range;
    for (size_t i = 0; i < n; i++) {
        const float r = roundf(x[i] * inv);
        /* clamp in float first: the int conversion of an out-of-range float is undefined */
        q[i] = (int8_t)(r > 127.0f ? 127 : (r < -127.0f ? -127 : (int32_t)r));
    }
}

void ember_quantize_floats_asymmetric(const float *x, size_t n, int8_t *q, float *scale,
                                      int32_t *zero_point) {
    float lo, hi;
    minmax_f32(x, n, &lo, &hi);
    const double rmin = (double)(lo < 0.0f ? lo : 0.0f);
    const double rmax = (double)(hi > 0.0f ? hi : 0.0f);
    if (rmin == rmax) {
        for (size_t i = 0; i < n; i++) q[i] = 0;
        *scale = 1.0f;
        *zero_point = 0;
        return;
    }
    const double s = (rmax - rmin) / 255.0;
    /* TFLite keeps whichever end's zero point has the smaller error */
    const double zp_min = -128.0 - rmin / s, zp_max = 127.0 - rmax / s;
    const double err_min = 128.0 + fabs(rmin / s), err_max = 127.0 + fabs(rmax / s);
    const double zpd = err_min < err_max ? zp_min : zp_max;
    int32_t zp = zpd <= -128.0 ? -128 : (zpd >= 127.0 ? 127 : (int32_t)round(zpd));
    *scale = (float)s;
    *zero_point = zp;
    const float inv = 1.0f / *scale;
    for (size_t i = 0; i < n; i++) {
        const float r = roundf((float)zp + x[i] * inv);
        q[i] = (int8_t)(r > 127.0f ? 127 : (r < -128.0f ? -128 : (int32_t)r));
    }
}

void ember_requant_row_generic(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                               const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                               int32_t type, void *out) {
    for (int32_t c = 0; c < n; c++) {
        const int32_t a = (int32_t)((uint32_t)acc[c] + (uint32_t)(bias ? bias[c] : 0));
        const int32_t v = ember_clamp_i32(ember_multiply_by_quantized_multiplier(a, mult[c], shift[c]) + zp,
                                          lo, hi);
        if (type == EMBER_TensorType_UINT8) ((uint8_t *)out)[c] = (uint8_t)v;
        else ((int8_t *)out)[c] = (int8_t)v;
    }
}

void ember_requant_row(int path, const int32_t *acc, const int32_t *bias, const int32_t *mult,
                       const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                       int32_t type, void *out) {
#ifdef EMBER_HAVE_AVX2_BUILD
    if (path >= EMBER_PATH_AVX2) {
        ember_requant_row_avx2(acc, bias, mult, shift, n, zp, lo, hi, type, out);
        return;
    }
#endif
    (void)path;
    ember_requant_row_generic(acc, bias, mult, shift, n, zp, lo, hi, type, out);
}

void ember_dwq_pixel_generic(const ember_dwq_pixel *p, const void *const *taps, void *out) {
    int32_t acc[64];
    for (int32_t c0 = 0; c0 < p->C; c0 += 64) {
        const int32_t n = p->C - c0 < 64 ? p->C - c0 : 64;
        for (int32_t c = 0; c < n; c++) acc[c] = 0;
        for (int32_t t = 0; t < p->taps; t++) {
            const int16_t *w = p->w16 + (size_t)t * p->wstride + c0;
            if (p->type == EMBER_TensorType_UINT8) {
                const uint8_t *x = (const uint8_t *)taps[t] + c0;
                for (int32_t c = 0; c < n; c++)
                    acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)((x[c] - p->in_zp) * w[c]));
            } else {
                const int8_t *x = (const int8_t *)taps[t] + c0;
                for (int32_t c = 0; c < n; c++)
                    acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)((x[c] - p->in_zp) * w[c]));
            }
        }
        ember_requant_row_generic(acc, p->bias ? p->bias + c0 : NULL, p->mult + c0, p->shift + c0, n,
                                  p->out_zp, p->lo, p->hi, p->type, (char *)out + c0);
    }
}

void ember_qgemm8_pack(const int8_t *w, ptrdiff_t row_stride, int32_t K, int32_t N,
                       const int32_t *bias, int32_t in_zp, void *mem, ember_qgemm8_b *out) {
    const int32_t panels = (N + 15) / 16, K4 = (K + 3) / 4;
    int32_t *init = (int32_t *)mem;
    int8_t *data = (int8_t *)(init + (size_t)panels * 16);
    for (int32_t p = 0; p < panels; p++)
        for (int32_t j = 0; j < 16; j++) {
            const int32_t n = p * 16 + j;
            uint32_t sum = 0;
            for (int32_t q = 0; q < K4; q++)
                for (int32_t i = 0; i < 4; i++) {
                    const int32_t k = 4 * q + i;
                    const int8_t v = (n < N && k < K) ? w[(size_t)n * (size_t)row_stride + (size_t)k] : 0;
                    data[(((size_t)p * K4 + q) * 16 + j) * 4 + i] = v;
                    sum += (uint32_t)(int32_t)v;
                }
            init[p * 16 + j] = n < N ? (int32_t)((uint32_t)(bias ? bias[n] : 0) -
                                                 (uint32_t)(128 + in_zp) * sum)
                                     : 0;
        }
    out->K = K;
    out->K4 = K4;
    out->N = N;
    out->panels = panels;
    out->data = data;
    out->init = init;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(EMBER_HOST)
static int cpu_has_vnni512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    }
    return cached;
}
#endif

int ember_qgemm8_usable(int path) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(EMBER_HOST)
    if (path != EMBER_PATH_AVX2 || !cpu_has_vnni512()) return 0;
    const char *env = getenv("EMBER_KERNEL_PATH");
    return !env || !*env || strcmp(env, "vnni") == 0;
#else
    (void)path;
    return 0;
#endif
}

void ember_requant_rows(int path, const int32_t *acc, ptrdiff_t lda, int32_t rows,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t n,
                        int32_t zp, int32_t lo, int32_t hi, int32_t type, void *out, ptrdiff_t ldo) {
#ifdef EMBER_HAVE_AVX2_BUILD
    if (path >= EMBER_PATH_AVX2) {
        ember_requant_rows_avx2(acc, lda, rows, bias, mult, shift, n, zp, lo, hi, type, out, ldo);
        return;
    }
#endif
    for (int32_t r = 0; r < rows; r++)
        ember_requant_row_generic(acc + r * lda, bias, mult, shift, n, zp, lo, hi, type,
                                  (char *)out + r * ldo);
}
