/* opt/qrequant_avx2.c — ember_requant_row on 8 lanes with AVX2 (conv_q.h).
 *
 * TFLite's MultiplyByQuantizedMultiplier, lane by lane and bit for bit:
 *   x << left (wrapping), then SaturatingRoundingDoublingHighMul by a
 *   multiplier in [0, 2^31): (x*m + nudge) / 2^31 truncated, which for these
 *   operands equals floor((x*m + 2^30) / 2^31) — bits 31..62 of the 64-bit
 *   sum (the saturating case needs m = INT32_MIN, which never occurs);
 *   then RoundingDivideByPOT(right): arithmetic shift plus one where the
 *   remainder exceeds half (half plus one for negative x).
 * Chosen at run time (ember_kernel_path); other targets compile to nothing. */
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

void ember_requant_rows_avx2(const int32_t *acc, ptrdiff_t lda, int32_t rows, const int32_t *bias,
                             const int32_t *mult, const int32_t *shift, int32_t n, int32_t zp,
                             int32_t lo, int32_t hi, int32_t type, void *out, ptrdiff_t ldo) {
    const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
    const int u8 = type == EMBER_TensorType_UINT8;
    const int32_t n8 = n & ~7;
    for (int32_t r = 0; r < rows; r++) {
        const int32_t *ar = acc + r * lda;
        char *o = (char *)out + r * ldo;
        for (int32_t c = 0; c < n8; c += 8) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(ar + c));
            if (bias) a = _mm256_add_epi32(a, _mm256_loadu_si256((const __m256i *)(bias + c)));
            __m256i v = ember_mbqm8(a, _mm256_loadu_si256((const __m256i *)(mult + c)),
                                    _mm256_loadu_si256((const __m256i *)(shift + c)));
            v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, vzp), vlo), vhi);
            /* clamped into the type's range already: the packs never saturate */
            const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            _mm_storel_epi64((__m128i *)(o + c), u8 ? _mm_packus_epi16(w16, w16) : _mm_packs_epi16(w16, w16));
        }
        if (n8 < n)
            ember_requant_row_generic(ar + n8, bias ? bias + n8 : NULL, mult + n8, shift + n8, n - n8, zp,
                                      lo, hi, type, o + n8);
    }
}

void ember_requant_row_avx2(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                            int32_t type, void *out) {
    ember_requant_rows_avx2(acc, 0, 1, bias, mult, shift, n, zp, lo, hi, type, out, 0);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qrequant_avx2_unused;  /* ISO C forbids an empty file */
#endif
