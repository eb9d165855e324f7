/* depth_to_space.c — DEPTH_TO_SPACE and SPACE_TO_DEPTH on NHWC tensors
 * (block_size from the options, > 0). Channel c of block position (bh, bw)
 * sits at depth (bh * block + bw) * C + c, as in TFLite. Any fixed-size
 * element type. */
#include "shape_common.h"

/* out[n][h*b+bh][w*b+bw][c] = in[n][h][w][(bh*b+bw)*C + c], C = out depth. */
static void depth_to_space_bytes(const int32_t *in_dims, int32_t b, size_t es,
                                 const void *src, void *dst) {
    const size_t N = (size_t)in_dims[0], H = (size_t)in_dims[1], W = (size_t)in_dims[2];
    const size_t C = (size_t)in_dims[3] / ((size_t)b * (size_t)b), run = C * es;
    const char *in = (const char *)src;
    char *out = (char *)dst;
    for (size_t n = 0; n < N; n++)
        for (size_t oh = 0; oh < H * (size_t)b; oh++)
            for (size_t ow = 0; ow < W * (size_t)b; ow++) {
                size_t ih = oh / (size_t)b, bh = oh % (size_t)b;
                size_t iw = ow / (size_t)b, bw = ow % (size_t)b;
                const char *p = in + (((n * H + ih) * W + iw) * (size_t)in_dims[3] +
                                      (bh * (size_t)b + bw) * C) * es;
                memcpy(out, p, run);
                out += run;
            }
}

/* out[n][h][w][(bh*b+bw)*C + c] = in[n][h*b+bh][w*b+bw][c]. */
static void space_to_depth_bytes(const int32_t *in_dims, int32_t b, size_t es,
                                 const void *src, void *dst) {
    const size_t N = (size_t)in_dims[0], H = (size_t)in_dims[1], W = (size_t)in_dims[2];
    const size_t C = (size_t)in_dims[3], run = C * es, B = (size_t)b;
    const size_t OH = H / B, OW = W / B, OC = C * B * B;
    const char *in = (const char *)src;
    char *out = (char *)dst;
    for (size_t n = 0; n < N; n++)
        for (size_t ih = 0; ih < H; ih++)
            for (size_t iw = 0; iw < W; iw++) {
                size_t oh = ih / B, bh = ih % B, ow = iw / B, bw = iw % B;
                memcpy(out + (((n * OH + oh) * OW + ow) * OC + (bh * B + bw) * C) * es, in, run);
                in += run;
            }
}

static ember_status common_checks(ember_context *ctx, ember_node *node, const char *name,
                                  int table, int field, int32_t *block) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "%s needs 1 input and 1 output", name);
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "%s: missing input or output", name);
    EMBER_ENSURE(ctx, x->ndim == 4, "%s: input must be 4-D (NHWC), got rank %d", name,
                 (int)x->ndim);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ", name);
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
    int64_t b = ember_opt_int(node, table, field, 0);
    EMBER_ENSURE(ctx, b > 0 && b <= 65535, "%s: block_size %lld must be positive", name,
                 (long long)b);
    *block = (int32_t)b;
    return EMBER_OK;
}

static ember_status d2s_prepare(ember_context *ctx, ember_node *node) {
    int32_t b = 0;
    EMBER_CHECK(common_checks(ctx, node, "DEPTH_TO_SPACE", EMBER_BuiltinOptions_DepthToSpaceOptions,
                              EMBER_DepthToSpaceOptions_block_size, &b));
    const ember_tensor *x = ember_input(ctx, node, 0);
    const int64_t bb = (int64_t)b * b;
    EMBER_ENSURE(ctx, x->dims[3] % bb == 0, "DEPTH_TO_SPACE: depth %d not divisible by %lld",
                 (int)x->dims[3], (long long)bb);
    int64_t h = (int64_t)x->dims[1] * b, w = (int64_t)x->dims[2] * b;
    EMBER_ENSURE(ctx, h <= INT32_MAX && w <= INT32_MAX, "DEPTH_TO_SPACE: output too large");
    int32_t dims[4] = { x->dims[0], (int32_t)h, (int32_t)w, (int32_t)(x->dims[3] / bb) };
    return ember_tensor_resize(ctx, ember_output(ctx, node, 0), 4, dims);
}

static ember_status d2s_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int32_t b = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_DepthToSpaceOptions,
                                       EMBER_DepthToSpaceOptions_block_size, 0);
    depth_to_space_bytes(x->dims, b, ember_type_size(x->type), x->data,
                         ember_output(ctx, node, 0)->data);
    return EMBER_OK;
}

static ember_status s2d_prepare(ember_context *ctx, ember_node *node) {
    int32_t b = 0;
    EMBER_CHECK(common_checks(ctx, node, "SPACE_TO_DEPTH", EMBER_BuiltinOptions_SpaceToDepthOptions,
                              EMBER_SpaceToDepthOptions_block_size, &b));
    const ember_tensor *x = ember_input(ctx, node, 0);
    EMBER_ENSURE(ctx, x->dims[1] % b == 0 && x->dims[2] % b == 0,
                 "SPACE_TO_DEPTH: %dx%d not divisible by block %d", (int)x->dims[1],
                 (int)x->dims[2], (int)b);
    int64_t c = (int64_t)x->dims[3] * b * b;
    EMBER_ENSURE(ctx, c <= INT32_MAX, "SPACE_TO_DEPTH: output depth too large");
    int32_t dims[4] = { x->dims[0], x->dims[1] / b, x->dims[2] / b, (int32_t)c };
    return ember_tensor_resize(ctx, ember_output(ctx, node, 0), 4, dims);
}

static ember_status s2d_eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int32_t b = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_SpaceToDepthOptions,
                                       EMBER_SpaceToDepthOptions_block_size, 0);
    space_to_depth_bytes(x->dims, b, ember_type_size(x->type), x->data,
                         ember_output(ctx, node, 0)->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_DEPTH_TO_SPACE = { "DEPTH_TO_SPACE", NULL, NULL, d2s_prepare,
                                                   d2s_eval };
const ember_kernel ember_kernel_SPACE_TO_DEPTH = { "SPACE_TO_DEPTH", NULL, NULL, s2d_prepare,
                                                   s2d_eval };
