/* opt/qprelu_avx2.c — 8-bit PRELU (opt/qew.h) on 8 int32 lanes: each lane
 * picks its value (x - zp, or (x - zp)(alpha - alpha_zp) where x - zp < 0),
 * multiplier and shift, then one vector MultiplyByQuantizedMultiplier
 * (ember_mbqm8, exact for shifts in [-31, 30]), the offset and the clamp:
 * the reference row's steps lane by lane. The ragged end runs through the
 * same code on a padded copy. Chosen at run time; other targets compile
 * this to nothing. */
#include <string.h>

#include "../gemm.h"
#include "qavx2.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

typedef struct qprelu8 {
    int u8;
    __m256i izp, azp, m1, m2, s1, s2, ozp, lo, hi, alpha;
} qprelu8;

static inline __m256i load8(const void *p, int u8) {
    const __m128i b = _mm_loadl_epi64((const __m128i *)p);
    return u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
}

static inline __m256i lanes8(const qprelu8 *k, const char *x, const char *a, int alpha_vec) {
    const __m256i v = _mm256_sub_epi32(load8(x, k->u8), k->izp);
    const __m256i al = alpha_vec ? _mm256_sub_epi32(load8(a, k->u8), k->azp) : k->alpha;
    const __m256i neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), v);
    const __m256i val = _mm256_blendv_epi8(v, _mm256_mullo_epi32(v, al), neg);
    return ember_mbqm8(val, _mm256_blendv_epi8(k->m1, k->m2, neg), _mm256_blendv_epi8(k->s1, k->s2, neg));
}

static inline void block16(const qprelu8 *k, const char *x, const char *a, char *o, int alpha_vec) {
    const __m256i r0 = lanes8(k, x, a, alpha_vec), r1 = lanes8(k, x + 8, a + 8, alpha_vec);
    _mm_storeu_si128((__m128i *)o, ember_pack16(r0, r1, k->ozp, k->lo, k->hi, k->u8));
}

void ember_qprelu_avx2(const ember_qprelu_vp *p, const void *x, const void *alpha, void *out,
                       size_t n, int alpha_vec) {
    qprelu8 k;
    k.u8 = p->u8;
    k.izp = _mm256_set1_epi32(p->in_zp);
    k.azp = _mm256_set1_epi32(p->alpha_zp);
    k.m1 = _mm256_set1_epi32(p->m1);
    k.m2 = _mm256_set1_epi32(p->m2);
    k.s1 = _mm256_set1_epi32(p->s1);
    k.s2 = _mm256_set1_epi32(p->s2);
    k.ozp = _mm256_set1_epi32(p->out_zp);
    k.lo = _mm256_set1_epi32(p->u8 ? 0 : -128);
    k.hi = _mm256_set1_epi32(p->u8 ? 255 : 127);
    const int32_t a0 = p->u8 ? (int32_t) * (const uint8_t *)alpha : (int32_t) * (const int8_t *)alpha;
    k.alpha = _mm256_set1_epi32(a0 - p->alpha_zp);
    const char *px = (const char *)x, *pa = (const char *)alpha;
    char *po = (char *)out;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) block16(&k, px + i, alpha_vec ? pa + i : pa, po + i, alpha_vec);
    if (i < n) {
        char tx[16] = {0}, ta[16] = {0}, to[16];
        const size_t rest = n - i;
        memcpy(tx, px + i, rest);
        if (alpha_vec) memcpy(ta, pa + i, rest);
        block16(&k, tx, ta, to, alpha_vec);
        memcpy(po + i, to, rest);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qprelu_avx2_unused; /* ISO C forbids an empty file */
#endif
