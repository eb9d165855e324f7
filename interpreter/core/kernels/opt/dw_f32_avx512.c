/* opt/dw_f32_avx512.c — float depthwise rows and border pixels (gemm.h's
 * ember_dw_row / ember_dw_pixel) on AVX-512F, 16 channels per zmm.
 *
 * Rows: for the common filters (KW 3 or 5, stride 1 or 2, no horizontal
 * dilation) a tile of output pixels loads each input vector of a filter
 * row once and reuses it for every (pixel, tap) pair that reads it: pixel q
 * tap kx reads input column q*stride + kx, so 8 pixels x 5 taps need 12
 * loads (stride 1) instead of 40 (stride 2: 6-pixel tiles), and the FMA pipes rather than the load
 * ports set the pace. Channels past the last full 16 run the same tiles
 * with masked loads/stores (no scalar tail). Other filters go to the AVX2
 * row kernel.
 *
 * Every output lane is bias, then taps in (ky, kx) order, one FMA each:
 * the AVX2 kernel's order, so both give identical bits. Chosen at run time
 * (ember_dw_row.avx512); other targets compile this file to nothing. */
#include "../gemm.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

static inline __mmask16 lanes(int32_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

static inline __m512 clamp16(__m512 v, __m512 lo, __m512 hi) {
    return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

/* Weights of one channel block: bias, then tap t at w + t*ws. Full blocks
 * read the packed copy (p->wpack: bias[16], then 16 per tap), the rest
 * the [taps][C] filter under a mask. */
typedef struct wblock {
    const float *bias, *w;
    ptrdiff_t ws;
    __mmask16 m;
} wblock;

static inline wblock block_weights(const ember_dw_row *p, int32_t c0) {
    wblock b;
    const int32_t n = p->C - c0;
    b.m = lanes(n);
    if (p->wpack && n >= 16) {
        b.bias = p->wpack + (ptrdiff_t)(c0 / 16) * (1 + p->KH * p->KW) * 16;
        b.w = b.bias + 16;
        b.ws = 16;
    } else {
        b.bias = p->bias + c0;
        b.w = p->w + c0;
        b.ws = p->C;
    }
    return b;
}

/* NP_ output pixels from input column ix0 (first tap), channels of wb. */
#define DW_TILE(KW_, S_, NP_)                                                         \
    static inline __attribute__((always_inline)) void tile_##KW_##_##S_##_##NP_(    \
        const ember_dw_row *p, ptrdiff_t ix0, int32_t c0, const wblock *wb, float *o, \
        __m512 vlo, __m512 vhi) {                                                     \
        enum { NX = (NP_ - 1) * S_ + KW_ };                                           \
        const ptrdiff_t C = p->C;                                                     \
        const __mmask16 m = wb->m;                                                    \
        __m512 acc[NP_];                                                              \
        const __m512 bv = _mm512_maskz_loadu_ps(m, wb->bias);                         \
        for (int q = 0; q < NP_; q++) acc[q] = bv;                                    \
        for (int32_t ky = 0; ky < p->KH; ky++) {                                      \
            const float *row = p->in_rows[ky];                                        \
            if (!row) continue;                                                       \
            const float *x = row + ix0 * C + c0;                                      \
            const float *w = wb->w + (ptrdiff_t)ky * KW_ * wb->ws;                    \
            __m512 xv[NX];                                                            \
            for (int j = 0; j < NX; j++) xv[j] = _mm512_maskz_loadu_ps(m, x + j * C); \
            for (int kx = 0; kx < KW_; kx++) {                                        \
                const __m512 wv = _mm512_maskz_loadu_ps(m, w + kx * wb->ws);          \
                for (int q = 0; q < NP_; q++)                                         \
                    acc[q] = _mm512_fmadd_ps(xv[q * S_ + kx], wv, acc[q]);            \
            }                                                                         \
        }                                                                             \
        for (int q = 0; q < NP_; q++)                                                 \
            _mm512_mask_storeu_ps(o + q * C + c0, m, clamp16(acc[q], vlo, vhi));      \
    }

/* Pixels [ox0, ox1) of one row: BIG_-pixel tiles, then 4, then singles;
 * per tile every channel block (the tile's inputs stay in L1 across
 * blocks). BIG_ is 8 at stride 1 and 6 at stride 2, where 8 pixels would
 * need 19 input vectors (5 taps) and gcc spills accumulators. */
#define DW_ROW(KW_, S_, BIG_)                                                         \
    DW_TILE(KW_, S_, BIG_)                                                            \
    DW_TILE(KW_, S_, 4)                                                               \
    DW_TILE(KW_, S_, 1)                                                               \
    static void row_##KW_##_##S_(const ember_dw_row *p, float *out, int32_t ox0,      \
                                 int32_t ox1) {                                       \
        const __m512 vlo = _mm512_set1_ps(p->lo), vhi = _mm512_set1_ps(p->hi);        \
        const int32_t C = p->C;                                                       \
        int32_t ox = ox0;                                                             \
        for (; ox + BIG_ <= ox1; ox += BIG_)                                          \
            for (int32_t c0 = 0; c0 < C; c0 += 16) {                                  \
                const wblock wb = block_weights(p, c0);                               \
                tile_##KW_##_##S_##_##BIG_(p, (ptrdiff_t)ox * S_ - p->pad_w, c0, &wb,      \
                                      out + (ptrdiff_t)ox * C, vlo, vhi);             \
            }                                                                         \
        for (; ox + 4 <= ox1; ox += 4)                                                \
            for (int32_t c0 = 0; c0 < C; c0 += 16) {                                  \
                const wblock wb = block_weights(p, c0);                               \
                tile_##KW_##_##S_##_4(p, (ptrdiff_t)ox * S_ - p->pad_w, c0, &wb,      \
                                      out + (ptrdiff_t)ox * C, vlo, vhi);             \
            }                                                                         \
        for (; ox < ox1; ox++)                                                        \
            for (int32_t c0 = 0; c0 < C; c0 += 16) {                                  \
                const wblock wb = block_weights(p, c0);                               \
                tile_##KW_##_##S_##_1(p, (ptrdiff_t)ox * S_ - p->pad_w, c0, &wb,      \
                                      out + (ptrdiff_t)ox * C, vlo, vhi);             \
            }                                                                         \
    }

DW_ROW(3, 1, 8)
DW_ROW(3, 2, 6)
DW_ROW(5, 1, 8)
DW_ROW(5, 2, 6)

void ember_dw_row_avx512(const ember_dw_row *p, float *out, int32_t ox0, int32_t ox1) {
    if (p->dil_w == 1 && p->KW == 3 && p->stride_w == 1) row_3_1(p, out, ox0, ox1);
    else if (p->dil_w == 1 && p->KW == 3 && p->stride_w == 2) row_3_2(p, out, ox0, ox1);
    else if (p->dil_w == 1 && p->KW == 5 && p->stride_w == 1) row_5_1(p, out, ox0, ox1);
    else if (p->dil_w == 1 && p->KW == 5 && p->stride_w == 2) row_5_2(p, out, ox0, ox1);
    else ember_dw_row_avx2(p, out, ox0, ox1);
}

/* One border pixel through its tap list (out-of-bounds taps point at zeros). */
void ember_dw_pixel_avx512(const ember_dw_row *p, const float *const *taps, float *o) {
    const int32_t C = p->C, T = p->KH * p->KW;
    const __m512 vlo = _mm512_set1_ps(p->lo), vhi = _mm512_set1_ps(p->hi);
    for (int32_t c0 = 0; c0 < C; c0 += 16) {
        const wblock wb = block_weights(p, c0);
        __m512 acc = _mm512_maskz_loadu_ps(wb.m, wb.bias);
        for (int32_t t = 0; t < T; t++)
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(wb.m, taps[t] + c0),
                                  _mm512_maskz_loadu_ps(wb.m, wb.w + t * wb.ws), acc);
        _mm512_mask_storeu_ps(o + c0, wb.m, clamp16(acc, vlo, vhi));
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_dw_f32_avx512_unused;  /* ISO C forbids an empty file */
#endif
