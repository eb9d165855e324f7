/*
 * cast.c — CAST between bool, uint8, int8, int16, uint16, int32, uint32,
 * int64, uint64, float16, float32 and float64 (every pair; LiteRT accepts
 * all of them). The tensor types decide; CastOptions are informational.
 *
 * Conversion rules, checked against LiteRT:
 * - to bool: x != 0 (NaN is true); from bool: 0 or 1;
 * - integer -> integer: two's-complement wrap (keep the low bits);
 * - float -> integer: truncate toward zero and saturate at the target's
 *   range; NaN gives the target's maximum;
 * - -> float / float16: round to nearest even (float16 via float32; values
 *   beyond float16's range become inf).
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"

typedef uint16_t half_bits;

/* Source loads: bool is normalised to 0/1, float16 widened to float. */
#define LD_B(x) ((uint8_t)((x) != 0))
#define LD_I(x) (x)
#define LD_F(x) (x)
#define LD_H(x) ember_f16_to_f32(x)
/* Category of the loaded value: I (integer) or F (floating). */
#define CAT_B I
#define CAT_I I
#define CAT_F F
#define CAT_H F
/* Type of the loaded value. */
#define LT_B(T) uint8_t
#define LT_I(T) T
#define LT_F(T) T
#define LT_H(T) float

/* Conversions from a loaded value v (category I/F) to destination kind
 * B/I/F/H. DT: destination type, UT: its unsigned twin; LO/HI: its range;
 * LOM1/HIP1: LO - 1 and HI + 1 as floating constants (exact enough). */
#define CV_I_B(v, DT, UT, LO, HI, LOM1, HIP1) ((uint8_t)((v) != 0))
#define CV_F_B(v, DT, UT, LO, HI, LOM1, HIP1) ((uint8_t)((v) != 0))
#define CV_I_I(v, DT, UT, LO, HI, LOM1, HIP1) ((DT)(UT)(v))
#define CV_F_I(v, DT, UT, LO, HI, LOM1, HIP1)                                  \
    ((v) != (v) ? (DT)(HI) : (v) >= (HIP1) ? (DT)(HI) : (v) <= (LOM1) ? (DT)(LO) : (DT)(v))
#define CV_I_F(v, DT, UT, LO, HI, LOM1, HIP1) ((DT)(v))
#define CV_F_F(v, DT, UT, LO, HI, LOM1, HIP1) ((DT)(v))
#define CV_I_H(v, DT, UT, LO, HI, LOM1, HIP1) ember_f32_to_f16((float)(v))
#define CV_F_H(v, DT, UT, LO, HI, LOM1, HIP1) ember_f32_to_f16((float)(v))

#define CV_(C, K) CV_##C##_##K
#define CV(C, K) CV_(C, K)

/* X(tag, enum, ctype, utype, load kind, dest kind, LO, HI, LOM1, HIP1) */
#define CAST_TYPES_A(X, ...)                                                    \
    X(b, BOOL, uint8_t, uint8_t, B, B, 0, 1, 0, 0, __VA_ARGS__)                 \
    X(u8, UINT8, uint8_t, uint8_t, I, I, 0, UINT8_MAX, -1.0, 256.0, __VA_ARGS__) \
    X(i8, INT8, int8_t, uint8_t, I, I, INT8_MIN, INT8_MAX, -129.0, 128.0, __VA_ARGS__) \
    X(i16, INT16, int16_t, uint16_t, I, I, INT16_MIN, INT16_MAX, -32769.0, 32768.0, __VA_ARGS__) \
    X(u16, UINT16, uint16_t, uint16_t, I, I, 0, UINT16_MAX, -1.0, 65536.0, __VA_ARGS__) \
    X(i32, INT32, int32_t, uint32_t, I, I, INT32_MIN, INT32_MAX, -2147483649.0, 2147483648.0, __VA_ARGS__) \
    X(u32, UINT32, uint32_t, uint32_t, I, I, 0, UINT32_MAX, -1.0, 4294967296.0, __VA_ARGS__) \
    X(i64, INT64, int64_t, uint64_t, I, I, INT64_MIN, INT64_MAX, -9223372036854775808.0, 9223372036854775808.0, __VA_ARGS__) \
    X(u64, UINT64, uint64_t, uint64_t, I, I, 0, UINT64_MAX, -1.0, 18446744073709551616.0, __VA_ARGS__) \
    X(f16, FLOAT16, half_bits, half_bits, H, H, 0, 0, 0, 0, __VA_ARGS__)        \
    X(f32, FLOAT32, float, float, F, F, 0, 0, 0, 0, __VA_ARGS__)                \
    X(f64, FLOAT64, double, double, F, F, 0, 0, 0, 0, __VA_ARGS__)
/* The same list under a second name, for the inner loop of the cross product. */
#define CAST_TYPES_B(X, ...)                                                    \
    X(b, BOOL, uint8_t, uint8_t, B, B, 0, 1, 0, 0, __VA_ARGS__)                 \
    X(u8, UINT8, uint8_t, uint8_t, I, I, 0, UINT8_MAX, -1.0, 256.0, __VA_ARGS__) \
    X(i8, INT8, int8_t, uint8_t, I, I, INT8_MIN, INT8_MAX, -129.0, 128.0, __VA_ARGS__) \
    X(i16, INT16, int16_t, uint16_t, I, I, INT16_MIN, INT16_MAX, -32769.0, 32768.0, __VA_ARGS__) \
    X(u16, UINT16, uint16_t, uint16_t, I, I, 0, UINT16_MAX, -1.0, 65536.0, __VA_ARGS__) \
    X(i32, INT32, int32_t, uint32_t, I, I, INT32_MIN, INT32_MAX, -2147483649.0, 2147483648.0, __VA_ARGS__) \
    X(u32, UINT32, uint32_t, uint32_t, I, I, 0, UINT32_MAX, -1.0, 4294967296.0, __VA_ARGS__) \
    X(i64, INT64, int64_t, uint64_t, I, I, INT64_MIN, INT64_MAX, -9223372036854775808.0, 9223372036854775808.0, __VA_ARGS__) \
    X(u64, UINT64, uint64_t, uint64_t, I, I, 0, UINT64_MAX, -1.0, 18446744073709551616.0, __VA_ARGS__) \
    X(f16, FLOAT16, half_bits, half_bits, H, H, 0, 0, 0, 0, __VA_ARGS__)        \
    X(f32, FLOAT32, float, float, F, F, 0, 0, 0, 0, __VA_ARGS__)                \
    X(f64, FLOAT64, double, double, F, F, 0, 0, 0, 0, __VA_ARGS__)

/* One conversion loop: source (s*) to destination (d*). */
#define CAST_FN(dtag, dE, dT, dU, dL, dK, dLO, dHI, dLOM1, dHIP1, stag, sT, sL)  \
    static void cast_##stag##_##dtag(const void *in, void *out, size_t s, size_t e, \
                                     const void *pv) {                          \
        const sT *restrict x_ = (const sT *)in;                                 \
        dT *restrict y_ = (dT *)out;                                            \
        (void)pv;                                                               \
        for (size_t i = s; i < e; i++) {                                        \
            const LT_##sL(sT) v = LD_##sL(x_[i]);                               \
            y_[i] = CV(CAT_##sL, dK)(v, dT, dU, dLO, dHI, dLOM1, dHIP1);         \
        }                                                                       \
    }

#define CAST_SRC(stag, sE, sT, sU, sL, sK, a, b, c, d, ...) CAST_TYPES_B(CAST_FN, stag, sT, sL)
CAST_TYPES_A(CAST_SRC, ~)

#define CAST_ENUM(tag, ...) CI_##tag,
enum { CAST_TYPES_A(CAST_ENUM, ~) CI_COUNT };

#define CAST_ENT(dtag, dE, dT, dU, dL, dK, dLO, dHI, dLOM1, dHIP1, stag) cast_##stag##_##dtag,
#define CAST_ROW(stag, ...) {CAST_TYPES_B(CAST_ENT, stag)},
static const ember_ew_fn cast_table[CI_COUNT][CI_COUNT] = {CAST_TYPES_A(CAST_ROW, ~)};

#define CAST_CASE(tag, E, ...) case EMBER_TensorType_##E: return CI_##tag;
static int cast_index(int32_t type) {
    switch (type) {
    CAST_TYPES_A(CAST_CASE, ~)
    default: return -1;
    }
}

typedef struct cast_data {
    ember_ew_fn fn;
} cast_data;

static void *cast_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(cast_data));
}

static ember_status cast_prepare(ember_context *ctx, ember_node *node) {
    cast_data *d = (cast_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "CAST: no op data");
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int si = cast_index(x->type), di = cast_index(y->type);
    if (si < 0 || di < 0)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "CAST from %s to %s is not supported",
                          ember_type_name(x->type), ember_type_name(y->type));
    d->fn = cast_table[si][di];
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status cast_eval(ember_context *ctx, ember_node *node) {
    const cast_data *d = (const cast_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    ember_ew_run(ctx, d->fn, x->data, y->data, ember_num_elements(x), NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_CAST = {"CAST", cast_init, NULL, cast_prepare, cast_eval};
