/*
 * quant_fixedpoint.h — the Q-format fixed-point functions TFLite's quantised
 * SOFTMAX and LOG_SOFTMAX are built on (gemmlowp's exp, reciprocal and
 * TFLite's log), reproduced bit for bit.
 *
 * A value "Qk" is an int32 raw r standing for r / 2^(31-k) (k integer bits).
 * Products of two raws go through the saturating rounding doubling high
 * multiply (Qa * Qb -> Q(a+b)); additions are plain int32 additions that
 * TFLite lets wrap, done here on unsigned values so that C keeps them
 * defined. Each polynomial and constant matches TFLite's, because the
 * kernels must agree with TFLite Micro and LiteRT to the last bit.
 */
#ifndef EMBER_QUANT_FIXEDPOINT_H
#define EMBER_QUANT_FIXEDPOINT_H

#include <stdint.h>

#include "quant_common.h"

#define EMBER_FP_MUL ember_saturating_rounding_doubling_high_mul

static inline int32_t ember_fp_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t ember_fp_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

static inline int ember_fp_clz32(uint32_t x) {
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* x * 2^e: saturating for e > 0 (the bound is +-(2^(31-e) - 1), so -2^(31-e)
 * saturates too, as in gemmlowp), rounding half away from zero for e < 0. */
static inline int32_t ember_fp_mul_pot(int32_t x, int e) {
    if (e == 0) return x;
    if (e < 0) return ember_rounding_divide_by_pot(x, -e);
    const int32_t t = (int32_t)((INT64_C(1) << (31 - e)) - 1);
    if (x > t) return INT32_MAX;
    if (x < -t) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

static inline int32_t ember_fp_rounding_half_sum(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

static inline int32_t ember_fp_sat_add(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/* exp(a) for a in [-1/4, 0), Q0 -> Q0: Taylor series around -1/8. */
static inline int32_t ember_fp_exp_quarter(int32_t a) {
    const int32_t exp_m1_8 = 1895147668;      /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;
    const int32_t x = ember_fp_add(a, 1 << 28);
    const int32_t x2 = EMBER_FP_MUL(x, x);
    const int32_t x3 = EMBER_FP_MUL(x2, x);
    const int32_t x4 = EMBER_FP_MUL(x2, x2);
    const int32_t x4_4 = ember_fp_mul_pot(x4, -2);
    const int32_t poly =
        ember_fp_mul_pot(ember_fp_add(EMBER_FP_MUL(ember_fp_add(x4_4, x3), one_third), x2), -1);
    return ember_fp_add(exp_m1_8, EMBER_FP_MUL(exp_m1_8, ember_fp_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q(int_bits) (int_bits 1..30), result in Q0:
 * exp of the input's remainder modulo 1/4, times exp(-2^k) for each set
 * bit k of the rest (the "barrel shifter"). */
static inline int32_t ember_fp_exp_on_negative(int32_t a, int int_bits) {
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                    39332535, 720401, 242};   /* exp(-2^k), k = -2..4 */
    const int frac = 31 - int_bits;
    const int32_t quarter = (int32_t)1 << (frac - 2);
    const int32_t a_mod = ember_fp_sub(a & (quarter - 1), quarter);
    int32_t r = ember_fp_exp_quarter(ember_fp_mul_pot(a_mod, int_bits));
    const int32_t rem = ember_fp_sub(a_mod, a);
    for (int k = -2; k <= 4; k++)
        if (int_bits > k && (rem & ((int32_t)1 << (frac + k)))) r = EMBER_FP_MUL(r, mult[k + 2]);
    if (int_bits > 5 && a < -((int32_t)1 << (36 - int_bits))) r = 0;   /* below -32 */
    return a == 0 ? INT32_MAX : r;
}

/* 1 / (1 + a) for a in [0, 1), Q0 -> Q0 (Newton-Raphson, three steps). */
static inline int32_t ember_fp_one_over_one_plus_x(int32_t a) {
    const int32_t half_den = ember_fp_rounding_half_sum(a, INT32_MAX);
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540;   /* Q2 */
    int32_t x = ember_fp_add(c48_17, EMBER_FP_MUL(half_den, cm32_17));
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = ember_fp_sub(1 << 29, EMBER_FP_MUL(half_den, x));
        x = ember_fp_add(x, ember_fp_mul_pot(EMBER_FP_MUL(x, one_minus), 2));
    }
    return ember_fp_mul_pot(x, 1);
}

/* TFLite's GetReciprocal: 1/x for x > 0 in Q(int_digits) as a Q0 mantissa
 * and *bits_over_unit such that 1/x = mantissa * 2^-bits_over_unit. */
static inline int32_t ember_fp_reciprocal(int32_t x, int int_digits, int *bits_over_unit) {
    const int hp1 = ember_fp_clz32((uint32_t)x);
    *bits_over_unit = int_digits - hp1;
    const int32_t shifted_minus_one = (int32_t)(((uint32_t)x << hp1) - 0x80000000u);
    return ember_fp_one_over_one_plus_x(shifted_minus_one);
}

/* TFLite's log_x_for_x_greater_than_or_equal_to_1: x in Q(in_bits), result
 * in Q(out_bits), accumulated with out_bits + 1 integer bits. */
static inline int32_t ember_fp_log_ge1(int32_t x, int in_bits, int out_bits) {
    const int acc_bits = out_bits + 1;
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769,
                  alpha_f = 638450708;
    const int32_t quarter = ember_fp_mul_pot(536870912, -acc_bits);
    const int hp1 = ember_fp_clz32((uint32_t)x);
    const int32_t r_a_tmp = ember_fp_mul_pot(x, hp1 - 1);
    const int32_t r_a = ember_fp_mul_pot(EMBER_FP_MUL(r_a_tmp, sqrt_half), 1);
    const int32_t za_pow2 =
        ember_fp_sat_add(ember_fp_mul_pot(in_bits - hp1, 31 - acc_bits), quarter);
    const int32_t z_b = EMBER_FP_MUL(x, sqrt_half);
    const int zb_head = ember_fp_clz32((uint32_t)z_b) - 1;
    const int32_t r_b = ember_fp_mul_pot(x, zb_head);
    const int32_t zb_pow2 =
        ember_fp_sat_add(ember_fp_mul_pot(in_bits - zb_head, 31 - acc_bits), -quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_pow2 = za_pow2 > zb_pow2 ? za_pow2 : zb_pow2;
    const int32_t p = ember_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = ember_fp_sub(r, sqrt_sqrt_half);
    q = ember_fp_add(q, q);
    const int32_t sq = EMBER_FP_MUL(q, q);
    const int32_t num = ember_fp_add(EMBER_FP_MUL(q, r), EMBER_FP_MUL(EMBER_FP_MUL(q, sq), alpha_n));
    const int32_t den_m1 = ember_fp_add(
        EMBER_FP_MUL(p, ember_fp_add(ember_fp_add(alpha_i, q), EMBER_FP_MUL(alpha_d, sq))),
        EMBER_FP_MUL(alpha_f, q));
    const int32_t recip = ember_fp_one_over_one_plus_x(den_m1);
    const int32_t num_scaled = ember_fp_mul_pot(num, -acc_bits);
    return ember_fp_mul_pot(
        ember_fp_add(EMBER_FP_MUL(z_pow2, log_2), EMBER_FP_MUL(num_scaled, recip)),
        acc_bits - out_bits);
}

/* x / 2^e rounded half away from zero for 64-bit x and 0 <= e <= 62 (the
 * softmax output step when a row's sum is too large for TFLite's 31-bit
 * shift, where TFLite would abort). */
static inline int64_t ember_fp_rdbpot64(int64_t x, int e) {
    if (e == 0) return x;
    const int64_t mask = (INT64_C(1) << e) - 1;
    const int64_t rem = x & mask, thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (rem > thr ? 1 : 0);
}

#endif /* EMBER_QUANT_FIXEDPOINT_H */
