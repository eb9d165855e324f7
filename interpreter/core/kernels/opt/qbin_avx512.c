/* opt/qbin_avx512.c — quantised 8-bit ADD/SUB/MUL (opt/qew.h) on 16 int32
 * lanes with AVX-512: qbin_avx2.c's steps (see there for why each is exact)
 * on 512-bit registers; the ragged end uses masked byte loads and stores.
 * Chosen at run time with the VNNI kernels (ember_qgemm8_usable); other
 * targets compile this to nothing. */
#include "../gemm.h"
#include "../quant_common.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

static inline __m512i srdhm16(__m512i x, __m512i m) {
    const __m512i half = _mm512_set1_epi64(INT64_C(1) << 30);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m), half);
    __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), m), half);
    even = _mm512_srli_epi64(even, 31);
    odd = _mm512_slli_epi64(odd, 1);
    return _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd);
}

typedef struct rshift16 {
    __m512i nudge, negfix;
    __m128i cnt;
} rshift16;
static inline rshift16 rshift16_make(int32_t r) {
    rshift16 s;
    s.nudge = _mm512_set1_epi32(r > 0 ? (int32_t)(UINT32_C(1) << (r - 1)) : 0);
    s.negfix = _mm512_set1_epi32(r > 0 ? -1 : 0);
    s.cnt = _mm_cvtsi32_si128(r);
    return s;
}
static inline __m512i rshift16_apply(__m512i h, const rshift16 *s) {
    const __m512i fix = _mm512_and_si512(_mm512_srai_epi32(h, 31), s->negfix);
    return _mm512_sra_epi32(_mm512_add_epi32(_mm512_add_epi32(h, s->nudge), fix), s->cnt);
}

static inline __m512i widen16(__m128i b, int u8) {
    return u8 ? _mm512_cvtepu8_epi32(b) : _mm512_cvtepi8_epi32(b);
}

typedef struct qbin16 {
    int kind, mode, u8;
    __m512i off1, off2, m1, m2, mo, oz, lo, hi, bterm;
    __m128i ls, los;
    rshift16 r1, r2, ro;
} qbin16;

static inline __m512i in_term(__m512i x, __m512i off, __m128i ls, __m512i m, const rshift16 *r) {
    return rshift16_apply(srdhm16(_mm512_sll_epi32(_mm512_add_epi32(x, off), ls), m), r);
}

static inline __m128i block16(const qbin16 *k, __m128i a, __m128i b) {
    __m512i ta, tb, raw;
    if (k->kind == EMBER_QBIN_MUL) {
        ta = k->mode == EMBER_QBIN_SV ? k->bterm : _mm512_add_epi32(widen16(a, k->u8), k->off1);
        tb = k->mode == EMBER_QBIN_VS ? k->bterm : _mm512_add_epi32(widen16(b, k->u8), k->off2);
        raw = _mm512_sll_epi32(_mm512_mullo_epi32(ta, tb), k->los);
    } else {
        ta = k->mode == EMBER_QBIN_SV ? k->bterm : in_term(widen16(a, k->u8), k->off1, k->ls, k->m1, &k->r1);
        tb = k->mode == EMBER_QBIN_VS ? k->bterm : in_term(widen16(b, k->u8), k->off2, k->ls, k->m2, &k->r2);
        raw = k->kind == EMBER_QBIN_SUB ? _mm512_sub_epi32(ta, tb) : _mm512_add_epi32(ta, tb);
    }
    __m512i v = _mm512_add_epi32(rshift16_apply(srdhm16(raw, k->mo), &k->ro), k->oz);
    v = _mm512_min_epi32(_mm512_max_epi32(v, k->lo), k->hi);
    return _mm512_cvtepi32_epi8(v);   /* in the type's range already: truncation is exact */
}

void ember_qbin_avx512(const ember_qbin_vp *p, const void *a, const void *b, void *out, size_t n,
                       int mode) {
    qbin16 k;
    k.kind = p->kind;
    k.mode = mode;
    k.u8 = p->u8;
    k.off1 = _mm512_set1_epi32(p->off1);
    k.off2 = _mm512_set1_epi32(p->off2);
    k.m1 = _mm512_set1_epi32(p->m1);
    k.m2 = _mm512_set1_epi32(p->m2);
    k.mo = _mm512_set1_epi32(p->mo);
    k.oz = _mm512_set1_epi32(p->out_off);
    k.lo = _mm512_set1_epi32(p->lo);
    k.hi = _mm512_set1_epi32(p->hi);
    k.ls = _mm_cvtsi32_si128(p->left_shift);
    k.los = _mm_cvtsi32_si128(p->lo_shift);
    k.r1 = rshift16_make(p->r1);
    k.r2 = rshift16_make(p->r2);
    k.ro = rshift16_make(p->ro);
    k.bterm = _mm512_setzero_si512();
    if (mode != EMBER_QBIN_VV) {
        const void *s = mode == EMBER_QBIN_SV ? a : b;
        const int32_t v = p->u8 ? (int32_t) * (const uint8_t *)s : (int32_t) * (const int8_t *)s;
        const int32_t off = mode == EMBER_QBIN_SV ? p->off1 : p->off2;
        int32_t t = off + v;
        if (p->kind != EMBER_QBIN_MUL)
            t = ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)t << p->left_shift),
                                                       mode == EMBER_QBIN_SV ? p->m1 : p->m2,
                                                       -(mode == EMBER_QBIN_SV ? p->r1 : p->r2));
        k.bterm = _mm512_set1_epi32(t);
    }
    const char *pa = (const char *)a, *pb = (const char *)b;
    char *po = (char *)out;
    const int va = mode != EMBER_QBIN_SV, vb = mode != EMBER_QBIN_VS;
    const __m128i z = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i x = va ? _mm_loadu_si128((const __m128i *)(pa + i)) : z;
        const __m128i y = vb ? _mm_loadu_si128((const __m128i *)(pb + i)) : z;
        _mm_storeu_si128((__m128i *)(po + i), block16(&k, x, y));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m128i x = va ? _mm_maskz_loadu_epi8(m, pa + i) : z;
        const __m128i y = vb ? _mm_maskz_loadu_epi8(m, pb + i) : z;
        _mm_mask_storeu_epi8(po + i, m, block16(&k, x, y));
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qbin_avx512_unused; /* ISO C forbids an empty file */
#endif
