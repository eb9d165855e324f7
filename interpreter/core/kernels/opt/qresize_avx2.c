/* opt/qresize_avx2.c — int8 RESIZE_BILINEAR rows (resize.c) on 8 lanes.
 *
 * TFLite's integer formula: v = sum of the four neighbours times their
 * products of 10-bit weights, rounded half away from zero and divided by
 * 2^20 (truncating). The weights lie in [-512, 1536] per axis, so every
 * product sum stays below 2^30 in magnitude: int32 lanes hold it exactly,
 * and truncate(v +/- 2^19) / 2^20 becomes (v + 2^19 - 1 + (v > 0)) >> 20.
 * Channels past the last multiple of 8 take the scalar formula.
 * Chosen at run time; other targets compile this to nothing. */
#include "../gemm.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

static inline __m256i ld8(const int8_t *p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

void ember_bilinear_i8_row_avx2(const int8_t *row0, const int8_t *row1, const int32_t *x0,
                                const int32_t *x1, const int32_t *wx, int32_t wy, int32_t n,
                                int32_t C, int8_t *out) {
    const __m256i half = _mm256_set1_epi32((1 << 19) - 1);
    const int32_t C8 = C & ~7;
    for (int32_t k = 0; k < n; k++, out += C) {
        const int32_t dx = wx[k];
        const int32_t w00 = (1024 - wy) * (1024 - dx), w10 = wy * (1024 - dx), w01 = (1024 - wy) * dx,
                      w11 = wy * dx;
        const int8_t *p00 = row0 + (size_t)x0[k] * C, *p01 = row0 + (size_t)x1[k] * C;
        const int8_t *p10 = row1 + (size_t)x0[k] * C, *p11 = row1 + (size_t)x1[k] * C;
        const __m256i v00 = _mm256_set1_epi32(w00), v10 = _mm256_set1_epi32(w10),
                      v01 = _mm256_set1_epi32(w01), v11 = _mm256_set1_epi32(w11);
        int32_t c = 0;
        for (; c < C8; c += 8) {
            __m256i v = _mm256_mullo_epi32(ld8(p00 + c), v00);
            v = _mm256_add_epi32(v, _mm256_mullo_epi32(ld8(p10 + c), v10));
            v = _mm256_add_epi32(v, _mm256_mullo_epi32(ld8(p01 + c), v01));
            v = _mm256_add_epi32(v, _mm256_mullo_epi32(ld8(p11 + c), v11));
            const __m256i pos = _mm256_cmpgt_epi32(v, _mm256_setzero_si256());
            v = _mm256_srai_epi32(_mm256_sub_epi32(_mm256_add_epi32(v, half), pos), 20);
            const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            _mm_storel_epi64((__m128i *)(out + c), _mm_packs_epi16(w16, w16));
        }
        for (; c < C; c++) {
            const int64_t v = (int64_t)p00[c] * w00 + (int64_t)p10[c] * w10 + (int64_t)p01[c] * w01 +
                              (int64_t)p11[c] * w11;
            out[c] = (int8_t)((v + (v > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qresize_avx2_unused; /* ISO C forbids an empty file */
#endif
