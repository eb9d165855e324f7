/*
 * arg_min_max.c — ARG_MAX and ARG_MIN.
 *
 * Inputs: data (float32, int32, int8, uint8, bool as LiteRT; int16 too, which
 * LiteRT and TFLite Micro lack), axis (int32 or
 * int64 with exactly one element; constant or runtime). Output: int32 or
 * int64 as ArgMaxOptions/ArgMinOptions.output_type says, shaped like the
 * input with the axis removed. Ties resolve to the first index: a later
 * element must compare strictly greater (less) to replace the current best.
 * NaNs never win unless all values are NaN (then index 0), as in TFLite.
 * Quantised inputs are compared raw: scales are positive, so the order of
 * the stored integers is the order of the real values.
 */
#include <math.h>
#include <string.h>

#include "ember_kernel.h"

typedef struct argmm_data {
    int is_max;
    int const_axis;
} argmm_data;

/* For each (outer, inner) position the index along the middle run. */
#define DEFINE_ARG(NAME, T, BETTER_MAX, BETTER_MIN)                                                 \
    static void NAME(const T *in, int64_t outer, int64_t n, int64_t inner,          \
                     int is_max, void *out, int out64) {                            \
        for (int64_t o = 0; o < outer; o++) {                                       \
            const T *base = in + o * n * inner;                                     \
            for (int64_t i = 0; i < inner; i++) {                                   \
                T best = base[i];                                                   \
                int64_t bi = 0;                                                     \
                if (is_max) {                                                       \
                    for (int64_t k = 1; k < n; k++) {                               \
                        T v = base[k * inner + i];                                  \
                        if (BETTER_MAX(v, best)) { best = v; bi = k; }              \
                    }                                                               \
                } else {                                                            \
                    for (int64_t k = 1; k < n; k++) {                               \
                        T v = base[k * inner + i];                                  \
                        if (BETTER_MIN(v, best)) { best = v; bi = k; }              \
                    }                                                               \
                }                                                                   \
                if (out64) ((int64_t *)out)[o * inner + i] = bi;                    \
                else ((int32_t *)out)[o * inner + i] = (int32_t)bi;                 \
            }                                                                       \
        }                                                                           \
    }

/* candidate v replaces the current best b: strictly better only (ties keep the
 * first index); for floats NaN never wins and anything beats a NaN best, as
 * TFLite's NaN-aware comparator (all-NaN gives index 0). */
#define GT(v, b) ((v) > (b))
#define LT(v, b) ((v) < (b))
#define GT_NAN(v, b) (!isnan(v) && (isnan(b) || (v) > (b)))
#define LT_NAN(v, b) (!isnan(v) && (isnan(b) || (v) < (b)))
DEFINE_ARG(arg_f32, float, GT_NAN, LT_NAN)
DEFINE_ARG(arg_i32, int32_t, GT, LT)
DEFINE_ARG(arg_i8, int8_t, GT, LT)
DEFINE_ARG(arg_i16, int16_t, GT, LT)
DEFINE_ARG(arg_u8, uint8_t, GT, LT)

static void *init(ember_context *ctx, ember_node *node) {
    argmm_data *d = ember_alloc_persistent(ctx, sizeof *d);
    if (d) d->is_max = node->op == EMBER_BuiltinOperator_ARG_MAX;
    return d;
}

static ember_status read_axis(ember_context *ctx, const ember_tensor *x,
                              const ember_tensor *axis, int *out) {
    int64_t a = axis->type == EMBER_TensorType_INT64 ? *(const int64_t *)axis->data
                                                     : *(const int32_t *)axis->data;
    if (a < -(int64_t)x->ndim || a >= x->ndim)
        return ember_fail(ctx, EMBER_ERR_MODEL, "axis %lld out of range for rank %d",
                          (long long)a, (int)x->ndim);
    *out = (int)(a < 0 ? a + x->ndim : a);
    return EMBER_OK;
}

static ember_status set_shape(ember_context *ctx, const ember_tensor *x, int axis,
                              ember_tensor *y) {
    int32_t dims[EMBER_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis) dims[k++] = x->dims[d];
    return ember_tensor_resize(ctx, y, k, dims);
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    argmm_data *d = node->data;
    EMBER_ENSURE(ctx, d, "arg_min_max: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "%s needs 2 inputs and 1 output", d->is_max ? "ARG_MAX" : "ARG_MIN");
    const ember_tensor *x = ember_input(ctx, node, 0), *axis = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && axis && y, "arg_min_max: missing tensor");
    int t = x->type;
    if (!(t == EMBER_TensorType_FLOAT32 || t == EMBER_TensorType_INT32 ||
          t == EMBER_TensorType_INT8 || t == EMBER_TensorType_UINT8 ||
          t == EMBER_TensorType_INT16 || t == EMBER_TensorType_BOOL))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "arg_min_max: input type %s not supported",
                          ember_type_name(t));
    EMBER_ENSURE(ctx, x->ndim >= 1, "arg_min_max: input must have rank >= 1");
    EMBER_ENSURE(ctx, axis->type == EMBER_TensorType_INT32 || axis->type == EMBER_TensorType_INT64,
                 "arg_min_max: axis must be int32 or int64");
    EMBER_ENSURE(ctx, ember_num_elements(axis) == 1, "arg_min_max: axis must have one element");
    int table = d->is_max ? EMBER_BuiltinOptions_ArgMaxOptions : EMBER_BuiltinOptions_ArgMinOptions;
    int field = d->is_max ? EMBER_ArgMaxOptions_output_type : EMBER_ArgMinOptions_output_type;
    int64_t ot = node->options_type == table ? ember_opt_int(node, table, field, 0) : y->type;
    EMBER_ENSURE(ctx, ot == EMBER_TensorType_INT32 || ot == EMBER_TensorType_INT64,
                 "arg_min_max: output_type must be int32 or int64, got %d", (int)ot);
    EMBER_ENSURE(ctx, y->type == ot, "arg_min_max: output tensor is %s but output_type is %s",
                 ember_type_name(y->type), ember_type_name((int32_t)ot));
    d->const_axis = ember_is_const(axis);
    if (!d->const_axis) return ember_tensor_set_dynamic(ctx, y);
    int a;
    EMBER_CHECK(read_axis(ctx, x, axis, &a));
    EMBER_ENSURE(ctx, x->dims[a] > 0 || ember_num_elements(x) == 0,
                 "arg_min_max: reduced dimension is empty");
    return set_shape(ctx, x, a, y);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const argmm_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0), *axis = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    int a;
    EMBER_CHECK(read_axis(ctx, x, axis, &a));
    if (!d->const_axis) EMBER_CHECK(set_shape(ctx, x, a, y));
    int64_t outer = 1, inner = 1, n = x->dims[a];
    for (int i = 0; i < a; i++) outer *= x->dims[i];
    for (int i = a + 1; i < x->ndim; i++) inner *= x->dims[i];
    if (outer * inner == 0) return EMBER_OK;
    if (n == 0) return ember_fail(ctx, EMBER_ERR_ARG, "arg_min_max: reduced dimension is empty");
    int o64 = y->type == EMBER_TensorType_INT64;
    switch (x->type) {
    case EMBER_TensorType_FLOAT32: arg_f32(x->data, outer, n, inner, d->is_max, y->data, o64); break;
    case EMBER_TensorType_INT32: arg_i32(x->data, outer, n, inner, d->is_max, y->data, o64); break;
    case EMBER_TensorType_INT8: arg_i8(x->data, outer, n, inner, d->is_max, y->data, o64); break;
    case EMBER_TensorType_INT16: arg_i16(x->data, outer, n, inner, d->is_max, y->data, o64); break;
    default: /* UINT8, BOOL (one byte, 0/1) */
        arg_u8(x->data, outer, n, inner, d->is_max, y->data, o64);
        break;
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_ARG_MAX = { "ARG_MAX", init, NULL, prepare, eval };
const ember_kernel ember_kernel_ARG_MIN = { "ARG_MIN", init, NULL, prepare, eval };
