/*
 * pooling.c — AVERAGE_POOL_2D and MAX_POOL_2D (float32).
 *
 * input [N,H,W,C] -> output [N,OH,OW,C] with Pool2DOptions (filter size,
 * strides, SAME/VALID padding, fused activation). Windows are clipped to
 * the image; the average divides by the number of in-bounds elements
 * (TFLite's behaviour). Channels are innermost, so the plain loops below
 * vectorise; they are both the reference and the production path.
 *
 * Quantised int8, uint8 and int16 (input and output quantisation must be
 * equal, as TFLite assumes: pooling never rescales): the average is the
 * integer sum divided by the count, rounded half away from zero; both ops
 * clamp to the fused activation's quantised range.
 */
#include <math.h>
#include <string.h>

#include "ember_kernel.h"
#include "gemm.h"
#include "opt/qew.h"
#include "quant_common.h"

typedef struct pool_shape {
    int32_t N, H, W, C, OH, OW, FH, FW;
    int32_t stride_h, stride_w, pad_h, pad_w;
    float lo, hi;
    int32_t type, qlo, qhi;
    int fast;                       /* 8-bit: the channel-inner loops below (off the ref path) */
} pool_shape;

/* Window rows/cols [y0,y1) x [x0,x1) of output pixel (oy, ox). */
static void pool_window(const pool_shape *s, int32_t oy, int32_t ox, int32_t *y0, int32_t *y1,
                        int32_t *x0, int32_t *x1) {
    const int32_t iy = oy * s->stride_h - s->pad_h, ix = ox * s->stride_w - s->pad_w;
    *y0 = iy < 0 ? 0 : iy;
    *y1 = iy + s->FH > s->H ? s->H : iy + s->FH;
    *x0 = ix < 0 ? 0 : ix;
    *x1 = ix + s->FW > s->W ? s->W : ix + s->FW;
}

/* Sums each window row on its own, then the row sums: a global average over
 * 64x64 pixels then adds 64 + 64 terms per channel in sequence instead of
 * 4096, which keeps float32 rounding error at LiteRT's level. */
#define POOL_CHUNK 64
static void average_pool_f32(const pool_shape *s, const float *in, float *out) {
    const int32_t C = s->C;
    for (int32_t n = 0; n < s->N; n++) {
        const float *img = in + (size_t)n * s->H * s->W * C;
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++) {
                float *o = out + (((size_t)n * s->OH + oy) * s->OW + ox) * C;
                int32_t y0, y1, x0, x1;
                pool_window(s, oy, ox, &y0, &y1, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                const float inv = count > 0 ? 1.0f / (float)count : 0.0f;
                for (int32_t c0 = 0; c0 < C; c0 += POOL_CHUNK) {
                    const int32_t cn = C - c0 < POOL_CHUNK ? C - c0 : POOL_CHUNK;
                    float total[POOL_CHUNK] = {0}, row[POOL_CHUNK];
                    for (int32_t y = y0; y < y1; y++) {
                        for (int32_t c = 0; c < cn; c++) row[c] = 0.0f;
                        for (int32_t x = x0; x < x1; x++) {
                            const float *p = img + ((size_t)y * s->W + x) * C + c0;
                            for (int32_t c = 0; c < cn; c++) row[c] += p[c];
                        }
                        for (int32_t c = 0; c < cn; c++) total[c] += row[c];
                    }
                    for (int32_t c = 0; c < cn; c++)
                        o[c0 + c] = ember_clampf(total[c] * inv, s->lo, s->hi);
                }
            }
    }
}

static void max_pool_f32(const pool_shape *s, const float *in, float *out) {
    const int32_t C = s->C;
    for (int32_t n = 0; n < s->N; n++) {
        const float *img = in + (size_t)n * s->H * s->W * C;
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++) {
                float *o = out + (((size_t)n * s->OH + oy) * s->OW + ox) * C;
                int32_t y0, y1, x0, x1;
                pool_window(s, oy, ox, &y0, &y1, &x0, &x1);
                for (int32_t c = 0; c < C; c++) o[c] = -INFINITY;
                for (int32_t y = y0; y < y1; y++)
                    for (int32_t x = x0; x < x1; x++) {
                        const float *p = img + ((size_t)y * s->W + x) * C;
                        for (int32_t c = 0; c < C; c++) o[c] = p[c] > o[c] ? p[c] : o[c];
                    }
                for (int32_t c = 0; c < C; c++) o[c] = ember_clampf(o[c], s->lo, s->hi);
            }
    }
}

static int32_t pool_load(const void *d, int32_t type, size_t i) {
    switch (type) {
    case EMBER_TensorType_INT8: return ((const int8_t *)d)[i];
    case EMBER_TensorType_UINT8: return ((const uint8_t *)d)[i];
    default: return ((const int16_t *)d)[i];
    }
}

static void pool_store(void *d, int32_t type, size_t i, int32_t v) {
    switch (type) {
    case EMBER_TensorType_INT8: ((int8_t *)d)[i] = (int8_t)v; break;
    case EMBER_TensorType_UINT8: ((uint8_t *)d)[i] = (uint8_t)v; break;
    default: ((int16_t *)d)[i] = (int16_t)v; break;
    }
}

/* Quantised pooling (is_max selects the op); sums fit int32 for any window
 * of int16 values up to 65536 elements, so prepare caps the window there. */
static void pool_q(const pool_shape *s, int is_max, const void *in, void *out) {
    const int32_t C = s->C;
    for (int32_t n = 0; n < s->N; n++)
        for (int32_t oy = 0; oy < s->OH; oy++)
            for (int32_t ox = 0; ox < s->OW; ox++) {
                int32_t y0, y1, x0, x1;
                pool_window(s, oy, ox, &y0, &y1, &x0, &x1);
                const int32_t count = (y1 - y0) * (x1 - x0);
                const size_t ob = (((size_t)n * s->OH + oy) * s->OW + ox) * C;
                for (int32_t c = 0; c < C; c++) {
                    int32_t acc = is_max ? INT32_MIN : 0;
                    for (int32_t y = y0; y < y1; y++)
                        for (int32_t x = x0; x < x1; x++) {
                            const int32_t v = pool_load(in, s->type, (((size_t)n * s->H + y) * s->W + x) * C + c);
                            if (is_max) acc = v > acc ? v : acc;
                            else acc += v;
                        }
                    if (!is_max)
                        acc = count == 0 ? 0 : acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    acc = acc < s->qlo ? s->qlo : (acc > s->qhi ? s->qhi : acc);
                    pool_store(out, s->type, ob + c, acc);
                }
            }
}

/* The same results for 8-bit tensors with channels innermost, so the
 * compiler vectorises across channels: the max starts from the type's
 * minimum instead of INT32_MIN (the clamp to [qlo, qhi], which lies inside
 * the type, gives the same value for an empty window), and the sum is
 * exact in int32 either way. */
#ifndef EMBER_QEW_REF_ONLY
#define POOL_Q8(NAME, T)                                                        \
    static void NAME##_max(const pool_shape *s, const T *in, T *out) {          \
        const int32_t C = s->C;                                                 \
        const T lo = (T)s->qlo, hi = (T)s->qhi;                                 \
        for (int32_t n = 0; n < s->N; n++)                                      \
            for (int32_t oy = 0; oy < s->OH; oy++)                              \
                for (int32_t ox = 0; ox < s->OW; ox++) {                        \
                    int32_t y0, y1, x0, x1;                                     \
                    pool_window(s, oy, ox, &y0, &y1, &x0, &x1);                 \
                    T *restrict o = out + (((size_t)n * s->OH + oy) * s->OW + ox) * C; \
                    for (int32_t c = 0; c < C; c++) o[c] = lo;                  \
                    for (int32_t y = y0; y < y1; y++)                           \
                        for (int32_t x = x0; x < x1; x++) {                     \
                            const T *restrict p = in + (((size_t)n * s->H + y) * s->W + x) * C; \
                            for (int32_t c = 0; c < C; c++) o[c] = p[c] > o[c] ? p[c] : o[c]; \
                        }                                                       \
                    for (int32_t c = 0; c < C; c++) o[c] = o[c] > hi ? hi : o[c]; \
                }                                                               \
    }                                                                           \
    static void NAME##_avg(const pool_shape *s, const T *in, T *out) {          \
        const int32_t C = s->C;                                                 \
        for (int32_t n = 0; n < s->N; n++)                                      \
            for (int32_t oy = 0; oy < s->OH; oy++)                              \
                for (int32_t ox = 0; ox < s->OW; ox++) {                        \
                    int32_t y0, y1, x0, x1;                                     \
                    pool_window(s, oy, ox, &y0, &y1, &x0, &x1);                 \
                    const int32_t count = (y1 - y0) * (x1 - x0);                \
                    T *o = out + (((size_t)n * s->OH + oy) * s->OW + ox) * C;   \
                    for (int32_t c0 = 0; c0 < C; c0 += POOL_CHUNK) {            \
                        const int32_t cn = C - c0 < POOL_CHUNK ? C - c0 : POOL_CHUNK; \
                        int32_t acc[POOL_CHUNK] = {0};                          \
                        for (int32_t y = y0; y < y1; y++)                       \
                            for (int32_t x = x0; x < x1; x++) {                 \
                                const T *restrict p = in + (((size_t)n * s->H + y) * s->W + x) * C + c0; \
                                for (int32_t c = 0; c < cn; c++) acc[c] += p[c]; \
                            }                                                   \
                        for (int32_t c = 0; c < cn; c++) {                      \
                            int32_t a = acc[c];                                 \
                            a = count == 0 ? 0 : a > 0 ? (a + count / 2) / count : (a - count / 2) / count; \
                            o[c0 + c] = (T)(a < s->qlo ? s->qlo : (a > s->qhi ? s->qhi : a)); \
                        }                                                       \
                    }                                                           \
                }                                                               \
    }
POOL_Q8(pool_i8, int8_t)
POOL_Q8(pool_u8, uint8_t)

#endif

static void pool_q_run(const pool_shape *s, int is_max, const void *in, void *out) {
#ifndef EMBER_QEW_REF_ONLY
    if (s->fast && s->type == EMBER_TensorType_INT8) {
        if (is_max) pool_i8_max(s, (const int8_t *)in, (int8_t *)out);
        else pool_i8_avg(s, (const int8_t *)in, (int8_t *)out);
    } else if (s->fast) {
        if (is_max) pool_u8_max(s, (const uint8_t *)in, (uint8_t *)out);
        else pool_u8_avg(s, (const uint8_t *)in, (uint8_t *)out);
    } else
#endif
    {
        pool_q(s, is_max, in, out);
    }
}

static ember_status pool_prepare(ember_context *ctx, ember_node *node) {
    pool_shape *s = (pool_shape *)node->data;
    EMBER_ENSURE(ctx, s != NULL, "POOL_2D: no op data");
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "POOL_2D needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "POOL_2D: missing input or output");
    s->type = x->type;
    if (x->type != EMBER_TensorType_FLOAT32 && x->type != EMBER_TensorType_INT8 &&
        x->type != EMBER_TensorType_UINT8 && x->type != EMBER_TensorType_INT16)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "POOL_2D: %s input is not supported",
                          ember_type_name(x->type));
    EMBER_ENSURE(ctx, y->type == x->type, "POOL_2D: output type %s differs from input type %s",
                 ember_type_name(y->type), ember_type_name(x->type));
    if (x->type != EMBER_TensorType_FLOAT32) {
        EMBER_CHECK(ember_quant_require(ctx, x, "POOL_2D", "input"));
        EMBER_CHECK(ember_quant_require(ctx, y, "POOL_2D", "output"));
        if (fabsf(x->q.scale[0] - y->q.scale[0]) > 1.0e-6f || x->q.zero_point[0] != y->q.zero_point[0])
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "POOL_2D: input and output quantization differ (scale %g/%g, zero point "
                              "%d/%d); pooling does not rescale", (double)x->q.scale[0],
                              (double)y->q.scale[0], (int)x->q.zero_point[0], (int)y->q.zero_point[0]);
    }
    EMBER_ENSURE(ctx, x->ndim == 4, "POOL_2D: input must be 4-D");
    s->N = x->dims[0]; s->H = x->dims[1]; s->W = x->dims[2]; s->C = x->dims[3];
    const int pad = (int)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                       EMBER_Pool2DOptions_padding, EMBER_Padding_SAME);
    s->stride_w = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                         EMBER_Pool2DOptions_stride_w, 0);
    s->stride_h = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                         EMBER_Pool2DOptions_stride_h, 0);
    s->FW = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                   EMBER_Pool2DOptions_filter_width, 0);
    s->FH = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                   EMBER_Pool2DOptions_filter_height, 0);
    const int act = (int)ember_opt_int(node, EMBER_BuiltinOptions_Pool2DOptions,
                                       EMBER_Pool2DOptions_fused_activation_function, 0);
    if (x->type == EMBER_TensorType_FLOAT32) EMBER_CHECK(ember_act_range_f32(ctx, act, &s->lo, &s->hi));
    else EMBER_CHECK((ember_status)ember_act_range_quant(ctx, act, y, &s->qlo, &s->qhi));
    EMBER_ENSURE(ctx, x->type == EMBER_TensorType_FLOAT32 || (int64_t)s->FH * s->FW <= 65536,
                 "POOL_2D: a %dx%d window is too large for a quantized sum", (int)s->FH, (int)s->FW);
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->H, s->FH, s->stride_h, 1, &s->OH, &s->pad_h));
    EMBER_CHECK(ember_conv_geometry(ctx, pad, s->W, s->FW, s->stride_w, 1, &s->OW, &s->pad_w));
    s->fast = (x->type == EMBER_TensorType_INT8 || x->type == EMBER_TensorType_UINT8) &&
              ember_kernel_path() != EMBER_PATH_REF;
    const int32_t dims[4] = {s->N, s->OH, s->OW, s->C};
    return ember_tensor_resize(ctx, y, 4, dims);
}

static void *pool_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(pool_shape));
}

static ember_status avg_eval(ember_context *ctx, ember_node *node) {
    const pool_shape *s = (const pool_shape *)node->data;
    if (s->type != EMBER_TensorType_FLOAT32) {
        pool_q_run(s, 0, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
        return EMBER_OK;
    }
    average_pool_f32((const pool_shape *)node->data,
                     (const float *)ember_input(ctx, node, 0)->data,
                     (float *)ember_output(ctx, node, 0)->data);
    return EMBER_OK;
}

static ember_status max_eval(ember_context *ctx, ember_node *node) {
    const pool_shape *s = (const pool_shape *)node->data;
    if (s->type != EMBER_TensorType_FLOAT32) {
        pool_q_run(s, 1, ember_input(ctx, node, 0)->data, ember_output(ctx, node, 0)->data);
        return EMBER_OK;
    }
    max_pool_f32((const pool_shape *)node->data, (const float *)ember_input(ctx, node, 0)->data,
                 (float *)ember_output(ctx, node, 0)->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_AVERAGE_POOL_2D = { "AVERAGE_POOL_2D", pool_init, NULL,
                                                    pool_prepare, avg_eval };
const ember_kernel ember_kernel_MAX_POOL_2D = { "MAX_POOL_2D", pool_init, NULL, pool_prepare,
                                                max_eval };
