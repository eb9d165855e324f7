/*
 * gemm.h — Ember's shared float32 matrix-multiply engine for the
 * convolution / fully-connected family (conv_2d.c, depthwise_conv_2d.c,
 * transpose_conv.c, fully_connected.c, batch_matmul.c,
 * conv2d_transpose_bias.c).
 *
 *   C[m][n] = clamp(bias[n] + sum_k A[m][k] * B[k][n], lo, hi)
 *
 * B (the weights) is packed once, in prepare when it is constant, into
 * panels of EMBER_GEMM_NR columns: panel p holds K rows of NR floats
 * (columns p*NR .. p*NR+NR-1, zero-padded past N). The packed buffer
 * also carries the bias, padded the same way. A is read in place (row
 * stride lda) or produced block by block by a callback (im2col).
 *
 * Three code paths, chosen per node in prepare (ember_kernel_path):
 *   EMBER_PATH_REF     plain loops in each kernel file (the oracle),
 *   EMBER_PATH_GENERIC the blocked GEMM below, portable C,
 *   EMBER_PATH_AVX2    x86-64 vector kernels (kernels/opt/, runtime CPU
 *                      check): the blocked GEMM and depthwise rows compiled
 *                      for AVX2+FMA, or their AVX-512F versions where the
 *                      CPU has it (ember_gemm_block_x86, ember_dw_row.avx512).
 * On the host, the environment variable EMBER_KERNEL_PATH=ref|generic|avx2|
 * avx512 (read in prepare) caps the path; default is the best available.
 * avx512 (and vnni, unset) keep EMBER_PATH_AVX2 as the path value, so code
 * testing `path == EMBER_PATH_AVX2` still means "x86 vector kernels"; the
 * float engines then pick their AVX-512 kernels unless EMBER_KERNEL_PATH is
 * avx2 (read when a task starts: see ember_f32_avx512).
 * Microcontroller builds (no EMBER_HOST) use the reference loops unless
 * compiled with EMBER_FAST_KERNELS (packing duplicates weights in RAM).
 */
#ifndef EMBER_GEMM_H
#define EMBER_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ember_kernel.h"

#define EMBER_GEMM_NR 16   /* columns per packed panel */
#define EMBER_GEMM_MR 6    /* rows per micro-tile (largest) */
#define EMBER_GEMM_KC 256  /* depth of a cache block */

enum { EMBER_PATH_REF = 0, EMBER_PATH_GENERIC = 1, EMBER_PATH_AVX2 = 2 };

/* Best path allowed on this machine / by EMBER_KERNEL_PATH. */
int ember_kernel_path(void);

/* Packed-B layout. */
typedef struct ember_gemm_b {
    int32_t K, N, panels;
    const float *data;   /* panels * K * NR floats */
    const float *bias;   /* panels * NR floats (zeros when no bias) */
} ember_gemm_b;

/* Floats needed by ember_gemm_pack_b for a K x N matrix (data + bias). */
size_t ember_gemm_packed_floats(int32_t K, int32_t N);
/* Packs B[k][n] = src[k*stride_k + n*stride_n] (k<K, n<N) and bias[n]
 * (bias may be NULL) into dst (ember_gemm_packed_floats(K,N) floats) and
 * fills *out to describe it. */
void ember_gemm_pack_b(const float *src, ptrdiff_t stride_k, ptrdiff_t stride_n,
                       int32_t K, int32_t N, const float *bias, float *dst,
                       ember_gemm_b *out);

/* Supplies rows [m0, m0+mc) of A (all K columns). Either returns a pointer
 * into existing memory and sets *lda, or fills buf (mc*K floats, row
 * stride K), sets *lda = K and returns buf. */
typedef const float *(*ember_gemm_a_fn)(void *arg, int32_t m0, int32_t mc,
                                        float *buf, ptrdiff_t *lda);

typedef struct ember_gemm_job {
    int32_t M;
    const ember_gemm_b *b;
    /* A: either a (with lda) or a_fn/a_arg (then scratch needed). */
    const float *a;
    ptrdiff_t lda;
    ember_gemm_a_fn a_fn;
    void *a_arg;
    float *c;
    ptrdiff_t ldc;
    float lo, hi;
    int path;            /* EMBER_PATH_GENERIC or EMBER_PATH_AVX2 */
    int tasks;           /* from ember_gemm_tasks in prepare (scratch sized for it); 0 = decide now (no scratch) */
} ember_gemm_job;

/* Rows of A produced per callback call (a multiple of MR). */
int32_t ember_gemm_mc(int32_t K);
/* Scratch floats ember_gemm_run needs per thread for a callback-A job. */
size_t ember_gemm_scratch_floats(int32_t K);
/* Number of tasks ember_gemm_run will use (for scratch sizing). */
int ember_gemm_tasks(ember_context *ctx, int32_t M, int32_t N, int32_t K);
/* Runs the job, splitting across ember_parallel_for when large. scratch
 * holds ember_gemm_tasks(...) * ember_gemm_scratch_floats(K) floats (may
 * be NULL when the job reads A in place). */
void ember_gemm_run(ember_context *ctx, const ember_gemm_job *job, float *scratch);
/* Single-threaded core: rows [m_begin, m_end) and panels [p_begin, p_end). */
void ember_gemm_range(const ember_gemm_job *job, int32_t m_begin, int32_t m_end,
                      int32_t p_begin, int32_t p_end, float *scratch);

/* Micro-kernel signature, implemented in gemm_kernels.inc for each path.
 * Computes an mr x NR tile (mr <= MR) over kc steps: acc = (init ? bias :
 * c) + a * b; clamps when last; stores nr columns of each row. */
typedef void (*ember_gemm_ukernel)(int32_t mr, int32_t nr, int32_t kc,
                                   const float *a, ptrdiff_t lda,
                                   const float *b, const float *bias,
                                   float *c, ptrdiff_t ldc,
                                   int init, int last, float lo, float hi);
typedef void (*ember_gemm_blockfn)(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                                   const float *a, ptrdiff_t lda, const float *b,
                                   size_t panel_stride, const float *bias, float *c,
                                   ptrdiff_t ldc, int init, int last, float lo, float hi);
void ember_gemm_block_generic(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                              const float *a, ptrdiff_t lda, const float *b,
                              size_t panel_stride, const float *bias, float *c, ptrdiff_t ldc,
                              int init, int last, float lo, float hi);
void ember_gemm_ukernel_generic(int32_t mr, int32_t nr, int32_t kc,
                                const float *a, ptrdiff_t lda, const float *b,
                                const float *bias, float *c, ptrdiff_t ldc,
                                int init, int last, float lo, float hi);

/* Depthwise row kernel (channels innermost): computes output pixels
 * [ox0, ox1) of one output row where every tap is in bounds horizontally.
 *   in_row[ky]  : pointer to input row (iy for tap ky) or NULL (skipped),
 *   x offsets   : input x = ox*stride_w - pad_w + kx*dil_w,
 *   w           : [KH][KW][C] (depth multiplier already folded: C = out ch,
 *                 input channel of output channel c is c / dm; dm == 1 here)
 * Only used for depth_multiplier == 1 and KW <= 16. */
typedef struct ember_dw_row {
    int32_t C, KH, KW, stride_w, dil_w, pad_w, in_w;
    const float *const *in_rows;  /* KH entries, NULL = out of bounds */
    const float *w;               /* KH*KW*C */
    const float *wpack;           /* NULL, or per 16-channel block: bias[16], then
                                     KH*KW taps of 16 weights (full blocks only) */
    const float *bias;            /* C (zeros if absent) */
    float lo, hi;
    int avx512;                   /* EMBER_PATH_AVX2: use the AVX-512 kernels
                                     (ember_f32_avx512, read once per task) */
} ember_dw_row;
void ember_dw_row_generic(const ember_dw_row *p, float *out, int32_t ox0, int32_t ox1);
/* One pixel through per-tap input pointers (zeros for out-of-bounds taps). */
void ember_dw_pixel_generic(const ember_dw_row *p, const float *const *taps, float *o);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_HAVE_AVX2_BUILD 1
void ember_gemm_ukernel_avx2(int32_t mr, int32_t nr, int32_t kc,
                             const float *a, ptrdiff_t lda, const float *b,
                             const float *bias, float *c, ptrdiff_t ldc,
                             int init, int last, float lo, float hi);
void ember_gemm_block_avx2(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                           const float *a, ptrdiff_t lda, const float *b,
                           size_t panel_stride, const float *bias, float *c, ptrdiff_t ldc,
                           int init, int last, float lo, float hi);
void ember_dw_row_avx2(const ember_dw_row *p, float *out, int32_t ox0, int32_t ox1);
void ember_dw_pixel_avx2(const ember_dw_row *p, const float *const *taps, float *o);
int ember_cpu_has_avx2_fma(void);

/* AVX-512F versions (opt/gemm_avx512.c, opt/dw_f32_avx512.c): same
 * signatures, same packed layouts, and the same summation order per output
 * element as the AVX2 ones (identical results). */
void ember_gemm_block_avx512(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                             const float *a, ptrdiff_t lda, const float *b,
                             size_t panel_stride, const float *bias, float *c, ptrdiff_t ldc,
                             int init, int last, float lo, float hi);
void ember_dw_row_avx512(const ember_dw_row *p, float *out, int32_t ox0, int32_t ox1);
void ember_dw_pixel_avx512(const ember_dw_row *p, const float *const *taps, float *o);
int ember_cpu_has_avx512f(void);
/* Within EMBER_PATH_AVX2: 1 when the float kernels should be the AVX-512
 * ones (CPU has AVX-512F and EMBER_KERNEL_PATH is not avx2). Reads the
 * environment (~20 ns): call it once per task, not per pixel. */
int ember_f32_avx512(void);
/* The EMBER_PATH_AVX2 GEMM block to use now (AVX-512 or AVX2). */
ember_gemm_blockfn ember_gemm_block_x86(void);
#endif

/* Persistent buffer kept across re-prepares (after an input resize):
 * reallocated only when it must grow, so repeated resizes do not pile up
 * persistent memory. */
typedef struct ember_pbuf {
    void *p;
    size_t cap;
} ember_pbuf;
static inline void *ember_pbuf_get(ember_context *ctx, ember_pbuf *b, size_t bytes) {
    if (!b->p || b->cap < bytes) {
        b->p = ember_alloc_persistent(ctx, bytes ? bytes : 1);
        b->cap = b->p ? bytes : 0;
    }
    return b->p;
}

/* Transposed convolution shared by TRANSPOSE_CONV (transpose_conv.c) and
 * MediaPipe's Convolution2DTransposeBias (conv2d_transpose_bias.c):
 * input [N,H,W,IC], weights [O,KH,KW,IC], bias [O] or NULL, output
 * [N,OH,OW,O]; input pixel (iy, ix) lands on output (iy*stride - pad + ky,
 * ix*stride - pad + kx). */
typedef struct ember_tconv {
    int32_t N, H, W, IC, O, KH, KW, OH, OW;
    int32_t stride_h, stride_w, pad_h, pad_w;
    float lo, hi;
    int path;
    ember_gemm_b packed;
    int packed_const, pack_slot, col_slot, tasks;
    ember_pbuf pack_mem;
} ember_tconv;
/* In prepare, after the shape fields but OH/OW/pads may come later:
 * chooses the path, packs constant weights, requests scratch. */
ember_status ember_tconv_plan(ember_context *ctx, ember_node *node, ember_tconv *t,
                              const ember_tensor *weights);
void ember_tconv_run(ember_context *ctx, const ember_node *node, ember_tconv *t,
                     const float *in, const float *weights, const float *bias, float *out);


/* ---- integer GEMM (int8/uint8 convolution family) ----------------------
 *   C[m][n] = sum_k A[m][k] * B[k][n]   (int16 operands, int32 sums)
 * Operands arrive with their zero points already subtracted (so int8 and
 * uint8 both fit int16, and padding taps are plain zeros); sums wrap modulo
 * 2^32 like TFLite's int32 accumulator. K is rounded up to an even Kp and
 * B is packed in panels of EMBER_QGEMM_NR columns with k pairs interleaved
 * (panel p, pair j: B[2j][n], B[2j+1][n] for n in the panel), the layout
 * x86's pmaddwd consumes. A rows are Kp int16 wide (zero past K). */
#define EMBER_QGEMM_NR 16
#define EMBER_QGEMM_MR 4

typedef struct ember_qgemm_b {
    int32_t K, Kp, N, panels;
    const int16_t *data;    /* panels * Kp * NR int16 */
} ember_qgemm_b;

static inline int32_t ember_qgemm_kp(int32_t K) { return K + (K & 1); }
/* int16 elements ember_qgemm_pack_b writes for a K x N matrix. */
size_t ember_qgemm_packed_elems(int32_t K, int32_t N);
/* Packs B[k][n] = src[n*row_stride + k] - zp (src INT8 or UINT8: weights
 * stored one output channel per row, as TFLite does). */
void ember_qgemm_pack_b(const void *src, int32_t type, int32_t zp, ptrdiff_t row_stride,
                        int32_t K, int32_t N, int16_t *dst, ember_qgemm_b *out);
/* C[mc][N] (row stride ldc) for mc rows of A (row stride lda >= Kp). */
void ember_qgemm_block(int path, int32_t mc, const int16_t *a, ptrdiff_t lda,
                       const ember_qgemm_b *b, int32_t *c, ptrdiff_t ldc);
void ember_qgemm_panel_generic(int32_t mc, const int16_t *a, ptrdiff_t lda, const int16_t *bp,
                               int32_t pairs, int32_t nr, int32_t *c, ptrdiff_t ldc);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
void ember_qgemm_panel_avx2(int32_t mc, const int16_t *a, ptrdiff_t lda, const int16_t *bp,
                            int32_t pairs, int32_t nr, int32_t *c, ptrdiff_t ldc);
#endif

/* Plain helpers shared by the family. */
static inline int32_t ember_ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

/* Copies n floats; short copies (im2col taps) stay inline instead of
 * becoming memcpy calls. */
static inline void ember_copy_f32(float *dst, const float *src, int32_t n) {
#if defined(__GNUC__)
    typedef float ember_v4u __attribute__((vector_size(16), aligned(4), may_alias));
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) *(ember_v4u *)(dst + i) = *(const ember_v4u *)(src + i);
    if (n - i >= 2) { dst[i] = src[i]; dst[i + 1] = src[i + 1]; i += 2; }
    if (n - i >= 1) dst[i] = src[i];
#else
    memcpy(dst, src, sizeof(float) * (size_t)n);
#endif
}

static inline void ember_zero_f32(float *dst, int32_t n) {
    for (int32_t i = 0; i < n; i++) dst[i] = 0.0f;
}

#if defined(EMBER_MICRO) && defined(EMBER_MICRO_REF_ONLY) && !defined(EMBER_FAST_KERNELS)
/* Micro projects (`ember micro build` defines EMBER_MICRO_REF_ONLY for every
 * file except gemm.c) know at compile time that the reference loops are the
 * only path, so the packed-GEMM and depthwise-row engines lose their last
 * reference and the linker drops them (about 25 KB of flash). These calls sit
 * only in non-reference branches; if one were ever reached it traps instead of
 * computing something else. Owned by the micro target (micro/codegen.py). */
#define ember_kernel_path() EMBER_PATH_REF
#define ember_gemm_run(...) __builtin_trap()
#define ember_gemm_pack_b(...) __builtin_trap()
#define ember_qgemm_block(...) __builtin_trap()
#define ember_qgemm_pack_b(...) __builtin_trap()
#define ember_dw_row_generic(...) __builtin_trap()
#define ember_dw_pixel_generic(...) __builtin_trap()
static inline void ember_gemm_block_trap(int32_t mc, int32_t kc, int32_t p0, int32_t p1, int32_t N,
                                         const float *a, ptrdiff_t lda, const float *b,
                                         size_t panel_stride, const float *bias, float *c,
                                         ptrdiff_t ldc, int init, int last, float lo, float hi) {
    __builtin_trap();
}
#define ember_gemm_block_generic ember_gemm_block_trap
#endif

#endif /* EMBER_GEMM_H */
