/* opt/qbin_avx2.c — quantised 8-bit ADD/SUB/MUL (opt/qew.h) on 8 int32 lanes.
 *
 * The same integer steps as binary.c's reference rows, lane by lane:
 * - SaturatingRoundingDoublingHighMul by a multiplier in [0, 2^31) is
 *   floor((x*m + 2^30) / 2^31) (see qrequant_avx2.c), from two 32x32->64
 *   multiplies (even and odd lanes);
 * - RoundingDivideByPOT(h, r) for r >= 1 is (h + 2^(r-1) - (h < 0)) >> r
 *   (ties away from zero). The sum cannot overflow here: h is below 2^29
 *   for every 8-bit operand (a left shift of the output, MUL only, comes
 *   with r = 0, where the nudge and the correction are both zero).
 * The operand that is one value repeated along the row gets its term once,
 * in scalar code. The ragged end goes through the same vector code on a
 * padded copy, so every element takes the same path.
 * Chosen at run time; other targets compile this to nothing. */
#include <string.h>

#include "../gemm.h"
#include "../quant_common.h"
#include "qavx2.h"
#include "qew.h"

#ifdef EMBER_HAVE_AVX2_BUILD

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

static inline __m256i srdhm8(__m256i x, __m256i m) {
    const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), half);
    __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m), half);
    even = _mm256_srli_epi64(even, 31);
    odd = _mm256_slli_epi64(odd, 1);
    return _mm256_blend_epi32(even, odd, 0xAA);
}

/* One rounding right shift, uniform across lanes. */
typedef struct rshift8 {
    __m256i nudge, negfix;
    __m128i cnt;
} rshift8;
static inline rshift8 rshift8_make(int32_t r) {
    rshift8 s;
    s.nudge = _mm256_set1_epi32(r > 0 ? (int32_t)(UINT32_C(1) << (r - 1)) : 0);
    s.negfix = _mm256_set1_epi32(r > 0 ? -1 : 0);
    s.cnt = _mm_cvtsi32_si128(r);
    return s;
}
static inline __m256i rshift8_apply(__m256i h, const rshift8 *s) {
    const __m256i fix = _mm256_and_si256(_mm256_srai_epi32(h, 31), s->negfix);
    return _mm256_sra_epi32(_mm256_add_epi32(_mm256_add_epi32(h, s->nudge), fix), s->cnt);
}

static inline __m256i load8(const void *p, int u8) {
    const __m128i b = _mm_loadl_epi64((const __m128i *)p);
    return u8 ? _mm256_cvtepu8_epi32(b) : _mm256_cvtepi8_epi32(b);
}

typedef struct qbin8 {
    int kind, mode, u8;
    __m256i off1, off2, m1, m2, mo, oz, lo, hi, bterm;
    __m128i ls, los;
    rshift8 r1, r2, ro;
} qbin8;

/* The ADD/SUB term of one input: MBQM((x + off) << left_shift, m, -r). */
static inline __m256i in_term(__m256i x, __m256i off, __m128i ls, __m256i m, const rshift8 *r) {
    return rshift8_apply(srdhm8(_mm256_sll_epi32(_mm256_add_epi32(x, off), ls), m), r);
}

/* 8 results (before the output offset and clamp) from 8 bytes at a and b
 * (the broadcast side is pre-computed in k->bterm). */
static inline __m256i raw8(const qbin8 *k, const void *a, const void *b) {
    __m256i ta, tb, raw;
    if (k->kind == EMBER_QBIN_MUL) {
        ta = k->mode == EMBER_QBIN_SV ? k->bterm : _mm256_add_epi32(load8(a, k->u8), k->off1);
        tb = k->mode == EMBER_QBIN_VS ? k->bterm : _mm256_add_epi32(load8(b, k->u8), k->off2);
        raw = _mm256_mullo_epi32(ta, tb);
        raw = _mm256_sll_epi32(raw, k->los);
    } else {
        ta = k->mode == EMBER_QBIN_SV ? k->bterm : in_term(load8(a, k->u8), k->off1, k->ls, k->m1, &k->r1);
        tb = k->mode == EMBER_QBIN_VS ? k->bterm : in_term(load8(b, k->u8), k->off2, k->ls, k->m2, &k->r2);
        raw = k->kind == EMBER_QBIN_SUB ? _mm256_sub_epi32(ta, tb) : _mm256_add_epi32(ta, tb);
    }
    return rshift8_apply(srdhm8(raw, k->mo), &k->ro);
}

static inline void block16(const qbin8 *k, const char *a, const char *b, char *o) {
    const __m256i v0 = raw8(k, a, b), v1 = raw8(k, a + 8, b + 8);
    _mm_storeu_si128((__m128i *)o, ember_pack16(v0, v1, k->oz, k->lo, k->hi, k->u8));
}

void ember_qbin_avx2(const ember_qbin_vp *p, const void *a, const void *b, void *out, size_t n,
                     int mode) {
    qbin8 k;
    k.kind = p->kind;
    k.mode = mode;
    k.u8 = p->u8;
    k.off1 = _mm256_set1_epi32(p->off1);
    k.off2 = _mm256_set1_epi32(p->off2);
    k.m1 = _mm256_set1_epi32(p->m1);
    k.m2 = _mm256_set1_epi32(p->m2);
    k.mo = _mm256_set1_epi32(p->mo);
    k.oz = _mm256_set1_epi32(p->out_off);
    k.lo = _mm256_set1_epi32(p->lo);
    k.hi = _mm256_set1_epi32(p->hi);
    k.ls = _mm_cvtsi32_si128(p->left_shift);
    k.los = _mm_cvtsi32_si128(p->lo_shift);
    k.r1 = rshift8_make(p->r1);
    k.r2 = rshift8_make(p->r2);
    k.ro = rshift8_make(p->ro);
    k.bterm = _mm256_setzero_si256();
    if (mode != EMBER_QBIN_VV) {
        /* the repeated operand's term, once, exactly as the scalar rows form it */
        const void *s = mode == EMBER_QBIN_SV ? a : b;
        const int32_t v = p->u8 ? (int32_t) * (const uint8_t *)s : (int32_t) * (const int8_t *)s;
        const int32_t off = mode == EMBER_QBIN_SV ? p->off1 : p->off2;
        int32_t t = off + v;
        if (p->kind != EMBER_QBIN_MUL)
            t = ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)t << p->left_shift),
                                                       mode == EMBER_QBIN_SV ? p->m1 : p->m2,
                                                       -(mode == EMBER_QBIN_SV ? p->r1 : p->r2));
        k.bterm = _mm256_set1_epi32(t);
    }
    const char *pa = (const char *)a, *pb = (const char *)b;
    char *po = (char *)out;
    const size_t sa = mode == EMBER_QBIN_SV ? 0 : 1, sb = mode == EMBER_QBIN_VS ? 0 : 1;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) block16(&k, pa + i * sa, pb + i * sb, po + i);
    if (i < n) {
        char ta[16] = {0}, tb[16] = {0}, to[16];
        const size_t rest = n - i;
        if (sa) memcpy(ta, pa + i, rest);
        if (sb) memcpy(tb, pb + i, rest);
        block16(&k, ta, tb, to);
        memcpy(po + i, to, rest);
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qbin_avx2_unused; /* ISO C forbids an empty file */
#endif
