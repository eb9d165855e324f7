/*
 * transpose_conv.c — TRANSPOSE_CONV (float32), plus the transposed-
 * convolution engine shared with MediaPipe's Convolution2DTransposeBias.
 *
 * inputs: output_shape (int32 [4]), weights [O,KH,KW,IC], input [N,H,W,IC],
 * optional bias [O] (version 3+) -> output of output_shape. Padding is what
 * TFLite derives from the output size (SAME/VALID), strides from the
 * options, fused activation (newer versions; NONE by default).
 *
 * Paths: tconv_ref_f32 (scatter loops, the oracle) and a GEMM path: per
 * image, col[H*W][KH*KW*O] = input x weights (packed once in prepare when
 * constant), then col2im adds each tap into the bias-initialised output.
 *
 * Quantised (conv_q.h: checks and requantisation): int8 (per-channel or
 * per-tensor symmetric weights, int32 bias), int16x8 (int64 or int32 bias)
 * and uint8 legacy. TFLite scatters every input tap into a per-output
 * accumulator, adds the bias at the end and requantises each accumulator.
 * Ember gathers instead (each output pixel
 * sums the taps that reach it), so only O accumulators are needed and the
 * output shape may come at eval: tconvq_ref multiplies scalars (the oracle,
 * and int16); int8/uint8 multiply the image by the packed weights with the
 * integer GEMM first. Sums wrap modulo 2^32 like TFLite's int32 scratch,
 * which makes the order of additions irrelevant: identical bits.
 */
#include <math.h>
#include <string.h>

#include "conv_q.h"
#include "gemm.h"

#define TCQ_MC 32   /* input pixels per integer GEMM block */

static void tconv_ref_f32(const ember_tconv *t, const float *in, const float *w,
                          const float *bias, float *out) {
    const size_t osz = (size_t)t->N * t->OH * t->OW;
    for (size_t p = 0; p < osz; p++)
        for (int32_t oc = 0; oc < t->O; oc++) out[p * t->O + oc] = bias ? bias[oc] : 0.0f;
    for (int32_t n = 0; n < t->N; n++)
        for (int32_t iy = 0; iy < t->H; iy++)
            for (int32_t ix = 0; ix < t->W; ix++)
                for (int32_t ky = 0; ky < t->KH; ky++) {
                    const int32_t oy = iy * t->stride_h - t->pad_h + ky;
                    if (oy < 0 || oy >= t->OH) continue;
                    for (int32_t kx = 0; kx < t->KW; kx++) {
                        const int32_t ox = ix * t->stride_w - t->pad_w + kx;
                        if (ox < 0 || ox >= t->OW) continue;
                        const float *x = in + (((size_t)n * t->H + iy) * t->W + ix) * t->IC;
                        float *o = out + (((size_t)n * t->OH + oy) * t->OW + ox) * t->O;
                        for (int32_t oc = 0; oc < t->O; oc++) {
                            const float *wk = w + (((size_t)oc * t->KH + ky) * t->KW + kx) * t->IC;
                            float acc = 0.0f;
                            for (int32_t ic = 0; ic < t->IC; ic++) acc += x[ic] * wk[ic];
                            o[oc] += acc;
                        }
                    }
                }
    for (size_t i = 0; i < osz * (size_t)t->O; i++) out[i] = ember_clampf(out[i], t->lo, t->hi);
}

/* Packs B[ic][(ky*KW + kx)*O + oc] = w[oc][ky][kx][ic] in the GEMM panel layout. */
static void tconv_pack(const ember_tconv *t, const float *w, float *dst) {
    const int32_t K = t->IC, N = t->KH * t->KW * t->O;
    const int32_t panels = ember_ceil_div(N, EMBER_GEMM_NR);
    for (int32_t p = 0; p < panels; p++)
        for (int32_t k = 0; k < K; k++)
            for (int32_t j = 0; j < EMBER_GEMM_NR; j++) {
                const int32_t n = p * EMBER_GEMM_NR + j;
                float v = 0.0f;
                if (n < N) {
                    const int32_t oc = n % t->O, tap = n / t->O;
                    v = w[((size_t)oc * t->KH * t->KW + tap) * t->IC + k];
                }
                dst[((size_t)p * K + k) * EMBER_GEMM_NR + j] = v;
            }
    float *bias = dst + (size_t)panels * K * EMBER_GEMM_NR;
    memset(bias, 0, sizeof(float) * (size_t)panels * EMBER_GEMM_NR);
}

ember_status ember_tconv_plan(ember_context *ctx, ember_node *node, ember_tconv *t,
                              const ember_tensor *weights) {
    t->path = ember_kernel_path();
    t->pack_slot = t->col_slot = -1;
    const int64_t N = (int64_t)t->KH * t->KW * t->O, M = (int64_t)t->H * t->W;
    if (t->path == EMBER_PATH_REF || N > INT32_MAX || M > INT32_MAX || t->IC <= 0 ||
        (double)M * (double)N > 64.0 * 1024 * 1024) {
        t->path = EMBER_PATH_REF;
        return EMBER_OK;
    }
    const size_t pfloats = ember_gemm_packed_floats(t->IC, (int32_t)N);
    t->packed.K = t->IC;
    t->packed.N = (int32_t)N;
    t->packed.panels = ember_ceil_div((int32_t)N, EMBER_GEMM_NR);
    t->packed_const = ember_is_const(weights);
    if (t->packed_const) {
        float *dst = (float *)ember_pbuf_get(ctx, &t->pack_mem, pfloats * sizeof(float));
        if (!dst) return EMBER_ERR_NOMEM;
        tconv_pack(t, (const float *)weights->data, dst);
        t->packed.data = dst;
        t->packed.bias = dst + (size_t)t->packed.panels * t->IC * EMBER_GEMM_NR;
    } else {
        t->pack_slot = ember_request_scratch(ctx, node, pfloats * sizeof(float));
        if (t->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    t->col_slot = ember_request_scratch(ctx, node, (size_t)(M * N) * sizeof(float));
    if (t->col_slot < 0) return EMBER_ERR_NOMEM;
    t->tasks = ember_gemm_tasks(ctx, (int32_t)M, (int32_t)N, t->IC);
    return EMBER_OK;
}

void ember_tconv_run(ember_context *ctx, const ember_node *node, ember_tconv *t,
                     const float *in, const float *weights, const float *bias, float *out) {
    if (t->path == EMBER_PATH_REF) {
        tconv_ref_f32(t, in, weights, bias, out);
        return;
    }
    if (!t->packed_const) {
        float *dst = (float *)node->scratch[t->pack_slot];
        tconv_pack(t, weights, dst);
        t->packed.data = dst;
        t->packed.bias = dst + (size_t)t->packed.panels * t->IC * EMBER_GEMM_NR;
    }
    float *col = (float *)node->scratch[t->col_slot];
    const int32_t O = t->O, taps = t->KH * t->KW;
    const size_t ldcol = (size_t)taps * O;
    for (int32_t n = 0; n < t->N; n++) {
        ember_gemm_job job;
        memset(&job, 0, sizeof job);
        job.M = t->H * t->W;
        job.b = &t->packed;
        job.a = in + (size_t)n * t->H * t->W * t->IC;
        job.lda = t->IC;
        job.c = col;
        job.ldc = (ptrdiff_t)ldcol;
        job.lo = -INFINITY;
        job.hi = INFINITY;
        job.path = t->path;
        job.tasks = t->tasks;
        ember_gemm_run(ctx, &job, NULL);
        float *img = out + (size_t)n * t->OH * t->OW * O;
        for (size_t p = 0; p < (size_t)t->OH * t->OW; p++)
            for (int32_t oc = 0; oc < O; oc++) img[p * O + oc] = bias ? bias[oc] : 0.0f;
        for (int32_t iy = 0; iy < t->H; iy++)
            for (int32_t ky = 0; ky < t->KH; ky++) {
                const int32_t oy = iy * t->stride_h - t->pad_h + ky;
                if (oy < 0 || oy >= t->OH) continue;
                for (int32_t ix = 0; ix < t->W; ix++) {
                    const float *c = col + ((size_t)iy * t->W + ix) * ldcol + (size_t)ky * t->KW * O;
                    for (int32_t kx = 0; kx < t->KW; kx++, c += O) {
                        const int32_t ox = ix * t->stride_w - t->pad_w + kx;
                        if (ox < 0 || ox >= t->OW) continue;
                        float *o = img + ((size_t)oy * t->OW + ox) * O;
                        for (int32_t oc = 0; oc < O; oc++) o[oc] += c[oc];
                    }
                }
            }
        if (t->lo != -INFINITY || t->hi != INFINITY)
            for (size_t i = 0; i < (size_t)t->OH * t->OW * O; i++)
                img[i] = ember_clampf(img[i], t->lo, t->hi);
    }
}

/* ---- quantised ------------------------------------------------------------ */

/* Input pixel index along one axis feeding output position o through tap k,
 * or -1: o = i*stride - pad + k. */
static inline int32_t tconv_src(int32_t o, int32_t k, int32_t stride, int32_t pad, int32_t n) {
    const int32_t t = o + pad - k;
    if (t < 0 || t % stride) return -1;
    return t / stride < n ? t / stride : -1;
}

/* Gathers, per output pixel, every (input pixel, tap) product into acc[O]
 * (int64; reduced to TFLite's int32 by ember_convq_finish where its scratch
 * is int32) and requantises. TFLite scatters instead; the sums are the same
 * integers in another order, which int32 wrap-around does not see. */
static void tconvq_ref(const ember_tconv *t, const ember_convq *q, const void *in, const void *w,
                       const void *bias, void *out, int64_t *acc) {
    const int32_t wt = q->type == EMBER_TensorType_UINT8 ? EMBER_TensorType_UINT8 : EMBER_TensorType_INT8;
    for (int32_t n = 0; n < t->N; n++)
        for (int32_t oy = 0; oy < t->OH; oy++)
            for (int32_t ox = 0; ox < t->OW; ox++) {
                memset(acc, 0, sizeof(int64_t) * (size_t)t->O);
                for (int32_t ky = 0; ky < t->KH; ky++) {
                    const int32_t iy = tconv_src(oy, ky, t->stride_h, t->pad_h, t->H);
                    if (iy < 0) continue;
                    for (int32_t kx = 0; kx < t->KW; kx++) {
                        const int32_t ix = tconv_src(ox, kx, t->stride_w, t->pad_w, t->W);
                        if (ix < 0) continue;
                        const size_t xi = (((size_t)n * t->H + iy) * t->W + ix) * t->IC;
                        for (int32_t oc = 0; oc < t->O; oc++) {
                            const size_t wi = (((size_t)oc * t->KH + ky) * t->KW + kx) * t->IC;
                            int64_t s = 0;
                            for (int32_t ic = 0; ic < t->IC; ic++)
                                s += (int64_t)(ember_q_load(in, q->type, xi + ic) - q->in_zp) *
                                     (ember_q_load(w, wt, wi + ic) - q->w_zp);
                            acc[oc] += s;
                        }
                    }
                }
                const size_t ob = (((size_t)n * t->OH + oy) * t->OW + ox) * t->O;
                for (int32_t oc = 0; oc < t->O; oc++)
                    ember_q_store(out, q->type, ob + oc, ember_convq_finish(q, acc[oc], bias, oc));
            }
}

/* GEMM form for int8/uint8: B[ic][oc*taps + tap] = w[oc][tap][ic] - w_zp
 * (the weights' own row order), A = the image's pixels minus the input zero
 * point, in blocks of TCQ_MC rows; col[pixel] then holds that input pixel's
 * contribution to every (tap, channel), and each output pixel gathers its
 * taps from col. */
static void tconvq_gemm(const ember_tconv *t, const ember_convq *q, const ember_qgemm_b *B,
                        int path, const void *in, const void *bias, void *out, int16_t *a,
                        int32_t *col) {
    const int32_t taps = t->KH * t->KW, Kp = B->Kp, NC = B->N, M = t->H * t->W;
    for (int32_t n = 0; n < t->N; n++) {
        for (int32_t m0 = 0; m0 < M; m0 += TCQ_MC) {
            const int32_t mc = M - m0 < TCQ_MC ? M - m0 : TCQ_MC;
            for (int32_t i = 0; i < mc; i++) {
                const size_t xi = ((size_t)n * M + m0 + i) * t->IC;
                int16_t *row = a + (size_t)i * Kp;
                if (q->type == EMBER_TensorType_INT8) {
                    const int8_t *x = (const int8_t *)in + xi;
                    for (int32_t c = 0; c < t->IC; c++) row[c] = (int16_t)(x[c] - q->in_zp);
                } else {
                    const uint8_t *x = (const uint8_t *)in + xi;
                    for (int32_t c = 0; c < t->IC; c++) row[c] = (int16_t)(x[c] - q->in_zp);
                }
                if (Kp > t->IC) row[t->IC] = 0;
            }
            ember_qgemm_block(path, mc, a, Kp, B, col + (size_t)m0 * NC, NC);
        }
        for (int32_t oy = 0; oy < t->OH; oy++)
            for (int32_t ox = 0; ox < t->OW; ox++) {
                const size_t ob = (((size_t)n * t->OH + oy) * t->OW + ox) * t->O;
                for (int32_t oc = 0; oc < t->O; oc++) {
                    uint32_t acc = 0;
                    for (int32_t ky = 0; ky < t->KH; ky++) {
                        const int32_t iy = tconv_src(oy, ky, t->stride_h, t->pad_h, t->H);
                        if (iy < 0) continue;
                        for (int32_t kx = 0; kx < t->KW; kx++) {
                            const int32_t ix = tconv_src(ox, kx, t->stride_w, t->pad_w, t->W);
                            if (ix < 0) continue;
                            acc += (uint32_t)col[((size_t)iy * t->W + ix) * NC + (size_t)oc * taps +
                                                 ky * t->KW + kx];
                        }
                    }
                    ember_q_store(out, q->type, ob + oc, ember_convq_finish(q, (int32_t)acc, bias, oc));
                }
            }
    }
}

/* ---- TRANSPOSE_CONV glue -------------------------------------------------- */

/* TFLite's padding for a transposed convolution: the forward convolution's
 * padding for an input of the output's size. */
static int32_t tconv_pad(int padding, int32_t out_size, int32_t filter, int32_t stride) {
    int64_t fwd = padding == EMBER_Padding_SAME ? ((int64_t)out_size + stride - 1) / stride
                                                : ((int64_t)out_size - filter + stride) / stride;
    int64_t total = (fwd - 1) * stride + filter - out_size;
    return total > 0 ? (int32_t)(total / 2) : 0;
}

typedef struct tc_data {
    ember_tconv t;
    int padding;
    int quant;
    ember_convq q;
    int qacc_slot;              /* ref: O int64 accumulators */
    int qwork_slot;             /* GEMM: TCQ_MC x Kp int16 + H*W x taps*O int32, or -1 */
    int qpack_slot;             /* packed non-constant weights, or -1 */
    int qpack_const;
    ember_qgemm_b qpacked;
    ember_pbuf qpack_mem;
} tc_data;

static void *tc_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(tc_data));
}

static ember_status tc_set_output(ember_context *ctx, tc_data *d, const ember_tensor *shape,
                                  ember_tensor *y) {
    const int32_t *s = (const int32_t *)shape->data;
    ember_tconv *t = &d->t;
    EMBER_ENSURE(ctx, s[0] == t->N && s[3] == t->O,
                 "TRANSPOSE_CONV: output_shape [%d,%d,%d,%d] does not match batch %d / channels %d",
                 (int)s[0], (int)s[1], (int)s[2], (int)s[3], (int)t->N, (int)t->O);
    EMBER_ENSURE(ctx, s[1] > 0 && s[2] > 0, "TRANSPOSE_CONV: bad output_shape");
    t->OH = s[1];
    t->OW = s[2];
    t->pad_h = tconv_pad(d->padding, t->OH, t->KH, t->stride_h);
    t->pad_w = tconv_pad(d->padding, t->OW, t->KW, t->stride_w);
    return ember_tensor_resize(ctx, y, 4, s);
}

static ember_status tcq_prepare(ember_context *ctx, ember_node *node, tc_data *d,
                                const ember_tensor *x, const ember_tensor *w,
                                const ember_tensor *b, const ember_tensor *y, int act) {
    ember_tconv *t = &d->t;
    ember_convq_spec sp = {"TRANSPOSE_CONV", t->O, 0, 0, 0, 0};
    sp.bias_type_opt = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_TransposeConvOptions,
                                              EMBER_TransposeConvOptions_quantized_bias_type, 0);
    EMBER_CHECK(ember_convq_prepare(ctx, &sp, x, w, b, y, act, &d->q));
    d->qwork_slot = d->qpack_slot = -1;
    const int path = ember_kernel_path();
    const int32_t taps = t->KH * t->KW;
    const int64_t NC = (int64_t)taps * t->O, M = (int64_t)t->H * t->W;
    if (path == EMBER_PATH_REF || d->q.type == EMBER_TensorType_INT16 || t->IC <= 0 ||
        NC > INT32_MAX / 2 || (int64_t)t->IC > INT32_MAX / 2 || (double)M * (double)NC > 16.0 * 1024 * 1024) {
        t->path = EMBER_PATH_REF;
        d->qacc_slot = ember_request_scratch(ctx, node, (size_t)t->O * sizeof(int64_t));
        return d->qacc_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
    }
    t->path = path;
    const size_t pel = ember_qgemm_packed_elems(t->IC, (int32_t)NC);
    d->qpack_const = ember_is_const(w);
    if (d->qpack_const) {
        int16_t *dst = (int16_t *)ember_pbuf_get(ctx, &d->qpack_mem, pel * sizeof(int16_t));
        if (!dst) return EMBER_ERR_NOMEM;
        ember_qgemm_pack_b(w->data, w->type, d->q.w_zp, t->IC, t->IC, (int32_t)NC, dst, &d->qpacked);
    } else {
        d->qpack_slot = ember_request_scratch(ctx, node, pel * sizeof(int16_t));
        if (d->qpack_slot < 0) return EMBER_ERR_NOMEM;
    }
    const size_t kp = (size_t)ember_qgemm_kp(t->IC);
    d->qwork_slot = ember_request_scratch(ctx, node, (size_t)TCQ_MC * kp * sizeof(int16_t) + 16 +
                                                         (size_t)M * (size_t)NC * sizeof(int32_t));
    return d->qwork_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
}

static void tcq_eval(const ember_node *node, tc_data *d, const void *in, const void *w,
                     const void *bias, void *out) {
    const ember_tconv *t = &d->t;
    const ember_convq *q = &d->q;
    if (t->path == EMBER_PATH_REF) {
        tconvq_ref(t, q, in, w, bias, out, (int64_t *)node->scratch[d->qacc_slot]);
        return;
    }
    if (!d->qpack_const)
        ember_qgemm_pack_b(w, q->type == EMBER_TensorType_UINT8 ? EMBER_TensorType_UINT8 : EMBER_TensorType_INT8,
                           q->w_zp, t->IC, t->IC, t->KH * t->KW * t->O,
                           (int16_t *)node->scratch[d->qpack_slot], &d->qpacked);
    int16_t *a = (int16_t *)node->scratch[d->qwork_slot];
    int32_t *col = (int32_t *)((char *)a + (((size_t)TCQ_MC * d->qpacked.Kp * sizeof(int16_t) + 15) & ~(size_t)15));
    tconvq_gemm(t, q, &d->qpacked, t->path, in, bias, out, a, col);
}

static ember_status tc_prepare(ember_context *ctx, ember_node *node) {
    tc_data *d = (tc_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "TRANSPOSE_CONV: no op data");
    EMBER_ENSURE(ctx, node->n_inputs >= 3 && node->n_inputs <= 4 && node->n_outputs == 1,
                 "TRANSPOSE_CONV needs 3 or 4 inputs and 1 output");
    const ember_tensor *shape = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *x = ember_input(ctx, node, 2);
    const ember_tensor *b = node->n_inputs > 3 ? ember_input(ctx, node, 3) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, shape && w && x && y, "TRANSPOSE_CONV: missing input or output");
    EMBER_ENSURE(ctx, shape->type == EMBER_TensorType_INT32 && shape->ndim == 1 &&
                      shape->dims[0] == 4,
                 "TRANSPOSE_CONV: output_shape must be int32 [4]");
    d->quant = x->type != EMBER_TensorType_FLOAT32;
    if (!d->quant && (w->type != EMBER_TensorType_FLOAT32 ||
                      (b && b->type != EMBER_TensorType_FLOAT32) || y->type != EMBER_TensorType_FLOAT32))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "TRANSPOSE_CONV: a float32 input needs float32 weights, bias and output "
                          "(weights %s, output %s)",
                          ember_type_name(w->type), ember_type_name(y->type));
    EMBER_ENSURE(ctx, x->ndim == 4 && w->ndim == 4, "TRANSPOSE_CONV: input and weights must be 4-D");
    ember_tconv *t = &d->t;
    t->N = x->dims[0]; t->H = x->dims[1]; t->W = x->dims[2]; t->IC = x->dims[3];
    t->O = w->dims[0]; t->KH = w->dims[1]; t->KW = w->dims[2];
    EMBER_ENSURE(ctx, w->dims[3] == t->IC, "TRANSPOSE_CONV: weights have %d input channels, input %d",
                 (int)w->dims[3], (int)t->IC);
    EMBER_ENSURE(ctx, t->O > 0 && t->KH > 0 && t->KW > 0, "TRANSPOSE_CONV: empty weights");
    if (b) EMBER_ENSURE(ctx, b->ndim == 1 && b->dims[0] == t->O,
                        "TRANSPOSE_CONV: bias must be [%d]", (int)t->O);
    d->padding = (int)ember_opt_int(node, EMBER_BuiltinOptions_TransposeConvOptions,
                                    EMBER_TransposeConvOptions_padding, EMBER_Padding_SAME);
    EMBER_ENSURE(ctx, d->padding == EMBER_Padding_SAME || d->padding == EMBER_Padding_VALID,
                 "TRANSPOSE_CONV: unknown padding %d", d->padding);
    t->stride_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_TransposeConvOptions,
                                         EMBER_TransposeConvOptions_stride_w, 0);
    t->stride_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_TransposeConvOptions,
                                         EMBER_TransposeConvOptions_stride_h, 0);
    EMBER_ENSURE(ctx, t->stride_w > 0 && t->stride_h > 0, "TRANSPOSE_CONV: strides must be positive");
    const int act = (int)ember_opt_int(node, EMBER_BuiltinOptions_TransposeConvOptions,
                                       EMBER_TransposeConvOptions_fused_activation_function, 0);
    if (!d->quant) EMBER_CHECK(ember_act_range_f32(ctx, act, &t->lo, &t->hi));
    if (ember_is_const(shape)) {
        EMBER_CHECK(tc_set_output(ctx, d, shape, y));
    } else {
        EMBER_CHECK(ember_tensor_set_dynamic(ctx, y));
    }
    if (d->quant) return tcq_prepare(ctx, node, d, x, w, b, y, act);
    return ember_tconv_plan(ctx, node, t, w);
}

static ember_status tc_eval(ember_context *ctx, ember_node *node) {
    tc_data *d = (tc_data *)node->data;
    const ember_tensor *shape = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *x = ember_input(ctx, node, 2);
    const ember_tensor *b = node->n_inputs > 3 ? ember_input(ctx, node, 3) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    if (!ember_is_const(shape)) EMBER_CHECK(tc_set_output(ctx, d, shape, y));
    if (d->quant) {
        tcq_eval(node, d, x->data, w->data, b ? b->data : NULL, y->data);
        return EMBER_OK;
    }
    ember_tconv_run(ctx, node, &d->t, (const float *)x->data, (const float *)w->data,
                    b ? (const float *)b->data : NULL, (float *)y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_TRANSPOSE_CONV = { "TRANSPOSE_CONV", tc_init, NULL, tc_prepare,
                                                   tc_eval };
