/* opt/qquant_avx2.c — QUANTIZE float32 -> int8/uint8 (per tensor) on 8 lanes.
 *
 * As quantize.c's scalar loop, bit for bit: the same IEEE division x / scale
 * (not a multiply by the reciprocal); roundf's half-away-from-zero from a
 * truncation plus one step toward the sign where the dropped fraction
 * (exact: |x| < 2^23 or already integral) is at least one half; the clamp to
 * [lo - zp, hi - zp] done in float (small integers, exact), with max taking
 * its second operand for NaN so NaN lands on lo as the scalar code's guard
 * makes it. Chosen at run time; other targets compile this to nothing. */
#include <string.h>

#include "../gemm.h"
#include "qavx2.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

static inline __m256i quant8(const float *x, __m256 scale, __m256 flo, __m256 fhi) {
    const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), scale);
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(v, t));
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                                    _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
    __m256 r = _mm256_add_ps(t, up);
    r = _mm256_min_ps(_mm256_max_ps(r, flo), fhi);
    return _mm256_cvttps_epi32(r);
}

void ember_quantize_f32_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t lo,
                             int32_t hi, int u8, void *y) {
    const __m256 s = _mm256_set1_ps(scale), flo = _mm256_set1_ps((float)(lo - zp)),
                 fhi = _mm256_set1_ps((float)(hi - zp));
    const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
    char *o = (char *)y;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i a = quant8(x + i, s, flo, fhi), b = quant8(x + i + 8, s, flo, fhi);
        _mm_storeu_si128((__m128i *)(o + i), ember_pack16(a, b, vzp, vlo, vhi, u8));
    }
    if (i < n) {
        float t[16] = {0};
        char to[16];
        memcpy(t, x + i, (n - i) * sizeof(float));
        const __m256i a = quant8(t, s, flo, fhi), b = quant8(t + 8, s, flo, fhi);
        _mm_storeu_si128((__m128i *)to, ember_pack16(a, b, vzp, vlo, vhi, u8));
        memcpy(o + i, to, n - i);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qquant_avx2_unused; /* ISO C forbids an empty file */
#endif
