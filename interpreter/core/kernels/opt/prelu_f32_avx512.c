/* opt/prelu_f32_avx512.c — float PRELU rows on AVX-512F (opt/prelu_f32.h).
 * The portable rows run 4 lanes (SSE2) and are bound by instructions, not
 * memory; 16 lanes with one masked multiply bring them near copy speed.
 * Other targets compile this file to nothing. */
#include "../gemm.h"
#include "prelu_f32.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

static inline __m512 prelu16(__m512 x, __m512 a) {
    /* ordered x < 0: false for NaN and -0, which stay as they are */
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(x, neg, x, a);
}

void ember_prelu_f32_avx512(const float *x, const float *a, float *o, size_t n, int a_vec) {
    size_t i = 0;
    if (a_vec) {
        for (; i + 16 <= n; i += 16)
            _mm512_storeu_ps(o + i, prelu16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(a + i)));
        if (i < n) {
            const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
            _mm512_mask_storeu_ps(o + i, m, prelu16(_mm512_maskz_loadu_ps(m, x + i),
                                                    _mm512_maskz_loadu_ps(m, a + i)));
        }
        return;
    }
    const __m512 av = _mm512_set1_ps(a[0]);
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(o + i, prelu16(_mm512_loadu_ps(x + i), av));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(o + i, m, prelu16(_mm512_maskz_loadu_ps(m, x + i), av));
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_prelu_f32_avx512_unused;  /* ISO C forbids an empty file */
#endif
