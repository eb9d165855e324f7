/* range.c — RANGE: start, start + delta, ... up to (excluding) limit.
 * Inputs are scalars of one type (int32, int64 or float32), which is also
 * the output type. Size as TFLite computes it: for integers
 * ceil(|limit - start| / |delta|), for floats ceil(|(limit - start) / delta|)
 * in float; values are accumulated (v += delta) as TFLite does. delta must
 * be non-zero and point from start towards limit. */
#include <math.h>

#include "shape_common.h"

static void range_i32(int32_t start, int32_t delta, size_t n, int32_t *out) {
    int64_t v = start;
    for (size_t i = 0; i < n; i++, v += delta) out[i] = (int32_t)v;
}
static void range_i64(int64_t start, int64_t delta, size_t n, int64_t *out) {
    int64_t v = start;
    for (size_t i = 0; i < n; i++) {
        out[i] = v;
        v = (int64_t)((uint64_t)v + (uint64_t)delta);
    }
}
static void range_f32(float start, float delta, size_t n, float *out) {
    float v = start;
    for (size_t i = 0; i < n; i++, v += delta) out[i] = v;
}

static ember_status range_size(ember_context *ctx, ember_node *node, int32_t *size) {
    const ember_tensor *s = ember_input(ctx, node, 0), *l = ember_input(ctx, node, 1),
                       *d = ember_input(ctx, node, 2);
    EMBER_ENSURE(ctx, s->data && l->data && d->data, "RANGE: inputs have no data");
    double n;
    if (s->type == EMBER_TensorType_FLOAT32) {
        float a = *(const float *)s->data, b = *(const float *)l->data,
              c = *(const float *)d->data;
        EMBER_ENSURE(ctx, isfinite(a) && isfinite(b) && isfinite(c), "RANGE: non-finite input");
        EMBER_ENSURE(ctx, c != 0.0f, "RANGE: delta is zero");
        EMBER_ENSURE(ctx, (a >= b && c < 0) || (a <= b && c > 0),
                     "RANGE: delta points away from limit");
        n = ceilf(fabsf((b - a) / c));
    } else {
        int64_t a, b, c;
        if (s->type == EMBER_TensorType_INT32) {
            a = *(const int32_t *)s->data; b = *(const int32_t *)l->data;
            c = *(const int32_t *)d->data;
        } else {
            a = *(const int64_t *)s->data; b = *(const int64_t *)l->data;
            c = *(const int64_t *)d->data;
        }
        EMBER_ENSURE(ctx, c != 0, "RANGE: delta is zero");
        EMBER_ENSURE(ctx, (a >= b && c < 0) || (a <= b && c > 0),
                     "RANGE: delta points away from limit");
        /* |b - a| and |c| as doubles are exact enough to bound the size. */
        double span = (double)b - (double)a, step = (double)c;
        if (span < 0) span = -span;
        if (step < 0) step = -step;
        n = ceil(span / step);
        if (n <= (double)INT32_MAX) {
            /* Exact integer formula where it matters. */
            uint64_t us = a <= b ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
            uint64_t ud = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
            n = (double)(us / ud + (us % ud != 0));
        }
    }
    EMBER_ENSURE(ctx, n >= 0 && n <= (double)INT32_MAX, "RANGE: output too large");
    *size = (int32_t)n;
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 3 && node->n_outputs == 1,
                 "RANGE needs 3 inputs and 1 output");
    ember_tensor *y = ember_output(ctx, node, 0);
    const ember_tensor *s = ember_input(ctx, node, 0);
    EMBER_ENSURE(ctx, s && y, "RANGE: missing input or output");
    int all_const = 1;
    for (int i = 0; i < 3; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, t && t->type == s->type, "RANGE: inputs must share one type");
        EMBER_ENSURE(ctx, ember_num_elements(t) == 1 && t->ndim <= 1,
                     "RANGE: input %d must be a scalar", i);
        all_const &= ember_is_const(t) != 0;
    }
    if (s->type != EMBER_TensorType_INT32 && s->type != EMBER_TensorType_INT64 &&
        s->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "RANGE: type %s not supported",
                          ember_type_name(s->type));
    EMBER_ENSURE(ctx, y->type == s->type, "RANGE: output type differs from inputs");
    if (!all_const) return ember_tensor_set_dynamic(ctx, y);
    int32_t n = 0;
    EMBER_CHECK(range_size(ctx, node, &n));
    return ember_tensor_resize(ctx, y, 1, &n);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *s = ember_input(ctx, node, 0), *d = ember_input(ctx, node, 2);
    ember_tensor *y = ember_output(ctx, node, 0);
    int32_t n = 0;
    EMBER_CHECK(range_size(ctx, node, &n));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, 1, &n));
    if (s->type == EMBER_TensorType_INT32)
        range_i32(*(const int32_t *)s->data, *(const int32_t *)d->data, (size_t)n, y->data);
    else if (s->type == EMBER_TensorType_INT64)
        range_i64(*(const int64_t *)s->data, *(const int64_t *)d->data, (size_t)n, y->data);
    else
        range_f32(*(const float *)s->data, *(const float *)d->data, (size_t)n, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_RANGE = { "RANGE", NULL, NULL, prepare, eval };
