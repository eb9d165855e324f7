/* opt/qlut_avx512.c — a 256-entry byte table applied 64 bytes at a time with
 * AVX-512 VBMI: two two-register byte permutes look up the low and high
 * halves of the table by the index's low 7 bits, and the index's top bit
 * picks between them. The same table entries as the scalar loop, so the same
 * bytes. Chosen at run time (ember_cpu_has_avx512vbmi, with the gate of the
 * AVX-512 kernels); other targets compile this to nothing. */
#include "../gemm.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

int ember_cpu_has_avx512vbmi(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vbmi");
    }
    return cached;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vbmi"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vbmi")
#endif

static inline __m512i look64(__m512i idx, __m512i t0, __m512i t1, __m512i t2, __m512i t3) {
    const __m512i lo = _mm512_permutex2var_epi8(t0, idx, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, idx, t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
}

void ember_lut8_apply_avx512(const uint8_t *lut, const uint8_t *in, uint8_t *out, size_t n) {
    const __m512i t0 = _mm512_loadu_si512((const void *)lut), t1 = _mm512_loadu_si512((const void *)(lut + 64)),
                  t2 = _mm512_loadu_si512((const void *)(lut + 128)),
                  t3 = _mm512_loadu_si512((const void *)(lut + 192));
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512((void *)(out + i),
                            look64(_mm512_loadu_si512((const void *)(in + i)), t0, t1, t2, t3));
    if (i < n) {
        const __mmask64 m = (n - i) >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        _mm512_mask_storeu_epi8(out + i, m, look64(_mm512_maskz_loadu_epi8(m, in + i), t0, t1, t2, t3));
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qlut_avx512_unused; /* ISO C forbids an empty file */
#endif
