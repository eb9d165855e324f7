/* opt/qdw_avx2.c — ember_dwq_pixel (conv_q.h) with AVX2: 16 channels per
 * block, two taps per pmaddwd. Each tap's 16 inputs widen to int16 minus the
 * zero point; unpacking two taps interleaves them into (x_t, x_t+1) pairs
 * that pmaddwd multiplies by the prepacked (w_t, w_t+1) pairs and sums into
 * int32 — exact, as |x - zp| <= 255 and |w - w_zp| <= 255. The unpack
 * leaves channels 0-3,8-11 in one accumulator and 4-7,12-15 in the other; a
 * lane permute restores the order before the vector requantisation.
 * Integer sums are exact and order-free, so the bits equal the generic
 * loop's. Chosen at run time; other targets compile this to nothing. */
#include "../conv_q.h"
#include "../gemm.h"
#include "qavx2.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

static inline __m256i load16(const void *p, int is_u8, __m256i zp) {
    const __m128i b = _mm_loadu_si128((const __m128i *)p);
    return _mm256_sub_epi16(is_u8 ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b), zp);
}

void ember_dwq_pixel_avx2(const ember_dwq_pixel *p, const void *const *taps, void *out, int32_t c_begin) {
    const int32_t C = p->C, T = p->taps, pairs = (T + 1) / 2;
    const int is_u8 = p->type == EMBER_TensorType_UINT8;
    const __m256i zp16 = _mm256_set1_epi16((int16_t)p->in_zp);
    const __m256i ozp = _mm256_set1_epi32(p->out_zp), lo = _mm256_set1_epi32(p->lo),
                  hi = _mm256_set1_epi32(p->hi);
    const char *const *tp = (const char *const *)taps;
    int32_t c0 = c_begin;
    for (; c0 + 16 <= C; c0 += 16) {
        const int16_t *w = p->wpack + (size_t)(c0 / 16) * pairs * 32;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        for (int32_t j = 0; j < pairs; j++, w += 32) {
            const __m256i x0 = load16(tp[2 * j] + c0, is_u8, zp16);
            const __m256i x1 = load16(tp[2 * j + 1] + c0, is_u8, zp16);
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1),
                                                        _mm256_loadu_si256((const __m256i *)w)));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1),
                                                        _mm256_loadu_si256((const __m256i *)(w + 16))));
        }
        __m256i lo8 = _mm256_permute2x128_si256(a0, a1, 0x20);   /* channels 0-7 */
        __m256i hi8 = _mm256_permute2x128_si256(a0, a1, 0x31);   /* channels 8-15 */
        if (p->bias) {
            lo8 = _mm256_add_epi32(lo8, _mm256_loadu_si256((const __m256i *)(p->bias + c0)));
            hi8 = _mm256_add_epi32(hi8, _mm256_loadu_si256((const __m256i *)(p->bias + c0 + 8)));
        }
        lo8 = ember_mbqm8(lo8, _mm256_loadu_si256((const __m256i *)(p->mult + c0)),
                          _mm256_loadu_si256((const __m256i *)(p->shift + c0)));
        hi8 = ember_mbqm8(hi8, _mm256_loadu_si256((const __m256i *)(p->mult + c0 + 8)),
                          _mm256_loadu_si256((const __m256i *)(p->shift + c0 + 8)));
        _mm_storeu_si128((__m128i *)((char *)out + c0), ember_pack16(lo8, hi8, ozp, lo, hi, is_u8));
    }
    if (C - c0 >= 8) {   /* an 8-channel block on 128-bit vectors */
        const int16_t *w = p->wpack + (size_t)(C / 16) * pairs * 32;
        const __m128i z8 = _mm256_castsi256_si128(zp16);
        __m128i a0 = _mm_setzero_si128(), a1 = a0;
        for (int32_t j = 0; j < pairs; j++, w += 16) {
            const __m128i b0 = _mm_loadl_epi64((const __m128i *)(tp[2 * j] + c0));
            const __m128i b1 = _mm_loadl_epi64((const __m128i *)(tp[2 * j + 1] + c0));
            const __m128i x0 = _mm_sub_epi16(is_u8 ? _mm_cvtepu8_epi16(b0) : _mm_cvtepi8_epi16(b0), z8);
            const __m128i x1 = _mm_sub_epi16(is_u8 ? _mm_cvtepu8_epi16(b1) : _mm_cvtepi8_epi16(b1), z8);
            a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi16(x0, x1), _mm_loadu_si128((const __m128i *)w)));
            a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi16(x0, x1),
                                                  _mm_loadu_si128((const __m128i *)(w + 8))));
        }
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(a0), a1, 1);   /* channels 0-7 */
        if (p->bias) v = _mm256_add_epi32(v, _mm256_loadu_si256((const __m256i *)(p->bias + c0)));
        v = ember_mbqm8(v, _mm256_loadu_si256((const __m256i *)(p->mult + c0)),
                        _mm256_loadu_si256((const __m256i *)(p->shift + c0)));
        v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, ozp), lo), hi);
        const __m128i v16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)((char *)out + c0), is_u8 ? _mm_packus_epi16(v16, v16) : _mm_packs_epi16(v16, v16));
        c0 += 8;
    }
    if (c0 < C) {   /* channel tail: the generic loop on the rest */
        ember_dwq_pixel tail = *p;
        const void *tt[EMBER_DWQ_MAX_TAPS + 1];
        for (int32_t t = 0; t <= T; t++) tt[t] = tp[t] + c0;
        tail.C = C - c0;
        tail.bias = p->bias ? p->bias + c0 : NULL;
        tail.mult = p->mult + c0;
        tail.shift = p->shift + c0;
        tail.w16 = p->w16 + c0;
        ember_dwq_pixel_generic(&tail, tt, (char *)out + c0);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qdw_avx2_unused;  /* ISO C forbids an empty file */
#endif
