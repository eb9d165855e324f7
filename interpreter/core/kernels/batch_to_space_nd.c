/* batch_to_space_nd.c — BATCH_TO_SPACE_ND (inputs: input, block_shape [M],
 * crops [M, 2]) and SPACE_TO_BATCH_ND (inputs: input, block_shape [M],
 * paddings [M, 2]). Input layout [batch, spatial_1..spatial_M, rest...];
 * TFLite uses M = 1 (3-D input) or M = 2 (4-D NHWC), Ember accepts any
 * 1 <= M < rank. Batch b' of the blocked tensor holds original batch
 * b' % B at block offset b' / B (row-major over block_shape). Blocks must
 * be positive, crops/paddings non-negative; SPACE_TO_BATCH pads with zero
 * (the zero point for quantised types). Any fixed-size element type. */
#include "shape_common.h"
#include "quant_elementwise.h"

typedef struct bs_geo {
    int m;                               /* spatial dimensions */
    int32_t block[EMBER_MAX_DIMS];
    int32_t lo[EMBER_MAX_DIMS];          /* crop or pad before */
    int32_t out_dims[EMBER_MAX_DIMS];
    int ndim;
} bs_geo;

/* Visits every (big batch, spatial position) of the *blocked* tensor
 * [B*P, S_1..S_M, rest] and moves `inner` bytes between it and the
 * unblocked tensor [B, T_1..T_M, rest] where t_k = s_k * block_k + off_k -
 * lo_k; positions outside T are padding (to_batch) or dropped. */
static void blocked_move(int to_batch, int m, const int32_t *blk_dims, const int32_t *unb_dims,
                         const int32_t *block, const int32_t *lo, size_t inner,
                         const void *padval, size_t es, const void *src, void *dst) {
    const size_t big_b = (size_t)blk_dims[0], small_b = (size_t)unb_dims[0];
    size_t unb_stride[EMBER_MAX_DIMS + 1];
    unb_stride[m] = 1;
    for (int k = m - 1; k >= 0; k--) unb_stride[k] = unb_stride[k + 1] * (size_t)unb_dims[k + 1];
    const size_t unb_batch = unb_stride[0] * inner;
    const char *s = (const char *)src;
    char *d = (char *)dst;
    size_t blk_pos = 0;   /* index of the current inner run in the blocked tensor */
    for (size_t bb = 0; bb < big_b; bb++) {
        const size_t b = bb % small_b;
        size_t rest = bb / small_b;
        int32_t off[EMBER_MAX_DIMS], idx[EMBER_MAX_DIMS];
        for (int k = m - 1; k >= 0; k--) {
            off[k] = (int32_t)(rest % (size_t)block[k]);
            rest /= (size_t)block[k];
            idx[k] = 0;
        }
        size_t count = shp_prod(blk_dims, 1, m + 1);
        for (size_t c = 0; c < count; c++, blk_pos++) {
            int inside = 1;
            size_t u = 0;
            for (int k = 0; k < m; k++) {
                int64_t t = (int64_t)idx[k] * block[k] + off[k] - lo[k];
                if (t < 0 || t >= unb_dims[k + 1]) { inside = 0; break; }
                u += (size_t)t * unb_stride[k + 1];
            }
            if (to_batch) {
                char *o = d + blk_pos * inner;
                if (inside) memcpy(o, s + b * unb_batch + u * inner, inner);
                else shp_fill_bytes(o, inner / es, padval, es);
            } else if (inside) {
                memcpy(d + b * unb_batch + u * inner, s + blk_pos * inner, inner);
            }
            for (int k = m - 1; k >= 0; k--) {
                if (++idx[k] < blk_dims[k + 1]) break;
                idx[k] = 0;
            }
        }
    }
}

static ember_status bs_geometry(ember_context *ctx, ember_node *node, int to_batch, bs_geo *g) {
    const char *name = to_batch ? "SPACE_TO_BATCH_ND" : "BATCH_TO_SPACE_ND";
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *bs = ember_input(ctx, node, 1);
    const ember_tensor *cp = ember_input(ctx, node, 2);
    int64_t blk[EMBER_MAX_DIMS], c[2 * EMBER_MAX_DIMS];
    int m = 0, nc = 0;
    EMBER_CHECK(shp_read_ints(ctx, bs, blk, EMBER_MAX_DIMS, &m, "block_shape"));
    EMBER_CHECK(shp_read_ints(ctx, cp, c, 2 * EMBER_MAX_DIMS, &nc,
                              to_batch ? "paddings" : "crops"));
    EMBER_ENSURE(ctx, m >= 1 && m < x->ndim, "%s: %d block dimensions for rank %d", name, m,
                 (int)x->ndim);
    EMBER_ENSURE(ctx, cp->ndim == 2 && cp->dims[0] == m && cp->dims[1] == 2,
                 "%s: %s must be [%d, 2]", name, to_batch ? "paddings" : "crops", m);
    int64_t prod = 1;
    for (int k = 0; k < m; k++) {
        EMBER_ENSURE(ctx, blk[k] >= 1 && blk[k] <= INT32_MAX, "%s: block_shape[%d] = %lld",
                     name, k, (long long)blk[k]);
        prod *= blk[k];
        EMBER_ENSURE(ctx, prod <= INT32_MAX, "%s: block too large", name);
        g->block[k] = (int32_t)blk[k];
    }
    g->m = m;
    g->ndim = x->ndim;
    memcpy(g->out_dims, x->dims, sizeof g->out_dims);
    for (int k = 0; k < m; k++) {
        const int64_t lo = c[2 * k], hi = c[2 * k + 1], in = x->dims[k + 1];
        EMBER_ENSURE(ctx, lo >= 0 && hi >= 0, "%s: negative %s in dimension %d", name,
                     to_batch ? "padding" : "crop", k);
        int64_t o;
        if (to_batch) {
            int64_t padded = in + lo + hi;
            EMBER_ENSURE(ctx, padded % blk[k] == 0,
                         "SPACE_TO_BATCH_ND: padded size %lld not divisible by block %lld",
                         (long long)padded, (long long)blk[k]);
            o = padded / blk[k];
        } else {
            int64_t full = in * blk[k];
            EMBER_ENSURE(ctx, lo + hi <= full, "BATCH_TO_SPACE_ND: crops exceed size %lld",
                         (long long)full);
            o = full - lo - hi;
        }
        EMBER_ENSURE(ctx, o <= INT32_MAX, "%s: output too large", name);
        g->lo[k] = (int32_t)lo;
        g->out_dims[k + 1] = (int32_t)o;
    }
    if (to_batch) {
        int64_t b = (int64_t)x->dims[0] * prod;
        EMBER_ENSURE(ctx, b <= INT32_MAX, "SPACE_TO_BATCH_ND: batch too large");
        g->out_dims[0] = (int32_t)b;
    } else {
        EMBER_ENSURE(ctx, x->dims[0] % prod == 0,
                     "BATCH_TO_SPACE_ND: batch %d not divisible by block size %lld",
                     (int)x->dims[0], (long long)prod);
        g->out_dims[0] = (int32_t)(x->dims[0] / prod);
    }
    return EMBER_OK;
}

static ember_status bs_prepare(ember_context *ctx, ember_node *node, int to_batch) {
    const char *name = to_batch ? "SPACE_TO_BATCH_ND" : "BATCH_TO_SPACE_ND";
    EMBER_ENSURE(ctx, node->n_inputs == 3 && node->n_outputs == 1,
                 "%s needs 3 inputs and 1 output", name);
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *bs = ember_input(ctx, node, 1);
    const ember_tensor *cp = ember_input(ctx, node, 2);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && bs && cp && y, "%s: missing input or output", name);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ", name);
    /* As TFLite: values move unchanged, so quantisation must match, and
     * int16 is symmetric. */
    EMBER_CHECK(ember_qe_check_same(ctx, x, y, name, "input"));
    if (x->type == EMBER_TensorType_INT16 && x->q.count)
        EMBER_CHECK(ember_qe_check_zp0(ctx, x, name, "input"));
    EMBER_ENSURE(ctx, bs->ndim == 1 && shp_is_index_type(bs->type) &&
                          shp_is_index_type(cp->type),
                 "%s: block_shape must be 1-D int32/int64", name);
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
    if (!ember_is_const(bs) || !ember_is_const(cp)) return ember_tensor_set_dynamic(ctx, y);
    bs_geo g;
    EMBER_CHECK(bs_geometry(ctx, node, to_batch, &g));
    return ember_tensor_resize(ctx, y, g.ndim, g.out_dims);
}

static ember_status bs_eval(ember_context *ctx, ember_node *node, int to_batch) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    bs_geo g;
    EMBER_CHECK(bs_geometry(ctx, node, to_batch, &g));
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(ember_tensor_resize(ctx, y, g.ndim, g.out_dims));
    const size_t es = ember_type_size(x->type);
    const size_t inner = shp_prod(x->dims, g.m + 1, x->ndim) * es;
    if (ember_num_elements(y) == 0 || inner == 0) return EMBER_OK;
    unsigned char padval[16];
    shp_zero_value(y, padval, es);
    if (to_batch)
        blocked_move(1, g.m, y->dims, x->dims, g.block, g.lo, inner, padval, es, x->data, y->data);
    else
        blocked_move(0, g.m, x->dims, y->dims, g.block, g.lo, inner, padval, es, x->data, y->data);
    return EMBER_OK;
}

static ember_status prepare_b2s(ember_context *c, ember_node *n) { return bs_prepare(c, n, 0); }
static ember_status eval_b2s(ember_context *c, ember_node *n) { return bs_eval(c, n, 0); }
static ember_status prepare_s2b(ember_context *c, ember_node *n) { return bs_prepare(c, n, 1); }
static ember_status eval_s2b(ember_context *c, ember_node *n) { return bs_eval(c, n, 1); }

const ember_kernel ember_kernel_BATCH_TO_SPACE_ND = { "BATCH_TO_SPACE_ND", NULL, NULL,
                                                      prepare_b2s, eval_b2s };
const ember_kernel ember_kernel_SPACE_TO_BATCH_ND = { "SPACE_TO_BATCH_ND", NULL, NULL,
                                                      prepare_s2b, eval_s2b };
