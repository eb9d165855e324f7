/* pad.c — PAD and PADV2 (constant padding; paddings input 1 is [rank, 2]
 * int32/int64, non-negative; PAD pads with zero, or the output zero point
 * for quantised types; PADV2 with input 2's single value) and MIRROR_PAD
 * (REFLECT excludes the edge, SYMMETRIC repeats it; padding at most
 * dim - 1 resp. dim). Any fixed-size element type. */
#include "shape_common.h"
#include "quant_elementwise.h"

/* Constant pad: dst (out_dims) = padval everywhere, src placed at `before`. */
static void pad_const_bytes(int ndim, const int32_t *in_dims, const int32_t *before,
                            const int32_t *out_dims, size_t es, const void *src, void *dst,
                            const void *padval) {
    size_t out_total = shp_prod(out_dims, 0, ndim), in_total = shp_prod(in_dims, 0, ndim);
    shp_fill_bytes(dst, out_total, padval, es);
    if (in_total == 0) return;
    if (ndim == 0) { memcpy(dst, src, es); return; }
    size_t ostride[EMBER_MAX_DIMS];
    int32_t idx[EMBER_MAX_DIMS] = {0};
    for (int i = ndim - 1, s = 1; i >= 0; i--) {
        ostride[i] = (size_t)s;
        s *= out_dims[i];
    }
    size_t base = 0;
    for (int i = 0; i < ndim; i++) base += (size_t)before[i] * ostride[i];
    const int last = ndim - 1;
    const size_t row = (size_t)in_dims[last] * es;
    const char *s = (const char *)src;
    size_t off = base;   /* output element offset of the current row start */
    for (size_t done = 0; done < in_total; done += (size_t)in_dims[last]) {
        memcpy((char *)dst + off * es, s, row);
        s += row;
        for (int a = last - 1; a >= 0; a--) {
            off += ostride[a];
            if (++idx[a] < in_dims[a]) break;
            off -= ostride[a] * (size_t)in_dims[a];
            idx[a] = 0;
        }
    }
}

/* Source coordinate of output coordinate j (shifted by `before`) along a
 * dimension of size n; `sym` = 1 for SYMMETRIC, 0 for REFLECT. */
static int32_t mirror_index(int64_t j, int32_t n, int sym) {
    if (j < 0) return (int32_t)(sym ? -j - 1 : -j);
    if (j >= n) return (int32_t)(sym ? 2 * (int64_t)n - 1 - j : 2 * (int64_t)n - 2 - j);
    return (int32_t)j;
}

static void mirror_pad_bytes(int ndim, const int32_t *in_dims, const int32_t *before,
                             const int32_t *out_dims, int sym, size_t es, const void *src,
                             void *dst) {
    size_t out_total = shp_prod(out_dims, 0, ndim);
    if (out_total == 0) return;
    if (ndim == 0) { memcpy(dst, src, es); return; }
    size_t istride[EMBER_MAX_DIMS];
    int32_t idx[EMBER_MAX_DIMS] = {0};
    for (int i = ndim - 1, s = 1; i >= 0; i--) {
        istride[i] = (size_t)s;
        s *= in_dims[i];
    }
    const int last = ndim - 1;
    const int32_t n = in_dims[last], b = before[last], w = out_dims[last];
    const char *in = (const char *)src;
    char *out = (char *)dst;
    for (size_t done = 0; done < out_total; done += (size_t)w) {
        size_t row = 0;
        for (int a = 0; a < last; a++)
            row += (size_t)mirror_index((int64_t)idx[a] - before[a], in_dims[a], sym) * istride[a];
        const char *r = in + row * es;
        for (int32_t j = 0; j < b; j++)
            memcpy(out + (size_t)j * es, r + (size_t)mirror_index(j - b, n, sym) * es, es);
        memcpy(out + (size_t)b * es, r, (size_t)n * es);
        for (int32_t j = b + n; j < w; j++)
            memcpy(out + (size_t)j * es, r + (size_t)mirror_index((int64_t)j - b, n, sym) * es, es);
        out += (size_t)w * es;
        for (int a = last - 1; a >= 0; a--) {
            if (++idx[a] < out_dims[a]) break;
            idx[a] = 0;
        }
    }
}

enum { K_PAD, K_PADV2, K_MIRROR };

static const char *kname(int k) {
    return k == K_PAD ? "PAD" : (k == K_PADV2 ? "PADV2" : "MIRROR_PAD");
}

/* Reads and checks the paddings; fills before[] and out dims. */
static ember_status pad_shape(ember_context *ctx, ember_node *node, int kind, int32_t *before,
                              int32_t *out_dims) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *pd = ember_input(ctx, node, 1);
    int64_t v[2 * EMBER_MAX_DIMS];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, pd, v, 2 * EMBER_MAX_DIMS, &n, "paddings"));
    EMBER_ENSURE(ctx, pd->ndim == 2 && pd->dims[0] == x->ndim && pd->dims[1] == 2,
                 "%s: paddings must be [%d, 2]", kname(kind), (int)x->ndim);
    int sym = 0;
    if (kind == K_MIRROR)
        sym = ember_opt_int(node, EMBER_BuiltinOptions_MirrorPadOptions,
                            EMBER_MirrorPadOptions_mode, EMBER_MirrorPadMode_REFLECT) ==
              EMBER_MirrorPadMode_SYMMETRIC;
    for (int i = 0; i < x->ndim; i++) {
        int64_t lo = v[2 * i], hi = v[2 * i + 1], d = x->dims[i];
        EMBER_ENSURE(ctx, lo >= 0 && hi >= 0, "%s: negative padding in dimension %d",
                     kname(kind), i);
        if (kind == K_MIRROR) {
            int64_t lim = sym ? d : (d > 0 ? d - 1 : 0);
            EMBER_ENSURE(ctx, lo <= lim && hi <= lim,
                         "MIRROR_PAD: padding %lld/%lld exceeds %lld for dimension %d of size %lld",
                         (long long)lo, (long long)hi, (long long)lim, i, (long long)d);
        }
        EMBER_ENSURE(ctx, d + lo + hi <= INT32_MAX, "%s: padded dimension too large",
                     kname(kind));
        before[i] = (int32_t)lo;
        out_dims[i] = (int32_t)(d + lo + hi);
    }
    return EMBER_OK;
}

static ember_status pad_prepare(ember_context *ctx, ember_node *node, int kind) {
    const char *name = kname(kind);
    EMBER_ENSURE(ctx, (node->n_inputs == 2 || (kind == K_PADV2 && node->n_inputs == 3)) &&
                          node->n_outputs == 1,
                 "%s: wrong number of inputs/outputs", name);
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *pd = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && pd && y, "%s: missing input or output", name);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ", name);
    EMBER_ENSURE(ctx, shp_is_index_type(pd->type), "%s: paddings must be int32/int64", name);
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
    if (kind == K_PADV2) {
        const ember_tensor *cv = ember_input(ctx, node, 2);
        if (cv) {
            EMBER_ENSURE(ctx, cv->type == x->type, "PADV2: constant value type differs");
            EMBER_ENSURE(ctx, ember_num_elements(cv) == 1, "PADV2: constant value must be one value");
            /* The constant is written as is, so it must be on the output's scale. */
            EMBER_CHECK(ember_qe_check_same(ctx, cv, y, "PADV2", "constant value"));
        }
    }
    if (kind == K_MIRROR) {
        int64_t mode = ember_opt_int(node, EMBER_BuiltinOptions_MirrorPadOptions,
                                     EMBER_MirrorPadOptions_mode, EMBER_MirrorPadMode_REFLECT);
        EMBER_ENSURE(ctx, mode == EMBER_MirrorPadMode_REFLECT ||
                              mode == EMBER_MirrorPadMode_SYMMETRIC,
                     "MIRROR_PAD: unknown mode %lld", (long long)mode);
    }
    if (!ember_is_const(pd)) return ember_tensor_set_dynamic(ctx, y);
    int32_t before[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(pad_shape(ctx, node, kind, before, dims));
    return ember_tensor_resize(ctx, y, x->ndim, dims);
}

static ember_status pad_eval(ember_context *ctx, ember_node *node, int kind) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    int32_t before[EMBER_MAX_DIMS], dims[EMBER_MAX_DIMS];
    EMBER_CHECK(pad_shape(ctx, node, kind, before, dims));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, x->ndim, dims));
    const size_t es = ember_type_size(x->type);
    if (kind == K_MIRROR) {
        int sym = ember_opt_int(node, EMBER_BuiltinOptions_MirrorPadOptions,
                                EMBER_MirrorPadOptions_mode, EMBER_MirrorPadMode_REFLECT) ==
                  EMBER_MirrorPadMode_SYMMETRIC;
        mirror_pad_bytes(x->ndim, x->dims, before, dims, sym, es, x->data, y->data);
        return EMBER_OK;
    }
    unsigned char padval[16];
    const ember_tensor *cv = kind == K_PADV2 ? ember_input(ctx, node, 2) : NULL;
    if (cv) memcpy(padval, cv->data, es);
    else shp_zero_value(y, padval, es);
    pad_const_bytes(x->ndim, x->dims, before, dims, es, x->data, y->data, padval);
    return EMBER_OK;
}

static ember_status prepare_pad(ember_context *c, ember_node *n) { return pad_prepare(c, n, K_PAD); }
static ember_status eval_pad(ember_context *c, ember_node *n) { return pad_eval(c, n, K_PAD); }
static ember_status prepare_padv2(ember_context *c, ember_node *n) { return pad_prepare(c, n, K_PADV2); }
static ember_status eval_padv2(ember_context *c, ember_node *n) { return pad_eval(c, n, K_PADV2); }
static ember_status prepare_mirror(ember_context *c, ember_node *n) { return pad_prepare(c, n, K_MIRROR); }
static ember_status eval_mirror(ember_context *c, ember_node *n) { return pad_eval(c, n, K_MIRROR); }

const ember_kernel ember_kernel_PAD = { "PAD", NULL, NULL, prepare_pad, eval_pad };
const ember_kernel ember_kernel_PADV2 = { "PADV2", NULL, NULL, prepare_padv2, eval_padv2 };
const ember_kernel ember_kernel_MIRROR_PAD = { "MIRROR_PAD", NULL, NULL, prepare_mirror, eval_mirror };
