/* opt/qavx2.h — AVX2 helpers of the integer kernels (included by opt/ files
 * only, inside their `target("avx2")` region). */
#ifndef EMBER_QAVX2_H
#define EMBER_QAVX2_H
#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

/* TFLite's MultiplyByQuantizedMultiplier on 8 int32 lanes, bit for bit
 * (see qrequant_avx2.c for why the rounding is right). */
static inline __attribute__((always_inline)) __m256i ember_mbqm8(__m256i x, __m256i m, __m256i sh) {
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
    const __m256i left = _mm256_max_epi32(sh, zero);
    const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
    x = _mm256_sllv_epi32(x, left);
    const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), half);
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), half);
    even = _mm256_srli_epi64(even, 31);             /* bits 31..62 into the low dword */
    odd = _mm256_slli_epi64(odd, 1);                /* bits 31..62 into the high dword */
    const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    const __m256i rem = _mm256_and_si256(h, mask);
    const __m256i thr = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_cmpgt_epi32(zero, h));
    return _mm256_sub_epi32(_mm256_srav_epi32(h, right), _mm256_cmpgt_epi32(rem, thr));
}

/* Adds zp, clamps to [lo, hi] and packs 16 lanes (a: channels 0-7, b:
 * 8-15) to int8 or uint8; the clamp keeps the packs from saturating. */
static inline __attribute__((always_inline)) __m128i ember_pack16(__m256i a, __m256i b, __m256i zp,
                                                                  __m256i lo, __m256i hi, int is_u8) {
    a = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(a, zp), lo), hi);
    b = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(b, zp), lo), hi);
    const __m128i a16 = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    const __m128i b16 = _mm_packs_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    return is_u8 ? _mm_packus_epi16(a16, b16) : _mm_packs_epi16(a16, b16);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
#endif /* EMBER_QAVX2_H */
