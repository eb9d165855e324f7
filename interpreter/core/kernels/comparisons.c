/*
 * comparisons.c — EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL
 * with NumPy broadcasting and a bool output.
 *
 * Types: float32, int32, int64 for all six; bool too for EQUAL/NOT_EQUAL
 * (compared as truth values). Quantised int8/uint8 comparisons (which
 * rescale both sides first) are not implemented yet and are refused.
 * Float comparisons follow IEEE: anything involving NaN is false except
 * NOT_EQUAL, which is true.
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"

typedef struct cmp_data {
    ember_bcast bc;
    ember_bc_row row;
    size_t esz;
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
CMP_ROWS(eq_b, uint8_t, (x != 0) == (y != 0))
CMP_ROWS(ne_b, uint8_t, (x != 0) != (y != 0))

typedef struct cmp_spec {
    const char *name;
    const ember_bc_row *f32, *i32, *i64, *b;
} cmp_spec;

static const cmp_spec SPEC_EQ = {"EQUAL", eq_f32, eq_i32, eq_i64, eq_b};
static const cmp_spec SPEC_NE = {"NOT_EQUAL", ne_f32, ne_i32, ne_i64, ne_b};
static const cmp_spec SPEC_LT = {"LESS", lt_f32, lt_i32, lt_i64, NULL};
static const cmp_spec SPEC_LE = {"LESS_EQUAL", le_f32, le_i32, le_i64, NULL};
static const cmp_spec SPEC_GT = {"GREATER", gt_f32, gt_i32, gt_i64, NULL};
static const cmp_spec SPEC_GE = {"GREATER_EQUAL", ge_f32, ge_i32, ge_i64, NULL};

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
    ember_bcast_run(ctx, &d->bc, base, esz, y->data, 1, d->row, NULL);
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
