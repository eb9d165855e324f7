/*
 * fully_connected.c — FULLY_CONNECTED (float32).
 *
 * input [..., K] of any rank (flattened to [B, K], B = elements / K),
 * weights [O, K], optional bias [O] -> output [B, O], or with keep_num_dims
 * the input's shape with its last dimension replaced by O. weights_format
 * must be DEFAULT (shuffled int8 weights are refused).
 *
 * Paths: fully_connected_ref_f32 (plain loops, the oracle) and the shared
 * GEMM (A = input in place, weights packed once in prepare when constant,
 * else per eval into scratch).
 */
#include <string.h>

#include "gemm.h"

static void fully_connected_ref_f32(int32_t B, int32_t K, int32_t O, const float *in,
                                    const float *w, const float *bias, float lo, float hi,
                                    float *out) {
    for (int32_t b = 0; b < B; b++)
        for (int32_t o = 0; o < O; o++) {
            float acc = bias ? bias[o] : 0.0f;
            const float *x = in + (size_t)b * K, *wo = w + (size_t)o * K;
            for (int32_t k = 0; k < K; k++) acc += x[k] * wo[k];
            out[(size_t)b * O + o] = ember_clampf(acc, lo, hi);
        }
}

typedef struct fc_data {
    int32_t B, K, O;
    float lo, hi;
    int path;
    ember_gemm_b packed;
    int packed_const, pack_slot, tasks;
    ember_pbuf pack_mem;
} fc_data;

static void *fc_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(fc_data));
}

static ember_status fc_prepare(ember_context *ctx, ember_node *node) {
    fc_data *d = (fc_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "FULLY_CONNECTED: no op data");
    EMBER_ENSURE(ctx, node->n_inputs >= 2 && node->n_inputs <= 3 && node->n_outputs == 1,
                 "FULLY_CONNECTED needs 2 or 3 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && w && y, "FULLY_CONNECTED: missing input, weights or output");
    const int fmt = (int)ember_opt_int(node, EMBER_BuiltinOptions_FullyConnectedOptions,
                                       EMBER_FullyConnectedOptions_weights_format,
                                       EMBER_FullyConnectedOptionsWeightsFormat_DEFAULT);
    if (fmt != EMBER_FullyConnectedOptionsWeightsFormat_DEFAULT)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "FULLY_CONNECTED: weights_format %d is not supported", fmt);
    if (x->type != EMBER_TensorType_FLOAT32 || w->type != EMBER_TensorType_FLOAT32 ||
        (b && b->type != EMBER_TensorType_FLOAT32))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "FULLY_CONNECTED: only float32 is supported (input %s, weights %s)",
                          ember_type_name(x->type), ember_type_name(w->type));
    EMBER_ENSURE(ctx, w->ndim == 2, "FULLY_CONNECTED: weights must be 2-D");
    EMBER_ENSURE(ctx, x->ndim >= 1, "FULLY_CONNECTED: input must have a dimension");
    d->O = w->dims[0];
    d->K = w->dims[1];
    EMBER_ENSURE(ctx, d->K > 0 && d->O >= 0, "FULLY_CONNECTED: bad weights shape");
    const size_t total = ember_num_elements(x);
    EMBER_ENSURE(ctx, total % (size_t)d->K == 0,
                 "FULLY_CONNECTED: %zu input elements not a multiple of %d", total, (int)d->K);
    EMBER_ENSURE(ctx, total / (size_t)d->K <= INT32_MAX, "FULLY_CONNECTED: too large");
    d->B = (int32_t)(total / (size_t)d->K);
    if (b) EMBER_ENSURE(ctx, ember_num_elements(b) == (size_t)d->O,
                        "FULLY_CONNECTED: bias must have %d elements", (int)d->O);
    const int keep = (int)ember_opt_int(node, EMBER_BuiltinOptions_FullyConnectedOptions,
                                        EMBER_FullyConnectedOptions_keep_num_dims, 0);
    const int act = (int)ember_opt_int(node, EMBER_BuiltinOptions_FullyConnectedOptions,
                                       EMBER_FullyConnectedOptions_fused_activation_function, 0);
    EMBER_CHECK(ember_act_range_f32(ctx, act, &d->lo, &d->hi));
    int32_t dims[EMBER_MAX_DIMS];
    int nd;
    if (keep) {
        EMBER_ENSURE(ctx, x->dims[x->ndim - 1] == d->K,
                     "FULLY_CONNECTED: keep_num_dims needs last input dim %d == %d",
                     (int)x->dims[x->ndim - 1], (int)d->K);
        nd = x->ndim;
        memcpy(dims, x->dims, sizeof(int32_t) * (size_t)nd);
        dims[nd - 1] = d->O;
    } else {
        nd = 2;
        dims[0] = d->B;
        dims[1] = d->O;
    }
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));

    d->path = ember_kernel_path();
    d->pack_slot = -1;
    if (d->path == EMBER_PATH_REF || d->O == 0) return EMBER_OK;
    const size_t pfloats = ember_gemm_packed_floats(d->K, d->O);
    d->packed_const = ember_is_const(w) && (!b || ember_is_const(b));
    if (d->packed_const) {
        float *dst = (float *)ember_pbuf_get(ctx, &d->pack_mem, pfloats * sizeof(float));
        if (!dst) return EMBER_ERR_NOMEM;
        ember_gemm_pack_b((const float *)w->data, 1, d->K, d->K, d->O,
                          b ? (const float *)b->data : NULL, dst, &d->packed);
    } else {
        d->pack_slot = ember_request_scratch(ctx, node, pfloats * sizeof(float));
        if (d->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    d->tasks = ember_gemm_tasks(ctx, d->B, d->O, d->K);
    return EMBER_OK;
}

static ember_status fc_eval(ember_context *ctx, ember_node *node) {
    fc_data *d = (fc_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->path == EMBER_PATH_REF || d->O == 0) {
        fully_connected_ref_f32(d->B, d->K, d->O, (const float *)x->data, (const float *)w->data,
                                b ? (const float *)b->data : NULL, d->lo, d->hi,
                                (float *)y->data);
        return EMBER_OK;
    }
    if (!d->packed_const)
        ember_gemm_pack_b((const float *)w->data, 1, d->K, d->K, d->O,
                          b ? (const float *)b->data : NULL,
                          (float *)node->scratch[d->pack_slot], &d->packed);
    ember_gemm_job job;
    memset(&job, 0, sizeof job);
    job.M = d->B;
    job.b = &d->packed;
    job.a = (const float *)x->data;
    job.lda = d->K;
    job.c = (float *)y->data;
    job.ldc = d->O;
    job.lo = d->lo;
    job.hi = d->hi;
    job.path = d->path;
    job.tasks = d->tasks;
    ember_gemm_run(ctx, &job, NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_FULLY_CONNECTED = { "FULLY_CONNECTED", fc_init, NULL,
                                                    fc_prepare, fc_eval };
