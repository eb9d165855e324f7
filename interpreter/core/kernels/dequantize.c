/*
 * dequantize.c — DEQUANTIZE: float16 / int8 / uint8 / int16 → float32.
 *
 *   float16:        y = (float)x
 *   per-tensor:     y = scale * (x - zero_point)
 *   per-channel:    y = scale[c] * (x - zero_point[c]), c = index along
 *                   quantized_dimension (int8 and int16, as LiteRT)
 *
 * Constant folding: converters keep weights as float16/int8 constants behind
 * a DEQUANTIZE. When the input is constant, prepare computes the output once
 * into persistent memory, points the output tensor at it and marks it
 * EMBER_MEM_CONST, so later kernels see (and may pre-pack) a constant float
 * tensor and eval has nothing to do. If the runtime nevertheless gives the
 * output other storage after prepare, eval notices (data pointer changed)
 * and dequantizes as usual.
 */
#include <string.h>

#include "ember_kernel.h"

typedef struct deq_data {
    void *folded;               /* persistent output, when the input is const */
    size_t folded_bytes;
} deq_data;

/* ---- maths -------------------------------------------------------------- */

static void deq_f16(const uint16_t *x, size_t n, float *y) {
    for (size_t i = 0; i < n; i++) y[i] = ember_f16_to_f32(x[i]);
}

#define DEFINE_DEQ(SUF, T)                                                           \
    static void deq_##SUF(const T *x, size_t n, float scale, int32_t zp, float *y) {  \
        for (size_t i = 0; i < n; i++) y[i] = scale * (float)((int32_t)x[i] - zp);   \
    }                                                                                \
    /* outer x channels x inner layout, one (scale, zp) per channel */               \
    static void deq_pc_##SUF(const T *x, int64_t outer, int64_t ch, int64_t inner,   \
                             const float *scale, const int64_t *zp, float *y) {      \
        for (int64_t o = 0; o < outer; o++)                                           \
            for (int64_t c = 0; c < ch; c++) {                                        \
                const float s = scale[c];                                             \
                const int32_t z = (int32_t)zp[c];                                     \
                const T *xs = x + (o * ch + c) * inner;                               \
                float *ys = y + (o * ch + c) * inner;                                 \
                for (int64_t i = 0; i < inner; i++) ys[i] = s * (float)((int32_t)xs[i] - z); \
            }                                                                         \
    }
DEFINE_DEQ(i8, int8_t)
DEFINE_DEQ(u8, uint8_t)
DEFINE_DEQ(i16, int16_t)

/* ---- glue --------------------------------------------------------------- */

static void run(const ember_tensor *x, float *y) {
    size_t n = ember_num_elements(x);
    if (x->type == EMBER_TensorType_FLOAT16) {
        deq_f16(x->data, n, y);
        return;
    }
    if (x->q.count > 1) {
        int qd = x->q.quantized_dimension;
        int64_t outer = 1, inner = 1, ch = x->dims[qd];
        for (int i = 0; i < qd; i++) outer *= x->dims[i];
        for (int i = qd + 1; i < x->ndim; i++) inner *= x->dims[i];
        if (x->type == EMBER_TensorType_INT8)
            deq_pc_i8(x->data, outer, ch, inner, x->q.scale, x->q.zero_point, y);
        else if (x->type == EMBER_TensorType_UINT8)
            deq_pc_u8(x->data, outer, ch, inner, x->q.scale, x->q.zero_point, y);
        else
            deq_pc_i16(x->data, outer, ch, inner, x->q.scale, x->q.zero_point, y);
        return;
    }
    float s = x->q.scale[0];
    int32_t z = x->q.zero_point ? (int32_t)x->q.zero_point[0] : 0;
    if (x->type == EMBER_TensorType_INT8) deq_i8(x->data, n, s, z, y);
    else if (x->type == EMBER_TensorType_UINT8) deq_u8(x->data, n, s, z, y);
    else deq_i16(x->data, n, s, z, y);
}

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(deq_data));
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    deq_data *d = node->data;
    EMBER_ENSURE(ctx, d, "DEQUANTIZE: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "DEQUANTIZE needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "DEQUANTIZE: missing tensor");
    EMBER_ENSURE(ctx, y->type == EMBER_TensorType_FLOAT32,
                 "DEQUANTIZE: output must be float32, got %s", ember_type_name(y->type));
    int t = x->type;
    if (t != EMBER_TensorType_FLOAT16 && t != EMBER_TensorType_INT8 &&
        t != EMBER_TensorType_UINT8 && t != EMBER_TensorType_INT16)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "DEQUANTIZE: input type %s not supported",
                          ember_type_name(t));
    if (t != EMBER_TensorType_FLOAT16) {
        EMBER_ENSURE(ctx, x->q.count >= 1 && x->q.scale,
                     "DEQUANTIZE: %s input needs quantisation parameters", ember_type_name(t));
        EMBER_ENSURE(ctx, x->q.zero_point != NULL || x->q.count == 1,
                     "DEQUANTIZE: missing zero points");
        if (x->q.count > 1) {
            int qd = x->q.quantized_dimension;
            EMBER_ENSURE(ctx, qd >= 0 && qd < x->ndim,
                         "DEQUANTIZE: quantized_dimension %d out of range", qd);
            EMBER_ENSURE(ctx, x->dims[qd] == x->q.count,
                         "DEQUANTIZE: %d scales for a dimension of %d", (int)x->q.count,
                         (int)x->dims[qd]);
            EMBER_ENSURE(ctx, x->q.zero_point, "DEQUANTIZE: missing zero points");
        }
    }
    EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim, x->dims));
    if (ember_is_const(x) && x->data && !y->is_variable) {
        size_t bytes = ember_num_elements(x) * sizeof(float);
        if (!d->folded || d->folded_bytes < bytes) {
            d->folded = ember_alloc_persistent(ctx, bytes ? bytes : 1);
            if (!d->folded) return EMBER_ERR_NOMEM;
            d->folded_bytes = bytes;
        }
        run(x, d->folded);
        y->data = d->folded;
        y->mem = EMBER_MEM_CONST;
    } else if (d->folded && y->data == d->folded) {
        /* re-prepared with a non-constant input: give the tensor back */
        y->data = NULL;
        y->mem = EMBER_MEM_NONE;
    }
    return EMBER_OK;
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const deq_data *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (d->folded && y->data == d->folded) return EMBER_OK;   /* folded in prepare */
    run(x, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_DEQUANTIZE = { "DEQUANTIZE", init, NULL, prepare, eval };
