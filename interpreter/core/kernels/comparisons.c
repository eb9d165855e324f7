/*
 * comparisons.c — EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL
 * with NumPy broadcasting and a bool output.
 *
 * Types: float32, int32, int64 for all six; bool too for EQUAL/NOT_EQUAL
 * (compared as truth values). Quantised int8/uint8 compare both sides
 * after TFLite's rescaling ((q - zp) << 8, times the tensor's own scale as
 * a Q31 multiplier), so values on different scales compare by real value
 * exactly as TFLite does.
 * Float comparisons follow IEEE: anything involving NaN is false except
 * NOT_EQUAL, which is true.
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "quant_elementwise.h"

typedef struct qcmp_params {
    int32_t off1, off2, m1, m2;
    int s1, s2;
} qcmp_params;

typedef struct cmp_data {
    ember_bcast bc;
    ember_bc_row row;
    size_t esz;
    qcmp_params q;
} cmp_data;

#define CMP_ROW(NAME, T, AI, BI, EXPR)                                          \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const T *restrict a_ = (const T *)in[0];                                \
        const T *restrict b_ = (const T *)in[1];                                \
        uint8_t *restrict o_ = (uint8_t *)out;                                  \
        (void)pv;                                                               \
        for (size_t i = 0; i < n; i++) {                                        \
            const T x = a_[AI], y = b_[BI];                                     \
            o_[i] = (uint8_t)(EXPR);                                            \
        }                                                                       \
    }
#define CMP_ROWS(NAME, T, EXPR)                                                 \
    CMP_ROW(NAME##_ss, T, 0, 0, EXPR)                                           \
    CMP_ROW(NAME##_vs, T, i, 0, EXPR)                                           \
    CMP_ROW(NAME##_sv, T, 0, i, EXPR)                                           \
    CMP_ROW(NAME##_vv, T, i, i, EXPR)                                           \
    static const ember_bc_row NAME[4] = {NAME##_ss, NAME##_vs, NAME##_sv, NAME##_vv};
#define CMP_ALL(NAME, EXPR)                                                     \
    CMP_ROWS(NAME##_f32, float, EXPR)                                           \
    CMP_ROWS(NAME##_i32, int32_t, EXPR)                                         \
    CMP_ROWS(NAME##_i64, int64_t, EXPR)

CMP_ALL(eq, x == y)
CMP_ALL(ne, x != y)
CMP_ALL(lt, x < y)
CMP_ALL(le, x <= y)
CMP_ALL(gt, x > y)
CMP_ALL(ge, x >= y)
/* Quantised: both sides rescaled to a common fixed-point scale first. */
#define QV1(x) ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)(q_->off1 + (x)) << 8), q_->m1, q_->s1)
#define QV2(y) ember_multiply_by_quantized_multiplier((int32_t)((uint32_t)(q_->off2 + (y)) << 8), q_->m2, q_->s2)
#define QCMP_ROW(NAME, T, AI, BI, OP)                                           \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const T *restrict a_ = (const T *)in[0];                                \
        const T *restrict b_ = (const T *)in[1];                                \
        uint8_t *restrict o_ = (uint8_t *)out;                                  \
        const qcmp_params *q_ = (const qcmp_params *)pv;                        \
        for (size_t i = 0; i < n; i++) o_[i] = (uint8_t)(QV1(a_[AI]) OP QV2(b_[BI])); \
    }
#define QCMP_ROWS(NAME, T, OP)                                                  \
    QCMP_ROW(NAME##_ss, T, 0, 0, OP)                                            \
    QCMP_ROW(NAME##_vs, T, i, 0, OP)                                            \
    QCMP_ROW(NAME##_sv, T, 0, i, OP)                                            \
    QCMP_ROW(NAME##_vv, T, i, i, OP)                                            \
    static const ember_bc_row NAME[4] = {NAME##_ss, NAME##_vs, NAME##_sv, NAME##_vv};
#define QCMP_ALL(NAME, OP)                                                      \
    QCMP_ROWS(NAME##_qi8, int8_t, OP)                                           \
    QCMP_ROWS(NAME##_qu8, uint8_t, OP)                                          \
    QCMP_ROWS(NAME##_qi16, int16_t, OP)
QCMP_ALL(eq, ==)
QCMP_ALL(ne, !=)
QCMP_ALL(lt, <)
QCMP_ALL(le, <=)
QCMP_ALL(gt, >)
QCMP_ALL(ge, >=)

CMP_ROWS(eq_b, uint8_t, (x != 0) == (y != 0))
CMP_ROWS(ne_b, uint8_t, (x != 0) != (y != 0))

typedef struct cmp_spec {
    const char *name;
    const ember_bc_row *f32, *i32, *i64, *b, *qi8, *qu8, *qi16;
} cmp_spec;

static const cmp_spec SPEC_EQ = {"EQUAL", eq_f32, eq_i32, eq_i64, eq_b,
    eq_qi8, eq_qu8, eq_qi16};
static const cmp_spec SPEC_NE = {"NOT_EQUAL", ne_f32, ne_i32, ne_i64, ne_b,
    ne_qi8, ne_qu8, ne_qi16};
static const cmp_spec SPEC_LT = {"LESS", lt_f32, lt_i32, lt_i64, NULL,
    lt_qi8, lt_qu8, lt_qi16};
static const cmp_spec SPEC_LE = {"LESS_EQUAL", le_f32, le_i32, le_i64, NULL,
    le_qi8, le_qu8, le_qi16};
static const cmp_spec SPEC_GT = {"GREATER", gt_f32, gt_i32, gt_i64, NULL,
    gt_qi8, gt_qu8, gt_qi16};
static const cmp_spec SPEC_GE = {"GREATER_EQUAL", ge_f32, ge_i32, ge_i64, NULL,
    ge_qi8, ge_qu8, ge_qi16};

static void *cmp_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(cmp_data));
}

static ember_status cmp_prepare(ember_context *ctx, ember_node *node, const cmp_spec *s) {
    cmp_data *d = (cmp_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "%s: no op data", s->name);
    EMBER_CHECK(ember_ew_check_io(ctx, node, 2, 1));
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, a->type == b->type, "%s: input types differ (%s vs %s)", s->name,
                 ember_type_name(a->type), ember_type_name(b->type));
    EMBER_ENSURE(ctx, y->type == EMBER_TensorType_BOOL, "%s: output must be bool, not %s",
                 s->name, ember_type_name(y->type));
    const ember_bc_row *table = NULL;
    switch (a->type) {
    case EMBER_TensorType_FLOAT32: table = s->f32; break;
    case EMBER_TensorType_INT32: table = s->i32; break;
    case EMBER_TensorType_INT64: table = s->i64; break;
    case EMBER_TensorType_BOOL: table = s->b; break;
    case EMBER_TensorType_INT8:
    case EMBER_TensorType_UINT8:
    case EMBER_TensorType_INT16: {
        EMBER_CHECK(ember_qe_check_tensor(ctx, a, s->name, "input 0"));
        EMBER_CHECK(ember_qe_check_tensor(ctx, b, s->name, "input 1"));
        d->q.off1 = -ember_qe_zp(a);
        d->q.off2 = -ember_qe_zp(b);
        /* TFLite quantises the scale itself as the multiplier. */
        EMBER_CHECK(ember_qe_multiplier_lt1(ctx, (double)ember_qe_scale(a), &d->q.m1, &d->q.s1,
                                            s->name, "input 0 scale"));
        EMBER_CHECK(ember_qe_multiplier_lt1(ctx, (double)ember_qe_scale(b), &d->q.m2, &d->q.s2,
                                            s->name, "input 1 scale"));
        /* int16: LiteRT's reference kernel fails on quantised int16 and
         * TFLite Micro disagrees with the rescaled form, so it is refused
         * rather than guessed (the rows exist for when an oracle does). */
        table = a->type == EMBER_TensorType_INT8 ? s->qi8
                : a->type == EMBER_TensorType_UINT8 ? s->qu8 : NULL;
        break;
    }
    default: break;
    }
    if (!table)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s", s->name,
                          ember_type_name(a->type));
    const ember_tensor *in[2] = {a, b};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 2, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    ember_bcast_plan(&d->bc, 2, in, nd, dims);
    d->row = table[d->bc.pattern & 3u];
    d->esz = ember_type_size(a->type);
    return EMBER_OK;
}

static ember_status cmp_eval(ember_context *ctx, ember_node *node) {
    const cmp_data *d = (const cmp_data *)node->data;
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const void *base[2] = {a->data, b->data};
    const size_t esz[2] = {d->esz, d->esz};
    ember_bcast_run(ctx, &d->bc, base, esz, y->data, 1, d->row, &d->q);
    return EMBER_OK;
}

#define CMP_PREPARE(OP, SPEC)                                                   \
    static ember_status prepare_##OP(ember_context *ctx, ember_node *node) {    \
        return cmp_prepare(ctx, node, &SPEC);                                   \
    }
CMP_PREPARE(EQUAL, SPEC_EQ)
CMP_PREPARE(NOT_EQUAL, SPEC_NE)
CMP_PREPARE(LESS, SPEC_LT)
CMP_PREPARE(LESS_EQUAL, SPEC_LE)
CMP_PREPARE(GREATER, SPEC_GT)
CMP_PREPARE(GREATER_EQUAL, SPEC_GE)

const ember_kernel ember_kernel_EQUAL = {"EQUAL", cmp_init, NULL, prepare_EQUAL, cmp_eval};
const ember_kernel ember_kernel_NOT_EQUAL = {"NOT_EQUAL", cmp_init, NULL, prepare_NOT_EQUAL, cmp_eval};
const ember_kernel ember_kernel_LESS = {"LESS", cmp_init, NULL, prepare_LESS, cmp_eval};
const ember_kernel ember_kernel_LESS_EQUAL = {"LESS_EQUAL", cmp_init, NULL, prepare_LESS_EQUAL, cmp_eval};
const ember_kernel ember_kernel_GREATER = {"GREATER", cmp_init, NULL, prepare_GREATER, cmp_eval};
const ember_kernel ember_kernel_GREATER_EQUAL = {"GREATER_EQUAL", cmp_init, NULL,
                                                 prepare_GREATER_EQUAL, cmp_eval};
