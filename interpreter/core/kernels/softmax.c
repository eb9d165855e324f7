/*
 * softmax.c — SOFTMAX (with beta) and LOG_SOFTMAX over the last axis.
 *
 *   SOFTMAX      y = exp(beta (x - max)) / sum exp(beta (x - max))
 *   LOG_SOFTMAX  y = (x - max) - log(sum exp(x - max))
 *
 * float32: exp is fast_math.h's vectorisable ember_fast_expf (<= 1 ulp); row
 * max and sum use 8 partial lanes (so the summation order differs from a
 * sequential loop by normal float rounding only).
 *
 * Quantised paths reproduce TFLite's reference integer kernels bit for bit
 * (softmax_q.c holds the maths):
 *   SOFTMAX      int8 -> int8 (scale 1/256, zero point -128), uint8 -> uint8
 *                (1/256, 0), int8/uint8 -> int16 (1/65536, -32768): gemmlowp
 *                fixed-point exp and reciprocal; int16 -> int16 (1/32768, 0):
 *                interpolated exp and 1/(1+x) tables.
 *   LOG_SOFTMAX  int8 (scale 16/256, zero point 127), uint8 (16/256, 255).
 * Where TFLite's reference kernels abort (an input scale times beta below
 * 2^-26, a row whose exponentials sum to 512 or more with an 8-bit output,
 * sums beyond the 32-bit accumulator), Ember extends the same arithmetic
 * with wider intermediates and returns the mathematically expected result.
 *
 * A rank-0 tensor is one row of one element. Rows are split over the
 * thread pool when the tensor is large.
 */
#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"
#include "elementwise_common.h"
#include "fast_math.h"
#include "quant_elementwise.h"
#include "softmax_q.h"

/* Row maximum / sum with 8 independent lanes so that gcc vectorises them
 * (a single float accumulator is a serial dependency it may not reorder). */
#define LANES 8
static float row_max_f32(const float *x, size_t n) {
    float m[LANES];
    for (int j = 0; j < LANES; j++) m[j] = x[0];
    size_t c = 0;
    for (; c + LANES <= n; c += LANES)
        for (int j = 0; j < LANES; j++) m[j] = x[c + j] > m[j] ? x[c + j] : m[j];
    float mx = m[0];
    for (int j = 1; j < LANES; j++) mx = m[j] > mx ? m[j] : mx;
    for (; c < n; c++) mx = x[c] > mx ? x[c] : mx;
    return mx;
}
static float row_sum_f32(const float *x, size_t n) {
    float s[LANES] = {0};
    size_t c = 0;
    for (; c + LANES <= n; c += LANES)
        for (int j = 0; j < LANES; j++) s[j] += x[c + j];
    float sum = 0.0f;
    for (int j = 0; j < LANES; j++) sum += s[j];
    for (; c < n; c++) sum += x[c];
    return sum;
}
/* y[c] = exp((x[c] - mx) * beta) with the vectorisable exp of fast_math.h. */
static void row_exp_f32(const float *x, float *y, size_t n, float mx, float beta) {
    for (size_t c = 0; c < n; c++) y[c] = ember_fast_expf((x[c] - mx) * beta);
}

static void softmax_rows_f32(const float *x, float *y, size_t rows, size_t depth, float beta) {
    for (size_t r = 0; r < rows; r++, x += depth, y += depth) {
        const float mx = row_max_f32(x, depth);
        row_exp_f32(x, y, depth, mx, beta);
        const float inv = 1.0f / row_sum_f32(y, depth);
        for (size_t c = 0; c < depth; c++) y[c] *= inv;
    }
}

/* y is used as the buffer for the exponentials before the final pass. */
static void log_softmax_rows_f32(const float *x, float *y, size_t rows, size_t depth) {
    for (size_t r = 0; r < rows; r++, x += depth, y += depth) {
        const float mx = row_max_f32(x, depth);
        row_exp_f32(x, y, depth, mx, 1.0f);
        /* (x - max) first: folding max into one shift loses x's low bits when |x| is
         * large (x = 10003 leaves a float spacing of 1e-3 in x - (max + lse)). */
        const float lse = logf(row_sum_f32(y, depth));
        for (size_t c = 0; c < depth; c++) y[c] = (x[c] - mx) - lse;
    }
}

typedef struct softmax_job {
    const softmax_data *d;
    const char *x;
    char *y;
    size_t rows_per_task;
} softmax_job;

static void softmax_task(void *arg, int task, int n_tasks) {
    const softmax_job *j = (const softmax_job *)arg;
    const softmax_data *d = j->d;
    size_t r0 = (size_t)task * j->rows_per_task, r1 = r0 + j->rows_per_task;
    (void)n_tasks;
    if (r1 > d->rows) r1 = d->rows;
    if (r0 >= r1) return;
    const size_t off = r0 * d->depth;
    const char *x = j->x + off * d->in_size;
    char *y = j->y + off * d->out_size;
    switch (d->kind) {
    case SM_F32:
        softmax_rows_f32((const float *)x, (float *)y, r1 - r0, d->depth, d->beta);
        break;
    case SM_LOG_F32:
        log_softmax_rows_f32((const float *)x, (float *)y, r1 - r0, d->depth);
        break;
    default:
        d->qrows(d, x, y, r1 - r0);
        break;
    }
}

static void *softmax_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(softmax_data));
}

static ember_status softmax_prepare_common(ember_context *ctx, ember_node *node,
                                           const char *name, int log) {
    softmax_data *d = (softmax_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "%s: no op data", name);
    EMBER_CHECK(ember_ew_check_io(ctx, node, 1, 1));
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    d->depth = x->ndim > 0 ? (size_t)x->dims[x->ndim - 1] : 1;
    d->rows = d->depth ? ember_num_elements(x) / d->depth : 0;
    d->beta = log ? 1.0f
                  : ember_opt_float(node, EMBER_BuiltinOptions_SoftmaxOptions,
                                    EMBER_SoftmaxOptions_beta, 0.0f);
    if (x->type == EMBER_TensorType_FLOAT32 && y->type == EMBER_TensorType_FLOAT32) {
        d->kind = log ? SM_LOG_F32 : SM_F32;
        d->in_size = d->out_size = 4;
    } else if (ember_qe_is_qtype(x->type)) {
        EMBER_CHECK(log ? ember_log_softmax_q_prepare(ctx, d, x, y)
                        : ember_softmax_q_prepare(ctx, d, x, y));
    } else {
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s does not support %s -> %s", name,
                          ember_type_name(x->type), ember_type_name(y->type));
    }
    return ember_tensor_resize(ctx, y, x->ndim, x->dims);
}

static ember_status softmax_prepare(ember_context *ctx, ember_node *node) {
    return softmax_prepare_common(ctx, node, "SOFTMAX", 0);
}
static ember_status log_softmax_prepare(ember_context *ctx, ember_node *node) {
    return softmax_prepare_common(ctx, node, "LOG_SOFTMAX", 1);
}

static ember_status softmax_eval(ember_context *ctx, ember_node *node) {
    const softmax_data *d = (const softmax_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->rows == 0 || d->depth == 0) return EMBER_OK;
    int n = ember_ew_tasks(ctx, d->rows * d->depth);
    if ((size_t)n > d->rows) n = (int)d->rows;
    softmax_job job = {d, (const char *)x->data, (char *)y->data, 0};
    if (n <= 1) {
        job.rows_per_task = d->rows;
        softmax_task(&job, 0, 1);
        return EMBER_OK;
    }
    job.rows_per_task = (d->rows + (size_t)n - 1) / (size_t)n;
    n = (int)((d->rows + job.rows_per_task - 1) / job.rows_per_task);
    ember_parallel_for(ctx, n, softmax_task, &job);
    return EMBER_OK;
}

const ember_kernel ember_kernel_SOFTMAX = {"SOFTMAX", softmax_init, NULL, softmax_prepare, softmax_eval};
const ember_kernel ember_kernel_LOG_SOFTMAX = {"LOG_SOFTMAX", softmax_init, NULL, log_softmax_prepare,
                                               softmax_eval};
