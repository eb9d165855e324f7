/*
 * conv_q.h — quantisation parameters of the convolution family
 * (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV).
 *
 * Every integer variant computes, per output channel c,
 *   acc = sum (x - x_zp) * (w - w_zp)  [+ bias[c]]
 *   y   = clamp(MBQM(acc, mult[c], shift[c]) + y_zp, act_lo, act_hi)
 * where (mult, shift) encode in_scale * w_scale[c] / out_scale exactly as
 * TFLite derives them (kernel_util's PopulateConvolutionQuantizationParams
 * and GetQuantizedConvolutionMultipler): in double precision per channel,
 * except the legacy per-tensor paths (uint8, per-tensor FULLY_CONNECTED)
 * which round the scale product to float first — a different multiplier
 * in the last bit, hence a different output on rounding ties.
 *
 * Type combinations (as TFLite accepts them):
 *   int8  activations: int8 weights (zero point 0, or a per-tensor zero point
 *         where `allow_w_zp`), int32 bias;
 *   int16 activations (zero points 0): int8 weights, int64 bias or int32
 *         bias (then accumulation is int32, TFLite's AccumScalar);
 *   uint8 activations: uint8 weights with any zero point, per-tensor only,
 *         int32 bias.
 */
#ifndef EMBER_CONV_Q_H
#define EMBER_CONV_Q_H

#include "ember_kernel.h"
#include "quant_common.h"

typedef struct ember_convq {
    int32_t type;           /* activation type: INT8, UINT8 or INT16 */
    int32_t in_zp, w_zp, out_zp;
    int32_t act_lo, act_hi;
    int32_t n_ch;
    int32_t bias_type;      /* 0 (none), INT32 or INT64 */
    int acc64;              /* int16 with an int64 (or no) bias: 64-bit accumulation */
    /* Per-tensor weights share one (mult, shift) pair: the reference loops
     * read entry c & ch_mask (ch_mask 0 then, -1 per channel), so a
     * per-tensor layer keeps 8 bytes instead of 8 per channel. The vector
     * paths read n_ch entries: ember_convq_expand gives them those. */
    int32_t *mult;
    int32_t *shift;
    int32_t ch_mask;
    int32_t mult_cap;       /* allocated entries */
} ember_convq;

typedef struct ember_convq_spec {
    const char *op;
    int32_t n_ch;           /* output channels (bias length, per-channel scales) */
    int32_t qdim;           /* weights' output-channel dimension */
    int float_product;      /* per-tensor multiplier from float(in_s * w_s) (FC) */
    int allow_w_zp;         /* int8 weights may have a per-tensor zero point */
    int32_t bias_type_opt;  /* quantized_bias_type option (0 = unset) */
} ember_convq_spec;

static inline int32_t ember_convq_apply32(const ember_convq *q, int32_t acc, int32_t c) {
    c &= q->ch_mask;
    int32_t v = ember_multiply_by_quantized_multiplier(acc, q->mult[c], q->shift[c]) + q->out_zp;
    return v < q->act_lo ? q->act_lo : (v > q->act_hi ? q->act_hi : v);
}

static inline int32_t ember_convq_apply64(const ember_convq *q, int64_t acc, int32_t c) {
    /* 16x8 accumulators stay within +-2^47 unless the model is absurd; the
     * clamp keeps the 64-bit multiply defined (TFLite's would overflow). */
    const int64_t lim = (INT64_C(1) << 47) - 1;
    if (acc > lim) acc = lim;
    if (acc < -lim) acc = -lim;
    c &= q->ch_mask;
    int32_t v = ember_multiply_by_quantized_multiplier_64(acc, q->mult[c], q->shift[c]) + q->out_zp;
    return v < q->act_lo ? q->act_lo : (v > q->act_hi ? q->act_hi : v);
}

/* Checks types, zero points, scales and bias as TFLite does, and computes
 * the multipliers and activation range into *q (arrays in persistent
 * memory, reused across re-prepares). */
ember_status ember_convq_prepare(ember_context *ctx, const ember_convq_spec *sp,
                                 const ember_tensor *x, const ember_tensor *w,
                                 const ember_tensor *b, const ember_tensor *y,
                                 int32_t act, ember_convq *q);

/* Gives the vector paths (row requantisation, VNNI, direct depthwise) one
 * (mult, shift) pair per output channel: a per-tensor layer's pair is
 * repeated n_ch times, in memory allocated only once such a path is chosen
 * (never in reference-only builds). Call after ember_convq_prepare. */
ember_status ember_convq_expand(ember_context *ctx, ember_convq *q);

/* Element i of a quantised integer tensor's data, widened. */
static inline int32_t ember_q_load(const void *data, int32_t type, size_t i) {
    switch (type) {
    case EMBER_TensorType_INT8: return ((const int8_t *)data)[i];
    case EMBER_TensorType_UINT8: return ((const uint8_t *)data)[i];
    case EMBER_TensorType_INT16: return ((const int16_t *)data)[i];
    default: return ((const int32_t *)data)[i];
    }
}

static inline void ember_q_store(void *data, int32_t type, size_t i, int32_t v) {
    switch (type) {
    case EMBER_TensorType_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
    case EMBER_TensorType_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case EMBER_TensorType_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
    default: ((int32_t *)data)[i] = v; break;
    }
}

/* Bias element c as a 64-bit value (0 without bias). */
static inline int64_t ember_convq_bias(const ember_convq *q, const void *bias, int32_t c) {
    if (!bias) return 0;
    return q->bias_type == EMBER_TensorType_INT64 ? ((const int64_t *)bias)[c]
                                                  : ((const int32_t *)bias)[c];
}

/* ---- row requantisation (the hot loop after every integer GEMM) ------------
 * out[c] = clamp(MBQM(acc[c] + bias[c], mult[c], shift[c]) + zp, lo, hi) for
 * c < n, stored as int8 (type INT8) or uint8 (UINT8); bias may be NULL.
 * Same bits as ember_convq_finish: the AVX2 build does TFLite's double
 * rounding on 8 lanes (kernels/opt/qrequant_avx2.c), chosen by path. */
void ember_requant_row(int path, const int32_t *acc, const int32_t *bias, const int32_t *mult,
                       const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                       int32_t type, void *out);
void ember_requant_row_generic(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                               const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                               int32_t type, void *out);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* n may be any count; the tail runs the generic loop. */
void ember_requant_row_avx2(const int32_t *acc, const int32_t *bias, const int32_t *mult,
                            const int32_t *shift, int32_t n, int32_t zp, int32_t lo, int32_t hi,
                            int32_t type, void *out);
void ember_requant_rows_avx2(const int32_t *acc, ptrdiff_t lda, int32_t rows, const int32_t *bias,
                             const int32_t *mult, const int32_t *shift, int32_t n, int32_t zp,
                             int32_t lo, int32_t hi, int32_t type, void *out, ptrdiff_t ldo);
#endif

/* rows x n accumulators (row stride lda) into rows x n outputs (row stride
 * ldo bytes), the same channels' parameters for every row. */
void ember_requant_rows(int path, const int32_t *acc, ptrdiff_t lda, int32_t rows,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift, int32_t n,
                        int32_t zp, int32_t lo, int32_t hi, int32_t type, void *out, ptrdiff_t ldo);

/* The convolution family's row requantisation for int8/uint8 outputs with
 * int32 accumulation (channels c0 .. c0+n-1). */
static inline void ember_convq_requant_row(const ember_convq *q, int path, const int32_t *acc,
                                           const void *bias, int32_t c0, int32_t n, void *out) {
    ember_requant_row(path, acc, bias ? (const int32_t *)bias + c0 : NULL, q->mult + c0,
                      q->shift + c0, n, q->out_zp, q->act_lo, q->act_hi, q->type, out);
}
/* The same for a block of rows (accumulator row stride lda, output ldo). */
static inline void ember_convq_requant_rows(const ember_convq *q, int path, const int32_t *acc,
                                            ptrdiff_t lda, int32_t rows, const void *bias, int32_t c0,
                                            int32_t n, void *out, ptrdiff_t ldo) {
    ember_requant_rows(path, acc, lda, rows, bias ? (const int32_t *)bias + c0 : NULL, q->mult + c0,
                       q->shift + c0, n, q->out_zp, q->act_lo, q->act_hi, q->type, out, ldo);
}

/* ---- int8 GEMM on VNNI dot products (x86 AVX-512 VNNI) ----------------------
 *   C[m][n] = init[n] + sum_k (A[m][k] + 128) * B[k][n]
 * A holds raw int8 activations (read in place, or an im2col whose padding
 * taps hold the input zero point); vpdpbusd multiplies unsigned by signed
 * bytes, so A is flipped to A + 128 on load and init[n] folds back
 * -(128 + in_zp) * sum_k B[k][n] together with the bias: C is then exactly
 * sum (x - zp) * w + bias modulo 2^32, TFLite's int32 accumulator. B
 * (int8 weights, zero point 0) is packed per 16 output columns in k quads:
 * panel p, quad j holds 4 bytes per column, column-major inside the quad. */
#define EMBER_QGEMM8_NR 16
typedef struct ember_qgemm8_b {
    int32_t K, K4, N, panels;
    const int8_t *data;     /* panels * K4 * 64 bytes */
    const int32_t *init;    /* panels * 16 */
} ember_qgemm8_b;
static inline size_t ember_qgemm8_bytes(int32_t K, int32_t N) {
    const size_t panels = (size_t)((N + 15) / 16);
    return panels * (size_t)((K + 3) / 4) * 64 + panels * 16 * sizeof(int32_t);
}
/* Packs w[n*row_stride + k] (int8, one output channel per row) into mem
 * (ember_qgemm8_bytes, 4-byte aligned) with init = bias - (128+in_zp)*sum. */
void ember_qgemm8_pack(const int8_t *w, ptrdiff_t row_stride, int32_t K, int32_t N,
                       const int32_t *bias, int32_t in_zp, void *mem, ember_qgemm8_b *out);
/* 1 when this CPU runs the VNNI kernel and EMBER_KERNEL_PATH allows it
 * (unset or "vnni"; "avx2" and below keep to the pmaddwd GEMM). */
int ember_qgemm8_usable(int path);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* mc rows of A (row stride lda bytes; only K bytes of each row are read),
 * C row stride ldc int32, all N columns. */
void ember_qgemm8_vnni(int32_t mc, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                       int32_t *c, ptrdiff_t ldc);
#endif
/* Requantisation fused into the byte GEMM: per-column multipliers/shifts,
 * output zero point and int8 clamp range. */
typedef struct ember_qgemm8_rq {
    const int32_t *mult, *shift;
    int32_t zp, lo, hi;
} ember_qgemm8_rq;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* ember_qgemm8_vnni, then each row requantised straight to int8 out (row
 * stride ldo bytes). */
void ember_qgemm8_vnni_rq(int32_t mc, const int8_t *a, ptrdiff_t lda, const ember_qgemm8_b *b,
                          const ember_qgemm8_rq *rq, int8_t *out, ptrdiff_t ldo);
#endif

/* ---- direct int8/uint8 depthwise (depth multiplier 1) ------------------------
 * One output pixel, all channels: acc[c] = sum_t (x_t[c] - in_zp) * w[t][c],
 * then the row requantisation. taps[t] (t < taps) points at the input pixel
 * of tap t, or at C bytes equal to in_zp for a tap outside the image (which
 * then adds nothing, as TFLite skips it); taps[taps] must be valid too (the
 * odd tap's partner, with zero weights). */
typedef struct ember_dwq_pixel {
    int32_t C, taps, type, in_zp;
    const int16_t *wpack;   /* per full 16-channel block, per tap pair: the two taps'
                               16 weights interleaved as pmaddwd pairs, 32 int16; then,
                               when 8 or more channels remain, an 8-channel block
                               (16 int16 per pair) */
    const int16_t *w16;     /* taps rows of weights minus their zero point */
    int32_t wstride;        /* w16 row stride (>= C) */
    const int32_t *bias;    /* C, or NULL */
    const int32_t *mult, *shift;
    int32_t out_zp, lo, hi;
    const int16_t *wide;    /* AVX-512: per full 32-channel block and tap pair, 64 int16
                               (the 16-block rule on 512-bit lanes), or NULL */
} ember_dwq_pixel;
#define EMBER_DWQ_MAX_TAPS 64
/* int16 elements of wpack for C channels and T taps. */
static inline size_t ember_dwq_wpack_elems(int32_t C, int32_t T) {
    return ((size_t)(C / 16) * 32 + (C % 16 >= 8 ? 16 : 0)) * (size_t)((T + 1) / 2);
}
static inline size_t ember_dwq_wide_elems(int32_t C, int32_t T) {
    return (size_t)(C / 32) * 64 * (size_t)((T + 1) / 2);
}
void ember_dwq_pixel_generic(const ember_dwq_pixel *p, const void *const *taps, void *out);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* c_begin (a multiple of 16): channels before it are left alone. */
void ember_dwq_pixel_avx2(const ember_dwq_pixel *p, const void *const *taps, void *out, int32_t c_begin);
/* AVX-512BW: 32-channel blocks from p->wide, the rest through the AVX2 kernel. */
void ember_dwq_pixel_avx512(const ember_dwq_pixel *p, const void *const *taps, void *out);
#endif

/* Requantises one accumulator (int32 arithmetic wraps like TFLite's int32
 * accumulator; 64-bit for int16 with int64 bias). */
/* A hybrid op's float input quantised on the fly: `rows` rows (images for conv
 * and depthwise, batch rows for FULLY_CONNECTED) of `per_row` int8 values, then
 * a float scale and an int32 zero point per row, carved from one scratch buffer. */
typedef struct ember_hybrid_rows {
    int8_t *q;
    float *scale;
    int32_t *zp;
} ember_hybrid_rows;

static inline size_t ember_hybrid_rows_bytes(size_t rows, size_t per_row) {
    return ((rows * per_row + 15) & ~(size_t)15) + rows * 8 + 8;
}

static inline ember_hybrid_rows ember_hybrid_rows_at(void *mem, size_t rows, size_t per_row) {
    ember_hybrid_rows r;
    r.q = (int8_t *)mem;
    r.scale = (float *)((char *)mem + ((rows * per_row + 15) & ~(size_t)15));
    r.zp = (int32_t *)(r.scale + rows);
    return r;
}

/* The int8 weights of a hybrid (float activations, int8 weights) CONV_2D,
 * DEPTHWISE_CONV_2D or FULLY_CONNECTED: int8, symmetric, per tensor or with
 * `n` scales on dimension `qdim`; float32 output and bias. `what` names the
 * tensor in messages ("filter", "weights"). */
ember_status ember_hybrid_weights_check(ember_context *ctx, const char *op,
                                        const char *what, const ember_tensor *w,
                                        const ember_tensor *b, const ember_tensor *y,
                                        int32_t n, int32_t qdim);

static inline int32_t ember_convq_finish(const ember_convq *q, int64_t acc, const void *bias, int32_t c) {
    if (q->acc64) return ember_convq_apply64(q, acc + ember_convq_bias(q, bias, c), c);
    uint32_t a = (uint32_t)acc + (uint32_t)ember_convq_bias(q, bias, c);
    return ember_convq_apply32(q, (int32_t)a, c);
}

#endif /* EMBER_CONV_Q_H */
