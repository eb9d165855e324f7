/* strided_slice.c — STRIDED_SLICE with TFLite's mask semantics.
 *
 * The slice spec (begin/end/strides, inputs 1..3, one value per spec entry)
 * is first expanded into one entry per *effective* dimension: the ellipsis
 * covers as many input dimensions as the spec leaves unmentioned (at least
 * one), new_axis entries become inserted size-1 dimensions (ignored where
 * the ellipsis bit is also set), and dimensions past the spec are taken
 * whole. Then each dimension's start/stop are resolved as TFLite does:
 * negative indices count from the end, values are clamped ([0, n] going
 * forward, [-1, n-1] going backward), begin_mask/end_mask select the whole
 * extent, `offset` makes end relative to begin, and shrink_axis keeps one
 * element and drops the dimension. Ember additionally rejects a shrunk index
 * that lies outside the dimension (TFLite reads out of bounds there).
 */
#include "shape_common.h"

typedef struct ss_plan {
    int ndim;                        /* effective dimensions */
    int32_t in_dims[EMBER_MAX_DIMS]; /* input shape with new axes inserted */
    int32_t start[EMBER_MAX_DIMS], step[EMBER_MAX_DIMS], count[EMBER_MAX_DIMS];
    int out_ndim;
    int32_t out_dims[EMBER_MAX_DIMS];
} ss_plan;

static int32_t clamp_i64(int64_t v, int64_t lo, int64_t hi) {
    return (int32_t)(v < lo ? lo : (v > hi ? hi : v));
}

static int bit(int64_t mask, int i) { return i >= 0 && i < 63 && ((mask >> i) & 1); }

static ember_status ss_plan_make(ember_context *ctx, ember_node *node, ss_plan *p) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int64_t begin[EMBER_MAX_DIMS], end[EMBER_MAX_DIMS], strides[EMBER_MAX_DIMS];
    int nb = 0, ne = 0, ns = 0;
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 1), begin, EMBER_MAX_DIMS, &nb,
                              "STRIDED_SLICE begin"));
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 2), end, EMBER_MAX_DIMS, &ne,
                              "STRIDED_SLICE end"));
    EMBER_CHECK(shp_read_ints(ctx, ember_input(ctx, node, 3), strides, EMBER_MAX_DIMS, &ns,
                              "STRIDED_SLICE strides"));
    EMBER_ENSURE(ctx, nb == ne && ne == ns, "STRIDED_SLICE: begin/end/strides lengths %d/%d/%d",
                 nb, ne, ns);
    const int tbl = EMBER_BuiltinOptions_StridedSliceOptions;
    const int64_t begin_mask = ember_opt_int(node, tbl, EMBER_StridedSliceOptions_begin_mask, 0);
    const int64_t end_mask = ember_opt_int(node, tbl, EMBER_StridedSliceOptions_end_mask, 0);
    const int64_t ellipsis_mask =
        ember_opt_int(node, tbl, EMBER_StridedSliceOptions_ellipsis_mask, 0);
    const int64_t new_axis_mask =
        ember_opt_int(node, tbl, EMBER_StridedSliceOptions_new_axis_mask, 0);
    const int64_t shrink_mask =
        ember_opt_int(node, tbl, EMBER_StridedSliceOptions_shrink_axis_mask, 0);
    const int offset = ember_opt_int(node, tbl, EMBER_StridedSliceOptions_offset, 0) != 0;

    int n_new = 0;
    for (int i = 0; i < nb; i++)
        if (!bit(ellipsis_mask, i) && bit(new_axis_mask, i)) n_new++;
    const int in_rank = x->ndim, eff = in_rank + n_new;
    EMBER_ENSURE(ctx, eff <= EMBER_MAX_DIMS, "STRIDED_SLICE: %d dimensions with new axes",
                 eff);

    /* Which effective dimensions the ellipsis and the new axes occupy. */
    int is_ell[EMBER_MAX_DIMS] = {0}, is_new[EMBER_MAX_DIMS] = {0};
    int ell_start = eff, expanded = 0;
    for (int i = 0; i < eff;) {
        if (bit(ellipsis_mask, i)) {
            ell_start = i;
            int e_end = i + 1 + n_new + in_rank - nb;
            if (e_end > eff) e_end = eff;
            if (e_end < i + 1) e_end = i + 1;
            expanded = e_end - ell_start - 1;
            for (; i < e_end; i++) is_ell[i] = 1;
            continue;
        }
        if (bit(new_axis_mask, i - expanded)) is_new[i] = 1;
        i++;
    }

    /* Per effective dimension: index, stop, stride and masks. */
    int64_t st[EMBER_MAX_DIMS], sp[EMBER_MAX_DIMS], sd[EMBER_MAX_DIMS];
    int bm[EMBER_MAX_DIMS], em[EMBER_MAX_DIMS], sh[EMBER_MAX_DIMS];
    int added_ell = 0, added_axes = 0;
    for (int i = 0; i < eff; i++) {
        const int src = i - added_axes;   /* input dimension, unless a new axis */
        EMBER_ENSURE(ctx, is_new[i] || (src >= 0 && src < in_rank),
                     "STRIDED_SLICE: spec does not match input rank %d", in_rank);
        bm[i] = em[i] = sh[i] = 0;
        st[i] = sp[i] = 0;
        sd[i] = 1;
        if (is_ell[i]) {
            added_ell = i - ell_start > 0 ? i - ell_start : 0;
            bm[i] = em[i] = 1;
            p->in_dims[i] = x->dims[src];
        } else if (is_new[i]) {
            sp[i] = 1;
            p->in_dims[i] = 1;
            added_axes++;
        } else if (i >= nb + expanded) {
            bm[i] = em[i] = 1;
            p->in_dims[i] = x->dims[src];
        } else {
            const int o = i - added_ell;
            EMBER_ENSURE(ctx, o >= 0 && o < nb, "STRIDED_SLICE: inconsistent masks");
            st[i] = begin[o];
            sp[i] = end[o];
            sd[i] = strides[o];
            bm[i] = bit(begin_mask, o);
            em[i] = bit(end_mask, o);
            sh[i] = bit(shrink_mask, o);
            p->in_dims[i] = x->dims[src];
        }
    }
    EMBER_ENSURE(ctx, eff - added_axes == in_rank,
                 "STRIDED_SLICE: spec does not match input rank %d", in_rank);

    p->ndim = eff;
    p->out_ndim = 0;
    for (int i = 0; i < eff; i++) {
        const int64_t n = p->in_dims[i], stride = sd[i];
        EMBER_ENSURE(ctx, stride != 0, "STRIDED_SLICE: stride %d is zero", i);
        EMBER_ENSURE(ctx, stride >= -INT32_MAX && stride <= INT32_MAX,
                     "STRIDED_SLICE: stride too large");
        int64_t s = st[i];
        if (s < 0) s += n;
        s = stride > 0 ? clamp_i64(s, 0, n) : clamp_i64(s, -1, n - 1);
        if (bm[i]) s = stride > 0 ? 0 : n - 1;
        int64_t count;
        if (sh[i]) {
            /* TFLite lets begin_mask pick the first (or, backwards, last)
             * element of a shrunk dimension. */
            int64_t raw = bm[i] ? (stride > 0 ? 0 : n - 1) : (st[i] < 0 ? st[i] + n : st[i]);
            EMBER_ENSURE(ctx, raw >= 0 && raw < n,
                         "STRIDED_SLICE: shrunk index %lld outside dimension %d of size %lld",
                         (long long)st[i], i, (long long)n);
            s = raw;
            count = 1;
        } else {
            int64_t e = sp[i];
            if (offset) e += s;
            if (e < 0) e += n;
            e = stride > 0 ? clamp_i64(e, 0, n) : clamp_i64(e, -1, n - 1);
            if (em[i]) e = stride > 0 ? n : -1;
            if (stride > 0) count = e > s ? (e - s + stride - 1) / stride : 0;
            else count = s > e ? (s - e - stride - 1) / -stride : 0;
        }
        if (count == 0) s = 0;   /* nothing is read; keep the base in range */
        p->start[i] = (int32_t)s;
        p->step[i] = (int32_t)stride;
        p->count[i] = (int32_t)count;
        if (!sh[i]) p->out_dims[p->out_ndim++] = (int32_t)count;
    }
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 4 && node->n_outputs == 1,
                 "STRIDED_SLICE needs 4 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "STRIDED_SLICE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "STRIDED_SLICE: input and output types differ");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "STRIDED_SLICE", &es));
    int all_const = 1;
    for (int i = 1; i < 4; i++) {
        const ember_tensor *t = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, t && t->ndim == 1 && shp_is_index_type(t->type),
                     "STRIDED_SLICE: input %d must be a 1-D int32/int64 tensor", i);
        all_const &= ember_is_const(t) != 0;
    }
    if (!all_const) return ember_tensor_set_dynamic(ctx, y);
    ss_plan p;
    EMBER_CHECK(ss_plan_make(ctx, node, &p));
    return ember_tensor_resize(ctx, y, p.out_ndim, p.out_dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    ss_plan p;
    EMBER_CHECK(ss_plan_make(ctx, node, &p));
    if (y->mem == EMBER_MEM_DYNAMIC)
        EMBER_CHECK(ember_tensor_resize(ctx, y, p.out_ndim, p.out_dims));
    shp_strided_copy(p.ndim, p.in_dims, p.start, p.step, p.count, ember_type_size(x->type),
                     x->data, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_STRIDED_SLICE = { "STRIDED_SLICE", NULL, NULL, prepare, eval };
