/* split.c — SPLIT (inputs: axis, input; equal parts, SplitOptions.num_splits
 * = number of outputs) and SPLIT_V (inputs: input, size_splits, axis; one
 * size may be -1). Any fixed-size type. */
#include "shape_common.h"

/* Copies, for each of `outer` rows of `row` bytes starting `col` bytes in,
 * consecutive pieces of piece[i] bytes to dst[i]. */
static void split_bytes(const void *src, size_t outer, size_t row, size_t col, int n,
                        const size_t *piece, void *const *dst) {
    for (size_t o = 0; o < outer; o++) {
        const char *s = (const char *)src + o * row + col;
        for (int i = 0; i < n; i++) {
            memcpy((char *)dst[i] + o * piece[i], s, piece[i]);
            s += piece[i];
        }
    }
}

/* Reads the axis tensor (scalar/1-element int32/int64) into [0, rank). */
static ember_status read_axis(ember_context *ctx, const ember_tensor *ax, int rank, int *axis,
                              const char *what) {
    int64_t v[1];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, ax, v, 1, &n, what));
    EMBER_ENSURE(ctx, n == 1, "%s must hold one value", what);
    return shp_axis(ctx, v[0], rank, axis, what);
}

/* Computes each output's extent along the axis and resizes the outputs. */
static ember_status split_resize(ember_context *ctx, ember_node *node, int is_v) {
    const ember_tensor *x = ember_input(ctx, node, is_v ? 0 : 1);
    const ember_tensor *ax = ember_input(ctx, node, is_v ? 2 : 0);
    const int n = node->n_outputs;
    int axis = 0;
    EMBER_CHECK(read_axis(ctx, ax, x->ndim, &axis, is_v ? "SPLIT_V axis" : "SPLIT axis"));
    const int32_t len = x->dims[axis];
    int32_t dims[EMBER_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    if (!is_v) {
        EMBER_ENSURE(ctx, len % n == 0, "SPLIT: dimension %d (%d) not divisible by %d", axis,
                     (int)len, n);
        dims[axis] = len / n;
        for (int i = 0; i < n; i++)
            EMBER_CHECK(ember_tensor_resize(ctx, ember_output(ctx, node, i), x->ndim, dims));
        return EMBER_OK;
    }
    const ember_tensor *ss = ember_input(ctx, node, 1);
    int64_t sizes[1024];
    int m = 0;
    EMBER_ENSURE(ctx, n <= 1024, "SPLIT_V: too many outputs (%d)", n);
    EMBER_CHECK(shp_read_ints(ctx, ss, sizes, 1024, &m, "SPLIT_V size_splits"));
    EMBER_ENSURE(ctx, m == n, "SPLIT_V: %d size_splits for %d outputs", m, n);
    int neg = -1;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (sizes[i] == -1) {
            EMBER_ENSURE(ctx, neg < 0, "SPLIT_V: more than one -1 in size_splits");
            neg = i;
        } else {
            EMBER_ENSURE(ctx, sizes[i] >= 0 && sizes[i] <= len,
                         "SPLIT_V: size_splits[%d] = %lld invalid", i, (long long)sizes[i]);
            total += sizes[i];
        }
    }
    if (neg >= 0) {
        EMBER_ENSURE(ctx, total <= len, "SPLIT_V: size_splits exceed dimension %d", (int)len);
        sizes[neg] = len - total;
    } else {
        EMBER_ENSURE(ctx, total == len, "SPLIT_V: size_splits sum to %lld, dimension is %d",
                     (long long)total, (int)len);
    }
    for (int i = 0; i < n; i++) {
        dims[axis] = (int32_t)sizes[i];
        EMBER_CHECK(ember_tensor_resize(ctx, ember_output(ctx, node, i), x->ndim, dims));
    }
    return EMBER_OK;
}

static ember_status split_prepare(ember_context *ctx, ember_node *node, int is_v) {
    const char *name = is_v ? "SPLIT_V" : "SPLIT";
    EMBER_ENSURE(ctx, node->n_inputs == (is_v ? 3 : 2), "%s needs %d inputs", name,
                 is_v ? 3 : 2);
    EMBER_ENSURE(ctx, node->n_outputs >= 1, "%s needs at least 1 output", name);
    const ember_tensor *x = ember_input(ctx, node, is_v ? 0 : 1);
    const ember_tensor *ax = ember_input(ctx, node, is_v ? 2 : 0);
    const ember_tensor *ss = is_v ? ember_input(ctx, node, 1) : NULL;
    EMBER_ENSURE(ctx, x && ax && (!is_v || ss), "%s: missing input", name);
    EMBER_ENSURE(ctx, shp_is_index_type(ax->type) && ember_num_elements(ax) == 1,
                 "%s: axis must be one int32/int64 value", name);
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
    if (!is_v) {
        int64_t ns = ember_opt_int(node, EMBER_BuiltinOptions_SplitOptions,
                                   EMBER_SplitOptions_num_splits, node->n_outputs);
        EMBER_ENSURE(ctx, ns == node->n_outputs, "SPLIT: num_splits %lld but %d outputs",
                     (long long)ns, (int)node->n_outputs);
    } else {
        EMBER_ENSURE(ctx, ss->ndim == 1 && shp_is_index_type(ss->type),
                     "SPLIT_V: size_splits must be a 1-D int32/int64 tensor");
        EMBER_ENSURE(ctx, ss->dims[0] == node->n_outputs,
                     "SPLIT_V: %d size_splits for %d outputs", (int)ss->dims[0],
                     (int)node->n_outputs);
    }
    for (int i = 0; i < node->n_outputs; i++) {
        ember_tensor *y = ember_output(ctx, node, i);
        EMBER_ENSURE(ctx, y, "%s: output %d missing", name, i);
        EMBER_ENSURE(ctx, y->type == x->type, "%s: output %d type differs", name, i);
    }
    if (ember_is_const(ax) && (!is_v || ember_is_const(ss))) return split_resize(ctx, node, is_v);
    for (int i = 0; i < node->n_outputs; i++)
        EMBER_CHECK(ember_tensor_set_dynamic(ctx, ember_output(ctx, node, i)));
    return EMBER_OK;
}

static ember_status split_eval(ember_context *ctx, ember_node *node, int is_v) {
    const ember_tensor *x = ember_input(ctx, node, is_v ? 0 : 1);
    const ember_tensor *ax = ember_input(ctx, node, is_v ? 2 : 0);
    if (ember_output(ctx, node, 0)->mem == EMBER_MEM_DYNAMIC)
        EMBER_CHECK(split_resize(ctx, node, is_v));
    int axis = 0;
    EMBER_CHECK(read_axis(ctx, ax, x->ndim, &axis, "axis"));
    const size_t es = ember_type_size(x->type);
    const size_t outer = shp_prod(x->dims, 0, axis);
    const size_t after = shp_prod(x->dims, axis + 1, x->ndim) * es;
    void *dst[64];
    size_t piece[64];
    /* Outputs in groups of 64: each group walks the input once. */
    size_t col = 0, row = (size_t)x->dims[axis] * after;
    for (int base = 0; base < node->n_outputs; base += 64) {
        int k = node->n_outputs - base < 64 ? node->n_outputs - base : 64;
        size_t width = 0;
        for (int i = 0; i < k; i++) {
            ember_tensor *y = ember_output(ctx, node, base + i);
            dst[i] = y->data;
            piece[i] = (size_t)y->dims[axis] * after;
            width += piece[i];
        }
        split_bytes(x->data, outer, row, col, k, piece, dst);
        col += width;
    }
    return EMBER_OK;
}

static ember_status prepare_split(ember_context *ctx, ember_node *node) {
    return split_prepare(ctx, node, 0);
}
static ember_status eval_split(ember_context *ctx, ember_node *node) {
    return split_eval(ctx, node, 0);
}
static ember_status prepare_split_v(ember_context *ctx, ember_node *node) {
    return split_prepare(ctx, node, 1);
}
static ember_status eval_split_v(ember_context *ctx, ember_node *node) {
    return split_eval(ctx, node, 1);
}

const ember_kernel ember_kernel_SPLIT = { "SPLIT", NULL, NULL, prepare_split, eval_split };
const ember_kernel ember_kernel_SPLIT_V = { "SPLIT_V", NULL, NULL, prepare_split_v, eval_split_v };
