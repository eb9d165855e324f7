/* opt/qgemm_avx2.c — the integer GEMM's panel kernel (gemm.h) with AVX2's
 * pmaddwd: each step multiplies one k pair of 4 rows of A by the pair of
 * 16 packed columns and adds the two products into int32 lanes. Chosen at
 * run time (ember_kernel_path); other targets compile this to nothing. */
#include "../gemm.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

static inline __m256i qload_pair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

void ember_qgemm_panel_avx2(int32_t mc, const int16_t *a, ptrdiff_t lda, const int16_t *bp,
                            int32_t pairs, int32_t nr, int32_t *c, ptrdiff_t ldc) {
    int32_t i = 0;
    for (; i + 4 <= mc; i += 4) {
        const int16_t *a0 = a + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
        __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const int16_t *bj = bp;
        for (int32_t j = 0; j < pairs; j++, bj += 2 * EMBER_QGEMM_NR) {
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)bj);
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bj + EMBER_QGEMM_NR));
            __m256i av = qload_pair(a0 + 2 * j);
            c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(av, b0));
            c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(av, b1));
            av = qload_pair(a1 + 2 * j);
            c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(av, b0));
            c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(av, b1));
            av = qload_pair(a2 + 2 * j);
            c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(av, b0));
            c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(av, b1));
            av = qload_pair(a3 + 2 * j);
            c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(av, b0));
            c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(av, b1));
        }
        __m256i rows[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
        for (int r = 0; r < 4; r++) {
            int32_t *cr = c + (size_t)(i + r) * ldc;
            if (nr == EMBER_QGEMM_NR) {
                _mm256_storeu_si256((__m256i *)cr, rows[r][0]);
                _mm256_storeu_si256((__m256i *)(cr + 8), rows[r][1]);
            } else {
                int32_t tmp[EMBER_QGEMM_NR];
                _mm256_storeu_si256((__m256i *)tmp, rows[r][0]);
                _mm256_storeu_si256((__m256i *)(tmp + 8), rows[r][1]);
                memcpy(cr, tmp, sizeof(int32_t) * (size_t)nr);
            }
        }
    }
    for (; i < mc; i++) {
        const int16_t *ai = a + (size_t)i * lda;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0;
        const int16_t *bj = bp;
        for (int32_t j = 0; j < pairs; j++, bj += 2 * EMBER_QGEMM_NR) {
            const __m256i av = qload_pair(ai + 2 * j);
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(av, _mm256_loadu_si256((const __m256i *)bj)));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(av, _mm256_loadu_si256((const __m256i *)(bj + EMBER_QGEMM_NR))));
        }
        int32_t tmp[EMBER_QGEMM_NR];
        _mm256_storeu_si256((__m256i *)tmp, s0);
        _mm256_storeu_si256((__m256i *)(tmp + 8), s1);
        memcpy(c + (size_t)i * ldc, tmp, sizeof(int32_t) * (size_t)nr);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qgemm_avx2_unused;  /* ISO C forbids an empty file */
#endif
