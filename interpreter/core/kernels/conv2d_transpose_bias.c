/*
 * conv2d_transpose_bias.c — MediaPipe's custom op Convolution2DTransposeBias
 * (float32), as used by e.g. selfie_segmentation.tflite.
 *
 * inputs: input [N,H,W,IC], weights [O,KH,KW,IC], bias [O] -> output
 * [N,OH,OW,O]. custom_options is MediaPipe's raw C struct (not a
 * flexbuffer), laid out like TfLiteTransposeConvParams / TfLitePoolParams:
 *   int32 padding (TfLitePadding: 1 = SAME, 2 = VALID), int32 stride_width,
 *   int32 stride_height, ... (further fields ignored).
 * Output size follows XNNPACK, which LiteRT uses to run the op:
 *   SAME: out = in * stride, leading padding max(0, k - stride) / 2;
 *   VALID: out = (in - 1) * stride + k, no padding.
 * No fused activation. The maths is the shared transposed-conv engine of
 * transpose_conv.c.
 */
#include <math.h>
#include <string.h>

#include "gemm.h"

enum { MP_PADDING_SAME = 1, MP_PADDING_VALID = 2 };

static int32_t read_i32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void *ctb_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(ember_tconv));
}

static ember_status ctb_prepare(ember_context *ctx, ember_node *node) {
    ember_tconv *t = (ember_tconv *)node->data;
    EMBER_ENSURE(ctx, t != NULL, "Convolution2DTransposeBias: no op data");
    EMBER_ENSURE(ctx, node->n_inputs == 3 && node->n_outputs == 1,
                 "Convolution2DTransposeBias needs 3 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *w = ember_input(ctx, node, 1);
    const ember_tensor *b = ember_input(ctx, node, 2);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && w && b && y, "Convolution2DTransposeBias: missing input or output");
    if (x->type != EMBER_TensorType_FLOAT32 || w->type != EMBER_TensorType_FLOAT32 ||
        b->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "Convolution2DTransposeBias: only float32 is supported");
    EMBER_ENSURE(ctx, x->ndim == 4 && w->ndim == 4 && b->ndim == 1,
                 "Convolution2DTransposeBias: input/weights must be 4-D, bias 1-D");
    EMBER_ENSURE(ctx, node->custom_options && node->custom_options_size >= 12,
                 "Convolution2DTransposeBias: custom options must hold padding and strides");
    const int32_t padding = read_i32(node->custom_options);
    t->stride_w = read_i32(node->custom_options + 4);
    t->stride_h = read_i32(node->custom_options + 8);
    EMBER_ENSURE(ctx, padding == MP_PADDING_SAME || padding == MP_PADDING_VALID,
                 "Convolution2DTransposeBias: unknown padding %d", (int)padding);
    EMBER_ENSURE(ctx, t->stride_w > 0 && t->stride_h > 0 && t->stride_w <= 4096 &&
                      t->stride_h <= 4096,
                 "Convolution2DTransposeBias: bad strides %d x %d", (int)t->stride_h,
                 (int)t->stride_w);
    t->N = x->dims[0]; t->H = x->dims[1]; t->W = x->dims[2]; t->IC = x->dims[3];
    t->O = w->dims[0]; t->KH = w->dims[1]; t->KW = w->dims[2];
    EMBER_ENSURE(ctx, w->dims[3] == t->IC && t->IC > 0,
                 "Convolution2DTransposeBias: weights have %d input channels, input %d",
                 (int)w->dims[3], (int)t->IC);
    EMBER_ENSURE(ctx, t->O > 0 && t->KH > 0 && t->KW > 0 && t->H > 0 && t->W > 0,
                 "Convolution2DTransposeBias: empty input or weights");
    EMBER_ENSURE(ctx, b->dims[0] == t->O, "Convolution2DTransposeBias: bias must be [%d]",
                 (int)t->O);
    int64_t oh, ow;
    if (padding == MP_PADDING_SAME) {
        oh = (int64_t)t->H * t->stride_h;
        ow = (int64_t)t->W * t->stride_w;
        t->pad_h = t->KH > t->stride_h ? (t->KH - t->stride_h) / 2 : 0;
        t->pad_w = t->KW > t->stride_w ? (t->KW - t->stride_w) / 2 : 0;
    } else {
        oh = (int64_t)(t->H - 1) * t->stride_h + t->KH;
        ow = (int64_t)(t->W - 1) * t->stride_w + t->KW;
        t->pad_h = t->pad_w = 0;
    }
    EMBER_ENSURE(ctx, oh <= INT32_MAX && ow <= INT32_MAX,
                 "Convolution2DTransposeBias: output too large");
    t->OH = (int32_t)oh;
    t->OW = (int32_t)ow;
    t->lo = -INFINITY;
    t->hi = INFINITY;
    const int32_t dims[4] = {t->N, t->OH, t->OW, t->O};
    EMBER_CHECK(ember_tensor_resize(ctx, y, 4, dims));
    return ember_tconv_plan(ctx, node, t, w);
}

static ember_status ctb_eval(ember_context *ctx, ember_node *node) {
    ember_tconv *t = (ember_tconv *)node->data;
    ember_tconv_run(ctx, node, t, (const float *)ember_input(ctx, node, 0)->data,
                    (const float *)ember_input(ctx, node, 1)->data,
                    (const float *)ember_input(ctx, node, 2)->data,
                    (float *)ember_output(ctx, node, 0)->data);
    return EMBER_OK;
}

const ember_kernel ember_custom_kernel_Convolution2DTransposeBias = {
    "Convolution2DTransposeBias", ctb_init, NULL, ctb_prepare, ctb_eval };
