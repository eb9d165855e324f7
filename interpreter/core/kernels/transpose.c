/* transpose.c — TRANSPOSE: out.dims[i] = in.dims[perm[i]] (perm is input 1,
 * int32/int64, a permutation of 0..rank-1; like TFLite, negative entries
 * are rejected). Works over element size, so any fixed-size type. */
#include "shape_common.h"

/* dst[c][r] = src[r][c] for an R x C matrix of es-byte elements, in
 * cache-sized tiles. */
static void transpose_2d_bytes(size_t R, size_t C, size_t es, const char *src, char *dst) {
    enum { T = 32 };
    for (size_t r0 = 0; r0 < R; r0 += T) {
        const size_t r1 = R - r0 < T ? R : r0 + T;
        for (size_t c0 = 0; c0 < C; c0 += T) {
            const size_t c1 = C - c0 < T ? C : c0 + T;
            if (es == 4) {
                const uint32_t *i = (const uint32_t *)(const void *)src;
                uint32_t *o = (uint32_t *)(void *)dst;
                for (size_t c = c0; c < c1; c++)
                    for (size_t r = r0; r < r1; r++) o[c * R + r] = i[r * C + c];
            } else if (es == 1) {
                for (size_t c = c0; c < c1; c++)
                    for (size_t r = r0; r < r1; r++) dst[c * R + r] = src[r * C + c];
            } else {
                for (size_t c = c0; c < c1; c++)
                    for (size_t r = r0; r < r1; r++)
                        memcpy(dst + (c * R + r) * es, src + (r * C + c) * es, es);
            }
        }
    }
}

/* Drops size-1 dimensions and merges input dimensions that stay adjacent
 * and in order under perm; returns the new rank. */
static int transpose_collapse(int ndim, const int32_t *in_dims, const int *perm, int32_t *cd,
                              int *cp) {
    int keep[EMBER_MAX_DIMS], map[EMBER_MAX_DIMS], n = 0;
    for (int i = 0; i < ndim; i++) {
        keep[i] = in_dims[i] != 1;
        map[i] = -1;
    }
    /* Output order of the kept input dims, merging runs i, i+1 in perm. */
    int order[EMBER_MAX_DIMS], m = 0;
    for (int k = 0; k < ndim; k++)
        if (keep[perm[k]]) order[m++] = perm[k];
    /* Group: a new group starts unless order[k] == order[k-1] + 1 with every
     * input dim between them dropped... (only direct successors merge). */
    int32_t gdim[EMBER_MAX_DIMS];
    int gfirst[EMBER_MAX_DIMS], ng = 0;
    for (int k = 0; k < m; k++) {
        int prev = k ? order[k - 1] : -2;
        int succ = 0;
        if (k) {
            succ = 1;
            for (int j = prev + 1; j < order[k]; j++) if (keep[j]) succ = 0;
            if (order[k] < prev) succ = 0;
        }
        if (succ) gdim[ng - 1] *= in_dims[order[k]];
        else { gfirst[ng] = order[k]; gdim[ng] = in_dims[order[k]]; ng++; }
    }
    /* Groups in input order give the collapsed input shape. */
    for (int g = 0; g < ng; g++) {
        int rank = 0;
        for (int h = 0; h < ng; h++) if (gfirst[h] < gfirst[g]) rank++;
        map[g] = rank;
        cd[rank] = gdim[g];
    }
    for (int g = 0; g < ng; g++) cp[g] = map[g];
    n = ng;
    return n;
}

/* Moves elements of size es from src (shape in_dims) to dst so that
 * dst[i0..in-1] = src at index j with j[perm[k]] = i[k]. */
static void transpose_bytes(int ndim, const int32_t *in_dims, const int *perm, size_t es,
                            const void *src, void *dst) {
    size_t in_stride[EMBER_MAX_DIMS], step[EMBER_MAX_DIMS];
    int32_t out_dims[EMBER_MAX_DIMS], idx[EMBER_MAX_DIMS];
    size_t total = 1;
    for (int i = ndim - 1, s = 1; i >= 0; i--) {
        in_stride[i] = (size_t)s;
        s *= in_dims[i];
    }
    for (int i = 0; i < ndim; i++) {
        out_dims[i] = in_dims[perm[i]];
        step[i] = in_stride[perm[i]];
        total *= (size_t)out_dims[i];
        idx[i] = 0;
    }
    if (total == 0) return;
    if (ndim == 0) { memcpy(dst, src, es); return; }
    const int last = ndim - 1;
    const size_t inner = (size_t)out_dims[last], istep = step[last];
    const char *s = (const char *)src;
    char *d = (char *)dst;
    size_t off = 0;   /* input element offset of idx[0..last-1], idx[last]=0 */
    for (size_t done = 0; done < total; done += inner) {
        switch (es) {
        case 1: for (size_t k = 0; k < inner; k++) d[k] = s[off + k * istep]; break;
        case 2: {
            uint16_t *o = (uint16_t *)(void *)d; const uint16_t *i = (const uint16_t *)(const void *)s;
            for (size_t k = 0; k < inner; k++) o[k] = i[off + k * istep];
            break; }
        case 4: {
            uint32_t *o = (uint32_t *)(void *)d; const uint32_t *i = (const uint32_t *)(const void *)s;
            for (size_t k = 0; k < inner; k++) o[k] = i[off + k * istep];
            break; }
        case 8: {
            uint64_t *o = (uint64_t *)(void *)d; const uint64_t *i = (const uint64_t *)(const void *)s;
            for (size_t k = 0; k < inner; k++) o[k] = i[off + k * istep];
            break; }
        default:
            for (size_t k = 0; k < inner; k++) memcpy(d + k * es, s + (off + k * istep) * es, es);
        }
        d += inner * es;
        for (int a = last - 1; a >= 0; a--) {   /* odometer over outer dims */
            off += step[a];
            if (++idx[a] < out_dims[a]) break;
            off -= step[a] * (size_t)out_dims[a];
            idx[a] = 0;
        }
    }
}

static ember_status read_perm(ember_context *ctx, ember_node *node, int *perm) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *p = ember_input(ctx, node, 1);
    int64_t v[EMBER_MAX_DIMS];
    int n = 0;
    EMBER_CHECK(shp_read_ints(ctx, p, v, EMBER_MAX_DIMS, &n, "TRANSPOSE perm"));
    EMBER_ENSURE(ctx, n == x->ndim, "TRANSPOSE: perm has %d entries for rank %d", n,
                 (int)x->ndim);
    int seen[EMBER_MAX_DIMS] = {0};
    for (int i = 0; i < n; i++) {
        EMBER_ENSURE(ctx, v[i] >= 0 && v[i] < n, "TRANSPOSE: perm entry %lld out of range",
                     (long long)v[i]);
        int a = (int)v[i];
        EMBER_ENSURE(ctx, !seen[a], "TRANSPOSE: perm repeats %d", a);
        seen[a] = 1;
        perm[i] = a;
    }
    return EMBER_OK;
}

static ember_status resize_output(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    int perm[EMBER_MAX_DIMS];
    EMBER_CHECK(read_perm(ctx, node, perm));
    int32_t dims[EMBER_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) dims[i] = x->dims[perm[i]];
    return ember_tensor_resize(ctx, ember_output(ctx, node, 0), x->ndim, dims);
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "TRANSPOSE needs 2 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *p = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && p && y, "TRANSPOSE: missing input or output");
    EMBER_ENSURE(ctx, x->type == y->type, "TRANSPOSE: input and output types differ");
    EMBER_ENSURE(ctx, p->ndim == 1, "TRANSPOSE: perm must be 1-D");
    EMBER_ENSURE(ctx, shp_is_index_type(p->type), "TRANSPOSE: perm must be int32/int64");
    size_t es;
    EMBER_CHECK(shp_elem_size(ctx, x, "TRANSPOSE", &es));
    if (!ember_is_const(p)) return ember_tensor_set_dynamic(ctx, y);
    return resize_output(ctx, node);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->mem == EMBER_MEM_DYNAMIC) EMBER_CHECK(resize_output(ctx, node));
    int perm[EMBER_MAX_DIMS];
    EMBER_CHECK(read_perm(ctx, node, perm));
    int32_t cd[EMBER_MAX_DIMS];
    int cp[EMBER_MAX_DIMS];
    const int n = transpose_collapse(x->ndim, x->dims, perm, cd, cp);
    const size_t es = ember_type_size(x->type);
    if (ember_num_elements(x) == 0) return EMBER_OK;
    if (n == 2 && cp[0] == 1) {
        transpose_2d_bytes((size_t)cd[0], (size_t)cd[1], es, x->data, y->data);
    } else if (n == 3 && cp[0] == 0 && cp[1] == 2) {
        const size_t mat = (size_t)cd[1] * (size_t)cd[2] * es;
        for (int32_t b = 0; b < cd[0]; b++)
            transpose_2d_bytes((size_t)cd[1], (size_t)cd[2], es,
                               (const char *)x->data + (size_t)b * mat, (char *)y->data + (size_t)b * mat);
    } else {
        transpose_bytes(n, cd, cp, es, x->data, y->data);
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_TRANSPOSE = { "TRANSPOSE", NULL, NULL, prepare, eval };
