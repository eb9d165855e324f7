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
 *
 * Quantised (conv_q.h has the arithmetic and the checks): int8 (per-tensor
 * weights with any zero point, or per-channel symmetric), uint8 legacy and
 * int16x8 (int64 or int32 bias). int8/uint8 run the integer GEMM on blocks
 * of FCQ_MC input rows (zero point subtracted into int16) and requantise
 * each block; int16 and the reference path run fully_connected_ref_q. On
 * AVX-512 VNNI CPUs int8 with constant symmetric weights multiplies the
 * int8 input rows in place with the byte GEMM (conv_q.h).
 *
 * Hybrid (float32 input/output, constant-or-not int8 weights, per-tensor or
 * per-channel symmetric), as LiteRT runs it: each input row is quantised on
 * the fly to int8 (symmetric, or asymmetric with a per-row zero point when
 * asymmetric_quantize_inputs is set; quant_common.h), the integer dot
 * products are exact, and y = bias + dot * (row scale x weight scale), then
 * the float activation. The ref path loops; the others reuse the integer
 * GEMM (same integers, so the same floats).
 */
#include <string.h>

#include "conv_q.h"
#include "gemm.h"

#define FCQ_MC 32   /* input rows per integer GEMM block */

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

/* The vector paths' state: allocated only once prepare picks one, so
 * reference-only devices keep none of it. */
typedef struct fc_fast {
    ember_gemm_b packed;
    int packed_const, pack_slot, tasks;
    ember_pbuf pack_mem;
    ember_qgemm_b qpacked;
    int work_slot;              /* per task: FCQ_MC x Kp int16 + FCQ_MC x O int32 */
    size_t work_per_task;
    int q8;                     /* VNNI byte GEMM (bias folded into its init) */
    ember_qgemm8_b q8b;
    ember_pbuf q8_mem;
} fc_fast;

typedef struct fc_data {
    int32_t B, K, O;
    float lo, hi;
    int path;
    fc_fast *fx;                /* kept across re-prepares */
    int fast;                   /* 1: eval takes the vector path through fx */
    /* quantised */
    int quant;
    ember_convq q;
    /* hybrid */
    int hybrid, asym, per_channel;
    const float *wscale;        /* weights' scales (1 or O) */
    int hq_slot;                /* B*K int8 + B floats (scales) + B int32 (zero points) */
} fc_data;

/* Turns the vector path on, its state allocated on first use. */
static ember_status fc_go_fast(ember_context *ctx, fc_data *d) {
    if (!d->fx) {
        d->fx = (fc_fast *)ember_alloc_persistent(ctx, sizeof(fc_fast));
        if (!d->fx) return EMBER_ERR_NOMEM;
    }
    d->fast = 1;
    return EMBER_OK;
}

/* Plain loops over any integer variant (the oracle, and the int16 path):
 * 64-bit sums, reduced to TFLite's int32 wrap-around by ember_convq_finish
 * where TFLite accumulates in int32. */
static void fully_connected_ref_q(const ember_convq *q, int32_t B, int32_t K, int32_t O,
                                  const void *in, const void *w, const void *bias, void *out) {
    const int32_t wt = q->type == EMBER_TensorType_UINT8 ? EMBER_TensorType_UINT8 : EMBER_TensorType_INT8;
    for (int32_t b = 0; b < B; b++)
        for (int32_t o = 0; o < O; o++) {
            int64_t acc = 0;
            for (int32_t k = 0; k < K; k++)
                acc += (int64_t)(ember_q_load(in, q->type, (size_t)b * K + k) - q->in_zp) *
                       (ember_q_load(w, wt, (size_t)o * K + k) - q->w_zp);
            ember_q_store(out, q->type, (size_t)b * O + o, ember_convq_finish(q, acc, bias, o));
        }
}

typedef struct fcq_arg {
    const fc_data *d;
    const void *in, *bias;
    void *out;
    char *work;
} fcq_arg;

/* Row blocks [task share) of the int8/uint8 GEMM path. */
static void fcq_task(void *varg, int task, int n_tasks) {
    const fcq_arg *t = (const fcq_arg *)varg;
    const fc_data *d = t->d;
    const ember_convq *q = &d->q;
    const int32_t K = d->K, Kp = d->fx->qpacked.Kp, O = d->O;
    int16_t *a = (int16_t *)(t->work + d->fx->work_per_task * (size_t)task);
    int32_t *acc = (int32_t *)(a + (size_t)FCQ_MC * Kp);
    const int32_t blocks = (d->B + FCQ_MC - 1) / FCQ_MC;
    const int32_t b0 = (int32_t)((int64_t)blocks * task / n_tasks);
    const int32_t b1 = (int32_t)((int64_t)blocks * (task + 1) / n_tasks);
#ifdef EMBER_HAVE_AVX2_BUILD
    if (d->fx->q8) {
        acc = (int32_t *)(t->work + d->fx->work_per_task * (size_t)task);
        for (int32_t blk = b0; blk < b1; blk++) {
            const int32_t m0 = blk * FCQ_MC;
            const int32_t mc = d->B - m0 < FCQ_MC ? d->B - m0 : FCQ_MC;
            const ember_qgemm8_rq rq = {q->mult, q->shift, q->out_zp, q->act_lo, q->act_hi};
            (void)acc;
            ember_qgemm8_vnni_rq(mc, (const int8_t *)t->in + (size_t)m0 * K, K, &d->fx->q8b, &rq,
                                 (int8_t *)t->out + (size_t)m0 * O, O);
        }
        return;
    }
#endif
    for (int32_t blk = b0; blk < b1; blk++) {
        const int32_t m0 = blk * FCQ_MC;
        const int32_t mc = d->B - m0 < FCQ_MC ? d->B - m0 : FCQ_MC;
        for (int32_t i = 0; i < mc; i++) {
            int16_t *row = a + (size_t)i * Kp;
            const size_t base = (size_t)(m0 + i) * K;
            if (q->type == EMBER_TensorType_INT8) {
                const int8_t *x = (const int8_t *)t->in + base;
                for (int32_t k = 0; k < K; k++) row[k] = (int16_t)(x[k] - q->in_zp);
            } else {
                const uint8_t *x = (const uint8_t *)t->in + base;
                for (int32_t k = 0; k < K; k++) row[k] = (int16_t)(x[k] - q->in_zp);
            }
            if (Kp > K) row[K] = 0;
        }
        ember_qgemm_block(d->path, mc, a, Kp, &d->fx->qpacked, acc, O);
        ember_convq_requant_rows(q, d->path, acc, O, mc, t->bias, 0, O, (int8_t *)t->out + (size_t)m0 * O, O);
    }
}

/* ---- hybrid ----------------------------------------------------------------- */

/* bias + dot * scale as LiteRT: the row's scale times the weights' (a
 * float product), then the fused float activation. */
static inline float fch_finish(const fc_data *d, const ember_hybrid_rows *r, const float *bias,
                               int32_t b, int32_t o, int32_t dot) {
    const float scale = r->scale[b] * d->wscale[d->per_channel ? o : 0];
    const float v = (bias ? bias[o] : 0.0f) + (float)dot * scale;
    return ember_clampf(v, d->lo, d->hi);
}

static void fch_quantize(const fc_data *d, const float *x, ember_hybrid_rows *r) {
    for (int32_t b = 0; b < d->B; b++) {
        const float *xb = x + (size_t)b * d->K;
        int8_t *qb = r->q + (size_t)b * d->K;
        if (d->asym) {
            ember_quantize_floats_asymmetric(xb, (size_t)d->K, qb, &r->scale[b], &r->zp[b]);
        } else {
            ember_quantize_floats_symmetric(xb, (size_t)d->K, qb, &r->scale[b]);
            r->zp[b] = 0;
        }
    }
}

static void fch_ref(const fc_data *d, const ember_hybrid_rows *r, const int8_t *w, const float *bias,
                    float *out) {
    for (int32_t b = 0; b < d->B; b++)
        for (int32_t o = 0; o < d->O; o++) {
            const int8_t *x = r->q + (size_t)b * d->K, *wo = w + (size_t)o * d->K;
            int32_t dot = 0;
            for (int32_t k = 0; k < d->K; k++) dot += (x[k] - r->zp[b]) * wo[k];
            out[(size_t)b * d->O + o] = fch_finish(d, r, bias, b, o, dot);
        }
}

typedef struct fch_arg {
    const fc_data *d;
    const ember_hybrid_rows *r;
    const float *bias;
    float *out;
    char *work;
} fch_arg;

static void fch_task(void *varg, int task, int n_tasks) {
    const fch_arg *t = (const fch_arg *)varg;
    const fc_data *d = t->d;
    const int32_t K = d->K, Kp = d->fx->qpacked.Kp, O = d->O;
    int16_t *a = (int16_t *)(t->work + d->fx->work_per_task * (size_t)task);
    int32_t *acc = (int32_t *)(a + (size_t)FCQ_MC * Kp);
    const int32_t blocks = (d->B + FCQ_MC - 1) / FCQ_MC;
    const int32_t b0 = (int32_t)((int64_t)blocks * task / n_tasks);
    const int32_t b1 = (int32_t)((int64_t)blocks * (task + 1) / n_tasks);
    for (int32_t blk = b0; blk < b1; blk++) {
        const int32_t m0 = blk * FCQ_MC;
        const int32_t mc = d->B - m0 < FCQ_MC ? d->B - m0 : FCQ_MC;
        for (int32_t i = 0; i < mc; i++) {
            int16_t *row = a + (size_t)i * Kp;
            const int8_t *x = t->r->q + (size_t)(m0 + i) * K;
            const int32_t zp = t->r->zp[m0 + i];
            for (int32_t k = 0; k < K; k++) row[k] = (int16_t)(x[k] - zp);
            if (Kp > K) row[K] = 0;
        }
        ember_qgemm_block(d->path, mc, a, Kp, &d->fx->qpacked, acc, O);
        for (int32_t i = 0; i < mc; i++)
            for (int32_t o = 0; o < O; o++)
                t->out[(size_t)(m0 + i) * O + o] =
                    fch_finish(d, t->r, t->bias, m0 + i, o, acc[(size_t)i * O + o]);
    }
}

/* Threads for an integer GEMM over the batch rows: one unless the work pays for more. */
static int fcq_tasks(ember_context *ctx, const fc_data *d) {
    const int32_t blocks = (d->B + FCQ_MC - 1) / FCQ_MC;
    int nt = ember_num_threads(ctx);
    if (nt < 1 || 2.0 * d->B * (double)d->O * d->K < 4.0e5) nt = 1;
    return nt > blocks ? blocks : nt;
}

/* The int16-operand integer GEMM (hybrid and quantised paths): weights packed
 * once (zero point w_zp subtracted) when constant, else into a scratch slot
 * per eval; per-task work buffers. */
static ember_status fcq_gemm_prepare(ember_context *ctx, ember_node *node, fc_data *d,
                                     const ember_tensor *w, int32_t w_zp) {
    const size_t pel = ember_qgemm_packed_elems(d->K, d->O);
    d->fx->packed_const = ember_is_const(w);
    if (d->fx->packed_const) {
        int16_t *dst = (int16_t *)ember_pbuf_get(ctx, &d->fx->pack_mem, pel * sizeof(int16_t));
        if (!dst) return EMBER_ERR_NOMEM;
        ember_qgemm_pack_b(w->data, w->type, w_zp, d->K, d->K, d->O, dst, &d->fx->qpacked);
    } else {
        d->fx->pack_slot = ember_request_scratch(ctx, node, pel * sizeof(int16_t));
        if (d->fx->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    const int nt = fcq_tasks(ctx, d);
    d->fx->tasks = nt;
    const size_t kp = (size_t)ember_qgemm_kp(d->K);
    d->fx->work_per_task = ((size_t)FCQ_MC * kp * sizeof(int16_t) + (size_t)FCQ_MC * d->O * sizeof(int32_t) + 15) & ~(size_t)15;
    d->fx->work_slot = ember_request_scratch(ctx, node, d->fx->work_per_task * (size_t)nt);
    return d->fx->work_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
}

static ember_status fch_prepare(ember_context *ctx, ember_node *node, fc_data *d,
                                const ember_tensor *w, const ember_tensor *b,
                                const ember_tensor *y, int act) {
    const char *op = "FULLY_CONNECTED";
    EMBER_CHECK(ember_hybrid_weights_check(ctx, op, "weights", w, b, y, d->O, 0));
    d->per_channel = w->q.count > 1;
    d->wscale = w->q.scale;
    d->asym = (int)ember_opt_int(node, EMBER_BuiltinOptions_FullyConnectedOptions,
                                 EMBER_FullyConnectedOptions_asymmetric_quantize_inputs, 0) != 0;
    EMBER_CHECK(ember_act_range_f32(ctx, act, &d->lo, &d->hi));
    d->hq_slot = ember_request_scratch(ctx, node, ember_hybrid_rows_bytes((size_t)d->B, (size_t)d->K));
    if (d->hq_slot < 0) return EMBER_ERR_NOMEM;
    d->fast = 0;
    if (d->path == EMBER_PATH_REF || d->O == 0 || d->B == 0) return EMBER_OK;
    EMBER_CHECK(fc_go_fast(ctx, d));
    d->fx->pack_slot = -1;
    return fcq_gemm_prepare(ctx, node, d, w, 0);
}

static ember_status fch_eval(ember_context *ctx, ember_node *node, fc_data *d,
                             const ember_tensor *x, const ember_tensor *w,
                             const ember_tensor *b, ember_tensor *y) {
    ember_hybrid_rows r = ember_hybrid_rows_at(node->scratch[d->hq_slot], (size_t)d->B, (size_t)d->K);
    fch_quantize(d, (const float *)x->data, &r);
    const float *bias = b ? (const float *)b->data : NULL;
    if (!d->fast) {
        fch_ref(d, &r, (const int8_t *)w->data, bias, (float *)y->data);
        return EMBER_OK;
    }
    if (!d->fx->packed_const)
        ember_qgemm_pack_b(w->data, w->type, 0, d->K, d->K, d->O,
                           (int16_t *)node->scratch[d->fx->pack_slot], &d->fx->qpacked);
    fch_arg arg = {d, &r, bias, (float *)y->data, (char *)node->scratch[d->fx->work_slot]};
    if (d->fx->tasks > 1) ember_parallel_for(ctx, d->fx->tasks, fch_task, &arg);
    else fch_task(&arg, 0, 1);
    return EMBER_OK;
}

static void *fc_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(fc_data));
}

static ember_status fcq_prepare(ember_context *ctx, ember_node *node, fc_data *d,
                                const ember_tensor *x, const ember_tensor *w,
                                const ember_tensor *b, const ember_tensor *y, int act) {
    ember_convq_spec sp = {"FULLY_CONNECTED", d->O, 0, 1, 1, 0};
    sp.bias_type_opt = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_FullyConnectedOptions,
                                              EMBER_FullyConnectedOptions_quantized_bias_type, 0);
    EMBER_CHECK(ember_convq_prepare(ctx, &sp, x, w, b, y, act, &d->q));
    d->fast = 0;
    if (d->path == EMBER_PATH_REF || d->q.type == EMBER_TensorType_INT16 || d->O == 0 ||
        d->B == 0)
        return EMBER_OK;
    EMBER_CHECK(fc_go_fast(ctx, d));
    d->fx->q8 = 0;
    d->fx->pack_slot = -1;
    EMBER_CHECK(ember_convq_expand(ctx, &d->q));
    if (d->q.type == EMBER_TensorType_INT8 && d->q.w_zp == 0 && ember_qgemm8_usable(d->path) &&
        ember_is_const(w) && (!b || ember_is_const(b))) {
        void *mem = ember_pbuf_get(ctx, &d->fx->q8_mem, ember_qgemm8_bytes(d->K, d->O));
        if (!mem) return EMBER_ERR_NOMEM;
        ember_qgemm8_pack((const int8_t *)w->data, d->K, d->K, d->O, b ? (const int32_t *)b->data : NULL,
                          d->q.in_zp, mem, &d->fx->q8b);
        d->fx->q8 = d->fx->packed_const = 1;
        d->fx->tasks = fcq_tasks(ctx, d);
        d->fx->work_per_task = (size_t)FCQ_MC * d->O * sizeof(int32_t);
        d->fx->work_slot = ember_request_scratch(ctx, node, d->fx->work_per_task * (size_t)d->fx->tasks);
        return d->fx->work_slot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
    }
    /* integer GEMM: weights packed once when constant, else per eval */
    return fcq_gemm_prepare(ctx, node, d, w, d->q.w_zp);
}

static ember_status fcq_eval(ember_context *ctx, ember_node *node, fc_data *d,
                             const ember_tensor *x, const ember_tensor *w,
                             const ember_tensor *b, ember_tensor *y) {
    const void *bias = b ? b->data : NULL;
    if (!d->fast) {
        fully_connected_ref_q(&d->q, d->B, d->K, d->O, x->data, w->data, bias, y->data);
        return EMBER_OK;
    }
    if (!d->fx->packed_const)
        ember_qgemm_pack_b(w->data, w->type, d->q.w_zp, d->K, d->K, d->O,
                           (int16_t *)node->scratch[d->fx->pack_slot], &d->fx->qpacked);
    fcq_arg arg = {d, x->data, bias, y->data, (char *)node->scratch[d->fx->work_slot]};
    if (d->fx->tasks > 1) ember_parallel_for(ctx, d->fx->tasks, fcq_task, &arg);
    else fcq_task(&arg, 0, 1);
    return EMBER_OK;
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
    d->quant = x->type != EMBER_TensorType_FLOAT32;
    d->hybrid = !d->quant && w->type != EMBER_TensorType_FLOAT32;
    if (!d->quant && !d->hybrid && b && b->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "FULLY_CONNECTED: a float32 input and weights need a float32 bias, not %s",
                          ember_type_name(b->type));
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
    if (!d->quant && !d->hybrid) EMBER_CHECK(ember_act_range_f32(ctx, act, &d->lo, &d->hi));
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
    d->fast = 0;
    if (d->quant) return fcq_prepare(ctx, node, d, x, w, b, y, act);
    if (d->hybrid) return fch_prepare(ctx, node, d, w, b, y, act);
    if (d->path == EMBER_PATH_REF || d->O == 0) return EMBER_OK;
    EMBER_CHECK(fc_go_fast(ctx, d));
    d->fx->pack_slot = -1;
    const size_t pfloats = ember_gemm_packed_floats(d->K, d->O);
    d->fx->packed_const = ember_is_const(w) && (!b || ember_is_const(b));
    if (d->fx->packed_const) {
        float *dst = (float *)ember_pbuf_get(ctx, &d->fx->pack_mem, pfloats * sizeof(float));
        if (!dst) return EMBER_ERR_NOMEM;
        ember_gemm_pack_b((const float *)w->data, 1, d->K, d->K, d->O,
                          b ? (const float *)b->data : NULL, dst, &d->fx->packed);
    } else {
        d->fx->pack_slot = ember_request_scratch(ctx, node, pfloats * sizeof(float));
        if (d->fx->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    d->fx->tasks = ember_gemm_tasks(ctx, d->B, d->O, d->K);
    return EMBER_OK;
}

static ember_status fc_eval(ember_context *ctx, ember_node *node) {
    fc_data *d = (fc_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *b = node->n_inputs > 2 ? ember_input(ctx, node, 2) : NULL;
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->quant) return fcq_eval(ctx, node, d, x, w, b, y);
    if (d->hybrid) return fch_eval(ctx, node, d, x, w, b, y);
    if (!d->fast) {
        fully_connected_ref_f32(d->B, d->K, d->O, (const float *)x->data, (const float *)w->data,
                                b ? (const float *)b->data : NULL, d->lo, d->hi,
                                (float *)y->data);
        return EMBER_OK;
    }
    if (!d->fx->packed_const)
        ember_gemm_pack_b((const float *)w->data, 1, d->K, d->K, d->O,
                          b ? (const float *)b->data : NULL,
                          (float *)node->scratch[d->fx->pack_slot], &d->fx->packed);
    ember_gemm_job job;
    memset(&job, 0, sizeof job);
    job.M = d->B;
    job.b = &d->fx->packed;
    job.a = (const float *)x->data;
    job.lda = d->K;
    job.c = (float *)y->data;
    job.ldc = d->O;
    job.lo = d->lo;
    job.hi = d->hi;
    job.path = d->path;
    job.tasks = d->fx->tasks;
    ember_gemm_run(ctx, &job, NULL);
    return EMBER_OK;
}

const ember_kernel ember_kernel_FULLY_CONNECTED = { "FULLY_CONNECTED", fc_init, NULL,
                                                    fc_prepare, fc_eval };
