/*
 * prelu.c — PRELU (float32): out = x >= 0 ? x : x * alpha, with alpha
 * broadcast against x (NumPy rules; typically alpha is [C] or [1,1,C]).
 * The output takes the broadcast shape. Quantised PRELU is refused for now.
 */
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"

typedef struct prelu_data {
    ember_bcast bc;
    ember_bc_row row;
    ember_bc_rows blk;
} prelu_data;

#define PRELU_ROW(NAME, XI, AI)                                                 \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const float *restrict x_ = (const float *)in[0];                        \
        const float *restrict a_ = (const float *)in[1];                        \
        float *restrict o_ = (float *)out;                                      \
        (void)pv;                                                               \
        for (size_t i = 0; i < n; i++) {                                        \
            const float x = x_[XI], al = a_[AI];                                \
            const float pos = x >= 0.0f ? x : 0.0f, neg = x >= 0.0f ? 0.0f : x; \
            o_[i] = pos + al * neg;   /* == x >= 0 ? x : x * al, vectorisable */ \
        }                                                                       \
    }
#define PRELU_BLK(NAME, XI, AI)                                                 \
    static void NAME(const void *const *in, const size_t *rs, void *out, size_t rows, \
                     size_t n, const void *pv) {                                \
        const float *x_r = (const float *)in[0], *a_r = (const float *)in[1];   \
        float *o_r = (float *)out;                                              \
        (void)pv;                                                               \
        for (size_t r = 0; r < rows; r++, x_r += rs[0], a_r += rs[1], o_r += n) { \
            const float *restrict x_ = x_r;                                     \
            const float *restrict a_ = a_r;                                     \
            float *restrict o_ = o_r;                                           \
            for (size_t i = 0; i < n; i++) {                                    \
                const float x = x_[XI], al = a_[AI];                            \
                const float pos = x >= 0.0f ? x : 0.0f, neg = x >= 0.0f ? 0.0f : x; \
                o_[i] = pos + al * neg;                                         \
            }                                                                   \
        }                                                                       \
    }
PRELU_BLK(prelu_bss, 0, 0)
PRELU_BLK(prelu_bvs, i, 0)
PRELU_BLK(prelu_bsv, 0, i)
PRELU_BLK(prelu_bvv, i, i)
static const ember_bc_rows prelu_blks[4] = {prelu_bss, prelu_bvs, prelu_bsv, prelu_bvv};
PRELU_ROW(prelu_ss, 0, 0)
PRELU_ROW(prelu_vs, i, 0)
PRELU_ROW(prelu_sv, 0, i)
PRELU_ROW(prelu_vv, i, i)
static const ember_bc_row prelu_rows[4] = {prelu_ss, prelu_vs, prelu_sv, prelu_vv};

static void *prelu_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(prelu_data));
}

static ember_status prelu_prepare(ember_context *ctx, ember_node *node) {
    prelu_data *d = (prelu_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "PRELU: no op data");
    EMBER_CHECK(ember_ew_check_io(ctx, node, 2, 1));
    const ember_tensor *x = ember_input(ctx, node, 0), *a = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (x->type != EMBER_TensorType_FLOAT32 || a->type != EMBER_TensorType_FLOAT32 ||
        y->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "PRELU supports float32 only (%s, %s -> %s)",
                          ember_type_name(x->type), ember_type_name(a->type),
                          ember_type_name(y->type));
    const ember_tensor *in[2] = {x, a};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 2, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    ember_bcast_plan(&d->bc, 2, in, nd, dims);
    d->row = prelu_rows[d->bc.pattern & 3u];
    d->blk = prelu_blks[d->bc.pattern & 3u];
    return EMBER_OK;
}

static ember_status prelu_eval(ember_context *ctx, ember_node *node) {
    const prelu_data *d = (const prelu_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0), *a = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const void *base[2] = {x->data, a->data};
    const size_t esz[2] = {4, 4};
    ember_bcast_run_rows(ctx, &d->bc, base, esz, y->data, 4, d->row, d->blk, NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_PRELU = {"PRELU", prelu_init, NULL, prelu_prepare, prelu_eval};
