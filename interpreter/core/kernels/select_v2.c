/*
 * select_v2.c — SELECT_V2: out = cond ? x : y with three-way NumPy
 * broadcasting of (cond, x, y). cond is bool; x, y and out share any
 * fixed-size type (the op only moves elements, so it is width-generic:
 * 1, 2, 4 or 8 bytes). Quantised x and y must carry the output's
 * quantisation: the raw values are copied unchanged, as TFLite copies them.
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "quant_elementwise.h"

typedef struct select_data {
    ember_bcast bc;
    ember_bc_row row;
    size_t esz;
} select_data;

/* SEL_ROW(name, T, ci, xi, yi): index expressions are `i` (contiguous) or
 * `0` (broadcast along the row). */
#define SEL_ROW(NAME, T, CI, XI, YI)                                            \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const uint8_t *restrict c_ = (const uint8_t *)in[0];                    \
        const T *restrict x_ = (const T *)in[1];                                \
        const T *restrict y_ = (const T *)in[2];                                \
        T *restrict o_ = (T *)out;                                              \
        (void)pv;                                                               \
        for (size_t i = 0; i < n; i++) o_[i] = c_[CI] ? x_[XI] : y_[YI];        \
    }
/* Table indexed by the inner pattern: bit0 cond, bit1 x, bit2 y contiguous. */
#define SEL_ROWS(NAME, T)                                                       \
    SEL_ROW(NAME##_0, T, 0, 0, 0)                                               \
    SEL_ROW(NAME##_1, T, i, 0, 0)                                               \
    SEL_ROW(NAME##_2, T, 0, i, 0)                                               \
    SEL_ROW(NAME##_3, T, i, i, 0)                                               \
    SEL_ROW(NAME##_4, T, 0, 0, i)                                               \
    SEL_ROW(NAME##_5, T, i, 0, i)                                               \
    SEL_ROW(NAME##_6, T, 0, i, i)                                               \
    SEL_ROW(NAME##_7, T, i, i, i)                                               \
    static const ember_bc_row NAME[8] = {NAME##_0, NAME##_1, NAME##_2, NAME##_3, \
                                         NAME##_4, NAME##_5, NAME##_6, NAME##_7};

SEL_ROWS(sel8, uint8_t)
SEL_ROWS(sel16, uint16_t)
SEL_ROWS(sel32, uint32_t)
SEL_ROWS(sel64, uint64_t)

static void *select_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(select_data));
}

static ember_status select_prepare(ember_context *ctx, ember_node *node) {
    select_data *d = (select_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "SELECT_V2: no op data");
    EMBER_CHECK(ember_ew_check_io(ctx, node, 3, 1));
    const ember_tensor *c = ember_input(ctx, node, 0), *x = ember_input(ctx, node, 1),
                       *y = ember_input(ctx, node, 2);
    ember_tensor *o = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, c->type == EMBER_TensorType_BOOL, "SELECT_V2: condition must be bool, not %s",
                 ember_type_name(c->type));
    EMBER_ENSURE(ctx, x->type == y->type && x->type == o->type,
                 "SELECT_V2: value and output types must match (%s, %s -> %s)",
                 ember_type_name(x->type), ember_type_name(y->type), ember_type_name(o->type));
    EMBER_CHECK(ember_qe_check_same(ctx, x, o, "SELECT_V2", "x"));
    EMBER_CHECK(ember_qe_check_same(ctx, y, o, "SELECT_V2", "y"));
    const ember_bc_row *table;
    switch (ember_type_size(x->type)) {
    case 1: table = sel8; break;
    case 2: table = sel16; break;
    case 4: table = sel32; break;
    case 8: table = sel64; break;
    default:
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "SELECT_V2 does not support %s",
                          ember_type_name(x->type));
    }
    const ember_tensor *in[3] = {c, x, y};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 3, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, o, nd, dims));
    ember_bcast_plan(&d->bc, 3, in, nd, dims);
    d->row = table[d->bc.pattern & 7u];
    d->esz = ember_type_size(x->type);
    return EMBER_OK;
}

static ember_status select_eval(ember_context *ctx, ember_node *node) {
    const select_data *d = (const select_data *)node->data;
    const ember_tensor *c = ember_input(ctx, node, 0), *x = ember_input(ctx, node, 1),
                       *y = ember_input(ctx, node, 2);
    ember_tensor *o = ember_output(ctx, node, 0);
    const void *base[3] = {c->data, x->data, y->data};
    const size_t esz[3] = {1, d->esz, d->esz};
    ember_bcast_run(ctx, &d->bc, base, esz, o->data, d->esz, d->row, NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_SELECT_V2 = {"SELECT_V2", select_init, NULL, select_prepare, select_eval};
