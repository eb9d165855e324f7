/* quant_common.c — see quant_common.h. */
#include <math.h>

#include "ember_kernel.h"
#include "quant_common.h"

void ember_quantize_multiplier(double real_multiplier, int32_t *quantized_multiplier, int *shift) {
    if (real_multiplier == 0.0 || !isfinite(real_multiplier)) {
        *quantized_multiplier = 0;
        *shift = 0;
        return;
    }
    int e = 0;
    double q = frexp(real_multiplier, &e);        /* |q| in [0.5, 1) */
    int64_t q_fixed = (int64_t)round(q * (double)(INT64_C(1) << 31));
    if (q_fixed == (INT64_C(1) << 31)) {          /* rounding carried into bit 31 */
        q_fixed /= 2;
        ++e;
    }
    if (e < -31) {                                /* flush to zero like TFLite */
        e = 0;
        q_fixed = 0;
    }
    *quantized_multiplier = (int32_t)q_fixed;
    *shift = e;
}

int ember_quant_type_range(int32_t type, int32_t *lo, int32_t *hi) {
    switch (type) {
    case EMBER_TensorType_INT8: *lo = -128; *hi = 127; return 1;
    case EMBER_TensorType_UINT8: *lo = 0; *hi = 255; return 1;
    case EMBER_TensorType_INT16: *lo = -32768; *hi = 32767; return 1;
    case EMBER_TensorType_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return 1;
    default: return 0;
    }
}
