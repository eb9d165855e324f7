/*
 * reduce.c — MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN.
 *
 * Inputs: data, axis (int32/int64 vector or scalar; constant or runtime).
 * Option: ReducerOptions.keep_dims.  Negative axes count from the end,
 * duplicates are ignored, an empty axis list copies the input.
 *
 * Types (as LiteRT): float32, int32, int64 for all five ops; int8, uint8 and
 * int16 for REDUCE_MAX/REDUCE_MIN (raw comparison, so input and output must
 * share quantisation). Quantised MEAN, SUM and REDUCE_PROD (int8, uint8,
 * int16) follow TFLite's reference arithmetic (reduce_q below): int32 sums
 * rescaled by in_scale/out_scale (divided by the count for MEAN, folded into
 * the multiplier as TFLite does); products rescaled at every step by
 * in_scale / out_scale^(1/count) so they stay in range.
 *
 * The maths: the input shape is compressed into alternating runs of kept and
 * reduced dimensions (size-1 dims dropped, neighbours with the same status
 * merged). When the innermost run is kept — e.g. MEAN over H,W of NHWC,
 * compressed to [N, H*W, C] — each input row is accumulated element-wise
 * into its output row (which stays in L1), a contiguous loop the compiler
 * vectorises. When the innermost run is reduced each row is folded to one
 * value with independent partial results. Large inputs whose outermost run
 * is kept (the batch) are split across threads.
 */
#include <math.h>
#include <string.h>

#include "ember_kernel.h"
#include "quant_common.h"

enum { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN };

typedef struct reduce_plan {
    int m;                              /* compressed rank (>= 1) */
    int64_t c[EMBER_MAX_DIMS];          /* compressed sizes */
    int red[EMBER_MAX_DIMS];            /* 1 = reduced */
    int64_t os[EMBER_MAX_DIMS];         /* output stride of each run (0 if reduced) */
    int64_t n_in, n_out, count;         /* elements in, out, and per output */
} reduce_plan;

typedef struct reduce_data {
    int kind;
    int const_axis;                     /* output shape fixed in prepare */
    int quant;                          /* quantised MEAN/SUM/PROD (reduce_q) */
    int32_t mult;                       /* in_scale / out_scale (MEAN, SUM) */
    int shift;
} reduce_data;

/* ---- shape logic -------------------------------------------------------- */

/* Resolves the axis tensor into a mask over the input's dims. */
static ember_status resolve_axes(ember_context *ctx, const ember_tensor *x,
                                 const ember_tensor *axis, uint8_t *mask) {
    memset(mask, 0, EMBER_MAX_DIMS);
    size_t n = ember_num_elements(axis);
    for (size_t i = 0; i < n; i++) {
        int64_t a = axis->type == EMBER_TensorType_INT64 ? ((const int64_t *)axis->data)[i]
                                                         : ((const int32_t *)axis->data)[i];
        if (x->ndim == 0) continue;     /* scalars: axes are ignored, as TFLite */
        if (a < -(int64_t)x->ndim || a >= x->ndim)
            return ember_fail(ctx, EMBER_ERR_MODEL, "axis %lld out of range for rank %d",
                              (long long)a, (int)x->ndim);
        if (a < 0) a += x->ndim;
        mask[a] = 1;
    }
    return EMBER_OK;
}

static void output_shape(const ember_tensor *x, const uint8_t *mask, int keep_dims,
                         int *ndim, int32_t *dims) {
    int k = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!mask[d]) dims[k++] = x->dims[d];
        else if (keep_dims) dims[k++] = 1;
    }
    *ndim = k;
}

static void make_plan(const ember_tensor *x, const uint8_t *mask, reduce_plan *p) {
    p->m = 0;
    p->n_in = 1;
    p->count = 1;
    for (int d = 0; d < x->ndim; d++) {
        int64_t s = x->dims[d];
        p->n_in *= s;
        if (mask[d]) p->count *= s;
        if (s == 1) continue;
        int r = mask[d] ? 1 : 0;
        if (p->m > 0 && p->red[p->m - 1] == r) {
            p->c[p->m - 1] *= s;
        } else {
            p->c[p->m] = s;
            p->red[p->m] = r;
            p->m++;
        }
    }
    if (p->m == 0) {                    /* every dim is 1: one element, kept */
        p->c[0] = 1;
        p->red[0] = 0;
        p->m = 1;
    }
    int64_t st = 1;
    for (int i = p->m - 1; i >= 0; i--) {
        p->os[i] = p->red[i] ? 0 : st;
        if (!p->red[i]) st *= p->c[i];
    }
    p->n_out = st;
}

/* ---- maths -------------------------------------------------------------- */

/* Accumulates `in` into `acc` (pre-filled with the identity) for the
 * outermost run's positions [lo, hi) (threads split it only when it is kept).
 *   _row:  dst[i] = f(dst[i], src[i])  — the inner run is kept; restrict-
 *          qualified so the compiler vectorises it.
 *   _fold: f over a contiguous inner run that is reduced, in REDUCE_LANES
 *          independent partial results (vectorisable, and no long serial
 *          dependency chain), combined at the end. */
#define REDUCE_LANES 8
#define DEFINE_REDUCE(NAME, TIN, TACC, F)                                            \
    static void NAME##_row(TACC *restrict dst, const TIN *restrict src, int64_t n) {  \
        for (int64_t i = 0; i < n; i++) dst[i] = F(dst[i], (TACC)src[i]);            \
    }                                                                                \
    static void NAME##_row4(TACC *restrict dst, const TIN *restrict s0,               \
                            const TIN *restrict s1, const TIN *restrict s2,           \
                            const TIN *restrict s3, int64_t n) {                      \
        for (int64_t i = 0; i < n; i++)                                              \
            dst[i] = F(dst[i], F(F((TACC)s0[i], (TACC)s1[i]),                        \
                                 F((TACC)s2[i], (TACC)s3[i])));                      \
    }                                                                                \
    /* R consecutive rows of n, all reduced into the same output row */            \
    static void NAME##_rows(TACC *dst, const TIN *src, int64_t n, int64_t R) {        \
        int64_t r = 0;                                                               \
        for (; r + 4 <= R; r += 4, src += 4 * n)                                     \
            NAME##_row4(dst, src, src + n, src + 2 * n, src + 3 * n, n);             \
        for (; r < R; r++, src += n) NAME##_row(dst, src, n);                        \
    }                                                                                \
    static TACC NAME##_fold(TACC a, const TIN *restrict src, int64_t n) {            \
        int64_t i = 0;                                                               \
        if (n >= 2 * REDUCE_LANES) {                                                 \
            TACC part[REDUCE_LANES];                                                 \
            for (int k = 0; k < REDUCE_LANES; k++) part[k] = (TACC)src[k];           \
            for (i = REDUCE_LANES; i + REDUCE_LANES <= n; i += REDUCE_LANES)         \
                for (int k = 0; k < REDUCE_LANES; k++)                               \
                    part[k] = F(part[k], (TACC)src[i + k]);                          \
            for (int k = 0; k < REDUCE_LANES; k++) a = F(a, part[k]);                \
        }                                                                            \
        for (; i < n; i++) a = F(a, (TACC)src[i]);                                   \
        return a;                                                                    \
    }                                                                                \
    static void NAME(const reduce_plan *p, const TIN *in, TACC *acc, int64_t lo,      \
                     int64_t hi) {                                                   \
        const int m = p->m;                                                          \
        const int64_t L = p->c[m - 1];                                               \
        const int inner_kept = !p->red[m - 1];                                       \
        if (m == 1) {                                                                \
            if (inner_kept) NAME##_row(acc, in, L);                                  \
            else acc[0] = NAME##_fold(acc[0], in, L);                                \
            return;                                                                  \
        }                                                                            \
        int64_t idx[EMBER_MAX_DIMS] = {0};                                           \
        if (inner_kept && p->red[m - 2]) {                                           \
            /* [.., R reduced, L kept]: blocks of R rows share one output row */     \
            const int64_t R = p->c[m - 2];                                           \
            if (m == 2) {                                                            \
                NAME##_rows(acc, in, L, R);                                          \
                return;                                                              \
            }                                                                        \
            int64_t per = 1;                                                         \
            for (int d = 1; d < m - 2; d++) per *= p->c[d];                          \
            const int64_t groups = (hi - lo) * per;                                  \
            const TIN *src = in + lo * per * R * L;                                  \
            int64_t goff = lo * p->os[0];                                            \
            idx[0] = lo;                                                             \
            for (int64_t g = 0; g < groups; g++, src += R * L) {                     \
                NAME##_rows(acc + goff, src, L, R);                                  \
                for (int d = m - 3; d >= 0; d--) {                                   \
                    goff += p->os[d];                                                \
                    if (++idx[d] < p->c[d]) break;                                   \
                    goff -= p->os[d] * p->c[d];                                      \
                    idx[d] = 0;                                                      \
                }                                                                    \
            }                                                                        \
            return;                                                                  \
        }                                                                            \
        int64_t per0 = 1;                                                            \
        for (int d = 1; d < m - 1; d++) per0 *= p->c[d];                             \
        const int64_t rows = (hi - lo) * per0;                                       \
        const TIN *row = in + lo * per0 * L;                                         \
        int64_t ooff = lo * p->os[0];                                                \
        idx[0] = lo;                                                                 \
        for (int64_t o = 0; o < rows; o++, row += L) {                               \
            if (inner_kept) NAME##_row(acc + ooff, row, L);                          \
            else acc[ooff] = NAME##_fold(acc[ooff], row, L);                         \
            for (int d = m - 2; d >= 0; d--) { /* odometer over outer runs */       \
                ooff += p->os[d];                                                    \
                if (++idx[d] < p->c[d]) break;                                       \
                ooff -= p->os[d] * p->c[d];                                          \
                idx[d] = 0;                                                          \
            }                                                                        \
        }                                                                            \
    }

/* Integer sums and products wrap (two's complement) like TFLite's int maths;
 * they go through unsigned arithmetic to stay defined in C. */
#define F_ADD(a, v) ((a) + (v))
#define F_MUL(a, v) ((a) * (v))
#define F_ADD32(a, v) ((int32_t)((uint32_t)(a) + (uint32_t)(v)))
#define F_ADD64(a, v) ((int64_t)((uint64_t)(a) + (uint64_t)(v)))
#define F_MUL32(a, v) ((int32_t)((uint32_t)(a) * (uint32_t)(v)))
#define F_MUL64(a, v) ((int64_t)((uint64_t)(a) * (uint64_t)(v)))
#define F_MAX(a, v) ((v) > (a) ? (v) : (a))
#define F_MIN(a, v) ((v) < (a) ? (v) : (a))
DEFINE_REDUCE(sum_f32, float, float, F_ADD)
DEFINE_REDUCE(sum_i32, int32_t, int32_t, F_ADD32)
DEFINE_REDUCE(sum_i32_i64, int32_t, int64_t, F_ADD64)
DEFINE_REDUCE(sum_i64, int64_t, int64_t, F_ADD64)
DEFINE_REDUCE(prod_f32, float, float, F_MUL)
DEFINE_REDUCE(prod_i32, int32_t, int32_t, F_MUL32)
DEFINE_REDUCE(prod_i64, int64_t, int64_t, F_MUL64)
DEFINE_REDUCE(max_f32, float, float, F_MAX)
DEFINE_REDUCE(max_i32, int32_t, int32_t, F_MAX)
DEFINE_REDUCE(max_i64, int64_t, int64_t, F_MAX)
DEFINE_REDUCE(max_i8, int8_t, int8_t, F_MAX)
DEFINE_REDUCE(max_u8, uint8_t, uint8_t, F_MAX)
DEFINE_REDUCE(max_i16, int16_t, int16_t, F_MAX)
DEFINE_REDUCE(min_f32, float, float, F_MIN)
DEFINE_REDUCE(min_i32, int32_t, int32_t, F_MIN)
DEFINE_REDUCE(min_i64, int64_t, int64_t, F_MIN)
DEFINE_REDUCE(min_i8, int8_t, int8_t, F_MIN)
DEFINE_REDUCE(min_u8, uint8_t, uint8_t, F_MIN)
DEFINE_REDUCE(min_i16, int16_t, int16_t, F_MIN)

#define FILL(T, ptr, n, val)                                                          \
    do { T *f_ = (T *)(ptr); for (int64_t i_ = 0; i_ < (n); i_++) f_[i_] = (val); } while (0)

/* ---- dispatch (with threads for big inputs) ----------------------------- */

typedef struct reduce_job {
    const reduce_plan *p;
    const void *in;
    void *acc;
    int kind, type, acc64;
    int64_t range;                      /* positions of the outermost run */
} reduce_job;

static void run_slice(const reduce_job *j, int64_t lo, int64_t hi) {
    const reduce_plan *p = j->p;
    switch (j->kind) {
    case R_SUM:
    case R_MEAN:
        if (j->type == EMBER_TensorType_FLOAT32) sum_f32(p, j->in, j->acc, lo, hi);
        else if (j->type == EMBER_TensorType_INT32 && j->acc64) sum_i32_i64(p, j->in, j->acc, lo, hi);
        else if (j->type == EMBER_TensorType_INT32) sum_i32(p, j->in, j->acc, lo, hi);
        else sum_i64(p, j->in, j->acc, lo, hi);
        break;
    case R_PROD:
        if (j->type == EMBER_TensorType_FLOAT32) prod_f32(p, j->in, j->acc, lo, hi);
        else if (j->type == EMBER_TensorType_INT32) prod_i32(p, j->in, j->acc, lo, hi);
        else prod_i64(p, j->in, j->acc, lo, hi);
        break;
    case R_MAX:
        switch (j->type) {
        case EMBER_TensorType_FLOAT32: max_f32(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT32: max_i32(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT64: max_i64(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT8: max_i8(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_UINT8: max_u8(p, j->in, j->acc, lo, hi); break;
        default: max_i16(p, j->in, j->acc, lo, hi); break;
        }
        break;
    default:
        switch (j->type) {
        case EMBER_TensorType_FLOAT32: min_f32(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT32: min_i32(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT64: min_i64(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_INT8: min_i8(p, j->in, j->acc, lo, hi); break;
        case EMBER_TensorType_UINT8: min_u8(p, j->in, j->acc, lo, hi); break;
        default: min_i16(p, j->in, j->acc, lo, hi); break;
        }
        break;
    }
}

static void reduce_task(void *arg, int task, int n_tasks) {
    const reduce_job *j = arg;
    int64_t chunk = (j->range + n_tasks - 1) / n_tasks;
    int64_t lo = (int64_t)task * chunk, hi = lo + chunk;
    if (hi > j->range) hi = j->range;
    if (lo < hi) run_slice(j, lo, hi);
}

static void fill_identity(int kind, int type, void *acc, int64_t n) {
    switch (kind) {
    case R_SUM:
    case R_MEAN:
        memset(acc, 0, (size_t)n * ember_type_size(type));
        break;
    case R_PROD:
        if (type == EMBER_TensorType_FLOAT32) FILL(float, acc, n, 1.0f);
        else if (type == EMBER_TensorType_INT32) FILL(int32_t, acc, n, 1);
        else FILL(int64_t, acc, n, 1);
        break;
    case R_MAX:
    case R_MIN: {
        int mx = kind == R_MAX;
        switch (type) {
        case EMBER_TensorType_FLOAT32: FILL(float, acc, n, mx ? -INFINITY : INFINITY); break;
        case EMBER_TensorType_INT32: FILL(int32_t, acc, n, mx ? INT32_MIN : INT32_MAX); break;
        case EMBER_TensorType_INT64: FILL(int64_t, acc, n, mx ? INT64_MIN : INT64_MAX); break;
        case EMBER_TensorType_INT8: FILL(int8_t, acc, n, mx ? INT8_MIN : INT8_MAX); break;
        case EMBER_TensorType_UINT8: FILL(uint8_t, acc, n, mx ? 0 : UINT8_MAX); break;
        default: FILL(int16_t, acc, n, mx ? INT16_MIN : INT16_MAX); break;
        }
        break;
    }
    }
}

/* ---- quantised MEAN / SUM / PROD ---------------------------------------- */

static int32_t rq_load(const void *d, int type, int64_t i) {
    switch (type) {
    case EMBER_TensorType_INT8: return ((const int8_t *)d)[i];
    case EMBER_TensorType_UINT8: return ((const uint8_t *)d)[i];
    default: return ((const int16_t *)d)[i];
    }
}

/* Walks the input in row-major order (TFLite's order, which the rescaled
 * product depends on) over the compressed runs; acc[o] gets the int32 sum,
 * or the product chain where the first element of each output starts it. */
static void reduce_q_accumulate(const reduce_plan *p, int kind, int type, const void *in,
                                int32_t zp, int32_t pm, int ps, int32_t *acc) {
    int64_t idx[EMBER_MAX_DIMS] = {0};
    int64_t o = 0;
    if (kind != R_PROD) memset(acc, 0, sizeof(int32_t) * (size_t)p->n_out);
    for (int64_t i = 0; i < p->n_in; i++) {
        const int32_t raw = rq_load(in, type, i), v = raw - zp;
        if (kind != R_PROD) {
            /* raw values: the zero point comes off the total (count * zp) */
            acc[o] = (int32_t)((uint32_t)acc[o] + (uint32_t)raw);
        } else {
            int first = 1;
            for (int r = 0; r < p->m; r++)
                if (p->red[r] && idx[r]) first = 0;
            acc[o] = first ? v : ember_multiply_by_quantized_multiplier_64((int64_t)acc[o] * v, pm, ps);
        }
        for (int r = p->m - 1; r >= 0; r--) {   /* odometer step */
            o += p->os[r];
            if (++idx[r] < p->c[r]) break;
            o -= p->os[r] * p->c[r];
            idx[r] = 0;
        }
    }
}

static ember_status reduce_q(ember_context *ctx, ember_node *node, const reduce_data *d,
                             const reduce_plan *p, const ember_tensor *x, ember_tensor *y) {
    int32_t *acc = (int32_t *)node->scratch[0];
    const int32_t zp = (int32_t)x->q.zero_point[0], ozp = (int32_t)y->q.zero_point[0];
    int32_t lo, hi, m = d->mult;
    int s = d->shift;
    ember_quant_type_range(x->type, &lo, &hi);
    if (d->kind == R_PROD) {
        /* scale each step by in_s / out_s^(1/count) (TFLite's GetQuantProdScaling) */
        const double scaling = (double)x->q.scale[0] /
                               pow((double)y->q.scale[0], 1.0 / (double)(p->count ? p->count : 1));
        EMBER_CHECK(ember_quantize_multiplier_checked(ctx, scaling, &m, &s, "REDUCE_PROD"));
        EMBER_ENSURE(ctx, s < 8, "REDUCE_PROD: rescale factor %g too large", scaling);
    }
    reduce_q_accumulate(p, d->kind, x->type, x->data, zp, m, s, acc);
    if (d->kind == R_MEAN && p->count > 0) {
        /* divide by the count inside the multiplier, exactly as TFLite */
        uint64_t c = (uint64_t)p->count;
        int sh = 0;
        while ((c >> (sh + 1)) != 0) sh++;            /* floor(log2(count)) */
        if (sh > 32) sh = 32;
        if (sh > 31 + s) sh = 31 + s;
        m = (int32_t)(((int64_t)m * ((int64_t)1 << sh)) / p->count);
        s -= sh;
    }
    for (int64_t i = 0; i < p->n_out; i++) {
        int32_t v;
        if (d->kind == R_PROD) {
            v = ember_multiply_by_quantized_multiplier_64((int64_t)acc[i], m, s) + ozp;
        } else {
            const int32_t shifted = d->kind == R_SUM || d->kind == R_MEAN
                                        ? (int32_t)((uint32_t)acc[i] - (uint32_t)((int64_t)zp * p->count))
                                        : acc[i];
            v = ember_multiply_by_quantized_multiplier(shifted, m, s) + ozp;
        }
        v = v < lo ? lo : (v > hi ? hi : v);
        switch (y->type) {
        case EMBER_TensorType_INT8: ((int8_t *)y->data)[i] = (int8_t)v; break;
        case EMBER_TensorType_UINT8: ((uint8_t *)y->data)[i] = (uint8_t)v; break;
        default: ((int16_t *)y->data)[i] = (int16_t)v; break;
        }
    }
    return EMBER_OK;
}

static ember_status prepare_q(ember_context *ctx, ember_node *node, reduce_data *d,
                              const ember_tensor *x, const ember_tensor *y) {
    static const char *names[] = {"SUM", "MEAN", "REDUCE_PROD"};
    const char *op = names[d->kind];
    EMBER_CHECK(ember_quant_require(ctx, x, op, "input"));
    EMBER_CHECK(ember_quant_require(ctx, y, op, "output"));
    if (x->type == EMBER_TensorType_INT16)
        EMBER_ENSURE(ctx, x->q.zero_point[0] == 0 && y->q.zero_point[0] == 0,
                     "%s: int16 tensors must have zero point 0", op);
    if (d->kind != R_PROD)
        EMBER_CHECK(ember_quantize_multiplier_checked(
            ctx, (double)x->q.scale[0] / (double)y->q.scale[0], &d->mult, &d->shift, op));
    size_t n = ember_num_elements(x);   /* bounds the output size */
    if (ember_request_scratch(ctx, node, (n ? n : 1) * sizeof(int32_t)) < 0) return EMBER_ERR_NOMEM;
    d->quant = 1;
    return EMBER_OK;
}

/* ---- glue --------------------------------------------------------------- */

static void *init(ember_context *ctx, ember_node *node) {
    reduce_data *d = ember_alloc_persistent(ctx, sizeof *d);
    if (!d) return NULL;
    switch (node->op) {
    case EMBER_BuiltinOperator_SUM: d->kind = R_SUM; break;
    case EMBER_BuiltinOperator_MEAN: d->kind = R_MEAN; break;
    case EMBER_BuiltinOperator_REDUCE_PROD: d->kind = R_PROD; break;
    case EMBER_BuiltinOperator_REDUCE_MAX: d->kind = R_MAX; break;
    default: d->kind = R_MIN; break;
    }
    return d;
}

static int keep_dims_of(const ember_node *node) {
    return ember_opt_int(node, EMBER_BuiltinOptions_ReducerOptions,
                         EMBER_ReducerOptions_keep_dims, 0) != 0;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    reduce_data *d = node->data;
    EMBER_ENSURE(ctx, d, "reduce: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "reduce needs 2 inputs and 1 output, got %d and %d",
                 (int)node->n_inputs, (int)node->n_outputs);
    const ember_tensor *x = ember_input(ctx, node, 0), *axis = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && axis && y, "reduce: missing input or output tensor");
    EMBER_ENSURE(ctx, axis->type == EMBER_TensorType_INT32 || axis->type == EMBER_TensorType_INT64,
                 "reduce: axis must be int32 or int64, got %s", ember_type_name(axis->type));
    EMBER_ENSURE(ctx, axis->ndim <= 1, "reduce: axis must be a scalar or a vector");
    EMBER_ENSURE(ctx, y->type == x->type, "reduce: output type %s differs from input %s",
                 ember_type_name(y->type), ember_type_name(x->type));
    int t = x->type;
    int ok = t == EMBER_TensorType_FLOAT32 || t == EMBER_TensorType_INT32 || t == EMBER_TensorType_INT64;
    d->quant = 0;
    if ((d->kind == R_SUM || d->kind == R_MEAN || d->kind == R_PROD) &&
        (t == EMBER_TensorType_INT8 || t == EMBER_TensorType_UINT8 || t == EMBER_TensorType_INT16)) {
        EMBER_CHECK(prepare_q(ctx, node, d, x, y));
        ok = 1;
    }
    if (d->kind == R_MAX || d->kind == R_MIN) {
        if (t == EMBER_TensorType_INT8 || t == EMBER_TensorType_UINT8 || t == EMBER_TensorType_INT16) {
            int same = x->q.count == y->q.count;
            if (same && x->q.count > 0)
                same = x->q.scale[0] == y->q.scale[0] && x->q.zero_point[0] == y->q.zero_point[0];
            EMBER_ENSURE(ctx, same, "reduce: quantised max/min needs equal input/output quantisation");
            ok = 1;
        }
    }
    if (!ok) return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "reduce: type %s is not supported",
                               ember_type_name(t));
    if (d->kind == R_MEAN && t == EMBER_TensorType_INT32) {
        /* int32 means accumulate in int64 as TFLite does */
        size_t n = ember_num_elements(x);  /* upper bound on the output size */
        if (n == 0) n = 1;
        if (ember_request_scratch(ctx, node, n * sizeof(int64_t)) < 0) return EMBER_ERR_NOMEM;
    }
    d->const_axis = ember_is_const(axis);
    if (!d->const_axis) return ember_tensor_set_dynamic(ctx, y);
    uint8_t mask[EMBER_MAX_DIMS];
    EMBER_CHECK(resolve_axes(ctx, x, axis, mask));
    int nd;
    int32_t dims[EMBER_MAX_DIMS];
    output_shape(x, mask, keep_dims_of(node), &nd, dims);
    return ember_tensor_resize(ctx, y, nd, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const reduce_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0), *axis = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    uint8_t mask[EMBER_MAX_DIMS];
    EMBER_CHECK(resolve_axes(ctx, x, axis, mask));
    if (!d->const_axis) {
        int nd;
        int32_t dims[EMBER_MAX_DIMS];
        output_shape(x, mask, keep_dims_of(node), &nd, dims);
        EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    }
    reduce_plan p;
    make_plan(x, mask, &p);
    if (p.n_out == 0) return EMBER_OK;
    if (d->quant) {
        if (p.n_in == 0) {   /* empty reduction: zeros, as TFLite's zeroed output */
            memset(y->data, 0, (size_t)p.n_out * ember_type_size(y->type));
            return EMBER_OK;
        }
        return reduce_q(ctx, node, d, &p, x, y);
    }
    int acc64 = d->kind == R_MEAN && x->type == EMBER_TensorType_INT32;
    void *acc = acc64 ? node->scratch[0] : y->data;
    fill_identity(d->kind, acc64 ? EMBER_TensorType_INT64 : x->type, acc, p.n_out);
    if (p.n_in > 0) {
        reduce_job j = { &p, x->data, acc, d->kind, x->type, acc64, p.c[0] };
        /* Threads take disjoint slices of the outermost run when it is kept
         * (e.g. the batch of [N, H*W, C]); only worth it for big inputs. */
        int tasks = 1, nt = ember_num_threads(ctx);
        if (p.m > 1 && !p.red[0] && nt > 1 && p.n_in >= (1 << 18))
            tasks = (int)(p.c[0] < nt ? p.c[0] : nt);
        if (tasks > 1) ember_parallel_for(ctx, tasks, reduce_task, &j);
        else run_slice(&j, 0, p.c[0]);
    }
    if (d->kind == R_MEAN) {
        int64_t cnt = p.count;
        if (x->type == EMBER_TensorType_FLOAT32) {
            float *o = y->data;
            const float fc = (float)cnt;
            for (int64_t i = 0; i < p.n_out; i++) o[i] = o[i] / fc;
        } else if (acc64) {
            const int64_t *a = acc;
            int32_t *o = y->data;
            for (int64_t i = 0; i < p.n_out; i++) o[i] = cnt ? (int32_t)(a[i] / cnt) : 0;
        } else {
            int64_t *o = y->data;
            for (int64_t i = 0; i < p.n_out; i++) o[i] = cnt ? o[i] / cnt : 0;
        }
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_MEAN = { "MEAN", init, NULL, prepare, eval };
const ember_kernel ember_kernel_SUM = { "SUM", init, NULL, prepare, eval };
const ember_kernel ember_kernel_REDUCE_PROD = { "REDUCE_PROD", init, NULL, prepare, eval };
const ember_kernel ember_kernel_REDUCE_MAX = { "REDUCE_MAX", init, NULL, prepare, eval };
const ember_kernel ember_kernel_REDUCE_MIN = { "REDUCE_MIN", init, NULL, prepare, eval };
