/*
 * depthwise_conv_2d.c — DEPTHWISE_CONV_2D (float32).
 *
 * input [N,H,W,C], filter [1,KH,KW,C*dm], optional bias [C*dm]
 *   -> output [N,OH,OW,C*dm]; output channel c*dm+m reads input channel c.
 * The depth multiplier is the filter's channels / input channels (as in
 * LiteRT, which ignores a depth_multiplier option that disagrees).
 *
 * Paths: depthwise_ref_f32 (plain loops, the oracle) and a channels-
 * innermost fast path (dm == 1): interior pixels of each output row run
 * the vectorised row kernel of gemm_kernels.inc (generic or AVX2), border
 * pixels a bounds-checked loop; output rows are split across threads.
 *
 * Quantised (conv_q.h: arithmetic and checks): int8 (per-channel or
 * per-tensor symmetric weights), uint8 legacy, int16x8, any depth
 * multiplier. dwq_rows_task keeps one accumulator per output channel of a
 * pixel (int32, wrapping like TFLite's; int64 for int16 with an int64 bias),
 * adds each in-bounds tap channels-innermost, then requantises (the
 * reference, int16 and depth multipliers > 1). int8/uint8 with depth
 * multiplier 1 on the fast paths run ember_dwq_pixel (conv_q.h): taps
 * outside the image point at a row of zero points, weights are prepacked
 * as int16 tap pairs, 16 (then 8) channels per AVX2 block (pmaddwd) with
 * the vector requantisation.
 *
 * Hybrid (float32 input/output, int8 symmetric weights, per-channel or one
 * scale), as LiteRT's only hybrid depthwise kernel: each image quantised on
 * the fly asymmetrically (per-image zero point), integer sums as above,
 * y = bias + sum * (channel scale * image scale), then the float activation.
 */
#include <string.h>

#include "conv_q.h"
#include "gemm.h"

typedef struct dw_shape {
    int32_t N, H, W, C, dm, OC;
    int32_t KH, KW, OH, OW;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_h, pad_w;
    float lo, hi;
} dw_shape;

static void depthwise_ref_f32(const dw_shape *s, const float *in, const float *filter,
                              const float *bias, float *out) {
    for (int32_t n = 0; n < s->N; n++)
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++)
                for (int32_t ic = 0; ic < s->C; ic++)
                    for (int32_t m = 0; m < s->dm; m++) {
                        const int32_t oc = ic * s->dm + m;
                        float acc = bias ? bias[oc] : 0.0f;
                        for (int32_t ky = 0; ky < s->KH; ky++) {
                            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                            if (iy < 0 || iy >= s->H) continue;
                            for (int32_t kx = 0; kx < s->KW; kx++) {
                                const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                                if (ix < 0 || ix >= s->W) continue;
                                acc += in[(((size_t)n * s->H + iy) * s->W + ix) * s->C + ic] *
                                       filter[((size_t)ky * s->KW + kx) * s->OC + oc];
                            }
                        }
                        out[(((size_t)n * s->OH + oy) * s->OW + ox) * s->OC + oc] =
                            ember_clampf(acc, s->lo, s->hi);
                    }
}

/* The vector paths' state: allocated only once prepare picks one, so
 * reference-only devices keep none of it. */
typedef struct dw_fast {
    int32_t ox_lo, ox_hi;    /* interior output columns [ox_lo, ox_hi) */
    float *zeros;            /* OC zeros: bias when there is none, out-of-bounds taps */
    float *wpack;            /* packed full 16-channel blocks (persistent) or NULL */
    int pack_slot;           /* scratch for packing non-constant weights, or -1 */
    ember_pbuf zeros_mem, wpack_mem;
    int qdirect;             /* ember_dwq_pixel path */
    int16_t *qw16, *qwpack;  /* packed weights (persistent when constant, else scratch) */
    int16_t *qwide;          /* AVX-512 32-channel blocks, or NULL */
    int qwide_on;
    int qpack_slot;
    uint8_t *zrow;           /* C bytes of the input zero point */
    ember_pbuf qw_mem, zrow_mem;
} dw_fast;

typedef struct dw_data {
    dw_shape s;
    int path;
    int tasks;
    int quant;
    ember_convq q;
    int acc_slot;            /* per task: OC accumulators */
    int hybrid;
    const float *wscale;
    int32_t wscale_n;
    int hq_slot;             /* N*H*W*C int8 + N scales + N zero points */
    dw_fast *fx;             /* kept across re-prepares */
    int fast;                /* 1: a vector path through fx */
} dw_data;

/* Turns a vector path on, its state allocated on first use. */
static ember_status dw_go_fast(ember_context *ctx, dw_data *d) {
    if (!d->fx) {
        d->fx = (dw_fast *)ember_alloc_persistent(ctx, sizeof(dw_fast));
        if (!d->fx) return EMBER_ERR_NOMEM;
    }
    d->fast = 1;
    d->fx->qdirect = 0;
    d->fx->pack_slot = d->fx->qpack_slot = -1;
    return EMBER_OK;
}

typedef struct dwq_task {
    const dw_data *d;
    const void *in, *filter, *bias;
    void *out;
    char *acc;
    const ember_hybrid_rows *h;       /* hybrid, else NULL */
} dwq_task;

/* Adds one tap (input pixel xp, weights wp, both channels-innermost) into
 * the accumulators; output channel oc reads input channel oc / dm. */
static void dwq_tap32(const dw_shape *s, const ember_convq *q, const void *xp, const void *wp,
                      uint32_t *restrict acc) {
    const int32_t zp = q->in_zp, wzp = q->w_zp;
    if (q->type == EMBER_TensorType_INT8) {
        const int8_t *restrict x = (const int8_t *)xp, *restrict w = (const int8_t *)wp;
        if (s->dm == 1) {
            for (int32_t c = 0; c < s->OC; c++) acc[c] += (uint32_t)((x[c] - zp) * w[c]);
            return;
        }
        for (int32_t c = 0; c < s->OC; c++) acc[c] += (uint32_t)((x[c / s->dm] - zp) * w[c]);
    } else if (q->type == EMBER_TensorType_UINT8) {
        const uint8_t *x = (const uint8_t *)xp, *w = (const uint8_t *)wp;
        for (int32_t c = 0; c < s->OC; c++)
            acc[c] += (uint32_t)((x[c / s->dm] - zp) * (w[c] - wzp));
    } else {   /* int16 with an int32 bias: TFLite accumulates in int32 */
        const int16_t *x = (const int16_t *)xp;
        const int8_t *w = (const int8_t *)wp;
        for (int32_t c = 0; c < s->OC; c++) acc[c] += (uint32_t)(x[c / s->dm] * w[c]);
    }
}

static void dwq_tap64(const dw_shape *s, const void *xp, const void *wp, int64_t *acc) {
    const int16_t *x = (const int16_t *)xp;
    const int8_t *w = (const int8_t *)wp;
    for (int32_t c = 0; c < s->OC; c++) acc[c] += (int64_t)x[c / s->dm] * w[c];
}

static void dwq_rows_task(void *varg, int task, int n_tasks) {
    const dwq_task *t = (const dwq_task *)varg;
    const dw_data *d = t->d;
    const dw_shape *s = &d->s;
    const ember_convq *q = &d->q;
    const size_t esz = q->type == EMBER_TensorType_INT16 ? 2 : 1;
    const int64_t rows = (int64_t)s->N * s->OH;
    const int64_t r0 = rows * task / n_tasks, r1 = rows * (task + 1) / n_tasks;
    uint32_t *acc32 = (uint32_t *)(t->acc + (size_t)task * s->OC * sizeof(int64_t));
    int64_t *acc64 = (int64_t *)acc32;
    ember_convq qh;
    if (t->h) qh = *q;
    for (int64_t r = r0; r < r1; r++) {
        const int32_t n = (int32_t)(r / s->OH), oy = (int32_t)(r % s->OH);
        if (t->h) {   /* hybrid: this image's zero point */
            qh.in_zp = t->h->zp[n];
            q = &qh;
        }
        for (int32_t ox = 0; ox < s->OW; ox++) {
            if (q->acc64) memset(acc64, 0, sizeof(int64_t) * (size_t)s->OC);
            else memset(acc32, 0, sizeof(uint32_t) * (size_t)s->OC);
            for (int32_t ky = 0; ky < s->KH; ky++) {
                const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                if (iy < 0 || iy >= s->H) continue;
                for (int32_t kx = 0; kx < s->KW; kx++) {
                    const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
                    if (ix < 0 || ix >= s->W) continue;
                    const char *xp = (const char *)t->in +
                                     ((((size_t)n * s->H + iy) * s->W + ix) * s->C) * esz;
                    const char *wp = (const char *)t->filter + ((size_t)ky * s->KW + kx) * s->OC;
                    if (q->acc64) dwq_tap64(s, xp, wp, acc64);
                    else dwq_tap32(s, q, xp, wp, acc32);
                }
            }
            const size_t ob = (((size_t)n * s->OH + oy) * s->OW + ox) * s->OC;
            if (t->h) {
                float *o = (float *)t->out + ob;
                const float *bias = (const float *)t->bias;
                for (int32_t c = 0; c < s->OC; c++) {
                    float v = (float)(int32_t)acc32[c] *
                              (d->wscale[d->wscale_n > 1 ? c : 0] * t->h->scale[n]);
                    if (bias) v += bias[c];
                    o[c] = ember_clampf(v, s->lo, s->hi);
                }
                continue;
            }
            if (q->type == EMBER_TensorType_INT8 && !q->acc64) {
                int8_t *o = (int8_t *)t->out + ob;
                for (int32_t c = 0; c < s->OC; c++)
                    o[c] = (int8_t)ember_convq_finish(q, (int32_t)acc32[c], t->bias, c);
                continue;
            }
            for (int32_t c = 0; c < s->OC; c++)
                ember_q_store(t->out, q->type, ob + c,
                              ember_convq_finish(q, q->acc64 ? acc64[c] : (int64_t)(int32_t)acc32[c],
                                                 t->bias, c));
        }
    }
}

typedef struct dw_task {
    const dw_data *d;
    const float *in, *filter, *bias, *wpack;
    float *out;
} dw_task;

/* Per full block of 16 channels: bias[16], then KH*KW taps of 16 weights. */
static void dw_pack_f32(const dw_shape *s, const float *filter, const float *bias, float *dst) {
    const int32_t taps = s->KH * s->KW, nb = s->C / 16;
    for (int32_t b = 0; b < nb; b++) {
        float *blk = dst + (size_t)b * (1 + taps) * 16;
        for (int j = 0; j < 16; j++) blk[j] = bias ? bias[b * 16 + j] : 0.0f;
        for (int32_t t = 0; t < taps; t++)
            for (int j = 0; j < 16; j++)
                blk[16 + t * 16 + j] = filter[(size_t)t * s->C + b * 16 + j];
    }
}

/* Border pixel (some tap outside the image): indirection list of taps,
 * out-of-bounds ones pointing at zeros. */
static void dw_border(const dw_data *d, const ember_dw_row *p, const float *img, float *o,
                      int32_t oy, int32_t ox) {
#if defined(EMBER_MICRO) && defined(EMBER_MICRO_REF_ONLY) && !defined(EMBER_FAST_KERNELS)
    /* Reference-only micro builds never take the vector float path, and
     * gemm.h turns its engine calls into traps: a tap list would be unused. */
    (void)d, (void)p, (void)img, (void)o, (void)oy, (void)ox;
    __builtin_trap();
#else
    const dw_shape *s = &d->s;
    const float *taps[256];
    for (int32_t ky = 0; ky < s->KH; ky++) {
        const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
        for (int32_t kx = 0; kx < s->KW; kx++) {
            const int32_t ix = ox * s->stride_w - s->pad_w + kx * s->dil_w;
            taps[ky * s->KW + kx] = (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W)
                                        ? d->fx->zeros
                                        : img + ((size_t)iy * s->W + ix) * s->C;
        }
    }
#ifdef EMBER_HAVE_AVX2_BUILD
    if (d->path == EMBER_PATH_AVX2) {
        if (p->avx512) ember_dw_pixel_avx512(p, taps, o);
        else ember_dw_pixel_avx2(p, taps, o);
        return;
    }
#endif
    ember_dw_pixel_generic(p, taps, o);
#endif
}

static void dw_rows_task(void *varg, int task, int n_tasks) {
    const dw_task *t = (const dw_task *)varg;
    const dw_data *d = t->d;
    const dw_shape *s = &d->s;
    const int64_t rows = (int64_t)s->N * s->OH;
    const int64_t r0 = rows * task / n_tasks, r1 = rows * (task + 1) / n_tasks;
    const float *in_rows[16];
    ember_dw_row p;
    p.C = s->C; p.KH = s->KH; p.KW = s->KW;
    p.stride_w = s->stride_w; p.dil_w = s->dil_w; p.pad_w = s->pad_w; p.in_w = s->W;
    p.in_rows = in_rows;
    p.w = t->filter;
    p.wpack = t->wpack;
    p.bias = t->bias;
    p.lo = s->lo; p.hi = s->hi;
    p.avx512 = 0;
#ifdef EMBER_HAVE_AVX2_BUILD
    p.avx512 = d->path == EMBER_PATH_AVX2 && ember_f32_avx512();
#endif
    for (int64_t r = r0; r < r1; r++) {
        const int32_t n = (int32_t)(r / s->OH), oy = (int32_t)(r % s->OH);
        const float *img = t->in + (size_t)n * s->H * s->W * s->C;
        float *orow = t->out + ((size_t)n * s->OH + oy) * s->OW * s->OC;
        for (int32_t ky = 0; ky < s->KH; ky++) {
            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
            in_rows[ky] = (iy < 0 || iy >= s->H) ? NULL : img + (size_t)iy * s->W * s->C;
        }
        for (int32_t ox = 0; ox < d->fx->ox_lo && ox < s->OW; ox++)
            dw_border(d, &p, img, orow + (size_t)ox * s->C, oy, ox);
        if (d->fx->ox_lo < d->fx->ox_hi) {
#ifdef EMBER_HAVE_AVX2_BUILD
            if (d->path == EMBER_PATH_AVX2 && p.avx512)
                ember_dw_row_avx512(&p, orow, d->fx->ox_lo, d->fx->ox_hi);
            else if (d->path == EMBER_PATH_AVX2)
                ember_dw_row_avx2(&p, orow, d->fx->ox_lo, d->fx->ox_hi);
            else
#endif
                ember_dw_row_generic(&p, orow, d->fx->ox_lo, d->fx->ox_hi);
        }
        for (int32_t ox = d->fx->ox_hi > d->fx->ox_lo ? d->fx->ox_hi : d->fx->ox_lo; ox < s->OW; ox++)
            dw_border(d, &p, img, orow + (size_t)ox * s->C, oy, ox);
    }
}

/* Weights minus their zero point as int16 rows per tap, and for each full
 * 16-channel block the tap pairs interleaved the way AVX2's unpack puts
 * the inputs: lane L of half h of pair j holds channel
 * (L/8)*8 + (L%8)/2 + 4h of tap 2j + L%2 (zero past the last tap). */
static void dwq_pack(const dw_shape *s, const ember_convq *q, const void *f, int16_t *w16,
                     int16_t *wpack, int16_t *wide) {
    const int32_t T = s->KH * s->KW, C = s->OC, pairs = (T + 1) / 2;
    for (int32_t t = 0; t < T; t++)
        for (int32_t c = 0; c < C; c++) {
            const size_t i = (size_t)t * C + c;
            w16[i] = (int16_t)(q->type == EMBER_TensorType_UINT8 ? ((const uint8_t *)f)[i] - q->w_zp
                                                               : ((const int8_t *)f)[i]);
        }
    for (int32_t b = 0; b < C / 16; b++)
        for (int32_t j = 0; j < pairs; j++)
            for (int h = 0; h < 2; h++)
                for (int L = 0; L < 16; L++) {
                    const int32_t ch = b * 16 + (L / 8) * 8 + (L % 8) / 2 + 4 * h;
                    const int32_t tap = 2 * j + L % 2;
                    wpack[(((size_t)b * pairs + j) * 2 + h) * 16 + L] =
                        tap < T ? w16[(size_t)tap * C + ch] : 0;
                }
    if (wide)   /* 32-channel blocks: the same rule on 32 lanes */
        for (int32_t b = 0; b < C / 32; b++)
            for (int32_t j = 0; j < pairs; j++)
                for (int h = 0; h < 2; h++)
                    for (int L = 0; L < 32; L++) {
                        const int32_t ch = b * 32 + (L / 8) * 8 + (L % 8) / 2 + 4 * h;
                        const int32_t tap = 2 * j + L % 2;
                        wide[(((size_t)b * pairs + j) * 2 + h) * 32 + L] =
                            tap < T ? w16[(size_t)tap * C + ch] : 0;
                    }
    if (C % 16 >= 8) {   /* 8-channel block: 128-bit unpack, lane L of half h -> channel L/2 + 4h */
        int16_t *w8 = wpack + (size_t)(C / 16) * pairs * 32;
        const int32_t c0 = C / 16 * 16;
        for (int32_t j = 0; j < pairs; j++)
            for (int h = 0; h < 2; h++)
                for (int L = 0; L < 8; L++) {
                    const int32_t tap = 2 * j + L % 2;
                    w8[((size_t)j * 2 + h) * 8 + L] =
                        tap < T ? w16[(size_t)tap * C + c0 + L / 2 + 4 * h] : 0;
                }
    }
}

typedef struct dwq_direct {
    const dw_data *d;
    const void *in;
    const int32_t *bias;
    void *out;
    const int16_t *w16, *wpack, *wide;
} dwq_direct;

static void dwq_direct_task(void *varg, int task, int n_tasks) {
    const dwq_direct *t = (const dwq_direct *)varg;
    const dw_data *d = t->d;
    const dw_shape *s = &d->s;
    const ember_convq *q = &d->q;
    ember_dwq_pixel p;
    p.C = s->OC;
    p.taps = s->KH * s->KW;
    p.type = q->type;
    p.in_zp = q->in_zp;
    p.wpack = t->wpack;
    p.w16 = t->w16;
    p.wstride = s->OC;
    p.bias = t->bias;
    p.mult = q->mult;
    p.shift = q->shift;
    p.out_zp = q->out_zp;
    p.lo = q->act_lo;
    p.hi = q->act_hi;
    p.wide = t->wide;
    const void *taps[EMBER_DWQ_MAX_TAPS + 1];
    const int64_t rows = (int64_t)s->N * s->OH;
    const int64_t r0 = rows * task / n_tasks, r1 = rows * (task + 1) / n_tasks;
    for (int64_t r = r0; r < r1; r++) {
        const int32_t n = (int32_t)(r / s->OH), oy = (int32_t)(r % s->OH);
        const char *img = (const char *)t->in + (size_t)n * s->H * s->W * s->C;
        char *orow = (char *)t->out + ((size_t)n * s->OH + oy) * s->OW * s->OC;
        /* Along a row, a window inside the image horizontally moves every tap
         * of an in-bounds input row by stride_w pixels (rows outside stay on
         * the zero-point row): the next window's taps are one add each. */
        ptrdiff_t step[EMBER_DWQ_MAX_TAPS];
        for (int32_t ky = 0; ky < s->KH; ky++) {
            const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
            for (int32_t kx = 0; kx < s->KW; kx++)
                step[ky * s->KW + kx] = (iy < 0 || iy >= s->H) ? 0 : (ptrdiff_t)s->stride_w * s->C;
        }
        int moved = 0;   /* taps hold the previous pixel's window, inside horizontally */
        for (int32_t ox = 0; ox < s->OW; ox++) {
            const int32_t ix0 = ox * s->stride_w - s->pad_w;
            const int inside = ix0 >= 0 && ix0 + (s->KW - 1) * s->dil_w < s->W;
            if (inside && moved) {
                for (int32_t k = 0; k < p.taps; k++) taps[k] = (const char *)taps[k] + step[k];
            } else {
                for (int32_t ky = 0; ky < s->KH; ky++) {
                    const int32_t iy = oy * s->stride_h - s->pad_h + ky * s->dil_h;
                    for (int32_t kx = 0; kx < s->KW; kx++) {
                        const int32_t ix = ix0 + kx * s->dil_w;
                        taps[ky * s->KW + kx] = (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W)
                                                    ? (const void *)d->fx->zrow
                                                    : (const void *)(img + ((size_t)iy * s->W + ix) * s->C);
                    }
                }
            }
            moved = inside;
            taps[p.taps] = taps[0];
#ifdef EMBER_HAVE_AVX2_BUILD
            if (p.wide) {
                ember_dwq_pixel_avx512(&p, taps, orow + (size_t)ox * s->OC);
                continue;
            }
            if (d->path == EMBER_PATH_AVX2) {
                ember_dwq_pixel_avx2(&p, taps, orow + (size_t)ox * s->OC, 0);
                continue;
            }
#endif
            ember_dwq_pixel_generic(&p, taps, orow + (size_t)ox * s->OC);
        }
    }
}

static ember_status dwq_direct_prepare(ember_context *ctx, ember_node *node, dw_data *d,
                                       const ember_tensor *f) {
    const dw_shape *s = &d->s;
    const int32_t T = s->KH * s->KW;
    /* AVX-512 blocks where the CPU runs the VNNI kernels (same gate) */
    d->fx->qwide_on = ember_qgemm8_usable(d->path) && s->OC >= 32;
    const size_t n16 = (size_t)T * s->OC,
                 np = ember_dwq_wpack_elems(s->OC, T) + (d->fx->qwide_on ? ember_dwq_wide_elems(s->OC, T) : 0);
    d->fx->zrow = (uint8_t *)ember_pbuf_get(ctx, &d->fx->zrow_mem, (size_t)s->C);
    if (!d->fx->zrow) return EMBER_ERR_NOMEM;
    memset(d->fx->zrow, (int)(uint8_t)d->q.in_zp, (size_t)s->C);
    d->fx->qpack_slot = -1;
    if (ember_is_const(f)) {
        d->fx->qw16 = (int16_t *)ember_pbuf_get(ctx, &d->fx->qw_mem, (n16 + np) * sizeof(int16_t));
        if (!d->fx->qw16) return EMBER_ERR_NOMEM;
        d->fx->qwpack = d->fx->qw16 + n16;
        d->fx->qwide = d->fx->qwide_on ? d->fx->qwpack + ember_dwq_wpack_elems(s->OC, T) : NULL;
        dwq_pack(s, &d->q, f->data, d->fx->qw16, d->fx->qwpack, d->fx->qwide);
    } else {
        d->fx->qpack_slot = ember_request_scratch(ctx, node, (n16 + np) * sizeof(int16_t));
        if (d->fx->qpack_slot < 0) return EMBER_ERR_NOMEM;
    }
    d->fx->qdirect = 1;
    return EMBER_OK;
}

static ember_status dwh_prepare(ember_context *ctx, ember_node *node, dw_data *d,
                                const ember_tensor *f, const ember_tensor *b,
                                const ember_tensor *y, int act) {
    const char *op = "DEPTHWISE_CONV_2D";
    dw_shape *s = &d->s;
    EMBER_CHECK(ember_hybrid_weights_check(ctx, op, "filter", f, b, y, s->OC, 3));
    d->wscale = f->q.scale;
    d->wscale_n = f->q.count;
    EMBER_CHECK(ember_act_range_f32(ctx, act, &s->lo, &s->hi));
    d->q.type = EMBER_TensorType_INT8;   /* the tap loop reads the quantised image */
    d->q.in_zp = d->q.w_zp = 0;
    d->q.acc64 = 0;
    d->hq_slot = ember_request_scratch(ctx, node, ember_hybrid_rows_bytes((size_t)s->N, (size_t)s->H * s->W * s->C));
    const double work = 2.0 * s->N * s->OH * s->OW * (double)s->OC * s->KH * s->KW;
    int nt = ember_num_threads(ctx);
    if (nt < 1 || work < 2.0e5) nt = 1;
    if ((int64_t)nt > (int64_t)s->N * s->OH) nt = (int)((int64_t)s->N * s->OH);
    d->tasks = nt < 1 ? 1 : nt;
    d->acc_slot = ember_request_scratch(ctx, node, (size_t)d->tasks * s->OC * sizeof(int64_t));
    return d->acc_slot < 0 || d->hq_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
}

static void dwh_eval(ember_context *ctx, ember_node *node, dw_data *d, const float *in,
                     const void *filter, const float *bias, float *out) {
    const dw_shape *s = &d->s;
    const size_t per_img = (size_t)s->H * s->W * s->C;
    ember_hybrid_rows h = ember_hybrid_rows_at(node->scratch[d->hq_slot], (size_t)s->N, per_img);
    for (int32_t n = 0; n < s->N; n++)
        ember_quantize_floats_asymmetric(in + per_img * n, per_img, h.q + per_img * n, &h.scale[n],
                                         &h.zp[n]);
    dwq_task qt = {d, h.q, filter, bias, out, (char *)node->scratch[d->acc_slot], &h};
    if (d->tasks > 1) ember_parallel_for(ctx, d->tasks, dwq_rows_task, &qt);
    else dwq_rows_task(&qt, 0, 1);
}

static void *dw_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(dw_data));
}

static ember_status dw_prepare(ember_context *ctx, ember_node *node) {
    dw_data *d = (dw_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "DEPTHWISE_CONV_2D: no op data");
    EMBER_ENSURE(ctx, node->n_inputs >= 2 && node->n_inputs <= 3 && node->n_outputs == 1,
                 "DEPTHWISE_CONV_2D needs 2 or 3 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *f = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && f && y, "DEPTHWISE_CONV_2D: missing input, filter or output");
    d->quant = x->type != EMBER_TensorType_FLOAT32;
    d->hybrid = !d->quant && f->type != EMBER_TensorType_FLOAT32;
    if (!d->quant && !d->hybrid && b && b->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "DEPTHWISE_CONV_2D: a float32 input and filter need a float32 bias, not %s",
                          ember_type_name(b->type));
    EMBER_ENSURE(ctx, x->ndim == 4 && f->ndim == 4,
                 "DEPTHWISE_CONV_2D: input and filter must be 4-D");
    EMBER_ENSURE(ctx, f->dims[0] == 1, "DEPTHWISE_CONV_2D: filter must be [1,KH,KW,OC]");
    dw_shape *s = &d->s;
    s->N = x->dims[0]; s->H = x->dims[1]; s->W = x->dims[2]; s->C = x->dims[3];
    s->KH = f->dims[1]; s->KW = f->dims[2]; s->OC = f->dims[3];
    EMBER_ENSURE(ctx, s->C > 0 && s->OC > 0 && s->OC % s->C == 0,
                 "DEPTHWISE_CONV_2D: filter channels %d not a multiple of input channels %d",
                 (int)s->OC, (int)s->C);
    s->dm = s->OC / s->C;
    /* The depth_multiplier option is not consulted: like LiteRT, the
     * filter/input channel ratio decides (files often store 0 or 1). */
    if (b) EMBER_ENSURE(ctx, b->ndim == 1 && b->dims[0] == s->OC,
                        "DEPTHWISE_CONV_2D: bias must be [%d]", (int)s->OC);
    const int pad = (int)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                       EMBER_DepthwiseConv2DOptions_padding, EMBER_Padding_SAME);
    s->stride_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                         EMBER_DepthwiseConv2DOptions_stride_w, 0);
    s->stride_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                         EMBER_DepthwiseConv2DOptions_stride_h, 0);
    s->dil_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                      EMBER_DepthwiseConv2DOptions_dilation_w_factor, 1);
    s->dil_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                      EMBER_DepthwiseConv2DOptions_dilation_h_factor, 1);
    const int act = (int)ember_opt_int(node, EMBER_BuiltinOptions_DepthwiseConv2DOptions,
                                       EMBER_DepthwiseConv2DOptions_fused_activation_function, 0);
    if (!d->quant && !d->hybrid) EMBER_CHECK(ember_act_range_f32(ctx, act, &s->lo, &s->hi));
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->H, s->KH, s->stride_h, s->dil_h, &s->OH, &s->pad_h));
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->W, s->KW, s->stride_w, s->dil_w, &s->OW, &s->pad_w));
    const int32_t dims[4] = {s->N, s->OH, s->OW, s->OC};
    EMBER_CHECK(ember_tensor_resize(ctx, y, 4, dims));

    d->path = ember_kernel_path();
    d->fast = 0;
    if (d->hybrid) return dwh_prepare(ctx, node, d, f, b, y, act);
    if (d->quant) {
        ember_convq_spec sp = {"DEPTHWISE_CONV_2D", s->OC, 3, 0, 0, 0};
        EMBER_CHECK(ember_convq_prepare(ctx, &sp, x, f, b, y, act, &d->q));
        if (d->path != EMBER_PATH_REF && s->dm == 1 && !d->q.acc64 &&
            d->q.type != EMBER_TensorType_INT16 && s->KH * s->KW <= EMBER_DWQ_MAX_TAPS) {
            EMBER_CHECK(dw_go_fast(ctx, d));
            EMBER_CHECK(ember_convq_expand(ctx, &d->q));
            EMBER_CHECK(dwq_direct_prepare(ctx, node, d, f));
        }
        const double work = 2.0 * s->N * s->OH * s->OW * (double)s->OC * s->KH * s->KW;
        int nt = ember_num_threads(ctx);
        if (nt < 1 || work < 2.0e5) nt = 1;
        if ((int64_t)nt > (int64_t)s->N * s->OH) nt = (int)((int64_t)s->N * s->OH);
        d->tasks = nt < 1 ? 1 : nt;
        d->acc_slot = ember_request_scratch(ctx, node, (size_t)d->tasks * s->OC * sizeof(int64_t));
        return d->acc_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
    }
    if (s->dm != 1 || s->KH > 16 || s->KW > 16) d->path = EMBER_PATH_REF;
    if (d->path == EMBER_PATH_REF) return EMBER_OK;
    EMBER_CHECK(dw_go_fast(ctx, d));
    /* Interior columns: ox*sw - pw >= 0 and ox*sw - pw + (KW-1)*dw <= W-1. */
    int64_t lo = ((int64_t)s->pad_w + s->stride_w - 1) / s->stride_w;
    int64_t top = (int64_t)s->W - 1 - (int64_t)(s->KW - 1) * s->dil_w + s->pad_w;
    int64_t hi = top < 0 ? 0 : top / s->stride_w + 1;
    if (hi > s->OW) hi = s->OW;
    if (lo > s->OW) lo = s->OW;
    if (hi < lo) hi = lo;
    d->fx->ox_lo = (int32_t)lo;
    d->fx->ox_hi = (int32_t)hi;
    d->fx->zeros = (float *)ember_pbuf_get(ctx, &d->fx->zeros_mem, sizeof(float) * (size_t)s->OC);
    if (!d->fx->zeros) return EMBER_ERR_NOMEM;
    d->fx->wpack = NULL;
    d->fx->pack_slot = -1;
    if (s->C >= 16) {
        const size_t pf = (size_t)(s->C / 16) * (1 + (size_t)s->KH * s->KW) * 16;
        if (ember_is_const(f) && (!b || ember_is_const(b))) {
            d->fx->wpack = (float *)ember_pbuf_get(ctx, &d->fx->wpack_mem, pf * sizeof(float));
            if (!d->fx->wpack) return EMBER_ERR_NOMEM;
            dw_pack_f32(s, (const float *)f->data, b ? (const float *)b->data : NULL, d->fx->wpack);
        } else {
            d->fx->pack_slot = ember_request_scratch(ctx, node, pf * sizeof(float));
            if (d->fx->pack_slot < 0) return EMBER_ERR_NOMEM;
        }
    }
    const double work = 2.0 * s->N * s->OH * s->OW * (double)s->OC * s->KH * s->KW;
    int nt = ember_num_threads(ctx);
    if (nt < 1 || work < 2.0e5) nt = 1;
    if ((int64_t)nt > (int64_t)s->N * s->OH) nt = (int)((int64_t)s->N * s->OH);
    d->tasks = nt < 1 ? 1 : nt;
    return EMBER_OK;
}

static ember_status dw_eval(ember_context *ctx, ember_node *node) {
    dw_data *d = (dw_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *f = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->hybrid) {
        dwh_eval(ctx, node, d, (const float *)x->data, f->data, b ? (const float *)b->data : NULL,
                 (float *)y->data);
        return EMBER_OK;
    }
    if (d->quant && d->fast) {
        dwq_direct dt = {d, x->data, b ? (const int32_t *)b->data : NULL, y->data, d->fx->qw16, d->fx->qwpack,
                         d->fx->qwide};
        if (d->fx->qpack_slot >= 0) {
            const int32_t T = d->s.KH * d->s.KW;
            int16_t *w16 = (int16_t *)node->scratch[d->fx->qpack_slot];
            int16_t *wp = w16 + (size_t)T * d->s.OC;
            int16_t *wide = d->fx->qwide_on ? wp + ember_dwq_wpack_elems(d->s.OC, T) : NULL;
            dwq_pack(&d->s, &d->q, f->data, w16, wp, wide);
            dt.w16 = w16;
            dt.wpack = wp;
            dt.wide = wide;
        }
        if (d->tasks > 1) ember_parallel_for(ctx, d->tasks, dwq_direct_task, &dt);
        else dwq_direct_task(&dt, 0, 1);
        return EMBER_OK;
    }
    if (d->quant) {
        dwq_task qt = {d, x->data, f->data, b ? b->data : NULL, y->data,
                       (char *)node->scratch[d->acc_slot], NULL};
        if (d->tasks > 1) ember_parallel_for(ctx, d->tasks, dwq_rows_task, &qt);
        else dwq_rows_task(&qt, 0, 1);
        return EMBER_OK;
    }
    if (d->path == EMBER_PATH_REF) {
        depthwise_ref_f32(&d->s, (const float *)x->data, (const float *)f->data,
                          b ? (const float *)b->data : NULL, (float *)y->data);
        return EMBER_OK;
    }
    dw_task t = {d, (const float *)x->data, (const float *)f->data,
                 b ? (const float *)b->data : d->fx->zeros, d->fx->wpack, (float *)y->data};
    if (d->fx->pack_slot >= 0) {
        float *wp = (float *)node->scratch[d->fx->pack_slot];
        dw_pack_f32(&d->s, (const float *)f->data, b ? (const float *)b->data : NULL, wp);
        t.wpack = wp;
    }
    if (d->tasks > 1) ember_parallel_for(ctx, d->tasks, dw_rows_task, &t);
    else dw_rows_task(&t, 0, 1);
    return EMBER_OK;
}

const ember_kernel ember_kernel_DEPTHWISE_CONV_2D = { "DEPTHWISE_CONV_2D", dw_init, NULL,
                                                      dw_prepare, dw_eval };
