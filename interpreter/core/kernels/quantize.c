/*
 * quantize.c — QUANTIZE.
 *
 * float32 → int8 / uint8 / int16:
 *     q = clamp(round_half_away(x / scale) + zero_point)     (per tensor)
 *     per channel along quantized_dimension likewise.
 * Requantisation (as LiteRT): int8 → int8/uint8, uint8 → int8/uint8,
 * int16 → int8/int16/int32:
 *     q_out = clamp(MBQM(q_in - zp_in, M, s) + zp_out)
 * with (M, s) = ember_quantize_multiplier(scale_in / scale_out) and MBQM
 * TFLite's MultiplyByQuantizedMultiplier (see quant_common.h).
 */
#include <math.h>

#include "conv_q.h"
#include "ember_kernel.h"
#include "gemm.h"
#include "opt/qew.h"
#include "quant_common.h"

typedef struct quant_data {
    int32_t multiplier;
    int shift;
    int32_t in_zp, out_zp;
    int32_t lo, hi;
    int path;                       /* ember_kernel_path() at prepare */
    int lut;                        /* 8-bit -> 8-bit through table[] (off the ref path) */
    uint8_t table[256];
} quant_data;

/* ---- maths -------------------------------------------------------------- */

static inline int32_t quantize_one(float v, float scale, int32_t zp, int32_t lo, int32_t hi) {
    float r = roundf(v / scale);
    /* keep the float→int conversion defined; out-of-range values clamp anyway */
    if (!(r > -2147483648.0f)) r = -2147483648.0f;      /* also NaN */
    if (r >= 2147483648.0f) r = 2147483520.0f;           /* largest float < 2^31 */
    int64_t q = (int64_t)r + zp;
    return q < lo ? lo : (q > hi ? hi : (int32_t)q);
}

#define DEFINE_QUANT(SUF, T)                                                          \
    static void quant_f32_##SUF(const float *x, size_t n, float scale, int32_t zp,     \
                                int32_t lo, int32_t hi, T *y) {                        \
        for (size_t i = 0; i < n; i++) y[i] = (T)quantize_one(x[i], scale, zp, lo, hi); \
    }                                                                                  \
    static void quant_pc_f32_##SUF(const float *x, int64_t outer, int64_t ch,          \
                                   int64_t inner, const float *scale,                  \
                                   const int64_t *zp, int32_t lo, int32_t hi, T *y) {  \
        for (int64_t o = 0; o < outer; o++)                                            \
            for (int64_t c = 0; c < ch; c++) {                                         \
                const float s = scale[c];                                              \
                const int32_t z = (int32_t)zp[c];                                      \
                int64_t base = (o * ch + c) * inner;                                   \
                for (int64_t i = 0; i < inner; i++)                                    \
                    y[base + i] = (T)quantize_one(x[base + i], s, z, lo, hi);          \
            }                                                                          \
    }
DEFINE_QUANT(i8, int8_t)
DEFINE_QUANT(u8, uint8_t)
DEFINE_QUANT(i16, int16_t)

/* Reads element i of an int8/uint8/int16 buffer as int32. */
static inline int32_t load_q(const void *p, int32_t type, size_t i) {
    switch (type) {
    case EMBER_TensorType_INT8: return ((const int8_t *)p)[i];
    case EMBER_TensorType_UINT8: return ((const uint8_t *)p)[i];
    default: return ((const int16_t *)p)[i];
    }
}

static void requantize(const void *x, int32_t in_type, size_t n, const quant_data *q,
                       void *y, int32_t out_type) {
    for (size_t i = 0; i < n; i++) {
        int32_t v = load_q(x, in_type, i) - q->in_zp;
        int32_t r = ember_multiply_by_quantized_multiplier(v, q->multiplier, q->shift);
        int64_t o = (int64_t)r + q->out_zp;
        int32_t c = o < q->lo ? q->lo : (o > q->hi ? q->hi : (int32_t)o);
        switch (out_type) {
        case EMBER_TensorType_INT8: ((int8_t *)y)[i] = (int8_t)c; break;
        case EMBER_TensorType_UINT8: ((uint8_t *)y)[i] = (uint8_t)c; break;
        case EMBER_TensorType_INT16: ((int16_t *)y)[i] = (int16_t)c; break;
        default: ((int32_t *)y)[i] = c; break;
        }
    }
}

/* Off the reference path an 8-bit requantisation is a table of the
 * reference function's 256 results (so the same bytes), applied 64 at a
 * time with AVX-512 VBMI where allowed. */
static void lut_apply(const quant_data *d, const uint8_t *x, uint8_t *y, size_t n) {
#ifdef EMBER_HAVE_AVX2_BUILD
    if (ember_qgemm8_usable(d->path) && ember_cpu_has_avx512vbmi()) {
        ember_lut8_apply_avx512(d->table, x, y, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] = d->table[x[i]];
}

/* ---- glue --------------------------------------------------------------- */

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(quant_data));
}

static ember_status check_quant(ember_context *ctx, const ember_tensor *t, const char *what,
                                int allow_per_channel) {
    EMBER_ENSURE(ctx, t->q.count >= 1 && t->q.scale && t->q.zero_point,
                 "QUANTIZE: %s needs quantisation parameters", what);
    for (int i = 0; i < t->q.count; i++)
        EMBER_ENSURE(ctx, t->q.scale[i] > 0 && isfinite(t->q.scale[i]),
                     "QUANTIZE: %s scale %g must be positive and finite", what,
                     (double)t->q.scale[i]);
    if (t->q.count > 1) {
        if (!allow_per_channel)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "QUANTIZE: per-channel %s is not supported here", what);
        int qd = t->q.quantized_dimension;
        EMBER_ENSURE(ctx, qd >= 0 && qd < t->ndim, "QUANTIZE: quantized_dimension %d out of range",
                     qd);
        EMBER_ENSURE(ctx, t->dims[qd] == t->q.count, "QUANTIZE: %d scales for a dimension of %d",
                     (int)t->q.count, (int)t->dims[qd]);
    }
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    quant_data *d = node->data;
    EMBER_ENSURE(ctx, d, "QUANTIZE: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "QUANTIZE needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "QUANTIZE: missing tensor");
    int it = x->type, ot = y->type;
    int ok;
    if (it == EMBER_TensorType_FLOAT32)
        ok = ot == EMBER_TensorType_INT8 || ot == EMBER_TensorType_UINT8 || ot == EMBER_TensorType_INT16;
    else if (it == EMBER_TensorType_INT8 || it == EMBER_TensorType_UINT8)
        ok = ot == EMBER_TensorType_INT8 || ot == EMBER_TensorType_UINT8;
    else if (it == EMBER_TensorType_INT16)
        ok = ot == EMBER_TensorType_INT8 || ot == EMBER_TensorType_INT16 || ot == EMBER_TensorType_INT32;
    else
        ok = 0;
    if (!ok)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "QUANTIZE: %s → %s is not supported",
                          ember_type_name(it), ember_type_name(ot));
    EMBER_CHECK(check_quant(ctx, y, "output", it == EMBER_TensorType_FLOAT32));
    ember_quant_type_range(ot, &d->lo, &d->hi);
    if (it != EMBER_TensorType_FLOAT32) {
        EMBER_CHECK(check_quant(ctx, x, "input", 0));
        d->in_zp = (int32_t)x->q.zero_point[0];
        d->out_zp = (int32_t)y->q.zero_point[0];
        double eff = (double)x->q.scale[0] / (double)y->q.scale[0];
        ember_quantize_multiplier(eff, &d->multiplier, &d->shift);
        EMBER_ENSURE(ctx, d->shift <= 30, "QUANTIZE: scale ratio %g too large", eff);
    }
    d->path = ember_kernel_path();
    d->lut = 0;
#ifndef EMBER_QEW_REF_ONLY
    if ((it == EMBER_TensorType_INT8 || it == EMBER_TensorType_UINT8) && d->path != EMBER_PATH_REF) {
        uint8_t all[256];
        for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
        requantize(all, it, 256, d, d->table, ot);
        d->lut = 1;
    }
#endif
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const quant_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    size_t n = ember_num_elements(x);
    if (d->lut) {
        lut_apply(d, (const uint8_t *)x->data, (uint8_t *)y->data, n);
        return EMBER_OK;
    }
    if (x->type != EMBER_TensorType_FLOAT32) {
        requantize(x->data, x->type, n, d, y->data, y->type);
        return EMBER_OK;
    }
    if (y->q.count > 1) {
        int qd = y->q.quantized_dimension;
        int64_t outer = 1, inner = 1, ch = y->dims[qd];
        for (int i = 0; i < qd; i++) outer *= y->dims[i];
        for (int i = qd + 1; i < y->ndim; i++) inner *= y->dims[i];
        const float *s = y->q.scale;
        const int64_t *z = y->q.zero_point;
        switch (y->type) {
        case EMBER_TensorType_INT8: quant_pc_f32_i8(x->data, outer, ch, inner, s, z, d->lo, d->hi, y->data); break;
        case EMBER_TensorType_UINT8: quant_pc_f32_u8(x->data, outer, ch, inner, s, z, d->lo, d->hi, y->data); break;
        default: quant_pc_f32_i16(x->data, outer, ch, inner, s, z, d->lo, d->hi, y->data); break;
        }
        return EMBER_OK;
    }
    float s = y->q.scale[0];
    int32_t z = (int32_t)y->q.zero_point[0];
#ifdef EMBER_HAVE_AVX2_BUILD
    if (d->path >= EMBER_PATH_AVX2 && y->type != EMBER_TensorType_INT16) {
        ember_quantize_f32_avx2((const float *)x->data, n, s, z, d->lo, d->hi,
                                y->type == EMBER_TensorType_UINT8, y->data);
        return EMBER_OK;
    }
#endif
    switch (y->type) {
    case EMBER_TensorType_INT8: quant_f32_i8(x->data, n, s, z, d->lo, d->hi, y->data); break;
    case EMBER_TensorType_UINT8: quant_f32_u8(x->data, n, s, z, d->lo, d->hi, y->data); break;
    default: quant_f32_i16(x->data, n, s, z, d->lo, d->hi, y->data); break;
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_QUANTIZE = { "QUANTIZE", init, NULL, prepare, eval };
