/*
 * fast_math.h — branch-free float32 exp / expm1 / logistic / tanh / erfc
 * for the element-wise kernels (activations.c, unary.c, softmax.c).
 *
 * Every function is a static inline scalar function made only of float
 * multiplies/adds/divides, compares whose results are used as bit masks
 * (ember_fm_sel), and integer adds/shifts on the exponent bits (no
 * float->int conversion). No branches, no libm calls, no tables: a loop
 *     for (i = 0; i < n; i++) y[i] = ember_fast_expf(x[i]);
 * is auto-vectorised by gcc -O3 for plain SSE2 (and AVX2 when the same
 * loop is compiled with target("avx2,fma")).
 *
 * exp(x) = 2^n * e^r, n = round(x / ln 2), r = x - n ln 2 (Cody–Waite
 * split of ln 2, |r| <= ln2/2), e^r = 1 + r + r^2 P(r) (degree-5 minimax
 * P, Cephes expf coefficients). The scale 2^n is applied as two factors
 * 2^(n/2) * 2^(n - n/2), each a normal float, so overflow gives +inf;
 * results below 2^-126 are rounded once, to the same bits a subnormal
 * multiply would give, but from integers: no float op here (or in
 * logistic) makes a subnormal, which costs an x86 microcode assist per
 * vector (selfie_segmentation's mask logits are mostly below -87, where
 * that made LOGISTIC 10x slower). Inputs are clamped to
 * [-104, 89] first (exp underflows to 0 below -103.98 and overflows above
 * 88.73); NaN propagates.
 *
 * Accuracy against float64 libm, in ulps of the float32 result (subnormal
 * results: in units of the subnormal spacing). Measured with a standalone C
 * sweep over every 7th float32 bit pattern (all signs and exponents, NaN
 * and inf): exp 0.97, expm1 1.69, logistic 2.71, tanh 1.32, erfc 7.89 ulp.
 * tests/interpreter/test_fast_math.py enforces the bounds below through the
 * kernels (every 4099th bit pattern plus dense sweeps and special values):
 *   ember_fast_expf       <= 1 ulp (measured 0.96); exp(+inf) = +inf,
 *                         exp(-inf) = 0, exp(NaN) = NaN, overflow -> +inf.
 *   ember_fast_expm1f     <= 2 ulp (|x| < 0.5: Taylor polynomial, no
 *                         cancellation; elsewhere exp(x) - 1).
 *   ember_fast_logisticf  <= 3 ulp (e = exp(-|x|): 1/(1+e) for x >= 0,
 *                         e/(1+e) for x < 0, so x << 0 gives the tiny
 *                         or subnormal result, not 0); 0 and 1 at -/+inf.
 *   ember_fast_tanhf      <= 2 ulp (|x| < 0.625: odd polynomial, Cephes
 *                         tanhf; else 1 - 2 / (exp(2|x|) + 1) with sign).
 *   ember_fast_erfcf      <= 8 ulp where erfc(x) >= 1e-30 (Chebyshev fit of
 *                         Numerical Recipes' erfcc, 1.2e-7 relative in exact
 *                         arithmetic; z^2 split so its rounding is exact).
 *                         Used by GELU's erf form.
 * The exact bounds the tests enforce are in test_fast_math.py.
 */
#ifndef EMBER_FAST_MATH_H
#define EMBER_FAST_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t ember_fm_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float ember_fm_float(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* c ? a : b as a bit select. Plain `?:` between two computed values lets
 * gcc sink the computation of one side into a branch (division, for
 * instance, may trap, so it is then not if-converted back) and the loop
 * stops vectorising; a mask select keeps both sides unconditional. */
static inline float ember_fm_sel(int c, float a, float b) {
    const uint32_t m = 0u - (uint32_t)(c != 0);
    return ember_fm_float((ember_fm_bits(a) & m) | (ember_fm_bits(b) & ~m));
}

static inline float ember_fast_expf(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    /* Clamp to [-104, 89] with compare masks and bit selects, not `?:`:
     * gcc would otherwise specialise (jump-thread) the constant-folded
     * clamped paths into branches that block vectorisation. NaN fails both
     * compares and flows through the arithmetic to a NaN result. */
    const uint32_t hi = 0u - (uint32_t)(x > 89.0f), lo = 0u - (uint32_t)(x < -104.0f);
    const float xc = ember_fm_float((ember_fm_bits(x) & ~(hi | lo)) |
                                    (ember_fm_bits(89.0f) & hi) | (ember_fm_bits(-104.0f) & lo));
    /* n = round-to-nearest(xc * log2e) with the 1.5*2^23 shifter trick:
     * t's low mantissa bits hold n + 2^22, so n is read from its bits with
     * integer arithmetic (no float->int conversion, which would be a
     * trapping operation that blocks vectorisation, and is undefined for
     * NaN). */
    const float shifter = 12582912.0f;
    const float t = xc * log2e + shifter;
    const float nf = t - shifter;
    float r = xc - nf * ln2_hi;
    r = r - nf * ln2_lo;
    const float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    /* A float op whose result is subnormal costs a microcode assist on x86
     * (~100+ cycles per vector, 5-15x the whole function), and every lane
     * evaluates both sides of a select, so no op below may produce one.
     * Results below 2^-126 (n <= -127, or n = -126 with p < 1: "tiny") are
     * built from integers: q = p * 2^(n + 149) < 2^23 is exact and normal,
     * q + 2^23 rounds it to the nearest integer (ties to even, as a
     * subnormal multiply would round), and that integer is the subnormal's
     * bit pattern (2^23 itself gives 2^-126). Float compares keep NaN off
     * the tiny side. */
    const uint32_t tiny = 0u - (uint32_t)((nf < -126.5f) | ((nf < -125.5f) & (p < 1.0f)));
    /* k = n + 150 in [0, 279] (tiny lanes: 150, n = 0); 2^n = 2^n1 * 2^n2
     * with n1 = floor(k/2) - 75 and n2 = n - n1, both in [-75, 65]
     * (normal), so n = 129 overflows to inf through the last multiply. */
    const uint32_t k0 = ember_fm_bits(t) - 0x4B400000u + 150u;
    const uint32_t k = (k0 & ~tiny) | (150u & tiny);
    const uint32_t k1 = k >> 1, k2 = k - k1;
    const float big = (p * ember_fm_float((k1 + 52u) << 23)) * ember_fm_float((k2 + 52u) << 23);
    /* tiny lanes: k0 in [0, 24], so 2^(k0 - 1) is normal; other lanes use
     * k0 = 0 (a normal, discarded value). */
    const float q = p * ember_fm_float(((k0 & tiny) + 126u) << 23) + 8388608.0f;
    const uint32_t sub = ember_fm_bits(q) - 0x4B000000u;
    return ember_fm_float((ember_fm_bits(big) & ~tiny) | (sub & tiny));
}

/* e^x - 1 without cancellation near 0. */
static inline float ember_fast_expm1f(float x) {
    /* Taylor series to x^9/9! on |x| < 0.5: truncation < 3e-9 relative. */
    float p = 2.7557319224e-6f;             /* 1/9! */
    p = p * x + 2.4801587302e-5f;           /* 1/8! */
    p = p * x + 1.9841269841e-4f;           /* 1/7! */
    p = p * x + 1.3888888889e-3f;           /* 1/6! */
    p = p * x + 8.3333333333e-3f;           /* 1/5! */
    p = p * x + 4.1666666667e-2f;           /* 1/4! */
    p = p * x + 1.6666666667e-1f;           /* 1/3! */
    p = p * x + 0.5f;
    const float small = p * (x * x) + x;
    const float big = ember_fast_expf(x) - 1.0f;
    const float ax = fabsf(x);
    return ember_fm_sel(ax < 0.5f, small, big);    /* NaN: big (NaN) */
}

/* 1 / (1 + e^-x), computed from e = e^-|x| (never overflows) so that
 * large negative x gives the correctly tiny (subnormal) result e / (1 + e). */
static inline float ember_fast_logisticf(float x) {
    const float e = ember_fast_expf(-fabsf(x));
    /* e below 2^-126 is its own answer for x < 0 (1 + e rounds to 1); it is
     * replaced by 0 before the add and multiply so that neither takes a
     * subnormal operand or makes a subnormal result (an x86 assist). */
    const uint32_t tiny = 0u - (uint32_t)(e < 1.17549435e-38f);
    const float en = ember_fm_float(ember_fm_bits(e) & ~tiny);
    const float s = 1.0f / (1.0f + en);
    const float neg = ember_fm_float((ember_fm_bits(en * s) & ~tiny) | (ember_fm_bits(e) & tiny));
    return ember_fm_sel(x < 0.0f, neg, s);         /* NaN: s (NaN) */
}

static inline float ember_fast_tanhf(float x) {
    const float ax = fabsf(x);
    /* |x| < 0.625: x + x^3 P(x^2) (Cephes tanhf coefficients). */
    const float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    const float small = (p * z) * x + x;
    /* otherwise 1 - 2 / (e^{2|x|} + 1), sign of x; e^{2|x|} = inf gives 1. */
    const float t = 1.0f - 2.0f / (ember_fast_expf(2.0f * ax) + 1.0f);
    const float big = copysignf(t, x);
    return ember_fm_sel(ax < 0.625f, small, big);  /* NaN: big (NaN) */
}

/* erfc(x) (Numerical Recipes' erfcc Chebyshev fit around exp(-z^2)). */
static inline float ember_fast_erfcf(float x) {
    /* erfc(|x|) < 2^-150 beyond 10.1: clamp so that inf - inf never
     * occurs below (NaN still flows through). */
    const float z = ember_fm_sel(fabsf(x) > 10.5f, 10.5f, fabsf(x));
    const float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    /* exp(-z^2 + p) as exp(-zh^2) * exp((zh - z)(zh + z) + p), zh = z with
     * its low 12 mantissa bits cleared, so zh^2 is exact: the rounding of
     * z^2 (up to 3e-6 relative at z = 10) does not reach the result. */
    const float zh = ember_fm_float(ember_fm_bits(z) & 0xfffff000u);
    const float a = t * ember_fast_expf(-zh * zh) * ember_fast_expf((zh - z) * (zh + z) + p);
    return ember_fm_sel(x < 0.0f, 2.0f - a, a);
}

#endif /* EMBER_FAST_MATH_H */
