/*
 * quant_lut.h — lookup tables for quantised activations, generated in
 * prepare exactly as TFLite generates them (LUTPopulate), plus TFLite's
 * fixed-point int16 LOGISTIC/TANH.
 *
 * 8-bit tables have 256 entries indexed by the raw input byte (an int8 value
 * v sits at (uint8_t)v). int16 tables have 513 entries: the top 9 bits of the
 * input pick an entry and the low 7 bits interpolate towards the next.
 */
#ifndef EMBER_QUANT_LUT_H
#define EMBER_QUANT_LUT_H

#include <stdint.h>

typedef float (*ember_lut_fn)(float x, const void *params);

/* type: EMBER_TensorType_INT8 or _UINT8. */
void ember_lut8_populate(int32_t type, float in_scale, int32_t in_zp, float out_scale,
                         int32_t out_zp, ember_lut_fn fn, const void *params, uint8_t lut[256]);
void ember_lut16_populate(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                          ember_lut_fn fn, const void *params, int16_t lut[513]);
/* The same in double precision: LiteRT builds the int16 SOFTMAX tables
 * (exp and 1/(1+x)) this way, and a few entries differ from the float
 * version's. */
typedef double (*ember_lut_fn64)(double x);
void ember_lut16_populate_f64(double in_scale, int32_t in_zp, double out_scale, int32_t out_zp,
                              ember_lut_fn64 fn, int16_t lut[513]);

static inline int16_t ember_lut16_lookup(int16_t v, const int16_t *lut) {
    const unsigned idx = (unsigned)(256 + (v >> 7));
    const int32_t off = v & 0x7f;
    const int32_t base = lut[idx], slope = lut[idx + 1] - lut[idx];
    return (int16_t)(base + ((slope * off + 64) >> 7));
}

/* TFLite's sigmoid(i/24) table in unsigned 0.16 fixed point, shared by the
 * int16 LOGISTIC and TANH (tanh(x) = 2 sigmoid(2x) - 1). */
extern const uint16_t ember_sigmoid_table_u16[256];

/* int16 LOGISTIC / TANH on an input pre-scaled so that 2^17 (LOGISTIC) /
 * 2^16 (TANH) stands for 10.7: x' = (x * multiplier + round) >> shift. */
static inline int16_t ember_logistic_i16(int16_t x, int32_t mult, int shift) {
    const int32_t rnd = shift > 0 ? 1 << (shift - 1) : 0;
    const int32_t v = (int32_t)(((int64_t)x * mult + rnd) >> shift);
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t ua = ember_sigmoid_table_u16[uh], ub = ember_sigmoid_table_u16[uh + 1];
        r = (ua << 9) + (a & 0x1ff) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
    return (int16_t)(r >> 10);
}
static inline int16_t ember_tanh_i16(int16_t x, int32_t mult, int shift) {
    const int32_t rnd = shift > 0 ? 1 << (shift - 1) : 0;
    const int32_t v = (int32_t)(((int64_t)x * mult + rnd) >> shift);
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255) {
        r = 0xFFFF << 8;
    } else {
        const uint32_t ua = ember_sigmoid_table_u16[uh], ub = ember_sigmoid_table_u16[uh + 1];
        r = (int32_t)((ua << 8) + (a & 0xff) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

#endif /* EMBER_QUANT_LUT_H */
