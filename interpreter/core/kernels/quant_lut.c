/* quant_lut.c — see quant_lut.h.
 *
 * The generators repeat TFLite's float arithmetic step by step; each product
 * goes through a volatile so that no compiler fuses it into an FMA (the
 * build allows contraction), which would change rounding and thus entries. */
#include <math.h>

#include "ember_kernel.h"
#include "quant_lut.h"

static float fl(volatile float v) { return v; }

void ember_lut8_populate(int32_t type, float in_scale, int32_t in_zp, float out_scale,
                         int32_t out_zp, ember_lut_fn fn, const void *params, uint8_t lut[256]) {
    const int is_signed = type == EMBER_TensorType_INT8;
    const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    const float inv = 1.0f / out_scale;
    for (int32_t v = lo; v <= hi; v++) {
        const float x = fl(in_scale * (float)(v - in_zp));
        const float r = roundf(fl(fn(x, params) * inv));
        int32_t q = (int32_t)(r + (float)out_zp);
        q = q > hi ? hi : (q < lo ? lo : q);
        lut[(uint8_t)v] = (uint8_t)q;
    }
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

void ember_lut16_populate(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                          ember_lut_fn fn, const void *params, int16_t lut[513]) {
    const float in_min = fl(in_scale * (float)(-32768 - in_zp));
    const float in_max = fl(in_scale * (float)(32767 - in_zp));
    const float out_min = fl(out_scale * (float)(-32768 - out_zp));
    const float out_max = fl(out_scale * (float)(32767 - out_zp));
    const int steps = 512;
    const float step = (in_max - in_min) / (float)steps;
    const float half = step / 2.0f;
    const float inv = 65536.0f / (out_max - out_min);
    for (int i = 0; i < steps; i++) {
        const float x0 = in_min + fl((float)i * step);
        const float x1 = in_min + fl((float)(i + 1) * step);
        const float val = fn(x0, params);
        const float mid = fn(fl(in_min + fl((float)i * step)) + half, params);
        const float next = fn(x1, params);
        const float sample = roundf(fl(val * inv));
        const float interp = roundf((fl(next * inv) + sample) / 2.0f);
        const float midv = roundf(fl(mid * inv));
        const float bias = roundf((interp - midv) / 2.0f);
        lut[i] = (int16_t)clampf(sample - bias, -32768.0f, 32767.0f);
    }
    lut[steps] = (int16_t)clampf(roundf(fl(fn(in_max, params) * inv)), -32768.0f, 32767.0f);
}

static double fl64(volatile double v) { return v; }
static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

void ember_lut16_populate_f64(double in_scale, int32_t in_zp, double out_scale, int32_t out_zp,
                              ember_lut_fn64 fn, int16_t lut[513]) {
    const double in_min = fl64(in_scale * (double)(-32768 - in_zp));
    const double in_max = fl64(in_scale * (double)(32767 - in_zp));
    const double out_min = fl64(out_scale * (double)(-32768 - out_zp));
    const double out_max = fl64(out_scale * (double)(32767 - out_zp));
    const int steps = 512;
    const double step = (in_max - in_min) / (double)steps;
    const double half = step / 2.0;
    const double inv = 65536.0 / (out_max - out_min);
    for (int i = 0; i < steps; i++) {
        const double val = fn(in_min + fl64((double)i * step));
        const double mid = fn(fl64(in_min + fl64((double)i * step)) + half);
        const double next = fn(in_min + fl64((double)(i + 1) * step));
        const double sample = round(fl64(val * inv));
        const double interp = round((fl64(next * inv) + sample) / 2.0);
        const double midv = round(fl64(mid * inv));
        const double bias = round((interp - midv) / 2.0);
        lut[i] = (int16_t)clampd(sample - bias, -32768.0, 32767.0);
    }
    lut[steps] = (int16_t)clampd(round(fl64(fn(in_max) * inv)), -32768.0, 32767.0);
}

/* The values of TFLite's sigmoid_table_uint16 (a fixed table, not a formula
 * Ember could regenerate exactly; bit-exact int16 LOGISTIC/TANH need it). */
const uint16_t ember_sigmoid_table_u16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};
