/*
 * binary.c — element-wise arithmetic with NumPy broadcasting:
 * ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW.
 *
 * Types (as LiteRT):
 *   ADD, SUB, MUL        float32, int32, int64   (fused activation)
 *                        int8, uint8, int16 quantised (fused activation)
 *   DIV                  float32, int32          (fused activation)
 *   SQUARED_DIFFERENCE   float32, int32, int8 quantised
 *   MAXIMUM, MINIMUM     float32, int32, int64, int8, uint8, int16 (raw
 *                        values compared, as TFLite: no rescaling)
 *   POW                  float32, int32
 *
 * Quantised arithmetic is TFLite's reference integer maths, bit for bit:
 * - ADD/SUB/SQUARED_DIFFERENCE rescale both inputs (offset, << left_shift,
 *   multiplier < 1) to twice the larger input scale, combine, and rescale to
 *   the output; left_shift is 20 for 8-bit, 15 for int16, 7 for
 *   SQUARED_DIFFERENCE (whose output multiplier is squared);
 * - int16 ADD/SUB with pot_scale_int16 (default true) and power-of-two
 *   scales on all three tensors use rounding right shifts only;
 * - MUL: (a - zp_a)(b - zp_b) times scale_a*scale_b/scale_out (the product
 *   formed in float, as LiteRT does);
 * - int16 needs zero points of 0.
 *
 * Semantics matched to LiteRT:
 * - integer ADD/SUB/MUL/SQUARED_DIFFERENCE wrap around on overflow;
 * - integer fused activations clamp to RELU [0, max], RELU6 [0, 6],
 *   RELU_N1_TO_1 [-1, 1];
 * - int32 DIV truncates toward zero, fails at eval on a zero divisor, and
 *   INT32_MIN / -1 gives INT32_MAX (the quotient is clamped to the range);
 * - MAXIMUM is `a > b ? a : b` and MINIMUM `a < b ? a : b`, so a NaN in b
 *   propagates and a NaN in a does not (as LiteRT on x86);
 * - int32 POW fails at eval on a negative exponent; results that do not fit
 *   int32 give INT32_MIN (LiteRT converts pow()'s double result on x86).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "conv_q.h"
#include "ember_kernel.h"
#include "elementwise_common.h"
#include "gemm.h"
#include "opt/qew.h"
#include "quant_elementwise.h"

/* Integer parameters of the quantised paths (TFLite's ArithmeticParams). */
typedef struct qbin_params {
    int32_t off1, off2, out_off;    /* -zp1, -zp2, +zp_out */
    int left_shift;                 /* 20 (8-bit), 15 (int16), 7 (SQUARED_DIFFERENCE) */
    int32_t m1, m2, mo;             /* Q31 multipliers */
    int s1, s2, so;                 /* their shifts (<= 0 for the inputs) */
    int32_t lo, hi;                 /* fused activation range, quantised */
} qbin_params;

typedef struct bin_params {
    float flo, fhi;                 /* float activation range */
    int64_t ilo, ihi;               /* integer activation range */
    qbin_params q;
    ember_qbin_vp v;                /* the same for the vector rows (opt/qew.h) */
} bin_params;

enum { CHECK_NONE = 0, CHECK_NONZERO = 1, CHECK_NONNEGATIVE = 2 };

typedef struct binary_data {
    ember_bcast bc;
    ember_bc_row row;
    ember_bc_rows blk;
    bin_params prm;
    size_t esz;
    int check;                      /* eval-time check on input 1's values */
    int vec;                        /* prm.v is filled: the vector rows may run */
} binary_data;

/* ---- scalar helpers ------------------------------------------------------ */

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
static inline int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
static inline int32_t wadd_i32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t wsub_i32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t wmul_i32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static inline int64_t wadd_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t wsub_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t wmul_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int32_t isqd32(int32_t a, int32_t b) {
    uint32_t d = (uint32_t)a - (uint32_t)b;
    return (int32_t)(d * d);
}
/* Quotient truncated toward zero, clamped to [lo, hi] (b != 0 checked). */
static inline int32_t idiv32(int32_t a, int32_t b, int32_t lo, int32_t hi) {
    int64_t q = (int64_t)a / (int64_t)(b ? b : 1);
    return (int32_t)(q < lo ? lo : (q > hi ? hi : q));
}
static inline int32_t ipow32(int32_t a, int32_t b) {
    double r = pow((double)a, (double)b);
    return (r >= -2147483648.0 && r < 2147483648.0) ? (int32_t)r : INT32_MIN;
}

/* ---- row functions ------------------------------------------------------- */
/* BIN_ROWS(name, Tin, Tout, expr(x, y), load, post) defines the four row
 * variants of o[i] = post(expr) indexed by the inner pattern:
 * [0] a and b broadcast, [1] a contiguous, [2] b contiguous, [3] both. */
#define BIN_ROW(NAME, TI, TO, AI, BI, EXPR, LOAD, POST)                         \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const TI *restrict a_ = (const TI *)in[0];                              \
        const TI *restrict b_ = (const TI *)in[1];                              \
        TO *restrict o_ = (TO *)out;                                            \
        const bin_params *prm = (const bin_params *)pv;                         \
        (void)prm;                                                              \
        LOAD()                                                                  \
        for (size_t i = 0; i < n; i++) {                                        \
            const TI x = a_[AI], y = b_[BI];                                    \
            o_[i] = POST(EXPR);                                                 \
        }                                                                       \
    }
/* The same loop nested in a loop over `rows` rows (see ember_bc_rows). */
#define BIN_BLK(NAME, TI, TO, AI, BI, EXPR, LOAD, POST)                         \
    static void NAME(const void *const *in, const size_t *rs, void *out, size_t rows, \
                     size_t n, const void *pv) {                                \
        const TI *a_r = (const TI *)in[0], *b_r = (const TI *)in[1];            \
        TO *o_r = (TO *)out;                                                    \
        const bin_params *prm = (const bin_params *)pv;                         \
        (void)prm;                                                              \
        LOAD()                                                                  \
        for (size_t r = 0; r < rows; r++, a_r += rs[0], b_r += rs[1], o_r += n) { \
            const TI *restrict a_ = a_r;                                        \
            const TI *restrict b_ = b_r;                                        \
            TO *restrict o_ = o_r;                                              \
            for (size_t i = 0; i < n; i++) {                                    \
                const TI x = a_[AI], y = b_[BI];                                \
                o_[i] = POST(EXPR);                                             \
            }                                                                   \
        }                                                                       \
    }
typedef struct bin_fns {
    ember_bc_row row[4];
    ember_bc_rows blk[4];
} bin_fns;
#define BIN_ROWS(NAME, TI, TO, EXPR, LOAD, POST)                                \
    BIN_ROW(NAME##_ss, TI, TO, 0, 0, EXPR, LOAD, POST)                          \
    BIN_ROW(NAME##_vs, TI, TO, i, 0, EXPR, LOAD, POST)                          \
    BIN_ROW(NAME##_sv, TI, TO, 0, i, EXPR, LOAD, POST)                          \
    BIN_ROW(NAME##_vv, TI, TO, i, i, EXPR, LOAD, POST)                          \
    BIN_BLK(NAME##_bss, TI, TO, 0, 0, EXPR, LOAD, POST)                         \
    BIN_BLK(NAME##_bvs, TI, TO, i, 0, EXPR, LOAD, POST)                         \
    BIN_BLK(NAME##_bsv, TI, TO, 0, i, EXPR, LOAD, POST)                         \
    BIN_BLK(NAME##_bvv, TI, TO, i, i, EXPR, LOAD, POST)                         \
    static const bin_fns NAME = {{NAME##_ss, NAME##_vs, NAME##_sv, NAME##_vv},  \
                                 {NAME##_bss, NAME##_bvs, NAME##_bsv, NAME##_bvv}};

#define NOLOAD()
#define NOPOST(v) (v)
#define LOAD_F() const float lo_ = prm->flo, hi_ = prm->fhi;
#define LOAD_I32() const int32_t lo_ = (int32_t)prm->ilo, hi_ = (int32_t)prm->ihi;
#define LOAD_I64() const int64_t lo_ = prm->ilo, hi_ = prm->ihi;
#define POST_F(v) ember_clampf((v), lo_, hi_)
#define POST_I32(v) clamp_i32((v), lo_, hi_)
#define POST_I64(v) clamp_i64((v), lo_, hi_)

/* float32: plain and with fused activation */
#define F32_ROWS(NAME, EXPR)                                                    \
    BIN_ROWS(NAME##_f32, float, float, EXPR, NOLOAD, NOPOST)                    \
    BIN_ROWS(NAME##_f32_act, float, float, EXPR, LOAD_F, POST_F)
#define I32_ROWS(NAME, EXPR)                                                    \
    BIN_ROWS(NAME##_i32, int32_t, int32_t, EXPR, NOLOAD, NOPOST)                \
    BIN_ROWS(NAME##_i32_act, int32_t, int32_t, EXPR, LOAD_I32, POST_I32)
#define I64_ROWS(NAME, EXPR)                                                    \
    BIN_ROWS(NAME##_i64, int64_t, int64_t, EXPR, NOLOAD, NOPOST)                \
    BIN_ROWS(NAME##_i64_act, int64_t, int64_t, EXPR, LOAD_I64, POST_I64)

F32_ROWS(add, x + y)
F32_ROWS(sub, x - y)
F32_ROWS(mul, x * y)
F32_ROWS(div, x / y)
BIN_ROWS(sqd_f32, float, float, (x - y) * (x - y), NOLOAD, NOPOST)
BIN_ROWS(max_f32, float, float, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_f32, float, float, x < y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(pow_f32, float, float, powf(x, y), NOLOAD, NOPOST)

I32_ROWS(add, wadd_i32(x, y))
I32_ROWS(sub, wsub_i32(x, y))
I32_ROWS(mul, wmul_i32(x, y))
BIN_ROWS(div_i32, int32_t, int32_t, idiv32(x, y, lo_, hi_), LOAD_I32, NOPOST)
BIN_ROWS(sqd_i32, int32_t, int32_t, isqd32(x, y), NOLOAD, NOPOST)
BIN_ROWS(max_i32, int32_t, int32_t, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_i32, int32_t, int32_t, x < y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(pow_i32, int32_t, int32_t, ipow32(x, y), NOLOAD, NOPOST)

I64_ROWS(add, wadd_i64(x, y))
I64_ROWS(sub, wsub_i64(x, y))
I64_ROWS(mul, wmul_i64(x, y))
BIN_ROWS(max_i64, int64_t, int64_t, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_i64, int64_t, int64_t, x < y ? x : y, NOLOAD, NOPOST)

BIN_ROWS(max_i8, int8_t, int8_t, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_i8, int8_t, int8_t, x < y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(max_u8, uint8_t, uint8_t, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_u8, uint8_t, uint8_t, x < y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(max_i16, int16_t, int16_t, x > y ? x : y, NOLOAD, NOPOST)
BIN_ROWS(min_i16, int16_t, int16_t, x < y ? x : y, NOLOAD, NOPOST)

/* ---- quantised arithmetic (TFLite's reference integer maths) --------------- */

/* max(lo, .) then min(hi, .), TFLite's order (matters only when lo > hi). */
static inline int32_t qclamp(int32_t v, int32_t lo, int32_t hi) {
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}
/* Both inputs brought to a common scale with 2^left_shift headroom, summed or
 * subtracted, then rescaled to the output. */
static inline int32_t q_in1(int32_t a, const qbin_params *q) {
    return ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)(q->off1 + a) << q->left_shift),
                                                  q->m1, q->s1);
}
static inline int32_t q_in2(int32_t b, const qbin_params *q) {
    return ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)(q->off2 + b) << q->left_shift),
                                                  q->m2, q->s2);
}
static inline int32_t q_out(int32_t raw, const qbin_params *q) {
    return qclamp(ember_multiply_by_quantized_multiplier(raw, q->mo, q->so) + q->out_off, q->lo, q->hi);
}
static inline int32_t qadd(int32_t a, int32_t b, const qbin_params *q) {
    return q_out(q_in1(a, q) + q_in2(b, q), q);
}
static inline int32_t qsub(int32_t a, int32_t b, const qbin_params *q) {
    return q_out(q_in1(a, q) - q_in2(b, q), q);
}
static inline int32_t qsqd(int32_t a, int32_t b, const qbin_params *q) {
    const int32_t d = q_in1(a, q) - q_in2(b, q);
    return q_out((int32_t)((uint32_t)d * (uint32_t)d), q);
}
static inline int32_t qmul(int32_t a, int32_t b, const qbin_params *q) {
    return q_out((q->off1 + a) * (q->off2 + b), q);
}
/* int16 with power-of-two scales: the input with the finer scale is
 * right-shifted (rounding) onto the output's scale; s1/s2 are those shifts. */
static inline int32_t qadd_pot(int32_t a, int32_t b, const qbin_params *q) {
    return qclamp(ember_rounding_divide_by_pot(a, q->s1) + ember_rounding_divide_by_pot(b, q->s2),
                  q->lo, q->hi);
}
static inline int32_t qsub_pot(int32_t a, int32_t b, const qbin_params *q) {
    return qclamp(ember_rounding_divide_by_pot(a, q->s1) - ember_rounding_divide_by_pot(b, q->s2),
                  q->lo, q->hi);
}

#define Q_ROWS(NAME, T, FN) BIN_ROWS(NAME, T, T, (T)FN(x, y, &prm->q), NOLOAD, NOPOST)
Q_ROWS(qadd_i8, int8_t, qadd)
Q_ROWS(qadd_u8, uint8_t, qadd)
Q_ROWS(qadd_i16, int16_t, qadd)
Q_ROWS(qsub_i8, int8_t, qsub)
Q_ROWS(qsub_u8, uint8_t, qsub)
Q_ROWS(qsub_i16, int16_t, qsub)
Q_ROWS(qmul_i8, int8_t, qmul)
Q_ROWS(qmul_u8, uint8_t, qmul)
Q_ROWS(qmul_i16, int16_t, qmul)
Q_ROWS(qsqd_i8, int8_t, qsqd)
Q_ROWS(qadd_pot_i16, int16_t, qadd_pot)
Q_ROWS(qsub_pot_i16, int16_t, qsub_pot)

/* ---- vector rows (8-bit ADD/SUB/MUL, opt/qbin_*.c) ------------------------------ */

#ifdef EMBER_HAVE_AVX2_BUILD
/* Row and block wrappers for one instruction set and operand mode: a block
 * is a run of rows (per-channel broadcasts of NHWC tensors: short rows of C
 * against one repeated row). */
#define QV_MODE(ISA, SFX, MODE)                                                 \
    static void qv_##ISA##_##SFX(const void *const *in, void *out, size_t n, const void *pv) { \
        ember_qbin_##ISA(&((const bin_params *)pv)->v, in[0], in[1], out, n, MODE); \
    }                                                                           \
    static void qv_##ISA##_b##SFX(const void *const *in, const size_t *rs, void *out, \
                                  size_t rows, size_t n, const void *pv) {      \
        const ember_qbin_vp *v = &((const bin_params *)pv)->v;                  \
        const char *a = (const char *)in[0], *b = (const char *)in[1];          \
        for (size_t r = 0; r < rows; r++)                                       \
            ember_qbin_##ISA(v, a + r * rs[0], b + r * rs[1], (char *)out + r * n, n, MODE); \
    }
#define QV_ROWS(ISA)                                                            \
    QV_MODE(ISA, vv, EMBER_QBIN_VV)                                             \
    QV_MODE(ISA, sv, EMBER_QBIN_SV)                                             \
    QV_MODE(ISA, vs, EMBER_QBIN_VS)                                             \
    static const bin_fns qv_##ISA = {{NULL, qv_##ISA##_vs, qv_##ISA##_sv, qv_##ISA##_vv}, \
                                     {NULL, qv_##ISA##_bvs, qv_##ISA##_bsv, qv_##ISA##_bvv}};
QV_ROWS(avx2)
QV_ROWS(avx512)
#endif

/* ---- op table -------------------------------------------------------------- */

enum { QK_NONE = 0, QK_ADD, QK_SUB, QK_MUL, QK_SQD };

typedef struct binary_spec {
    const char *name;
    int opt_table, act_field;       /* act_field < 0: the op has no activation */
    int check_i32;                  /* eval-time check for int32 */
    /* [type][act]: row tables; NULL = type unsupported */
    const bin_fns *f32[2], *i32[2], *i64[2], *i8, *u8, *i16;
    int qkind;                      /* quantised int8/uint8/int16 arithmetic, QK_* */
} binary_spec;

#define NO2 {NULL, NULL}
static const binary_spec SPEC_ADD = {"ADD", EMBER_BuiltinOptions_AddOptions,
    EMBER_AddOptions_fused_activation_function, CHECK_NONE,
    {&add_f32, &add_f32_act}, {&add_i32, &add_i32_act}, {&add_i64, &add_i64_act}, NULL, NULL, NULL,
    QK_ADD};
static const binary_spec SPEC_SUB = {"SUB", EMBER_BuiltinOptions_SubOptions,
    EMBER_SubOptions_fused_activation_function, CHECK_NONE,
    {&sub_f32, &sub_f32_act}, {&sub_i32, &sub_i32_act}, {&sub_i64, &sub_i64_act}, NULL, NULL, NULL,
    QK_SUB};
static const binary_spec SPEC_MUL = {"MUL", EMBER_BuiltinOptions_MulOptions,
    EMBER_MulOptions_fused_activation_function, CHECK_NONE,
    {&mul_f32, &mul_f32_act}, {&mul_i32, &mul_i32_act}, {&mul_i64, &mul_i64_act}, NULL, NULL, NULL,
    QK_MUL};
static const binary_spec SPEC_DIV = {"DIV", EMBER_BuiltinOptions_DivOptions,
    EMBER_DivOptions_fused_activation_function, CHECK_NONZERO,
    {&div_f32, &div_f32_act}, {&div_i32, &div_i32}, NO2, NULL, NULL, NULL, QK_NONE};
static const binary_spec SPEC_SQD = {"SQUARED_DIFFERENCE", 0, -1, CHECK_NONE,
    {&sqd_f32, &sqd_f32}, {&sqd_i32, &sqd_i32}, NO2, NULL, NULL, NULL, QK_SQD};
static const binary_spec SPEC_MAX = {"MAXIMUM", 0, -1, CHECK_NONE,
    {&max_f32, &max_f32}, {&max_i32, &max_i32}, {&max_i64, &max_i64}, &max_i8, &max_u8, &max_i16, QK_NONE};
static const binary_spec SPEC_MIN = {"MINIMUM", 0, -1, CHECK_NONE,
    {&min_f32, &min_f32}, {&min_i32, &min_i32}, {&min_i64, &min_i64}, &min_i8, &min_u8, &min_i16, QK_NONE};
static const binary_spec SPEC_POW = {"POW", 0, -1, CHECK_NONNEGATIVE,
    {&pow_f32, &pow_f32}, {&pow_i32, &pow_i32}, NO2, NULL, NULL, NULL, QK_NONE};

/* ---- checks on the second operand's values ----------------------------------- */

static ember_status check_values(ember_context *ctx, int check, const ember_tensor *t) {
    const int32_t *v = (const int32_t *)t->data;
    size_t n = ember_num_elements(t);
    int bad = 0;
    if (check == CHECK_NONZERO) {
        for (size_t i = 0; i < n; i++) bad |= v[i] == 0;
        if (bad) return ember_fail(ctx, EMBER_ERROR, "integer division by zero");
    } else if (check == CHECK_NONNEGATIVE) {
        for (size_t i = 0; i < n; i++) bad |= v[i] < 0;
        if (bad) return ember_fail(ctx, EMBER_ERROR, "int32 POW needs non-negative exponents");
    }
    return EMBER_OK;
}

/* ---- quantised prepare ------------------------------------------------------------ */

/* Copies the 8-bit ADD/SUB/MUL parameters into the vector rows' form when
 * their shifts are ones the vector code takes (opt/qew.h). */
static void fill_vec(binary_data *d, int32_t t, int kind) {
    d->vec = 0;
#ifdef EMBER_HAVE_AVX2_BUILD   /* the vector rows exist on x86-64 only */
    const qbin_params *q = &d->prm.q;
    ember_qbin_vp *v = &d->prm.v;
    if (t != EMBER_TensorType_INT8 && t != EMBER_TensorType_UINT8) return;
    v->kind = kind;
    v->u8 = t == EMBER_TensorType_UINT8;
    v->off1 = q->off1;
    v->off2 = q->off2;
    v->out_off = q->out_off;
    v->left_shift = kind == EMBER_QBIN_MUL ? 0 : q->left_shift;
    v->m1 = q->m1;
    v->m2 = q->m2;
    v->mo = q->mo;
    v->r1 = kind == EMBER_QBIN_MUL ? 0 : -q->s1;
    v->r2 = kind == EMBER_QBIN_MUL ? 0 : -q->s2;
    v->ro = q->so < 0 ? -q->so : 0;
    v->lo_shift = q->so > 0 ? q->so : 0;
    v->lo = q->lo;
    v->hi = q->hi;
    d->vec = v->r1 >= 0 && v->r1 <= 31 && v->r2 >= 0 && v->r2 <= 31 && v->ro <= 31 &&
             v->lo_shift <= 31 && q->m1 >= 0 && q->m2 >= 0 && q->mo >= 0;
#else
    (void)t;
    (void)kind;
#endif
}

/* Fills d->prm.q and returns the row table for a quantised ADD/SUB/MUL/
 * SQUARED_DIFFERENCE, deriving every parameter as LiteRT's kernels do
 * (add.cc, sub.cc, mul.cc, squared_difference.cc). */
static ember_status quant_prepare(ember_context *ctx, const ember_node *node, const binary_spec *s,
                                  int32_t act, const ember_tensor *a, const ember_tensor *b,
                                  const ember_tensor *y, binary_data *d, const bin_fns **table) {
    const int32_t t = a->type;
    qbin_params *q = &d->prm.q;
    *table = NULL;
    if (s->qkind == QK_SQD && t != EMBER_TensorType_INT8)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: quantised %s is not supported (int8 only)",
                          s->name, ember_type_name(t));
    EMBER_CHECK(ember_qe_check_tensor(ctx, a, s->name, "input 0"));
    EMBER_CHECK(ember_qe_check_tensor(ctx, b, s->name, "input 1"));
    EMBER_CHECK(ember_qe_check_tensor(ctx, y, s->name, "output"));
    if (t == EMBER_TensorType_INT16) {
        EMBER_CHECK(ember_qe_check_zp0(ctx, a, s->name, "input 0"));
        EMBER_CHECK(ember_qe_check_zp0(ctx, b, s->name, "input 1"));
        EMBER_CHECK(ember_qe_check_zp0(ctx, y, s->name, "output"));
    }
    const float sa = ember_qe_scale(a), sb = ember_qe_scale(b), so = ember_qe_scale(y);
    q->off1 = -ember_qe_zp(a);
    q->off2 = -ember_qe_zp(b);
    q->out_off = ember_qe_zp(y);
    if (s->qkind == QK_SQD) {
        q->lo = -128;
        q->hi = 127;
    } else {
        EMBER_CHECK(ember_qe_act_range(ctx, act, y, &q->lo, &q->hi));
    }

    if (s->qkind == QK_MUL) {
        /* LiteRT forms the product of the scales in float, then divides. */
        const float real = sa * sb / so;
        ember_quantize_multiplier((double)real, &q->mo, &q->so);
        *table = t == EMBER_TensorType_INT8 ? &qmul_i8 : t == EMBER_TensorType_UINT8 ? &qmul_u8 : &qmul_i16;
        fill_vec(d, t, EMBER_QBIN_MUL);
        return EMBER_OK;
    }

    /* int16 ADD/SUB: when the options ask for it (pot_scale_int16, default
     * true) and all three scales are powers of two, TFLite uses shifts only. */
    if (t == EMBER_TensorType_INT16 && s->qkind != QK_SQD) {
        int pot = s->qkind == QK_ADD
                      ? (int)ember_opt_int(node, EMBER_BuiltinOptions_AddOptions,
                                           EMBER_AddOptions_pot_scale_int16,
                                           EMBER_AddOptions_pot_scale_int16_DEFAULT)
                      : (int)ember_opt_int(node, EMBER_BuiltinOptions_SubOptions,
                                           EMBER_SubOptions_pot_scale_int16,
                                           EMBER_SubOptions_pot_scale_int16_DEFAULT);
        int la, lb, lo;
        if (pot && ember_qe_checked_log2(sa, &la) && ember_qe_checked_log2(sb, &lb) &&
            ember_qe_checked_log2(so, &lo)) {
            const int sh1 = la - lo, sh2 = lb - lo;
            if (!(sh1 == 0 || sh2 == 0) || sh1 > 0 || sh2 > 0)
                return ember_fail(ctx, EMBER_ERR_MODEL,
                                  "%s: int16 power-of-two scales need one input on the output's "
                                  "scale and the other no coarser (shifts %d, %d)", s->name, sh1, sh2);
            q->s1 = -sh1;
            q->s2 = -sh2;
            if (-sh1 > 31 || -sh2 > 31)
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: input scale shift beyond 31 bits",
                                  s->name);
            *table = s->qkind == QK_ADD ? &qadd_pot_i16 : &qsub_pot_i16;
            return EMBER_OK;
        }
    }

    q->left_shift = s->qkind == QK_SQD ? 7 : (t == EMBER_TensorType_INT16 ? 15 : 20);
    const double twice_max = 2.0 * (double)(sa > sb ? sa : sb);
    EMBER_CHECK(ember_qe_multiplier_lt1(ctx, (double)sa / twice_max, &q->m1, &q->s1, s->name,
                                              "input 0"));
    EMBER_CHECK(ember_qe_multiplier_lt1(ctx, (double)sb / twice_max, &q->m2, &q->s2, s->name,
                                              "input 1"));
    double real_out;
    if (s->qkind == QK_SQD)
        real_out = (twice_max * twice_max) / (double)((float)(1 << 14) * so);
    else
        real_out = twice_max / (double)((float)(1 << q->left_shift) * so);
    EMBER_CHECK(ember_qe_multiplier_lt1(ctx, real_out, &q->mo, &q->so, s->name, "output"));
    if (s->qkind == QK_ADD || s->qkind == QK_SUB)
        fill_vec(d, t, s->qkind == QK_ADD ? EMBER_QBIN_ADD : EMBER_QBIN_SUB);
    switch (s->qkind) {
    case QK_ADD:
        *table = t == EMBER_TensorType_INT8 ? &qadd_i8 : t == EMBER_TensorType_UINT8 ? &qadd_u8 : &qadd_i16;
        break;
    case QK_SUB:
        *table = t == EMBER_TensorType_INT8 ? &qsub_i8 : t == EMBER_TensorType_UINT8 ? &qsub_u8 : &qsub_i16;
        break;
    default: *table = &qsqd_i8; break;
    }
    return EMBER_OK;
}

/* ---- prepare / eval ------------------------------------------------------------- */

static void *binary_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(binary_data));
}

static ember_status binary_prepare(ember_context *ctx, ember_node *node, const binary_spec *s) {
    binary_data *d = (binary_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "%s: no op data", s->name);
    EMBER_CHECK(ember_ew_check_io(ctx, node, 2, 1));
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, a->type == b->type && a->type == y->type,
                 "%s: input and output types must match (%s, %s -> %s)", s->name,
                 ember_type_name(a->type), ember_type_name(b->type), ember_type_name(y->type));

    int32_t act = EMBER_ActivationFunctionType_NONE;
    if (s->act_field >= 0)
        act = (int32_t)ember_opt_int(node, s->opt_table, s->act_field, 0);
    int use_act = act != EMBER_ActivationFunctionType_NONE;

    const bin_fns *table = NULL;
    int64_t tmin = 0, tmax = 0;
    d->check = CHECK_NONE;
    d->vec = 0;
    switch (a->type) {
    case EMBER_TensorType_FLOAT32:
        table = s->f32[use_act];
        EMBER_CHECK(ember_act_range_f32(ctx, act, &d->prm.flo, &d->prm.fhi));
        break;
    case EMBER_TensorType_INT32:
        table = s->i32[use_act];
        tmin = INT32_MIN; tmax = INT32_MAX;
        d->check = s->check_i32;
        break;
    case EMBER_TensorType_INT64:
        table = s->i64[use_act];
        tmin = INT64_MIN; tmax = INT64_MAX;
        break;
    case EMBER_TensorType_INT8:
    case EMBER_TensorType_UINT8:
    case EMBER_TensorType_INT16:
        if (s->qkind != QK_NONE)
            EMBER_CHECK(quant_prepare(ctx, node, s, act, a, b, y, d, &table));
        else
            table = a->type == EMBER_TensorType_INT8 ? s->i8 : a->type == EMBER_TensorType_UINT8 ? s->u8 : s->i16;
        break;
    default: break;
    }
    if (!table)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s", s->name,
                          ember_type_name(a->type));
    if (a->type == EMBER_TensorType_INT32 || a->type == EMBER_TensorType_INT64)
        EMBER_CHECK(ember_act_range_int(ctx, act, tmin, tmax, &d->prm.ilo, &d->prm.ihi));

    const ember_tensor *in[2] = {a, b};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 2, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    ember_bcast_plan(&d->bc, 2, in, nd, dims);
    d->row = table->row[d->bc.pattern & 3u];
    d->blk = table->blk[d->bc.pattern & 3u];
#ifdef EMBER_HAVE_AVX2_BUILD
    if (d->vec && (d->bc.pattern & 3u) != 0) {
        const int path = ember_kernel_path();
        const bin_fns *vt = ember_qgemm8_usable(path) ? &qv_avx512 : path >= EMBER_PATH_AVX2 ? &qv_avx2 : NULL;
        if (vt) {
            d->row = vt->row[d->bc.pattern & 3u];
            d->blk = vt->blk[d->bc.pattern & 3u];
        }
    }
#endif
    d->esz = ember_type_size(a->type);

    /* A constant divisor / exponent is checked once, here. */
    if (d->check != CHECK_NONE && ember_is_const(b)) {
        EMBER_CHECK(check_values(ctx, d->check, b));
        d->check = CHECK_NONE;
    }
    return EMBER_OK;
}

static ember_status binary_eval(ember_context *ctx, ember_node *node) {
    const binary_data *d = (const binary_data *)node->data;
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->check != CHECK_NONE) EMBER_CHECK(check_values(ctx, d->check, b));
    const void *base[2] = {a->data, b->data};
    const size_t esz[2] = {d->esz, d->esz};
    ember_bcast_run_rows(ctx, &d->bc, base, esz, y->data, d->esz, d->row, d->blk, &d->prm);
    return EMBER_OK;
}

#define BINARY_KERNEL(OP, SPEC)                                                 \
    static ember_status prepare_##OP(ember_context *ctx, ember_node *node) {    \
        return binary_prepare(ctx, node, &SPEC);                                \
    }
BINARY_KERNEL(ADD, SPEC_ADD)
BINARY_KERNEL(SUB, SPEC_SUB)
BINARY_KERNEL(MUL, SPEC_MUL)
BINARY_KERNEL(DIV, SPEC_DIV)
BINARY_KERNEL(SQUARED_DIFFERENCE, SPEC_SQD)
BINARY_KERNEL(MAXIMUM, SPEC_MAX)
BINARY_KERNEL(MINIMUM, SPEC_MIN)
BINARY_KERNEL(POW, SPEC_POW)

const ember_kernel ember_kernel_ADD = {"ADD", binary_init, NULL, prepare_ADD, binary_eval};
const ember_kernel ember_kernel_SUB = {"SUB", binary_init, NULL, prepare_SUB, binary_eval};
const ember_kernel ember_kernel_MUL = {"MUL", binary_init, NULL, prepare_MUL, binary_eval};
const ember_kernel ember_kernel_DIV = {"DIV", binary_init, NULL, prepare_DIV, binary_eval};
const ember_kernel ember_kernel_SQUARED_DIFFERENCE = {"SQUARED_DIFFERENCE", binary_init, NULL,
                                                      prepare_SQUARED_DIFFERENCE, binary_eval};
const ember_kernel ember_kernel_MAXIMUM = {"MAXIMUM", binary_init, NULL, prepare_MAXIMUM, binary_eval};
const ember_kernel ember_kernel_MINIMUM = {"MINIMUM", binary_init, NULL, prepare_MINIMUM, binary_eval};
const ember_kernel ember_kernel_POW = {"POW", binary_init, NULL, prepare_POW, binary_eval};
