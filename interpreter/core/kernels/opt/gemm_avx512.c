/* opt/gemm_avx512.c — the float GEMM block (gemm.h) on AVX-512F.
 *
 * The packed-B layout stays the portable one (panels of 16 columns, one
 * zmm per k row), so conv_2d.c & co. pack exactly as before. A tile spans
 * two neighbouring panels (32 columns, two zmm per row) and 8 rows: 16
 * accumulators, and per k two panel loads and 8 broadcasts feed 16 FMAs,
 * which keeps the two FMA pipes busy rather than the load ports. A lone
 * last panel runs 1-zmm tiles; partial columns use masked loads/stores.
 *
 * Each output element is summed exactly as the AVX2 kernels do (bias or
 * the partial sum, then k in order, one FMA per step; one row: four
 * partial sums over k combined as (s0 + s1) + (s2 + s3)), so the two paths
 * give identical bits. Chosen at run time (ember_gemm_block_x86); other
 * targets compile this file to nothing. */
#include "../gemm.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include <immintrin.h>

int ember_cpu_has_avx512f(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f");
    }
    return cached;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#if EMBER_GEMM_NR != 16
#error "the AVX-512 GEMM holds one 16-column panel per zmm"
#endif

/* Lanes [0, cols) of a 16-lane vector (cols may be <= 0 or >= 16). */
static inline __mmask16 lanes(int32_t cols) {
    return cols >= 16 ? (__mmask16)0xFFFF : cols <= 0 ? (__mmask16)0 : (__mmask16)((1u << cols) - 1u);
}

/* Clamp that keeps NaN: max/min return their second operand when one is NaN. */
static inline __m512 clamp16(__m512 v, __m512 lo, __m512 hi) {
    return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

/* MR_ rows x NP_ panels (16 or 32 columns, `cols` of them valid). b points
 * at the first panel (already at row k0); the second is pstride floats on. */
#define TILE(MR_, NP_)                                                               \
    static inline __attribute__((always_inline)) void tile_##MR_##_##NP_(          \
        int32_t cols, int32_t kc, const float *a, ptrdiff_t lda, const float *b,   \
        size_t pstride, const float *bias, float *c, ptrdiff_t ldc, int init,      \
        int last, __m512 vlo, __m512 vhi) {                                        \
        const __mmask16 m[2] = {lanes(cols), lanes(cols - 16)};                     \
        __m512 acc[MR_][NP_];                                                       \
        for (int i = 0; i < MR_; i++)                                               \
            for (int v = 0; v < NP_; v++)                                           \
                acc[i][v] = init ? _mm512_loadu_ps(bias + 16 * v)                   \
                                 : _mm512_maskz_loadu_ps(m[v], c + i * ldc + 16 * v); \
        /* pointer steps, not indices: under -fwrapv (Python's CFLAGS) int   \
         * index arithmetic keeps extra registers alive and gcc spills a zmm */ \
        const float *ak = a, *const aend = a + kc, *b0 = b, *b1 = b + pstride;     \
        for (; ak < aend; ak++, b0 += 16, b1 += 16) {                               \
            const __m512 w0 = _mm512_loadu_ps(b0);                                  \
            const __m512 w1 = NP_ > 1 ? _mm512_loadu_ps(b1) : w0;                   \
            for (int i = 0; i < MR_; i++) {                                         \
                const __m512 av = _mm512_set1_ps(ak[i * lda]);                      \
                acc[i][0] = _mm512_fmadd_ps(av, w0, acc[i][0]);                     \
                if (NP_ > 1) acc[i][NP_ - 1] = _mm512_fmadd_ps(av, w1, acc[i][NP_ - 1]); \
            }                                                                       \
        }                                                                           \
        for (int i = 0; i < MR_; i++)                                               \
            for (int v = 0; v < NP_; v++) {                                         \
                __m512 r = acc[i][v];                                               \
                if (last) r = clamp16(r, vlo, vhi);                                 \
                if (m[v] == (__mmask16)0xFFFF) _mm512_storeu_ps(c + i * ldc + 16 * v, r); \
                else _mm512_mask_storeu_ps(c + i * ldc + 16 * v, m[v], r);          \
            }                                                                       \
    }

#define TILES(MR_) TILE(MR_, 1) TILE(MR_, 2)
TILES(1)
TILES(2)
TILES(3)
TILES(4)
TILES(5)
TILES(6)
TILES(7)
TILES(8)

#define MR 8

#define TILE_CASE(MR_, NP_)                                                          \
    case MR_:                                                                        \
        tile_##MR_##_##NP_(cols, kc, a, lda, b, pstride, bias, c, ldc, init, last, vlo, vhi); \
        break;

/* Rows [0, mc) against NP_ panels: full 8-row tiles, then the rest. A
 * tile's FMAs form one dependency chain per accumulator, so a tile of 1-3
 * rows (2-6 chains at 4 cycles' latency) runs at a fraction of the FMA
 * rate: 8 + r rows (r < 4) go as two tiles of 4-6 rows instead. */
#define ROWS(NP_)                                                                    \
    static void rows_##NP_(int32_t mc, int32_t cols, int32_t kc, const float *a,    \
                           ptrdiff_t lda, const float *b, size_t pstride,           \
                           const float *bias, float *c, ptrdiff_t ldc, int init,    \
                           int last, __m512 vlo, __m512 vhi) {                      \
        const int32_t r = mc % MR;                                                   \
        const int32_t full = mc - r - (r > 0 && r < 4 && mc > MR ? MR : 0);          \
        int32_t i = 0;                                                               \
        for (; i < full; i += MR, a += MR * lda, c += MR * ldc)                      \
            tile_8_##NP_(cols, kc, a, lda, b, pstride, bias, c, ldc, init, last, vlo, vhi); \
        if (mc - i > MR) {                                                           \
            const int32_t h = (mc - i + 1) / 2;                                      \
            if (h == 6) tile_6_##NP_(cols, kc, a, lda, b, pstride, bias, c, ldc, init, last, vlo, vhi); \
            else tile_5_##NP_(cols, kc, a, lda, b, pstride, bias, c, ldc, init, last, vlo, vhi); \
            i += h, a += h * lda, c += h * ldc;                                      \
        }                                                                            \
        switch (mc - i) {                                                            \
        TILE_CASE(7, NP_)                                                            \
        TILE_CASE(6, NP_)                                                            \
        TILE_CASE(5, NP_)                                                            \
        TILE_CASE(4, NP_)                                                            \
        TILE_CASE(3, NP_)                                                            \
        TILE_CASE(2, NP_)                                                            \
        TILE_CASE(1, NP_)                                                            \
        default:                                                                     \
            break;                                                                   \
        }                                                                            \
    }
ROWS(1)
ROWS(2)

/* One row (matrix-vector product) against NP_ panels: four partial sums
 * over k per panel break the FMA latency chain (the AVX2 kernel's split). */
#define GEMV(NP_)                                                                    \
    static void gemv_##NP_(int32_t cols, int32_t kc, const float *a, const float *b, \
                           size_t pstride, const float *bias, float *c, int init,    \
                           int last, __m512 vlo, __m512 vhi) {                       \
        const __mmask16 m[2] = {lanes(cols), lanes(cols - 16)};                      \
        __m512 acc[4][NP_];                                                          \
        for (int v = 0; v < NP_; v++) {                                              \
            acc[0][v] = init ? _mm512_loadu_ps(bias + 16 * v)                        \
                             : _mm512_maskz_loadu_ps(m[v], c + 16 * v);              \
            acc[1][v] = acc[2][v] = acc[3][v] = _mm512_setzero_ps();                 \
        }                                                                            \
        int32_t k = 0;                                                               \
        for (; k + 4 <= kc; k += 4)                                                  \
            for (int u = 0; u < 4; u++) {                                            \
                const __m512 av = _mm512_set1_ps(a[k + u]);                          \
                for (int v = 0; v < NP_; v++)                                        \
                    acc[u][v] = _mm512_fmadd_ps(                                     \
                        av, _mm512_loadu_ps(b + v * pstride + (size_t)(k + u) * 16), acc[u][v]); \
            }                                                                        \
        for (; k < kc; k++) {                                                        \
            const __m512 av = _mm512_set1_ps(a[k]);                                  \
            for (int v = 0; v < NP_; v++)                                            \
                acc[0][v] = _mm512_fmadd_ps(av, _mm512_loadu_ps(b + v * pstride + (size_t)k * 16), \
                                            acc[0][v]);                              \
        }                                                                            \
        for (int v = 0; v < NP_; v++) {                                              \
            __m512 r = _mm512_add_ps(_mm512_add_ps(acc[0][v], acc[1][v]),            \
                                     _mm512_add_ps(acc[2][v], acc[3][v]));           \
            if (last) r = clamp16(r, vlo, vhi);                                      \
            _mm512_mask_storeu_ps(c + 16 * v, m[v], r);                              \
        }                                                                            \
    }
GEMV(1)
GEMV(2)

void ember_gemm_block_avx512(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                             const float *a, ptrdiff_t lda, const float *b,
                             size_t panel_stride, const float *bias, float *c, ptrdiff_t ldc,
                             int init, int last, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (int32_t p = p0; p < p1; p += 2) {
        const int pair = p + 1 < p1;
        const int32_t n0 = p * EMBER_GEMM_NR;
        const int32_t cols = N - n0;   /* lanes() caps it at the tile width */
        const float *bp = b + panel_stride * (size_t)p;
        if (mc == 1) {
            if (pair) gemv_2(cols, kc, a, bp, panel_stride, bias + n0, c + n0, init, last, vlo, vhi);
            else gemv_1(cols, kc, a, bp, panel_stride, bias + n0, c + n0, init, last, vlo, vhi);
        } else if (pair) {
            rows_2(mc, cols, kc, a, lda, bp, panel_stride, bias + n0, c + n0, ldc, init, last, vlo, vhi);
        } else {
            rows_1(mc, cols, kc, a, lda, bp, panel_stride, bias + n0, c + n0, ldc, init, last, vlo, vhi);
        }
    }
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_gemm_avx512_unused;  /* ISO C forbids an empty file */
#endif
