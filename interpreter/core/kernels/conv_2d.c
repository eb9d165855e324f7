/*
 * conv_2d.c — CONV_2D (float32).
 *
 * input [N,H,W,C], filter [O,KH,KW,Cg], optional bias [O] -> output [N,OH,OW,O].
 * Grouped convolution when C is a multiple of Cg (groups = C / Cg, each
 * group owns O / groups output channels). Padding SAME/VALID, strides,
 * dilations, fused activation.
 *
 * Paths: conv2d_ref_f32 (plain loops, the oracle) and the GEMM path: a 1x1
 * stride-1 convolution multiplies the NHWC input in place; one group with
 * dilation_w 1 runs an implicit GEMM per filter row straight from the input
 * (conv_rows_task); anything else (groups, horizontal dilation) feeds the
 * GEMM through an im2col of MC-row blocks into per-thread scratch.
 * Weights are packed once in prepare when constant (else per eval into
 * scratch).
 *
 * Quantised (conv_q.h: arithmetic and checks): int8 (per-channel or
 * per-tensor symmetric weights), uint8 legacy, int16x8. int8/uint8 build
 * an int16 im2col of CQ_MC output pixels (zero point subtracted, so padding
 * taps are zeros) per block and run the integer GEMM per group; int16 and
 * the reference path run conv2d_ref_q. On CPUs with AVX-512 VNNI, int8 with
 * constant weights (one group) runs the byte GEMM of conv_q.h instead: a
 * 1x1 stride-1 unpadded convolution reads the input in place (no im2col at
 * all), others copy raw int8 taps (zero-point bytes for padding).
 *
 * Hybrid (float32 input/output, int8 symmetric weights), as LiteRT: each
 * image is quantised on the fly — symmetrically when the weights have one
 * scale (or all equal), asymmetrically (per-image zero point) when the
 * scales differ per channel or the convolution is grouped — the integer
 * sums run through the same im2col + integer GEMM (or conv2d_ref_h), and
 * y = bias + sum * weight scale * image scale, then the float activation.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "conv_q.h"
#include "gemm.h"

#define CQ_MC 32   /* output pixels per integer im2col block */

typedef struct conv_shape {
    int32_t N, H, W, C;        /* input */
    int32_t O, KH, KW, Cg;     /* filter */
    int32_t OH, OW;            /* output */
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    int32_t groups;
    float lo, hi;
} conv_shape;

/* ---- reference --------------------------------------------------------- */

static void conv2d_ref_f32(const conv_shape *s, const float *in, const float *filter,
                           const float *bias, float *out) {
    const int32_t og = s->O / s->groups;
    for (int32_t n = 0; n < s->N; n++)
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++)
                for (int32_t oc = 0; oc < s->O; oc++) {
                    const int32_t g = oc / og;
                    float acc = bias ? bias[oc] : 0.0f;
                    for (int32_t ky = 0; ky < s->KH; ky++) {
                        const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                        if (iy < 0 || iy >= s->H) continue;
                        for (int32_t kx = 0; kx < s->KW; kx++) {
                            const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                            if (ix < 0 || ix >= s->W) continue;
                            const float *x = in + (((size_t)n * s->H + iy) * s->W + ix) * s->C +
                                             (size_t)g * s->Cg;
                            const float *w = filter + (((size_t)oc * s->KH + ky) * s->KW + kx) * s->Cg;
                            for (int32_t c = 0; c < s->Cg; c++) acc += x[c] * w[c];
                        }
                    }
                    out[(((size_t)n * s->OH + oy) * s->OW + ox) * s->O + oc] =
                        ember_clampf(acc, s->lo, s->hi);
                }
}

/* ---- GEMM path ---------------------------------------------------------- */

typedef struct im2col_arg {
    const conv_shape *s;
    const float *img;   /* one batch image */
    int32_t g;          /* group */
} im2col_arg;

/* Rows [m0, m0+mc) of the im2col matrix: row m = output pixel, columns
 * (ky, kx, c) like the filter's inner layout; out-of-bounds taps are 0. */
static const float *conv_im2col_f32(void *varg, int32_t m0, int32_t mc, float *buf,
                                    ptrdiff_t *lda) {
    const im2col_arg *a = (const im2col_arg *)varg;
    const conv_shape *s = a->s;
    const int32_t Cg = s->Cg, KW = s->KW, span = KW * Cg;
    const size_t K = (size_t)s->KH * KW * Cg;
    const float *img = a->img + (size_t)a->g * Cg;
    int32_t oy = m0 / s->OW, ox = m0 % s->OW;
    for (int32_t i = 0; i < mc; i++) {
        float *row = buf + (size_t)i * K;
        const int32_t ix0 = ox * s->stride_w - s->pad_w;
        /* all taps of a filter row inside the image and adjacent in memory */
        const int whole = ix0 >= 0 && ix0 + (KW - 1) * s->dil_w < s->W;
        const int contiguous = whole && (s->dil_w == 1 || KW == 1) && Cg == s->C;
        for (int32_t ky = 0; ky < s->KH; ky++, row += span) {
            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
            if (iy < 0 || iy >= s->H) {
                ember_zero_f32(row, span);
                continue;
            }
            /* ix0 may be negative (left padding): index from the row start so
             * no pointer ever points before the image */
            const float *img_row = img + (size_t)iy * s->W * s->C;
            if (contiguous) {
                ember_copy_f32(row, img_row + (size_t)ix0 * s->C, span);
                continue;
            }
            for (int32_t kx = 0; kx < KW; kx++) {
                const int32_t ix = ix0 + kx * s->dil_w;
                if (ix < 0 || ix >= s->W) ember_zero_f32(row + kx * Cg, Cg);
                else ember_copy_f32(row + kx * Cg, img_row + (size_t)ix * s->C, Cg);
            }
        }
        if (++ox == s->OW) {
            ox = 0;
            oy++;
        }
    }
    *lda = (ptrdiff_t)K;
    return buf;
}

/* Hybrid: the quantised images, their scales and zero points. */
/* The vector paths' state: allocated only once prepare picks one, so
 * reference-only devices keep none of it. */
typedef struct conv_fast {
    ember_qgemm_b *qpacked;     /* groups entries */
    int qwork_slot;             /* per task: CQ_MC x Kp int16 + CQ_MC x og int32 */
    size_t qwork_per_task;
    int qtasks;
    int q8, q8_direct;          /* VNNI byte GEMM; 1x1 reading the input in place */
    ember_qgemm8_b q8b;
    ember_pbuf q8_mem;
    int direct;                 /* 1x1, stride 1, no padding: A = input */
    int implicit;               /* implicit GEMM over filter rows (see conv_rows_task) */
    int32_t ox_lo, ox_hi;       /* output columns whose taps are all inside the image */
    ember_gemm_b *packed;       /* groups entries (persistent) */
    int packed_const;           /* packed once in prepare */
    int pack_slot, col_slot;    /* scratch slots, -1 = none */
    int tasks;
    ember_pbuf packed_mem, pack_mem;
} conv_fast;

typedef struct conv_data {
    conv_shape s;
    int quant;
    int hybrid, h_per_channel;  /* per-channel: asymmetric inputs, per-channel scales */
    const float *wscale;
    int32_t wscale_n;
    int hq_slot;
    ember_convq q;
    int path;
    conv_fast *fx;              /* kept across re-prepares */
    int fast;                   /* 1: eval takes the vector path through fx */
} conv_data;

/* Turns the vector path on, its state allocated on first use. */
static ember_status conv_go_fast(ember_context *ctx, conv_data *d) {
    if (!d->fx) {
        d->fx = (conv_fast *)ember_alloc_persistent(ctx, sizeof(conv_fast));
        if (!d->fx) return EMBER_ERR_NOMEM;
    }
    d->fast = 1;
    d->fx->pack_slot = d->fx->col_slot = d->fx->qwork_slot = -1;
    d->fx->q8 = 0;
    d->fx->packed = NULL;
    return EMBER_OK;
}

/* Implicit GEMM (one group, dilation_w 1): for output row oy and filter
 * row ky, the KW*C taps of output pixel ox are contiguous in the input at
 * (iy, ox*sw - pw), and consecutive pixels sit sw*C floats apart, so the
 * input itself is a strided A matrix for that filter row's slice of the
 * packed weights. Filter rows outside the image contribute zero and are
 * skipped; border columns go through a one-pixel im2col. */
typedef struct conv_rows_arg {
    const conv_data *d;
    const float *in;
    float *out, *col;
    size_t col_per_task;
    int32_t rows;
} conv_rows_arg;

static void conv_rows_task(void *varg, int task, int n_tasks) {
    const conv_rows_arg *t = (const conv_rows_arg *)varg;
    const conv_data *d = t->d;
    const conv_shape *s = &d->s;
    const ember_gemm_b *B = &d->fx->packed[0];
    const int32_t span = s->KW * s->C, K = B->K;
    const size_t pstride = (size_t)K * EMBER_GEMM_NR;
    float *col = t->col + t->col_per_task * (size_t)task;
    ember_gemm_blockfn blk = ember_gemm_block_generic;
#ifdef EMBER_HAVE_AVX2_BUILD
    if (d->path == EMBER_PATH_AVX2) blk = ember_gemm_block_x86();
#endif
    const int64_t r0 = (int64_t)t->rows * task / n_tasks, r1 = (int64_t)t->rows * (task + 1) / n_tasks;
    for (int64_t r = r0; r < r1; r++) {
        const int32_t n = (int32_t)(r / s->OH), oy = (int32_t)(r % s->OH);
        const float *img = t->in + (size_t)n * s->H * s->W * s->C;
        float *orow = t->out + ((size_t)n * s->OH + oy) * s->OW * s->O;
        int32_t ky0 = 0, ky1 = s->KH;   /* filter rows inside the image */
        while (ky0 < ky1 && oy * s->stride_h - s->pad_h + ky0 * s->dil_h < 0) ky0++;
        while (ky1 > ky0 && oy * s->stride_h - s->pad_h + (ky1 - 1) * s->dil_h >= s->H) ky1--;
        if (d->fx->ox_lo < d->fx->ox_hi && ky0 < ky1) {
            for (int32_t ky = ky0; ky < ky1; ky++) {
                const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                const float *a = img + ((size_t)iy * s->W + (size_t)(d->fx->ox_lo * s->stride_w - s->pad_w)) * s->C;
                blk(d->fx->ox_hi - d->fx->ox_lo, span, 0, B->panels, B->N, a, (ptrdiff_t)s->stride_w * s->C,
                    B->data + (size_t)ky * span * EMBER_GEMM_NR, pstride, B->bias,
                    orow + (size_t)d->fx->ox_lo * s->O, s->O, ky == ky0, ky == ky1 - 1, s->lo, s->hi);
            }
        }
        for (int32_t ox = 0; ox < s->OW; ox++) {
            if (ox == d->fx->ox_lo && d->fx->ox_lo < d->fx->ox_hi && ky0 < ky1) ox = d->fx->ox_hi;
            if (ox >= s->OW) break;
            im2col_arg ia = {s, img, 0};
            ptrdiff_t lda;
            conv_im2col_f32(&ia, oy * s->OW + ox, 1, col, &lda);
            blk(1, K, 0, B->panels, B->N, col, lda, B->data, pstride, B->bias,
                orow + (size_t)ox * s->O, s->O, 1, 1, s->lo, s->hi);
        }
    }
}

/* ---- quantised ------------------------------------------------------------ */

/* Plain loops over any integer variant (the oracle and the int16 path). */
static void conv2d_ref_q(const conv_shape *s, const ember_convq *q, const void *in,
                         const void *filter, const void *bias, void *out) {
    const int32_t og = s->O / s->groups;
    const int32_t wt = q->type == EMBER_TensorType_UINT8 ? EMBER_TensorType_UINT8 : EMBER_TensorType_INT8;
    for (int32_t n = 0; n < s->N; n++)
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++)
                for (int32_t oc = 0; oc < s->O; oc++) {
                    const int32_t g = oc / og;
                    int64_t acc = 0;
                    for (int32_t ky = 0; ky < s->KH; ky++) {
                        const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                        if (iy < 0 || iy >= s->H) continue;
                        for (int32_t kx = 0; kx < s->KW; kx++) {
                            const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                            if (ix < 0 || ix >= s->W) continue;
                            const size_t xi = (((size_t)n * s->H + iy) * s->W + ix) * s->C + (size_t)g * s->Cg;
                            const size_t wi = (((size_t)oc * s->KH + ky) * s->KW + kx) * s->Cg;
                            for (int32_t c = 0; c < s->Cg; c++)
                                acc += (int64_t)(ember_q_load(in, q->type, xi + c) - q->in_zp) *
                                       (ember_q_load(filter, wt, wi + c) - q->w_zp);
                        }
                    }
                    ember_q_store(out, q->type, (((size_t)n * s->OH + oy) * s->OW + ox) * s->O + oc,
                                  ember_convq_finish(q, acc, bias, oc));
                }
}

/* im2col rows for output pixels [m0, m0+mc) of group g, as int16 x - zp
 * (row stride Kp, zero past K and for taps outside the image). */
static void conv_im2col_q(const conv_shape *s, const ember_convq *q, const int32_t *img_zp,
                          const void *in, int64_t m0, int32_t mc, int32_t g, int16_t *a, int32_t Kp) {
    const int32_t Cg = s->Cg, K = s->KH * s->KW * Cg;
    const int64_t per_img = (int64_t)s->OH * s->OW;
    for (int32_t i = 0; i < mc; i++) {
        const int64_t m = m0 + i;
        const int32_t n = (int32_t)(m / per_img);
        const int32_t r = (int32_t)(m % per_img);
        const int32_t oy = r / s->OW, ox = r % s->OW;
        const int32_t zp = img_zp ? img_zp[n] : q->in_zp;   /* hybrid: per image */
        int16_t *row = a + (size_t)i * Kp;
        for (int32_t ky = 0; ky < s->KH; ky++) {
            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
            for (int32_t kx = 0; kx < s->KW; kx++, row += Cg) {
                const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) {
                    memset(row, 0, sizeof(int16_t) * (size_t)Cg);
                    continue;
                }
                const size_t xi = (((size_t)n * s->H + iy) * s->W + ix) * s->C + (size_t)g * Cg;
                if (q->type == EMBER_TensorType_INT8) {
                    const int8_t *x = (const int8_t *)in + xi;
                    for (int32_t c = 0; c < Cg; c++) row[c] = (int16_t)(x[c] - zp);
                } else {
                    const uint8_t *x = (const uint8_t *)in + xi;
                    for (int32_t c = 0; c < Cg; c++) row[c] = (int16_t)(x[c] - zp);
                }
            }
        }
        if (Kp > K) a[(size_t)i * Kp + K] = 0;
    }
}

typedef struct convq_arg {
    const conv_data *d;
    const void *in, *bias;
    void *out;
    char *work;
    const ember_hybrid_rows *h;    /* hybrid, else NULL */
} convq_arg;

/* Hybrid output: bias + sum * scales in LiteRT's order (per-channel:
 * sum * channel scale * image scale; else sum * (image scale * weight
 * scale)), then the float activation. */
static inline float convh_finish(const conv_data *d, const ember_hybrid_rows *h, const float *bias,
                                 int32_t n, int32_t oc, int32_t acc) {
    float v;
    if (d->h_per_channel) v = (float)acc * d->wscale[d->wscale_n > 1 ? oc : 0] * h->scale[n];
    else v = (float)acc * (h->scale[n] * d->wscale[0]);
    if (bias) v += bias[oc];
    return ember_clampf(v, d->s.lo, d->s.hi);
}

/* Plain loops for the hybrid reference path. */
static void conv2d_ref_h(const conv_data *d, const ember_hybrid_rows *h, const int8_t *filter,
                         const float *bias, float *out) {
    const conv_shape *s = &d->s;
    const int32_t og = s->O / s->groups;
    for (int32_t n = 0; n < s->N; n++)
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++)
                for (int32_t oc = 0; oc < s->O; oc++) {
                    const int32_t g = oc / og;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < s->KH; ky++) {
                        const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                        if (iy < 0 || iy >= s->H) continue;
                        for (int32_t kx = 0; kx < s->KW; kx++) {
                            const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                            if (ix < 0 || ix >= s->W) continue;
                            const int8_t *x = h->q + (((size_t)n * s->H + iy) * s->W + ix) * s->C +
                                              (size_t)g * s->Cg;
                            const int8_t *w = filter + (((size_t)oc * s->KH + ky) * s->KW + kx) * s->Cg;
                            for (int32_t c = 0; c < s->Cg; c++) acc += (x[c] - h->zp[n]) * w[c];
                        }
                    }
                    out[(((size_t)n * s->OH + oy) * s->OW + ox) * s->O + oc] =
                        convh_finish(d, h, bias, n, oc, acc);
                }
}

/* im2col rows of raw int8 taps for output pixels [m0, m0+mc) (one group),
 * the input zero point for taps outside the image; row stride lda bytes. */
#ifdef EMBER_HAVE_AVX2_BUILD   /* the byte im2col feeds only the VNNI GEMM */
static inline void copy_i8(int8_t *dst, const int8_t *src, int32_t n) {
    if (n > 32) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    for (int32_t i = 0; i < n; i++) dst[i] = src[i];   /* short spans: no library call */
}

static void conv_im2col_i8(const conv_shape *s, int32_t zp, const int8_t *in, int64_t m0, int32_t mc,
                           int8_t *a, int32_t lda) {
    const int32_t C = s->C, KW = s->KW, span = KW * C;
    const int64_t per_img = (int64_t)s->OH * s->OW;
    int32_t n = (int32_t)(m0 / per_img), r = (int32_t)(m0 % per_img);
    int32_t oy = r / s->OW, ox = r % s->OW;
    for (int32_t i = 0; i < mc; i++) {
        int8_t *row = a + (size_t)i * lda;
        const int8_t *img = in + (size_t)n * s->H * s->W * C;
        const int32_t ix0 = ox * s->stride_w - s->pad_w;
        /* the filter row's taps are adjacent and inside the image */
        const int whole = s->dil_w == 1 && ix0 >= 0 && ix0 + KW - 1 < s->W;
        for (int32_t ky = 0; ky < s->KH; ky++, row += span) {
            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
            if (iy < 0 || iy >= s->H) {
                memset(row, zp, (size_t)span);
                continue;
            }
            const int8_t *src = img + (size_t)iy * s->W * C;
            if (whole) {
                copy_i8(row, src + (size_t)ix0 * C, span);
                continue;
            }
            for (int32_t kx = 0; kx < KW; kx++) {
                const int32_t ix = ix0 + kx * s->dil_w;
                if (ix < 0 || ix >= s->W) memset(row + kx * C, zp, (size_t)C);
                else copy_i8(row + kx * C, src + (size_t)ix * C, C);
            }
        }
        if (++ox == s->OW) {
            ox = 0;
            if (++oy == s->OH) {
                oy = 0;
                n++;
            }
        }
    }
}

static void convq8_task(void *varg, int task, int n_tasks);
#endif

static void convq_task(void *varg, int task, int n_tasks) {
    const convq_arg *t = (const convq_arg *)varg;
#ifdef EMBER_HAVE_AVX2_BUILD
    if (t->d->fx->q8 && !t->h) {
        convq8_task(varg, task, n_tasks);
        return;
    }
#endif
    const conv_data *d = t->d;
    const conv_shape *s = &d->s;
    const ember_convq *q = &d->q;
    const int32_t og = s->O / s->groups, Kp = d->fx->qpacked[0].Kp;
    int16_t *a = (int16_t *)(t->work + d->fx->qwork_per_task * (size_t)task);
    int32_t *acc = (int32_t *)(a + (size_t)CQ_MC * Kp);
    const int64_t M = (int64_t)s->N * s->OH * s->OW;
    const int64_t blocks = (M + CQ_MC - 1) / CQ_MC;
    const int64_t b0 = blocks * task / n_tasks, b1 = blocks * (task + 1) / n_tasks;
    for (int64_t blk = b0; blk < b1; blk++) {
        const int64_t m0 = blk * CQ_MC;
        const int32_t mc = (int32_t)(M - m0 < CQ_MC ? M - m0 : CQ_MC);
        for (int32_t g = 0; g < s->groups; g++) {
            conv_im2col_q(s, q, t->h ? t->h->zp : NULL, t->in, m0, mc, g, a, Kp);
            ember_qgemm_block(d->path, mc, a, Kp, &d->fx->qpacked[g], acc, og);
            if (t->h) {
                const int64_t per_img = (int64_t)s->OH * s->OW;
                for (int32_t i = 0; i < mc; i++) {
                    float *o = (float *)t->out + (size_t)(m0 + i) * s->O + (size_t)g * og;
                    const int32_t n = (int32_t)((m0 + i) / per_img);
                    const int32_t *ai = acc + (size_t)i * og;
                    for (int32_t c = 0; c < og; c++)
                        o[c] = convh_finish(d, t->h, (const float *)t->bias, n, g * og + c, ai[c]);
                }
                continue;
            }
            ember_convq_requant_rows(q, d->path, acc, og, mc, t->bias, g * og, og,
                                     (int8_t *)t->out + (size_t)m0 * s->O + (size_t)g * og, s->O);
        }
    }
}

static void convq_pack(conv_data *d, const void *filter, int32_t wtype, int16_t *dst) {
    const conv_shape *s = &d->s;
    const int32_t og = s->O / s->groups, K = s->KH * s->KW * s->Cg;
    const size_t per = ember_qgemm_packed_elems(K, og);
    const size_t esz = 1;   /* int8/uint8 weights */
    (void)per, (void)esz;   /* reference-only micro builds: the pack call is a trap (gemm.h) */
    for (int32_t g = 0; g < s->groups; g++)
        ember_qgemm_pack_b((const char *)filter + (size_t)g * og * K * esz, wtype, d->q.w_zp, K, K,
                           og, dst + per * g, &d->fx->qpacked[g]);
}

static ember_status convq_plan(ember_context *ctx, ember_node *node, conv_data *d,
                               const ember_tensor *f);
static ember_status convq8_plan(ember_context *ctx, ember_node *node, conv_data *d,
                                const ember_tensor *f, const ember_tensor *b);

static ember_status convq_prepare(ember_context *ctx, ember_node *node, conv_data *d,
                                  const ember_tensor *x, const ember_tensor *f,
                                  const ember_tensor *b, const ember_tensor *y, int act) {
    conv_shape *s = &d->s;
    ember_convq_spec sp = {"CONV_2D", s->O, 0, 0, 0, 0};
    sp.bias_type_opt = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                              EMBER_Conv2DOptions_quantized_bias_type, 0);
    EMBER_CHECK(ember_convq_prepare(ctx, &sp, x, f, b, y, act, &d->q));
    d->fast = 0;
    if (d->path == EMBER_PATH_REF || d->q.type == EMBER_TensorType_INT16) return EMBER_OK;
    EMBER_CHECK(conv_go_fast(ctx, d));
    EMBER_CHECK(ember_convq_expand(ctx, &d->q));
    if (d->q.type == EMBER_TensorType_INT8 && d->q.w_zp == 0 && s->groups == 1 &&
        ember_qgemm8_usable(d->path) && ember_is_const(f) && (!b || ember_is_const(b)) &&
        (int64_t)s->KH * s->KW * s->Cg < INT32_MAX / 2)
        return convq8_plan(ctx, node, d, f, b);
    return convq_plan(ctx, node, d, f);
}

#ifdef EMBER_HAVE_AVX2_BUILD
/* Blocks of CQ_MC output pixels through the VNNI byte GEMM (init carries
 * the bias and the zero-point correction), then the row requantisation. */
static void convq8_task(void *varg, int task, int n_tasks) {
    const convq_arg *t = (const convq_arg *)varg;
    const conv_data *d = t->d;
    const conv_shape *s = &d->s;
    const int32_t K = d->fx->q8b.K, lda = d->fx->q8_direct ? s->C : d->fx->q8b.K4 * 4;
    int8_t *a = (int8_t *)(t->work + d->fx->qwork_per_task * (size_t)task);
    const size_t abytes = d->fx->q8_direct ? 0 : (size_t)CQ_MC * (size_t)lda;   /* as convq8_plan */
    int32_t *acc = (int32_t *)(a + ((abytes + 63) & ~(size_t)63));
    const int64_t M = (int64_t)s->N * s->OH * s->OW;
    const int64_t blocks = (M + CQ_MC - 1) / CQ_MC;
    const int64_t b0 = blocks * task / n_tasks, b1 = blocks * (task + 1) / n_tasks;
    (void)K;
    for (int64_t blk = b0; blk < b1; blk++) {
        const int64_t m0 = blk * CQ_MC;
        const int32_t mc = (int32_t)(M - m0 < CQ_MC ? M - m0 : CQ_MC);
        const int8_t *rows = a;
        if (d->fx->q8_direct) rows = (const int8_t *)t->in + (size_t)m0 * s->C;
        else conv_im2col_i8(s, d->q.in_zp, (const int8_t *)t->in, m0, mc, a, lda);
        const ember_qgemm8_rq rq = {d->q.mult, d->q.shift, d->q.out_zp, d->q.act_lo, d->q.act_hi};
        (void)acc;
        ember_qgemm8_vnni_rq(mc, rows, lda, &d->fx->q8b, &rq, (int8_t *)t->out + (size_t)m0 * s->O, s->O);
    }
}
#endif

/* VNNI byte-GEMM set-up (int8, one group, constant weights and bias). */
static ember_status convq8_plan(ember_context *ctx, ember_node *node, conv_data *d,
                                const ember_tensor *f, const ember_tensor *b) {
    const conv_shape *s = &d->s;
    const int32_t K = s->KH * s->KW * s->Cg;
    void *mem = ember_pbuf_get(ctx, &d->fx->q8_mem, ember_qgemm8_bytes(K, s->O));
    if (!mem) return EMBER_ERR_NOMEM;
    ember_qgemm8_pack((const int8_t *)f->data, K, K, s->O, b ? (const int32_t *)b->data : NULL,
                      d->q.in_zp, mem, &d->fx->q8b);
    d->fx->q8 = 1;
    d->fx->packed_const = 1;   /* nothing to pack per eval */
    d->fx->q8_direct = s->KH == 1 && s->KW == 1 && s->stride_h == 1 && s->stride_w == 1 &&
                   s->pad_h == 0 && s->pad_w == 0;
    const int64_t M = (int64_t)s->N * s->OH * s->OW;
    const int64_t blocks = (M + CQ_MC - 1) / CQ_MC;
    int nt = ember_num_threads(ctx);
    if (nt < 1 || 2.0 * (double)M * s->O * (double)K < 4.0e5) nt = 1;
    if (nt > blocks) nt = (int)blocks;
    d->fx->qtasks = nt < 1 ? 1 : nt;
    const size_t abytes = d->fx->q8_direct ? 0 : (size_t)CQ_MC * (size_t)d->fx->q8b.K4 * 4;
    d->fx->qwork_per_task = (((abytes + 63) & ~(size_t)63) + (size_t)CQ_MC * s->O * sizeof(int32_t) + 63) & ~(size_t)63;
    d->fx->qwork_slot = ember_request_scratch(ctx, node, d->fx->qwork_per_task * (size_t)d->fx->qtasks);
    return d->fx->qwork_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
}

/* Integer GEMM set-up shared by the int8/uint8 and hybrid paths: weights
 * packed (once when constant), per-task im2col + accumulator scratch. */
static ember_status convq_plan(ember_context *ctx, ember_node *node, conv_data *d,
                               const ember_tensor *f) {
    const conv_shape *s = &d->s;
    const int32_t og = s->O / s->groups;
    const int64_t K = (int64_t)s->KH * s->KW * s->Cg;
    EMBER_ENSURE(ctx, K < INT32_MAX / 2, "CONV_2D: filter too large");
    d->fx->qpacked = (ember_qgemm_b *)ember_pbuf_get(ctx, &d->fx->packed_mem,
                                                 sizeof(ember_qgemm_b) * (size_t)s->groups);
    if (!d->fx->qpacked) return EMBER_ERR_NOMEM;
    const size_t pel = ember_qgemm_packed_elems((int32_t)K, og) * (size_t)s->groups;
    d->fx->packed_const = ember_is_const(f);
    if (d->fx->packed_const) {
        int16_t *dst = (int16_t *)ember_pbuf_get(ctx, &d->fx->pack_mem, pel * sizeof(int16_t));
        if (!dst) return EMBER_ERR_NOMEM;
        convq_pack(d, f->data, f->type, dst);
    } else {
        d->fx->pack_slot = ember_request_scratch(ctx, node, pel * sizeof(int16_t));
        if (d->fx->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    const int64_t M = (int64_t)s->N * s->OH * s->OW;
    const int64_t blocks = (M + CQ_MC - 1) / CQ_MC;
    int nt = ember_num_threads(ctx);
    if (nt < 1 || 2.0 * (double)M * s->O * (double)K < 4.0e5) nt = 1;
    if (nt > blocks) nt = (int)blocks;
    d->fx->qtasks = nt < 1 ? 1 : nt;
    const size_t kp = (size_t)ember_qgemm_kp((int32_t)K);
    d->fx->qwork_per_task = ((size_t)CQ_MC * kp * sizeof(int16_t) + (size_t)CQ_MC * og * sizeof(int32_t) + 15) & ~(size_t)15;
    d->fx->qwork_slot = ember_request_scratch(ctx, node, d->fx->qwork_per_task * (size_t)d->fx->qtasks);
    if (d->fx->qwork_slot < 0) return EMBER_ERR_NOMEM;
    return EMBER_OK;
}

static ember_status convh_prepare(ember_context *ctx, ember_node *node, conv_data *d,
                                  const ember_tensor *f, const ember_tensor *b,
                                  const ember_tensor *y, int act) {
    const char *op = "CONV_2D";
    conv_shape *s = &d->s;
    EMBER_CHECK(ember_hybrid_weights_check(ctx, op, "filter", f, b, y, s->O, 0));
    d->wscale = f->q.scale;
    d->wscale_n = f->q.count;
    /* LiteRT: distinct channel scales, or groups, take its per-channel
     * kernel, which quantises inputs asymmetrically */
    d->h_per_channel = s->groups > 1;
    for (int32_t i = 1; i < f->q.count; i++)
        if (f->q.scale[i] != f->q.scale[0]) d->h_per_channel = 1;
    EMBER_CHECK(ember_act_range_f32(ctx, act, &s->lo, &s->hi));
    d->hq_slot = ember_request_scratch(ctx, node, ember_hybrid_rows_bytes((size_t)s->N, (size_t)s->H * s->W * s->C));
    if (d->hq_slot < 0) return EMBER_ERR_NOMEM;
    d->fast = 0;
    d->q.type = EMBER_TensorType_INT8;   /* the im2col reads the quantised image */
    d->q.in_zp = d->q.w_zp = 0;
    if (d->path == EMBER_PATH_REF) return EMBER_OK;
    EMBER_CHECK(conv_go_fast(ctx, d));
    return convq_plan(ctx, node, d, f);
}

static ember_status convh_eval(ember_context *ctx, ember_node *node, conv_data *d,
                               const float *in, const ember_tensor *f, const float *bias, float *out) {
    const conv_shape *s = &d->s;
    const size_t per_img = (size_t)s->H * s->W * s->C;
    ember_hybrid_rows h = ember_hybrid_rows_at(node->scratch[d->hq_slot], (size_t)s->N, per_img);
    for (int32_t n = 0; n < s->N; n++) {
        if (d->h_per_channel) {
            ember_quantize_floats_asymmetric(in + per_img * n, per_img, h.q + per_img * n,
                                             &h.scale[n], &h.zp[n]);
        } else {
            ember_quantize_floats_symmetric(in + per_img * n, per_img, h.q + per_img * n, &h.scale[n]);
            h.zp[n] = 0;
        }
    }
    if (!d->fast) {
        conv2d_ref_h(d, &h, (const int8_t *)f->data, bias, out);
        return EMBER_OK;
    }
    if (!d->fx->packed_const) convq_pack(d, f->data, f->type, (int16_t *)node->scratch[d->fx->pack_slot]);
    convq_arg qa = {d, h.q, bias, out, (char *)node->scratch[d->fx->qwork_slot], &h};
    if (d->fx->qtasks > 1) ember_parallel_for(ctx, d->fx->qtasks, convq_task, &qa);
    else convq_task(&qa, 0, 1);
    return EMBER_OK;
}

static void *conv_init(ember_context *ctx, ember_node *node) {
    conv_data *d = (conv_data *)ember_alloc_persistent(ctx, sizeof(conv_data));
    return d;
}

static void conv_pack(const conv_shape *s, const float *filter, const float *bias,
                      float *dst, ember_gemm_b *packed) {
    const int32_t og = s->O / s->groups, K = s->KH * s->KW * s->Cg;
    const size_t per = ember_gemm_packed_floats(K, og);
    (void)per;   /* reference-only micro builds: the pack call is a trap (gemm.h) */
    for (int32_t g = 0; g < s->groups; g++)
        ember_gemm_pack_b(filter + (size_t)g * og * K, 1, K, K, og,
                          bias ? bias + (size_t)g * og : NULL, dst + per * g, &packed[g]);
}

static ember_status conv_prepare(ember_context *ctx, ember_node *node) {
    conv_data *d = (conv_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "CONV_2D: no op data");
    EMBER_ENSURE(ctx, node->n_inputs >= 2 && node->n_inputs <= 3 && node->n_outputs == 1,
                 "CONV_2D needs 2 or 3 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *f = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && f && y, "CONV_2D: missing input, filter or output");
    d->quant = x->type != EMBER_TensorType_FLOAT32;
    d->hybrid = !d->quant && f->type != EMBER_TensorType_FLOAT32;
    if (!d->quant && !d->hybrid && b && b->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "CONV_2D: a float32 input and filter need a float32 bias, not %s",
                          ember_type_name(b->type));
    EMBER_ENSURE(ctx, x->ndim == 4 && f->ndim == 4, "CONV_2D: input and filter must be 4-D");
    conv_shape *s = &d->s;
    s->N = x->dims[0]; s->H = x->dims[1]; s->W = x->dims[2]; s->C = x->dims[3];
    s->O = f->dims[0]; s->KH = f->dims[1]; s->KW = f->dims[2]; s->Cg = f->dims[3];
    EMBER_ENSURE(ctx, s->Cg > 0 && s->O > 0 && s->C > 0 && s->C % s->Cg == 0,
                 "CONV_2D: input channels %d not a multiple of filter channels %d",
                 (int)s->C, (int)s->Cg);
    s->groups = s->C / s->Cg;
    EMBER_ENSURE(ctx, s->O % s->groups == 0,
                 "CONV_2D: %d output channels do not split into %d groups",
                 (int)s->O, (int)s->groups);
    if (b) EMBER_ENSURE(ctx, b->ndim == 1 && b->dims[0] == s->O,
                        "CONV_2D: bias must be [%d]", (int)s->O);
    const int pad = (int)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                       EMBER_Conv2DOptions_padding, EMBER_Padding_SAME);
    s->stride_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                         EMBER_Conv2DOptions_stride_w, 0);
    s->stride_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                         EMBER_Conv2DOptions_stride_h, 0);
    s->dil_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                      EMBER_Conv2DOptions_dilation_w_factor, 1);
    s->dil_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                      EMBER_Conv2DOptions_dilation_h_factor, 1);
    const int act = (int)ember_opt_int(node, EMBER_BuiltinOptions_Conv2DOptions,
                                       EMBER_Conv2DOptions_fused_activation_function, 0);
    if (!d->quant && !d->hybrid) EMBER_CHECK(ember_act_range_f32(ctx, act, &s->lo, &s->hi));
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->H, s->KH, s->stride_h, s->dil_h, &s->OH, &s->pad_h));
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->W, s->KW, s->stride_w, s->dil_w, &s->OW, &s->pad_w));
    const int32_t dims[4] = {s->N, s->OH, s->OW, s->O};
    EMBER_CHECK(ember_tensor_resize(ctx, y, 4, dims));

    d->path = ember_kernel_path();
    d->fast = 0;
    if (d->quant) return convq_prepare(ctx, node, d, x, f, b, y, act);
    if (d->hybrid) return convh_prepare(ctx, node, d, f, b, y, act);
    if (d->path == EMBER_PATH_REF) return EMBER_OK;
    EMBER_CHECK(conv_go_fast(ctx, d));

    const int32_t og = s->O / s->groups, K = s->KH * s->KW * s->Cg;
    const int64_t M = (int64_t)s->OH * s->OW;
    EMBER_ENSURE(ctx, M <= INT32_MAX && (int64_t)s->KH * s->KW * s->Cg <= INT32_MAX,
                 "CONV_2D: too large");
    d->fx->direct = s->KH == 1 && s->KW == 1 && s->stride_h == 1 && s->stride_w == 1 &&
                s->pad_h == 0 && s->pad_w == 0;
    d->fx->packed = (ember_gemm_b *)ember_pbuf_get(ctx, &d->fx->packed_mem,
                                               sizeof(ember_gemm_b) * (size_t)s->groups);
    if (!d->fx->packed) return EMBER_ERR_NOMEM;
    const size_t pfloats = ember_gemm_packed_floats(K, og) * (size_t)s->groups;
    d->fx->packed_const = ember_is_const(f) && (!b || ember_is_const(b));
    if (d->fx->packed_const) {
        float *dst = (float *)ember_pbuf_get(ctx, &d->fx->pack_mem, pfloats * sizeof(float));
        if (!dst) return EMBER_ERR_NOMEM;
        conv_pack(s, (const float *)f->data, b ? (const float *)b->data : NULL, dst, d->fx->packed);
    } else {
        d->fx->pack_slot = ember_request_scratch(ctx, node, pfloats * sizeof(float));
        if (d->fx->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    d->fx->tasks = ember_gemm_tasks(ctx, (int32_t)M, og, K);
    d->fx->implicit = !d->fx->direct && s->groups == 1 && s->dil_w == 1 &&
                  (int64_t)s->KW * s->C <= 1024;
    if (d->fx->implicit) {
        /* interior columns: ox*sw - pw >= 0 and ox*sw - pw + KW - 1 <= W - 1 */
        int64_t lo = ((int64_t)s->pad_w + s->stride_w - 1) / s->stride_w;
        int64_t top = (int64_t)s->W - s->KW + s->pad_w;
        int64_t hi = top < 0 ? 0 : top / s->stride_w + 1;
        if (hi > s->OW) hi = s->OW;
        if (lo > s->OW) lo = s->OW;
        if (hi < lo) hi = lo;
        d->fx->ox_lo = (int32_t)lo;
        d->fx->ox_hi = (int32_t)hi;
        int nt = ember_num_threads(ctx);
        const double work = 2.0 * (double)M * s->N * og * K;
        if (nt < 1 || work < 4.0e5) nt = 1;
        if (nt > s->N * s->OH) nt = s->N * s->OH;
        d->fx->tasks = nt < 1 ? 1 : nt;
    }
    if (!d->fx->direct) {
        /* implicit GEMM: one im2col row per task (border pixels); else MC rows */
        const size_t per = d->fx->implicit ? (size_t)K : ember_gemm_scratch_floats(K);
        d->fx->col_slot = ember_request_scratch(ctx, node, (size_t)d->fx->tasks * per * sizeof(float));
        if (d->fx->col_slot < 0) return EMBER_ERR_NOMEM;
    }
    return EMBER_OK;
}

static ember_status conv_eval(ember_context *ctx, ember_node *node) {
    conv_data *d = (conv_data *)node->data;
    const conv_shape *s = &d->s;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *f = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    const float *in = (const float *)x->data;
    if (d->hybrid)
        return convh_eval(ctx, node, d, in, f, b ? (const float *)b->data : NULL, (float *)y->data);
    if (d->quant) {
        const void *bias = b ? b->data : NULL;
        if (!d->fast) {
            conv2d_ref_q(s, &d->q, x->data, f->data, bias, y->data);
            return EMBER_OK;
        }
        if (!d->fx->packed_const) convq_pack(d, f->data, f->type, (int16_t *)node->scratch[d->fx->pack_slot]);
        convq_arg qa = {d, x->data, bias, y->data, (char *)node->scratch[d->fx->qwork_slot], NULL};
        if (d->fx->qtasks > 1) ember_parallel_for(ctx, d->fx->qtasks, convq_task, &qa);
        else convq_task(&qa, 0, 1);
        return EMBER_OK;
    }
    float *out = (float *)y->data;
    if (!d->fast) {
        conv2d_ref_f32(s, in, (const float *)f->data, b ? (const float *)b->data : NULL, out);
        return EMBER_OK;
    }
    if (!d->fx->packed_const)
        conv_pack(s, (const float *)f->data, b ? (const float *)b->data : NULL,
                  (float *)node->scratch[d->fx->pack_slot], d->fx->packed);
    const int32_t og = s->O / s->groups;
    float *col = d->fx->col_slot >= 0 ? (float *)node->scratch[d->fx->col_slot] : NULL;
    if (d->fx->implicit) {
        conv_rows_arg ra = {d, in, out, col, (size_t)d->fx->packed[0].K,
                            s->N * s->OH};
        if (d->fx->tasks > 1) ember_parallel_for(ctx, d->fx->tasks, conv_rows_task, &ra);
        else conv_rows_task(&ra, 0, 1);
        return EMBER_OK;
    }
    for (int32_t n = 0; n < s->N; n++) {
        const float *img = in + (size_t)n * s->H * s->W * s->C;
        float *oimg = out + (size_t)n * s->OH * s->OW * s->O;
        for (int32_t g = 0; g < s->groups; g++) {
            im2col_arg arg = {s, img, g};
            ember_gemm_job job;
            memset(&job, 0, sizeof job);
            job.M = s->OH * s->OW;
            job.b = &d->fx->packed[g];
            if (d->fx->direct) {
                job.a = img + (size_t)g * s->Cg;
                job.lda = s->C;
            } else {
                job.a_fn = conv_im2col_f32;
                job.a_arg = &arg;
            }
            job.c = oimg + (size_t)g * og;
            job.ldc = s->O;
            job.lo = s->lo;
            job.hi = s->hi;
            job.path = d->path;
            job.tasks = d->fx->tasks;
            ember_gemm_run(ctx, &job, col);
        }
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_CONV_2D = { "CONV_2D", conv_init, NULL, conv_prepare, conv_eval };
