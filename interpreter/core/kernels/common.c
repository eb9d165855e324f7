/* common.c — small maths helpers shared by many kernels (see ember_kernel.h). */
#include <math.h>
#include <string.h>

#include "ember_kernel.h"

ember_status ember_act_range_f32(ember_context *ctx, int32_t act, float *lo, float *hi) {
    switch (act) {
    case EMBER_ActivationFunctionType_NONE: *lo = -INFINITY; *hi = INFINITY; break;
    case EMBER_ActivationFunctionType_RELU: *lo = 0.0f; *hi = INFINITY; break;
    case EMBER_ActivationFunctionType_RELU_N1_TO_1: *lo = -1.0f; *hi = 1.0f; break;
    case EMBER_ActivationFunctionType_RELU6: *lo = 0.0f; *hi = 6.0f; break;
    default:
        /* TANH and SIGN_BIT exist in the schema but no TFLite kernel fuses them. */
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "fused activation %d is not supported", (int)act);
    }
    return EMBER_OK;
}

ember_status ember_conv_geometry(ember_context *ctx, int32_t padding,
                                 int32_t in, int32_t filter, int32_t stride,
                                 int32_t dilation, int32_t *out, int32_t *pad) {
    if (in <= 0 || filter <= 0 || stride <= 0 || dilation <= 0)
        return ember_fail(ctx, EMBER_ERR_MODEL,
                          "invalid window: input %d, filter %d, stride %d, dilation %d",
                          (int)in, (int)filter, (int)stride, (int)dilation);
    int64_t eff = (int64_t)(filter - 1) * dilation + 1;
    int64_t o;
    if (padding == EMBER_Padding_SAME) {
        o = ((int64_t)in + stride - 1) / stride;
    } else if (padding == EMBER_Padding_VALID) {
        o = ((int64_t)in - eff + stride) / stride;
    } else {
        return ember_fail(ctx, EMBER_ERR_MODEL, "unknown padding %d", (int)padding);
    }
    if (o <= 0 || o > INT32_MAX)
        return ember_fail(ctx, EMBER_ERR_MODEL,
                          "window of %lld does not fit input of %d", (long long)eff, (int)in);
    int64_t total = (o - 1) * stride + eff - in;
    *out = (int32_t)o;
    *pad = total > 0 ? (int32_t)(total / 2) : 0;
    return EMBER_OK;
}

ember_status ember_broadcast_shape(ember_context *ctx, const ember_tensor *a,
                                   const ember_tensor *b, int32_t *ndim, int32_t *dims) {
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < n; i++) {
        int32_t da = ember_dim(a, i - n), db = ember_dim(b, i - n);
        if (da != db && da != 1 && db != 1)
            return ember_fail(ctx, EMBER_ERR_MODEL,
                              "shapes do not broadcast: dim %d is %d vs %d", i, (int)da, (int)db);
        dims[i] = da == 1 ? db : da;
    }
    *ndim = n;
    return EMBER_OK;
}

float ember_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);               /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);      /* normal */
    } else if (man == 0) {
        bits = sign;                                           /* zero */
    } else {                                                   /* subnormal */
        int e = -1;
        do { man <<= 1; e++; } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t ember_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u)                                    /* inf / nan */
        return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0);
    if (abs >= 0x477ff000u) return sign | 0x7c00u;             /* overflow */
    if (abs < 0x38800000u) {                                   /* subnormal / zero */
        if (abs < 0x33000000u) return sign;
        uint32_t man = (abs & 0x7fffffu) | 0x800000u;
        int shift = 126 - (int)(abs >> 23);
        uint32_t half = 1u << (shift - 1), rem = man & ((1u << shift) - 1);
        uint32_t r = man >> shift;
        if (rem > half || (rem == half && (r & 1u))) r++;
        return sign | (uint16_t)r;
    }
    uint32_t r = abs - 0x38000000u;                            /* rebias 127 -> 15 */
    uint32_t rem = r & 0x1fffu;
    r >>= 13;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
    return sign | (uint16_t)r;
}
