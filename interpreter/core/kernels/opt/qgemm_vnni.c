/* opt/qgemm_vnni.c — the int8 GEMM of conv_q.h on AVX-512 VNNI: vpdpbusd
 * adds four u8 x s8 products into each int32 lane, 16 output columns per
 * zmm. Tiles of 4 rows x 32 columns keep 8 accumulators; each k quad of a
 * row is broadcast once (flipped to unsigned by xor 0x80) for both panels.
 * A row's last partial quad is loaded byte-wise so no read passes its K
 * bytes (the weights there are zero anyway). ember_qgemm8_vnni_rq requantises
 * the tile in registers (16 lanes, the same double rounding as
 * qrequant_avx2.c) and stores bytes. Chosen at run time
 * (ember_qgemm8_usable); other targets compile this to nothing. */
#include "../conv_q.h"
#include "../gemm.h"
#include "qavx512.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")
#endif

static inline __m512i quad(const int8_t *a, int32_t j, int32_t full, int32_t K) {
    int32_t v = 0;
    if (j < full) memcpy(&v, a + 4 * j, 4);
    else memcpy(&v, a + 4 * j, (size_t)(K - 4 * j));
    return _mm512_xor_si512(_mm512_set1_epi32(v), _mm512_set1_epi32((int32_t)0x80808080u));
}

static inline void store16(int32_t *c, __m512i v, int32_t nr) {
    if (nr >= 16) _mm512_storeu_si512((void *)c, v);
    else _mm512_mask_storeu_epi32(c, (__mmask16)((1u << nr) - 1), v);
}

/* requantised 16 columns from column n0 (nr valid) of one row, as bytes */
static inline void store_rq(const ember_qgemm8_rq *rq, int32_t n0, int32_t nr, __m512i v, int8_t *o) {
    const __mmask16 k = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    v = ember_mbqm16(v, _mm512_maskz_loadu_epi32(k, rq->mult + n0), _mm512_maskz_loadu_epi32(k, rq->shift + n0));
    v = _mm512_add_epi32(v, _mm512_set1_epi32(rq->zp));
    v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(rq->lo)), _mm512_set1_epi32(rq->hi));
    _mm_mask_storeu_epi8(o + n0, k, _mm512_cvtepi32_epi8(v));   /* in range: truncation is exact */
}

/* rows [0, mr) (mr <= 4) x panels p, p+1 (np = 1 or 2); int32 to c, or
 * requantised bytes to o when rq is set */
static inline __attribute__((always_inline)) void tile(int32_t mr, int np, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                        int32_t p, int32_t *c, ptrdiff_t ldc, const ember_qgemm8_rq *rq, int8_t *o,
                        ptrdiff_t ldo) {
    const int32_t K4 = b->K4, full = b->K / 4;
    const int8_t *b0 = b->data + (size_t)p * K4 * 64;
    const int8_t *b1 = b0 + (size_t)K4 * 64;
    const __m512i i0 = _mm512_loadu_si512((const void *)(b->init + p * 16));
    const __m512i i1 = np > 1 ? _mm512_loadu_si512((const void *)(b->init + p * 16 + 16)) : i0;
    __m512i c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
    const int8_t *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
    for (int32_t j = 0; j < K4; j++) {
        const __m512i w0 = _mm512_loadu_si512((const void *)(b0 + (size_t)j * 64));
        const __m512i w1 = np > 1 ? _mm512_loadu_si512((const void *)(b1 + (size_t)j * 64)) : w0;
        __m512i x = quad(a0, j, full, b->K);
        c00 = _mm512_dpbusd_epi32(c00, x, w0);
        if (np > 1) c01 = _mm512_dpbusd_epi32(c01, x, w1);
        if (mr > 1) {
            x = quad(a1, j, full, b->K);
            c10 = _mm512_dpbusd_epi32(c10, x, w0);
            if (np > 1) c11 = _mm512_dpbusd_epi32(c11, x, w1);
        }
        if (mr > 2) {
            x = quad(a2, j, full, b->K);
            c20 = _mm512_dpbusd_epi32(c20, x, w0);
            if (np > 1) c21 = _mm512_dpbusd_epi32(c21, x, w1);
        }
        if (mr > 3) {
            x = quad(a3, j, full, b->K);
            c30 = _mm512_dpbusd_epi32(c30, x, w0);
            if (np > 1) c31 = _mm512_dpbusd_epi32(c31, x, w1);
        }
    }
    const int32_t n0 = p * 16, nr0 = b->N - n0, nr1 = b->N - n0 - 16;
    const __m512i r0[4] = {c00, c10, c20, c30}, r1[4] = {c01, c11, c21, c31};
    for (int32_t i = 0; i < mr; i++) {
        if (rq) {
            store_rq(rq, n0, nr0, r0[i], o + i * ldo);
            if (np > 1) store_rq(rq, n0 + 16, nr1, r1[i], o + i * ldo);
            continue;
        }
        store16(c + i * ldc + n0, r0[i], nr0);
        if (np > 1) store16(c + i * ldc + n0 + 16, r1[i], nr1);
    }
}

static inline void run(int32_t mc, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                       int32_t *c, ptrdiff_t ldc, const ember_qgemm8_rq *rq, int8_t *o, ptrdiff_t ldo) {
    for (int32_t p = 0; p < b->panels; p += 2) {
        const int np = p + 1 < b->panels ? 2 : 1;
        int32_t i = 0;
        /* full-height tiles with constant shapes: the row/panel tests fold away */
        if (np == 2)
            for (; i + 4 <= mc; i += 4)
                tile(4, 2, a + i * lda, lda, b, p, c ? c + i * ldc : NULL, ldc, rq, o ? o + i * ldo : NULL, ldo);
        else
            for (; i + 4 <= mc; i += 4)
                tile(4, 1, a + i * lda, lda, b, p, c ? c + i * ldc : NULL, ldc, rq, o ? o + i * ldo : NULL, ldo);
        for (; i < mc; i += 4) {
            const int32_t mr = mc - i < 4 ? mc - i : 4;
            tile(mr, np, a + i * lda, lda, b, p, c ? c + i * ldc : NULL, ldc, rq, o ? o + i * ldo : NULL, ldo);
        }
    }
}

void ember_qgemm8_vnni(int32_t mc, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                       int32_t *c, ptrdiff_t ldc) {
    run(mc, a, lda, b, c, ldc, NULL, NULL, 0);
}

void ember_qgemm8_vnni_rq(int32_t mc, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                          const ember_qgemm8_rq *rq, int8_t *out, ptrdiff_t ldo) {
    run(mc, a, lda, b, NULL, 0, rq, out, ldo);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_qgemm_vnni_unused;  /* ISO C forbids an empty file */
#endif
