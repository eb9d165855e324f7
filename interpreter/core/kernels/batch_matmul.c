/*
 * batch_matmul.c — BATCH_MATMUL (float32).
 *
 * lhs [..., M, K] (adj_x: [..., K, M]), rhs [..., K, N] (adj_y: [..., N, K])
 * -> output [broadcast(...), M, N]. Ranks 2..5; batch dimensions broadcast
 * NumPy-style.
 *
 * Paths: batch_matmul_ref_f32 (plain loops, the oracle) and the shared GEMM:
 * per batch, rhs is packed into scratch (or once in prepare when constant),
 * lhs is read in place (transposed into scratch first when adj_x).
 *
 * Quantised, as TFLite: int8 (any zero points, int32 sums wrapping like
 * TFLite's) and int16 (zero points 0, int64 sums and the 64-bit rescale);
 * the multiplier is float(lhs_scale * rhs_scale) / out_scale in double and
 * the clamp is the type's range (no fused activation). batch_matmul_q
 * widens one row of lhs (minus its zero point) and the needed rhs column
 * per batch into int32 scratch so the inner loop is a plain dot product.
 */
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "quant_common.h"

#define BMM_MAX_RANK 5

typedef struct bmm_data {
    int32_t M, N, K, batches;
    int adj_x, adj_y;
    int32_t out_nd;
    int32_t bdims[BMM_MAX_RANK];         /* broadcast batch dims (out_nd - 2) */
    int64_t lstride[BMM_MAX_RANK], rstride[BMM_MAX_RANK];  /* in matrices; 0 = broadcast */
    int path;
    int rhs_batches;
    ember_gemm_b *packed;                /* rhs_batches entries when const */
    int packed_const;
    int pack_slot, tr_slot, tasks;
    ember_pbuf packed_mem, pack_mem;
    /* quantised */
    int quant;
    int32_t lzp, rzp, ozp, mult, shift, qlo, qhi;
    int qslot;                           /* K + N*K int32 (widened row and rhs matrix) */
} bmm_data;

/* Matrix offsets (in matrices) of lhs and rhs for flat output batch i. */
static void bmm_offsets(const bmm_data *d, int32_t i, int64_t *lo, int64_t *ro) {
    int64_t l = 0, r = 0;
    for (int j = d->out_nd - 3; j >= 0; j--) {
        const int32_t idx = i % d->bdims[j];
        i /= d->bdims[j];
        l += idx * d->lstride[j];
        r += idx * d->rstride[j];
    }
    *lo = l;
    *ro = r;
}

static void batch_matmul_ref_f32(const bmm_data *d, const float *lhs, const float *rhs,
                                 float *out) {
    const int32_t M = d->M, N = d->N, K = d->K;
    for (int32_t bi = 0; bi < d->batches; bi++) {
        int64_t lo, ro;
        bmm_offsets(d, bi, &lo, &ro);
        const float *a = lhs + lo * M * K, *b = rhs + ro * K * N;
        float *c = out + (size_t)bi * M * N;
        for (int32_t m = 0; m < M; m++)
            for (int32_t n = 0; n < N; n++) {
                float acc = 0.0f;
                for (int32_t k = 0; k < K; k++) {
                    const float av = d->adj_x ? a[(size_t)k * M + m] : a[(size_t)m * K + k];
                    const float bv = d->adj_y ? b[(size_t)n * K + k] : b[(size_t)k * N + n];
                    acc += av * bv;
                }
                c[(size_t)m * N + n] = acc;
            }
    }
}

/* lhs element (m, k) / rhs element (k, n) of one batch's matrices. */
static inline int32_t bmm_q(const void *p, int32_t type, size_t i) {
    return type == EMBER_TensorType_INT8 ? ((const int8_t *)p)[i] : ((const int16_t *)p)[i];
}

static void batch_matmul_q(const bmm_data *d, int32_t type, const void *lhs, const void *rhs,
                           void *out, int32_t *work) {
    const int32_t M = d->M, N = d->N, K = d->K;
    const size_t esz = type == EMBER_TensorType_INT8 ? 1 : 2;
    int32_t *row = work, *rt = work + K;   /* rt: rhs as [N][K], zero point removed */
    int64_t last_r = -1;
    for (int32_t bi = 0; bi < d->batches; bi++) {
        int64_t lo, ro;
        bmm_offsets(d, bi, &lo, &ro);
        const char *a = (const char *)lhs + (size_t)lo * M * K * esz;
        if (ro != last_r) {
            const char *b = (const char *)rhs + (size_t)ro * K * N * esz;
            for (int32_t n = 0; n < N; n++)
                for (int32_t k = 0; k < K; k++)
                    rt[(size_t)n * K + k] =
                        bmm_q(b, type, d->adj_y ? (size_t)n * K + k : (size_t)k * N + n) - d->rzp;
            last_r = ro;
        }
        for (int32_t m = 0; m < M; m++) {
            for (int32_t k = 0; k < K; k++)
                row[k] = bmm_q(a, type, d->adj_x ? (size_t)k * M + m : (size_t)m * K + k) - d->lzp;
            for (int32_t n = 0; n < N; n++) {
                const int32_t *r = rt + (size_t)n * K;
                int32_t v;
                if (type == EMBER_TensorType_INT8) {
                    uint32_t acc = 0;   /* TFLite's int32 sum, wrap defined */
                    for (int32_t k = 0; k < K; k++) acc += (uint32_t)(row[k] * r[k]);
                    v = ember_multiply_by_quantized_multiplier((int32_t)acc, d->mult, d->shift);
                } else {
                    int64_t acc = 0;
                    for (int32_t k = 0; k < K; k++) acc += (int64_t)row[k] * r[k];
                    /* keeps the 64-bit multiply defined (TFLite's would overflow) */
                    const int64_t lim = (INT64_C(1) << 47) - 1;
                    acc = acc > lim ? lim : (acc < -lim ? -lim : acc);
                    v = ember_multiply_by_quantized_multiplier_64(acc, d->mult, d->shift);
                }
                v = ember_clamp_i32(v + d->ozp, d->qlo, d->qhi);
                const size_t oi = ((size_t)bi * M + m) * N + n;
                if (type == EMBER_TensorType_INT8) ((int8_t *)out)[oi] = (int8_t)v;
                else ((int16_t *)out)[oi] = (int16_t)v;
            }
        }
    }
}

static ember_status bmm_quant_prepare(ember_context *ctx, ember_node *node, bmm_data *d,
                                      const ember_tensor *l, const ember_tensor *r,
                                      const ember_tensor *y) {
    const int32_t t = l->type;
    if (r->type != t || y->type != t)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "BATCH_MATMUL: %s lhs needs %s rhs and output (rhs %s, output %s)",
                          ember_type_name(t), ember_type_name(t), ember_type_name(r->type),
                          ember_type_name(y->type));
    EMBER_CHECK(ember_quant_require(ctx, l, "BATCH_MATMUL", "lhs"));
    EMBER_CHECK(ember_quant_require(ctx, r, "BATCH_MATMUL", "rhs"));
    EMBER_CHECK(ember_quant_require(ctx, y, "BATCH_MATMUL", "output"));
    EMBER_ENSURE(ctx, l->q.count == 1 && r->q.count == 1 && y->q.count == 1,
                 "BATCH_MATMUL: quantization must be per-tensor");
    d->lzp = (int32_t)l->q.zero_point[0];
    d->rzp = (int32_t)r->q.zero_point[0];
    d->ozp = (int32_t)y->q.zero_point[0];
    ember_quant_type_range(t, &d->qlo, &d->qhi);
    EMBER_ENSURE(ctx, d->lzp >= d->qlo && d->lzp <= d->qhi && d->rzp >= d->qlo && d->rzp <= d->qhi &&
                      d->ozp >= d->qlo && d->ozp <= d->qhi,
                 "BATCH_MATMUL: zero point outside the %s range", ember_type_name(t));
    if (t == EMBER_TensorType_INT16)
        EMBER_ENSURE(ctx, d->lzp == 0 && d->rzp == 0 && d->ozp == 0,
                     "BATCH_MATMUL: int16 tensors must have zero point 0 (lhs %d, rhs %d, output %d)",
                     (int)d->lzp, (int)d->rzp, (int)d->ozp);
    /* TFLite rounds the scale product to float before dividing in double */
    const float prod = l->q.scale[0] * r->q.scale[0];
    int s;
    EMBER_CHECK(ember_quantize_multiplier_checked(ctx, (double)prod / (double)y->q.scale[0], &d->mult,
                                                  &s, "BATCH_MATMUL"));
    d->shift = s;
    if (t == EMBER_TensorType_INT16)
        EMBER_ENSURE(ctx, s < 8, "BATCH_MATMUL: rescale factor too large for int16");
    const size_t words = (size_t)d->K + (size_t)d->N * d->K;
    d->qslot = ember_request_scratch(ctx, node, (words ? words : 1) * sizeof(int32_t));
    return d->qslot < 0 ? EMBER_ERR_NOMEM : EMBER_OK;
}

static void bmm_pack(const bmm_data *d, const float *b, float *dst, ember_gemm_b *out) {
    if (d->adj_y)
        ember_gemm_pack_b(b, 1, d->K, d->K, d->N, NULL, dst, out);
    else
        ember_gemm_pack_b(b, d->N, 1, d->K, d->N, NULL, dst, out);
}

static void *bmm_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(bmm_data));
}

static ember_status bmm_prepare(ember_context *ctx, ember_node *node) {
    bmm_data *d = (bmm_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "BATCH_MATMUL: no op data");
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "BATCH_MATMUL needs 2 inputs and 1 output");
    const ember_tensor *l = ember_input(ctx, node, 0);
    const ember_tensor *r = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, l && r && y, "BATCH_MATMUL: missing input or output");
    d->quant = l->type == EMBER_TensorType_INT8 || l->type == EMBER_TensorType_INT16;
    if (!d->quant && (l->type != EMBER_TensorType_FLOAT32 || r->type != EMBER_TensorType_FLOAT32))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "BATCH_MATMUL: supports float32, int8 and int16 (lhs %s, rhs %s)",
                          ember_type_name(l->type), ember_type_name(r->type));
    EMBER_ENSURE(ctx, l->ndim >= 2 && l->ndim <= BMM_MAX_RANK && r->ndim >= 2 &&
                      r->ndim <= BMM_MAX_RANK,
                 "BATCH_MATMUL: ranks must be 2..5 (got %d and %d)", (int)l->ndim, (int)r->ndim);
    d->adj_x = (int)ember_opt_int(node, EMBER_BuiltinOptions_BatchMatMulOptions,
                                  EMBER_BatchMatMulOptions_adj_x, 0) != 0;
    d->adj_y = (int)ember_opt_int(node, EMBER_BuiltinOptions_BatchMatMulOptions,
                                  EMBER_BatchMatMulOptions_adj_y, 0) != 0;
    const int32_t lr = l->dims[l->ndim - 2], lc = l->dims[l->ndim - 1];
    const int32_t rr = r->dims[r->ndim - 2], rc = r->dims[r->ndim - 1];
    d->M = d->adj_x ? lc : lr;
    d->K = d->adj_x ? lr : lc;
    const int32_t rk = d->adj_y ? rc : rr;
    d->N = d->adj_y ? rr : rc;
    EMBER_ENSURE(ctx, d->K == rk, "BATCH_MATMUL: contraction sizes differ (%d vs %d)",
                 (int)d->K, (int)rk);
    const int nd = l->ndim > r->ndim ? l->ndim : r->ndim;
    d->out_nd = nd;
    int32_t dims[BMM_MAX_RANK];
    int64_t batches = 1, lmul = 1, rmul = 1;
    for (int j = nd - 3; j >= 0; j--) {
        const int li = j - (nd - l->ndim), ri = j - (nd - r->ndim);
        const int32_t ld = li >= 0 ? l->dims[li] : 1, rd = ri >= 0 ? r->dims[ri] : 1;
        EMBER_ENSURE(ctx, ld == rd || ld == 1 || rd == 1,
                     "BATCH_MATMUL: batch dims do not broadcast (%d vs %d)", (int)ld, (int)rd);
        dims[j] = ld == 1 ? rd : ld;
        d->bdims[j] = dims[j];
        d->lstride[j] = ld == 1 ? 0 : lmul;
        d->rstride[j] = rd == 1 ? 0 : rmul;
        lmul *= ld;
        rmul *= rd;
        batches *= dims[j];
    }
    EMBER_ENSURE(ctx, batches <= INT32_MAX, "BATCH_MATMUL: too many batches");
    d->batches = (int32_t)batches;
    d->rhs_batches = (int32_t)rmul;
    dims[nd - 2] = d->M;
    dims[nd - 1] = d->N;
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    EMBER_ENSURE(ctx, (int64_t)d->N * d->K < INT32_MAX, "BATCH_MATMUL: rhs matrix too large");
    if (d->quant) return bmm_quant_prepare(ctx, node, d, l, r, y);

    d->path = ember_kernel_path();
    d->pack_slot = d->tr_slot = -1;
    if (d->path == EMBER_PATH_REF || d->N == 0 || d->M == 0 || d->K == 0) {
        d->path = EMBER_PATH_REF;
        return EMBER_OK;
    }
    const size_t pfloats = ember_gemm_packed_floats(d->K, d->N);
    d->packed_const = ember_is_const(r);
    if (d->packed_const) {
        d->packed = (ember_gemm_b *)ember_pbuf_get(
            ctx, &d->packed_mem, sizeof(ember_gemm_b) * (size_t)d->rhs_batches);
        float *dst = (float *)ember_pbuf_get(
            ctx, &d->pack_mem, pfloats * (size_t)d->rhs_batches * sizeof(float));
        if (!d->packed || !dst) return EMBER_ERR_NOMEM;
        for (int32_t i = 0; i < d->rhs_batches; i++)
            bmm_pack(d, (const float *)r->data + (size_t)i * d->K * d->N, dst + pfloats * i,
                     &d->packed[i]);
    } else {
        d->packed = (ember_gemm_b *)ember_pbuf_get(ctx, &d->packed_mem, sizeof(ember_gemm_b));
        if (!d->packed) return EMBER_ERR_NOMEM;
        d->pack_slot = ember_request_scratch(ctx, node, pfloats * sizeof(float));
        if (d->pack_slot < 0) return EMBER_ERR_NOMEM;
    }
    if (d->adj_x) {
        d->tr_slot = ember_request_scratch(ctx, node, (size_t)d->M * d->K * sizeof(float));
        if (d->tr_slot < 0) return EMBER_ERR_NOMEM;
    }
    d->tasks = ember_gemm_tasks(ctx, d->M, d->N, d->K);
    return EMBER_OK;
}

static ember_status bmm_eval(ember_context *ctx, ember_node *node) {
    bmm_data *d = (bmm_data *)node->data;
    const ember_tensor *l = ember_input(ctx, node, 0);
    const ember_tensor *r = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->quant) {
        batch_matmul_q(d, l->type, l->data, r->data, y->data, (int32_t *)node->scratch[d->qslot]);
        return EMBER_OK;
    }
    const float *lhs = (const float *)l->data, *rhs = (const float *)r->data;
    float *out = (float *)y->data;
    if (d->path == EMBER_PATH_REF) {
        batch_matmul_ref_f32(d, lhs, rhs, out);
        return EMBER_OK;
    }
    const int32_t M = d->M, N = d->N, K = d->K;
    int64_t last_r = -1;
    for (int32_t bi = 0; bi < d->batches; bi++) {
        int64_t lo, ro;
        bmm_offsets(d, bi, &lo, &ro);
        const ember_gemm_b *B;
        if (d->packed_const) {
            B = &d->packed[ro];
        } else {
            if (ro != last_r)
                bmm_pack(d, rhs + (size_t)ro * K * N, (float *)node->scratch[d->pack_slot],
                         d->packed);
            last_r = ro;
            B = d->packed;
        }
        const float *a = lhs + (size_t)lo * M * K;
        if (d->adj_x) {
            float *t = (float *)node->scratch[d->tr_slot];
            for (int32_t m = 0; m < M; m++)
                for (int32_t k = 0; k < K; k++) t[(size_t)m * K + k] = a[(size_t)k * M + m];
            a = t;
        }
        ember_gemm_job job;
        memset(&job, 0, sizeof job);
        job.M = M;
        job.b = B;
        job.a = a;
        job.lda = K;
        job.c = out + (size_t)bi * M * N;
        job.ldc = N;
        job.lo = -INFINITY;
        job.hi = INFINITY;
        job.path = d->path;
        job.tasks = d->tasks;
        ember_gemm_run(ctx, &job, NULL);
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_BATCH_MATMUL = { "BATCH_MATMUL", bmm_init, NULL, bmm_prepare,
                                                 bmm_eval };
