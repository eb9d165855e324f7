/*
 * quant_elementwise.h — prepare-time helpers for the quantised element-wise,
 * activation and data-movement kernels (per-tensor int8/uint8/int16).
 *
 * Everything here mirrors how TFLite derives its integer parameters, because
 * the kernels must agree bit for bit with TFLite Micro and LiteRT's
 * reference kernels: the same float/double precision at each step matters.
 */
#ifndef EMBER_QUANT_ELEMENTWISE_H
#define EMBER_QUANT_ELEMENTWISE_H

#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "quant_common.h"

static inline int ember_qe_is_qtype(int32_t t) {
    return t == EMBER_TensorType_INT8 || t == EMBER_TensorType_UINT8 ||
           t == EMBER_TensorType_INT16;
}

/* Per-tensor scale / zero point (the first pair; callers check count). */
static inline float ember_qe_scale(const ember_tensor *t) { return t->q.count ? t->q.scale[0] : 0.0f; }
static inline int32_t ember_qe_zp(const ember_tensor *t) {
    return (t->q.count && t->q.zero_point) ? (int32_t)t->q.zero_point[0] : 0;
}

/* The tensor carries usable per-tensor quantisation: one (or a repeated)
 * positive finite scale and a zero point inside its type's range. `what`
 * names the tensor in the message ("input 0", "output"). */
static inline ember_status ember_qe_check_tensor(ember_context *ctx, const ember_tensor *t,
                                               const char *op, const char *what) {
    if (t->q.count < 1 || !t->q.scale)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s: %s %s tensor '%s' has no quantisation "
                          "parameters", op, what, ember_type_name(t->type),
                          t->name ? t->name : "");
    const float s = t->q.scale[0];
    if (!(s > 0.0f) || !isfinite(s))
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s: %s scale %g must be positive and finite",
                          op, what, (double)s);
    for (int32_t i = 1; i < t->q.count; i++)
        if (t->q.scale[i] != s || (t->q.zero_point && t->q.zero_point[i] != t->q.zero_point[0]))
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "%s: %s has per-channel quantisation; only per-tensor is supported",
                              op, what);
    int32_t lo, hi;
    if (ember_quant_type_range(t->type, &lo, &hi)) {
        const int64_t zp = t->q.zero_point ? t->q.zero_point[0] : 0;
        if (zp < lo || zp > hi)
            return ember_fail(ctx, EMBER_ERR_MODEL, "%s: %s zero point %lld outside the %s range",
                              op, what, (long long)zp, ember_type_name(t->type));
    }
    return EMBER_OK;
}

/* Symmetric int16 (zero point 0), which every TFLite int16 kernel requires. */
static inline ember_status ember_qe_check_zp0(ember_context *ctx, const ember_tensor *t,
                                           const char *op, const char *what) {
    if (ember_qe_zp(t) != 0)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s: int16 %s zero point must be 0, got %d",
                          op, what, (int)ember_qe_zp(t));
    return EMBER_OK;
}

/* Input and output quantisation must be identical (ops that only move or
 * select values, as TFLite requires for them). */
static inline ember_status ember_qe_check_same(ember_context *ctx, const ember_tensor *x,
                                                  const ember_tensor *y, const char *op,
                                                  const char *what) {
    if (!ember_qe_is_qtype(x->type)) return EMBER_OK;
    if (x->q.count == 0 && y->q.count == 0) return EMBER_OK;
    if (ember_qe_scale(x) != ember_qe_scale(y) || ember_qe_zp(x) != ember_qe_zp(y))
        return ember_fail(ctx, EMBER_ERR_MODEL,
                          "%s: %s quantisation (scale %g, zero point %d) differs from the "
                          "output's (scale %g, zero point %d)", op, what, (double)ember_qe_scale(x),
                          (int)ember_qe_zp(x), (double)ember_qe_scale(y), (int)ember_qe_zp(y));
    return EMBER_OK;
}

/* TFLite's CalculateActivationRangeQuantized: the fused activation's bounds
 * quantised with the output's scale (in float, rounded half away from zero)
 * and intersected with the type's range. */
static inline ember_status ember_qe_act_range(ember_context *ctx, int32_t act,
                                                 const ember_tensor *out, int32_t *lo,
                                                 int32_t *hi) {
    int32_t tmin, tmax;
    if (!ember_quant_type_range(out->type, &tmin, &tmax))
        return ember_fail(ctx, EMBER_ERR_MODEL, "no integer range for %s",
                          ember_type_name(out->type));
    const float s = ember_qe_scale(out);
    const int32_t zp = ember_qe_zp(out);
    float flo, fhi;
    EMBER_CHECK(ember_act_range_f32(ctx, act, &flo, &fhi));
    *lo = tmin;
    *hi = tmax;
    if (flo > -1e30f) {
        const float r = roundf(flo / s);
        if (!(r >= -2147483648.0f && r <= 2147483648.0f))
            return ember_fail(ctx, EMBER_ERR_MODEL, "activation bound overflows int32 at scale %g",
                              (double)s);
        const int64_t q = (int64_t)zp + (int64_t)r;
        if (q > *lo) *lo = q > tmax ? tmax : (int32_t)q;
    }
    if (fhi < 1e30f) {
        const float r = roundf(fhi / s);
        if (!(r >= -2147483648.0f && r <= 2147483648.0f))
            return ember_fail(ctx, EMBER_ERR_MODEL, "activation bound overflows int32 at scale %g",
                              (double)s);
        const int64_t q = (int64_t)zp + (int64_t)r;
        if (q < *hi) *hi = q < tmin ? tmin : (int32_t)q;
    }
    return EMBER_OK;
}

/* TFLite's CheckedLog2: log2 of x computed in float via ln; true when x is a
 * power of two within 1e-3 in the exponent. */
static inline int ember_qe_checked_log2(float x, int *log2_result) {
    const float l = logf(x) * (1.0f / logf(2.0f));
    const float r = roundf(l);
    *log2_result = (int)r;
    return fabsf(l - r) < 1e-3f;
}

/* A multiplier that must be < 1 (TFLite's QuantizeMultiplierSmallerThanOneExp):
 * shift <= 0 on return, else the model is refused. */
static inline ember_status ember_qe_multiplier_lt1(ember_context *ctx, double m,
                                                         int32_t *qm, int *shift,
                                                         const char *op, const char *what) {
    ember_quantize_multiplier(m, qm, shift);
    if (*shift > 0)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "%s: %s rescale factor %g is not below 1 (scales too far apart)",
                          op, what, m);
    return EMBER_OK;
}

#endif /* EMBER_QUANT_ELEMENTWISE_H */
