/* opt/qavx512.h — AVX-512 helpers of the integer kernels (included by opt/
 * files only; their functions carry the AVX-512 target themselves). */
#ifndef EMBER_QAVX512_H
#define EMBER_QAVX512_H
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

/* TFLite's MultiplyByQuantizedMultiplier on 16 lanes (see qrequant_avx2.c). */
static inline __attribute__((always_inline)) __m512i ember_mbqm16(__m512i x, __m512i m, __m512i sh) {
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    const __m512i left = _mm512_max_epi32(sh, zero);
    const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
    x = _mm512_sllv_epi32(x, left);
    const __m512i half = _mm512_set1_epi64(INT64_C(1) << 30);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m), half);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), half);
    even = _mm512_srli_epi64(even, 31);
    odd = _mm512_slli_epi64(odd, 1);
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    const __m512i rem = _mm512_and_si512(h, mask);
    const __m512i thr = _mm512_add_epi32(_mm512_srai_epi32(mask, 1),
                                         _mm512_srli_epi32(h, 31));   /* + 1 for negative h */
    const __mmask16 up = _mm512_cmpgt_epi32_mask(rem, thr);
    return _mm512_mask_add_epi32(_mm512_srav_epi32(h, right), up, _mm512_srav_epi32(h, right), one);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
#endif /* EMBER_QAVX512_H */
