/* opt/qdw_avx512.c — ember_dwq_pixel with AVX-512BW: 32 channels per block,
 * the AVX2 kernel's scheme (two taps per pmaddwd after an unpack) on 512-bit
 * lanes; a two-source permute restores channel order, the requantisation
 * runs on 16 lanes. Channels past the last full 32-block go to the AVX2
 * kernel. Chosen at run time with the VNNI kernels (ember_qgemm8_usable);
 * other targets compile this to nothing. */
#include "../conv_q.h"
#include "../gemm.h"
#include "qavx512.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

static inline __m512i load32(const void *p, int is_u8, __m512i zp) {
    const __m256i b = _mm256_loadu_si256((const __m256i *)p);
    return _mm512_sub_epi16(is_u8 ? _mm512_cvtepu8_epi16(b) : _mm512_cvtepi8_epi16(b), zp);
}

static inline __m128i finish16(const ember_dwq_pixel *p, int32_t c, __m512i v) {
    if (p->bias) v = _mm512_add_epi32(v, _mm512_loadu_si512((const void *)(p->bias + c)));
    v = ember_mbqm16(v, _mm512_loadu_si512((const void *)(p->mult + c)),
                     _mm512_loadu_si512((const void *)(p->shift + c)));
    v = _mm512_add_epi32(v, _mm512_set1_epi32(p->out_zp));
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(p->lo)), _mm512_set1_epi32(p->hi));
    return _mm512_cvtepi32_epi8(v);   /* in range: truncation is exact */
}

void ember_dwq_pixel_avx512(const ember_dwq_pixel *p, const void *const *taps, void *out) {
    const int32_t C = p->C, pairs = (p->taps + 1) / 2;
    const int is_u8 = p->type == EMBER_TensorType_UINT8;
    const __m512i zp16 = _mm512_set1_epi16((int16_t)p->in_zp);
    /* unpacklo holds channels 8q+0..3 of each 128-bit lane q, unpackhi 8q+4..7 */
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i second = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const char *const *tp = (const char *const *)taps;
    int32_t c0 = 0;
    for (; c0 + 32 <= C; c0 += 32) {
        const int16_t *w = p->wide + (size_t)(c0 / 32) * pairs * 64;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0;
        for (int32_t j = 0; j < pairs; j++, w += 64) {
            const __m512i x0 = load32(tp[2 * j] + c0, is_u8, zp16);
            const __m512i x1 = load32(tp[2 * j + 1] + c0, is_u8, zp16);
            a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_unpacklo_epi16(x0, x1),
                                                        _mm512_loadu_si512((const void *)w)));
            a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(_mm512_unpackhi_epi16(x0, x1),
                                                        _mm512_loadu_si512((const void *)(w + 32))));
        }
        _mm_storeu_si128((__m128i *)((char *)out + c0), finish16(p, c0, _mm512_permutex2var_epi32(a0, first, a1)));
        _mm_storeu_si128((__m128i *)((char *)out + c0 + 16),
                         finish16(p, c0 + 16, _mm512_permutex2var_epi32(a0, second, a1)));
    }
    if (c0 < C) ember_dwq_pixel_avx2(p, taps, out, c0);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qdw_avx512_unused;  /* ISO C forbids an empty file */
#endif
