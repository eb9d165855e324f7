/*
 * logical.c — LOGICAL_AND, LOGICAL_OR (bool, NumPy broadcasting) and
 * LOGICAL_NOT (bool). Any non-zero byte counts as true; outputs are 0/1.
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"

typedef struct logical_data {
    ember_bcast bc;
    ember_bc_row row;
} logical_data;

#define LOG_ROW(NAME, AI, BI, EXPR)                                             \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const uint8_t *restrict a_ = (const uint8_t *)in[0];                    \
        const uint8_t *restrict b_ = (const uint8_t *)in[1];                    \
        uint8_t *restrict o_ = (uint8_t *)out;                                  \
        (void)pv;                                                               \
        for (size_t i = 0; i < n; i++) {                                        \
            const uint8_t x = a_[AI] != 0, y = b_[BI] != 0;                     \
            o_[i] = (uint8_t)(EXPR);                                            \
        }                                                                       \
    }
#define LOG_ROWS(NAME, EXPR)                                                    \
    LOG_ROW(NAME##_ss, 0, 0, EXPR)                                              \
    LOG_ROW(NAME##_vs, i, 0, EXPR)                                              \
    LOG_ROW(NAME##_sv, 0, i, EXPR)                                              \
    LOG_ROW(NAME##_vv, i, i, EXPR)                                              \
    static const ember_bc_row NAME[4] = {NAME##_ss, NAME##_vs, NAME##_sv, NAME##_vv};

LOG_ROWS(and_b, x & y)
LOG_ROWS(or_b, x | y)

static void *logical_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(logical_data));
}

static ember_status logical_prepare(ember_context *ctx, ember_node *node, const char *name,
                                    const ember_bc_row *table) {
    logical_data *d = (logical_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "%s: no op data", name);
    EMBER_CHECK(ember_ew_check_io(ctx, node, 2, 1));
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (a->type != EMBER_TensorType_BOOL || b->type != EMBER_TensorType_BOOL ||
        y->type != EMBER_TensorType_BOOL)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s needs bool tensors (%s, %s -> %s)",
                          name, ember_type_name(a->type), ember_type_name(b->type),
                          ember_type_name(y->type));
    const ember_tensor *in[2] = {a, b};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 2, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    ember_bcast_plan(&d->bc, 2, in, nd, dims);
    d->row = table[d->bc.pattern & 3u];
    return EMBER_OK;
}

static ember_status logical_eval(ember_context *ctx, ember_node *node) {
    const logical_data *d = (const logical_data *)node->data;
    const ember_tensor *a = ember_input(ctx, node, 0), *b = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const void *base[2] = {a->data, b->data};
    const size_t esz[2] = {1, 1};
    ember_bcast_run(ctx, &d->bc, base, esz, y->data, 1, d->row, NULL);
    return EMBER_OK;
}

static ember_status prepare_and(ember_context *ctx, ember_node *node) {
    return logical_prepare(ctx, node, "LOGICAL_AND", and_b);
}
static ember_status prepare_or(ember_context *ctx, ember_node *node) {
    return logical_prepare(ctx, node, "LOGICAL_OR", or_b);
}

/* ---- LOGICAL_NOT ---- */

static void logical_not_b(const uint8_t *restrict x, uint8_t *restrict y, size_t start, size_t end) {
    for (size_t i = start; i < end; i++) y[i] = (uint8_t)(x[i] == 0);
}

static void not_range(const void *in, void *out, size_t s, size_t e, const void *p) {
    (void)p;
    logical_not_b((const uint8_t *)in, (uint8_t *)out, s, e);
}

static ember_status prepare_not(ember_context *ctx, ember_node *node) {
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (x->type != EMBER_TensorType_BOOL || y->type != EMBER_TensorType_BOOL)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "LOGICAL_NOT needs bool tensors (%s -> %s)",
                          ember_type_name(x->type), ember_type_name(y->type));
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status eval_not(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    ember_ew_run(ctx, not_range, x->data, y->data, ember_num_elements(x), NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_LOGICAL_AND = {"LOGICAL_AND", logical_init, NULL, prepare_and, logical_eval};
const ember_kernel ember_kernel_LOGICAL_OR = {"LOGICAL_OR", logical_init, NULL, prepare_or, logical_eval};
const ember_kernel ember_kernel_LOGICAL_NOT = {"LOGICAL_NOT", NULL, NULL, prepare_not, eval_not};
