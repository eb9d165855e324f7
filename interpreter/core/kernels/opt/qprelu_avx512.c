/* opt/qprelu_avx512.c — qprelu_avx2.c's per-lane steps on 16 lanes with
 * AVX-512 (ember_mbqm16); masked loads and stores for the ragged end.
 * Chosen at run time with the AVX-512 kernels (ember_qgemm8_usable); other
 * targets compile this to nothing. */
#include "../gemm.h"
#include "qavx512.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

typedef struct qprelu16 {
    int u8;
    __m512i izp, azp, m1, m2, s1, s2, ozp, lo, hi, alpha;
} qprelu16;

static inline __m512i widen16(__m128i b, int u8) {
    return u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
}

static inline __m128i block16(const qprelu16 *k, __m128i x, __m128i a, int alpha_vec) {
    const __m512i v = _mm512_sub_epi32(widen16(x, k->u8), k->izp);
    const __m512i al = alpha_vec ? _mm512_sub_epi32(widen16(a, k->u8), k->azp) : k->alpha;
    const __mmask16 neg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
    const __m512i val = _mm512_mask_mullo_epi32(v, neg, v, al);
    __m512i r = ember_mbqm16(val, _mm512_mask_blend_epi32(neg, k->m1, k->m2),
                             _mm512_mask_blend_epi32(neg, k->s1, k->s2));
    r = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, k->ozp), k->lo), k->hi);
    return _mm512_cvtepi32_epi8(r);   /* in the type's range: truncation is exact */
}

void ember_qprelu_avx512(const ember_qprelu_vp *p, const void *x, const void *alpha, void *out,
                         size_t n, int alpha_vec) {
    qprelu16 k;
    k.u8 = p->u8;
    k.izp = _mm512_set1_epi32(p->in_zp);
    k.azp = _mm512_set1_epi32(p->alpha_zp);
    k.m1 = _mm512_set1_epi32(p->m1);
    k.m2 = _mm512_set1_epi32(p->m2);
    k.s1 = _mm512_set1_epi32(p->s1);
    k.s2 = _mm512_set1_epi32(p->s2);
    k.ozp = _mm512_set1_epi32(p->out_zp);
    k.lo = _mm512_set1_epi32(p->u8 ? 0 : -128);
    k.hi = _mm512_set1_epi32(p->u8 ? 255 : 127);
    const int32_t a0 = p->u8 ? (int32_t) * (const uint8_t *)alpha : (int32_t) * (const int8_t *)alpha;
    k.alpha = _mm512_set1_epi32(a0 - p->alpha_zp);
    const char *px = (const char *)x, *pa = (const char *)alpha;
    char *po = (char *)out;
    const __m128i z = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i a = alpha_vec ? _mm_loadu_si128((const __m128i *)(pa + i)) : z;
        _mm_storeu_si128((__m128i *)(po + i), block16(&k, _mm_loadu_si128((const __m128i *)(px + i)), a, alpha_vec));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m128i a = alpha_vec ? _mm_maskz_loadu_epi8(m, pa + i) : z;
        _mm_mask_storeu_epi8(po + i, m, block16(&k, _mm_maskz_loadu_epi8(m, px + i), a, alpha_vec));
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qprelu_avx512_unused; /* ISO C forbids an empty file */
#endif
