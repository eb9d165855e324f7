/*
 * quant_common.h — fixed-point helpers shared by quantised kernels.
 *
 * These reproduce TFLite's default ("double rounding") integer arithmetic
 * bit for bit, so int8/int16 kernels built on them match LiteRT exactly:
 *
 *   real_multiplier  ≈  quantized_multiplier * 2^(shift - 31)
 *   with quantized_multiplier in [2^30, 2^31) (or 0).
 *
 * ember_multiply_by_quantized_multiplier(x, m, s) computes
 * round(x * real_multiplier) the way TFLite does: a saturating rounding
 * doubling high multiply followed by a rounding (half away from zero)
 * arithmetic right shift.
 */
#ifndef EMBER_QUANT_COMMON_H
#define EMBER_QUANT_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Splits a real multiplier into a Q31 mantissa and a power-of-two shift
 * (positive = left).  0 gives (0, 0); tiny multipliers (< ~2^-31) flush to
 * (0, 0) as in TFLite.  Negative multipliers keep their sign in *mult. */
void ember_quantize_multiplier(double real_multiplier, int32_t *quantized_multiplier,
                               int *shift);

/* (a * b * 2) >> 32 with rounding to nearest, ties away from zero, saturating
 * the single overflow case INT32_MIN * INT32_MIN. */
static inline int32_t ember_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (1 - (INT64_C(1) << 30));
    /* C99 division truncates toward zero, as TFLite relies on. */
    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero (0 <= exponent <= 31). */
static inline int32_t ember_rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)((INT64_C(1) << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* Arithmetic shift of a negative value: implementation-defined in C99 but
     * arithmetic on every compiler Ember targets (gcc, clang, armcc, msvc). */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* round(x * m * 2^(shift-31)) as TFLite's MultiplyByQuantizedMultiplier(int32). */
static inline int32_t ember_multiply_by_quantized_multiplier(int32_t x, int32_t quantized_multiplier,
                                                             int shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    /* x * 2^left wraps like TFLite's int multiply; do it unsigned to stay defined. */
    int32_t xs = (int32_t)((uint32_t)x << left);
    return ember_rounding_divide_by_pot(
        ember_saturating_rounding_doubling_high_mul(xs, quantized_multiplier), right);
}

/* TFLite's MultiplyByQuantizedMultiplier(int64 x, ...) used by int16 kernels:
 * multiplier reduced to Q15, single rounding. x in [-2^47, 2^47), shift in [-31, 7]. */
static inline int32_t ember_multiply_by_quantized_multiplier_64(int64_t x, int32_t quantized_multiplier,
                                                                int shift) {
    int32_t reduced = quantized_multiplier < 0x7FFF0000
                          ? (int32_t)((quantized_multiplier + (1 << 15)) >> 16)
                          : 0x7FFF;
    int total_shift = 15 - shift;
    int64_t r = x * (int64_t)reduced + (INT64_C(1) << (total_shift - 1));
    return (int32_t)(r >> total_shift);
}

/* gemmlowp's SaturatingRoundingMultiplyByPOT for a positive exponent (< 31):
 * x * 2^exponent, saturating to the int32 range. */
static inline int32_t ember_saturating_shift_left(int32_t x, int exponent) {
    const int32_t threshold = (int32_t)((INT64_C(1) << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* TFLite's GetInvSqrtQuantizedMultiplierExp: 1/sqrt(input) as a Q31
 * multiplier and a shift (times reverse_shift: TFLite's L2 normalisation
 * passes -1 to get a left shift), computed with gemmlowp's fixed-point
 * Newton-Raphson iteration so the bits match. Inputs <= 1 give
 * (INT32_MAX, 0). */
void ember_inv_sqrt_quantized_multiplier_exp(int32_t input, int reverse_shift,
                                             int32_t *multiplier, int *shift);

/* ---- hybrid (dynamic-range) kernels: on-the-fly input quantisation ----
 * As TFLite's tensor_utils, so the int8 values and scales match LiteRT's:
 * symmetric: scale = max|x| / 127, q = round(x * 127 / max|x|) in [-127, 127]
 *            (all zeros: q = 0, scale 1);
 * asymmetric: the [min(x,0), max(x,0)] range on [-128, 127] with TFLite's
 *            nudged zero point (double), q = round(zp + x / scale) (float).
 * q is what the integer kernels multiply (minus *zero_point). */
void ember_quantize_floats_symmetric(const float *x, size_t n, int8_t *q, float *scale);
void ember_quantize_floats_asymmetric(const float *x, size_t n, int8_t *q, float *scale,
                                      int32_t *zero_point);

/* Saturating cast helpers. */
static inline int32_t ember_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Representable range of an integer TensorType (INT8/UINT8/INT16/INT32);
 * returns 0 for other types. */
int ember_quant_type_range(int32_t type, int32_t *lo, int32_t *hi);


/* ---- validation and activation ranges (prepare time) ----------------- */
struct ember_context;
struct ember_tensor;

/* Fails (EMBER_ERR_MODEL, naming op, role and tensor) unless t carries
 * quantisation parameters with finite positive scales. */
int ember_quant_require(struct ember_context *ctx, const struct ember_tensor *t, const char *op,
                        const char *role);
/* 1 when every zero point of t is 0. */
int ember_quant_zp_all_zero(const struct ember_tensor *t);
/* Clamp range [*lo, *hi] of a fused activation on a quantised output, as
 * TFLite's CalculateActivationRangeQuantized: the activation's real bounds
 * quantised with the output's scale/zero point (round half away from zero,
 * float division), intersected with the type's range. Fails on an unknown
 * activation or an output type without an integer range. Returns 0 (EMBER_OK)
 * or an ember_status. */
int ember_act_range_quant(struct ember_context *ctx, int32_t act, const struct ember_tensor *out,
                          int32_t *lo, int32_t *hi);
/* ember_quantize_multiplier that refuses multipliers TFLite's integer
 * kernels cannot apply (shift above 30 would shift the accumulator out of
 * int32): records an error naming `what` and returns nonzero. */
int ember_quantize_multiplier_checked(struct ember_context *ctx, double real_multiplier,
                                      int32_t *quantized_multiplier, int *shift, const char *what);

#endif /* EMBER_QUANT_COMMON_H */
