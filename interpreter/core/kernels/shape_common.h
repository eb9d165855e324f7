/* shape_common.h — private helpers for the shape and data-movement kernels.
 *
 * Everything here is static inline so each kernel file stays self-contained.
 * Data-movement kernels work over element *size*, not element type: any
 * tensor type with a fixed size (ember_type_size() != 0) can be moved.
 */
#ifndef EMBER_SHAPE_COMMON_H
#define EMBER_SHAPE_COMMON_H

#include <stdint.h>
#include <string.h>

#include "ember_kernel.h"

/* Element size of a tensor a data-movement op may copy; fails for types
 * without a fixed size (strings, resources, variants). */
static inline ember_status shp_elem_size(ember_context *ctx, const ember_tensor *t,
                                         const char *what, size_t *es) {
    size_t s = ember_type_size(t->type);
    if (s == 0)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: type %s is not supported",
                          what, ember_type_name(t->type));
    *es = s;
    return EMBER_OK;
}

static inline int shp_is_index_type(int32_t type) {
    return type == EMBER_TensorType_INT32 || type == EMBER_TensorType_INT64;
}

/* Reads an int32/int64 tensor's values into out[0..n) (n = its element
 * count, which must be <= max). Checks type, presence of data and size. */
static inline ember_status shp_read_ints(ember_context *ctx, const ember_tensor *t,
                                         int64_t *out, int max, int *n,
                                         const char *what) {
    if (!shp_is_index_type(t->type))
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s must be int32 or int64, not %s",
                          what, ember_type_name(t->type));
    size_t count = ember_num_elements(t);
    if (count > (size_t)max)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s has %zu values (at most %d allowed)",
                          what, count, max);
    size_t es = ember_type_size(t->type);
    if (count > 0 && (t->data == NULL || t->bytes < count * es))
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s has no data", what);
    for (size_t i = 0; i < count; i++) {
        if (t->type == EMBER_TensorType_INT32) {
            int32_t v;
            memcpy(&v, (const char *)t->data + i * 4, 4);
            out[i] = v;
        } else {
            int64_t v;
            memcpy(&v, (const char *)t->data + i * 8, 8);
            out[i] = v;
        }
    }
    *n = (int)count;
    return EMBER_OK;
}

/* Normalises an axis in [-n, n) to [0, n). */
static inline ember_status shp_axis(ember_context *ctx, int64_t axis, int n, int *out,
                                    const char *what) {
    if (axis < -(int64_t)n || axis >= (int64_t)n)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s %lld out of range for rank %d",
                          what, (long long)axis, n);
    *out = (int)(axis < 0 ? axis + n : axis);
    return EMBER_OK;
}

/* Product of dims[from..to) (1 when empty). The runtime already checked that
 * every tensor's element count fits, so sub-products of one shape fit too. */
static inline size_t shp_prod(const int32_t *dims, int from, int to) {
    size_t p = 1;
    for (int i = from; i < to; i++) p *= (size_t)dims[i];
    return p;
}

/* Same quantisation (so bytes can be copied between the two unchanged). */
static inline int shp_same_quant(const ember_tensor *a, const ember_tensor *b) {
    int ca = a->q.count, cb = b->q.count;
    if (ca == 0 && cb == 0) return 1;
    if (ca != cb) return 0;
    for (int i = 0; i < ca; i++)
        if (a->q.scale[i] != b->q.scale[i] || a->q.zero_point[i] != b->q.zero_point[i])
            return 0;
    return 1;
}

/* Fills `n` elements of size `es` at dst with the element at val. */
static inline void shp_fill_bytes(void *dst, size_t n, const void *val, size_t es) {
    char *d = (char *)dst;
    if (n == 0) return;
    int all_zero = 1;
    for (size_t b = 0; b < es; b++)
        if (((const unsigned char *)val)[b]) { all_zero = 0; break; }
    if (all_zero) { memset(d, 0, n * es); return; }
    memcpy(d, val, es);
    size_t done = 1;
    while (done < n) {  /* doubling copies */
        size_t chunk = done < n - done ? done : n - done;
        memcpy(d + done * es, d, chunk * es);
        done += chunk;
    }
}

/* The "zero" element for padding a tensor: its zero point for quantised
 * 8/16-bit integer types, all-zero bytes otherwise. */
static inline void shp_zero_value(const ember_tensor *t, unsigned char *out, size_t es) {
    memset(out, 0, es);
    if (t->q.count > 0 && t->q.zero_point) {
        int64_t zp = t->q.zero_point[0];
        if (t->type == EMBER_TensorType_INT8) { int8_t v = (int8_t)zp; memcpy(out, &v, 1); }
        else if (t->type == EMBER_TensorType_UINT8) { uint8_t v = (uint8_t)zp; memcpy(out, &v, 1); }
        else if (t->type == EMBER_TensorType_INT16) { int16_t v = (int16_t)zp; memcpy(out, &v, 2); }
    }
}

/* Copies src to dst unless they already alias. */
static inline void shp_copy(void *dst, const void *src, size_t bytes) {
    if (dst != src && bytes) memmove(dst, src, bytes);
}

/* Checks that a shape computed from int64 values fits int32 dims and is
 * non-negative. */
static inline ember_status shp_dims_from_i64(ember_context *ctx, const int64_t *v, int n,
                                             int32_t *dims, const char *what) {
    for (int i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] > INT32_MAX)
            return ember_fail(ctx, EMBER_ERR_MODEL, "%s: dimension %d is %lld", what, i,
                              (long long)v[i]);
        dims[i] = (int32_t)v[i];
    }
    return EMBER_OK;
}

/* Strided N-D copy: out[i0..] = in[start[k] + i_k * step[k]] for every k
 * (steps may be negative; the caller guarantees every index is in range).
 * Elements are `es` bytes; dst is written densely in row-major order. */
static inline void shp_strided_copy(int ndim, const int32_t *in_dims, const int32_t *start,
                                    const int32_t *step, const int32_t *out_dims, size_t es,
                                    const void *src, void *dst) {
    int64_t stride[EMBER_MAX_DIMS], jump[EMBER_MAX_DIMS];
    int32_t idx[EMBER_MAX_DIMS];
    int64_t base = 0, s = 1;
    size_t total = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= in_dims[i];
    }
    for (int i = 0; i < ndim; i++) {
        base += (int64_t)start[i] * stride[i];
        jump[i] = (int64_t)step[i] * stride[i];
        total *= (size_t)out_dims[i];
        idx[i] = 0;
    }
    if (total == 0) return;
    const char *in = (const char *)src;
    char *out = (char *)dst;
    if (ndim == 0) { memcpy(out, in, es); return; }
    const int last = ndim - 1;
    const size_t inner = (size_t)out_dims[last];
    const int64_t ij = jump[last];
    int64_t off = base;
    for (size_t done = 0; done < total; done += inner) {
        if (ij == 1) {
            memcpy(out, in + off * (int64_t)es, inner * es);
        } else if (es == 4) {
            uint32_t *o = (uint32_t *)(void *)out;
            const uint32_t *p = (const uint32_t *)(const void *)in + off;
            for (size_t k = 0; k < inner; k++) o[k] = p[(int64_t)k * ij];
        } else if (es == 1) {
            const char *p = in + off;
            for (size_t k = 0; k < inner; k++) out[k] = p[(int64_t)k * ij];
        } else {
            for (size_t k = 0; k < inner; k++)
                memcpy(out + k * es, in + (off + (int64_t)k * ij) * (int64_t)es, es);
        }
        out += inner * es;
        for (int a = last - 1; a >= 0; a--) {
            off += jump[a];
            if (++idx[a] < out_dims[a]) break;
            off -= jump[a] * out_dims[a];
            idx[a] = 0;
        }
    }
}

/* Block replication used by TILE and BROADCAST_TO: along each dimension d
 * the input's in_dims[d] slices are laid out, then that whole block is
 * repeated reps[d] times. (BROADCAST_TO is the case in_dims[d] == 1.)
 * Returns the bytes written at dst for dimension d onward. */
static inline size_t shp_tile_rec(int d, int ndim, const int32_t *in_dims, const int32_t *reps,
                                  size_t es, const char **src, char *dst) {
    size_t block = 0;
    if (d == ndim) {
        memcpy(dst, *src, es);
        *src += es;
        return es;
    }
    if (d == ndim - 1) {
        block = (size_t)in_dims[d] * es;
        memcpy(dst, *src, block);
        *src += block;
    } else {
        for (int32_t i = 0; i < in_dims[d]; i++)
            block += shp_tile_rec(d + 1, ndim, in_dims, reps, es, src, dst + block);
    }
    for (int32_t r = 1; r < reps[d]; r++) memcpy(dst + (size_t)r * block, dst, block);
    return block * (size_t)reps[d];
}

static inline void shp_tile_bytes(int ndim, const int32_t *in_dims, const int32_t *reps,
                                  size_t es, const void *src, void *dst) {
    for (int i = 0; i < ndim; i++)
        if (in_dims[i] == 0 || reps[i] == 0) return;   /* empty output */
    const char *s = (const char *)src;
    shp_tile_rec(0, ndim, in_dims, reps, es, &s, (char *)dst);
}

/* Either sets an output's shape now (values known: `known` true) or marks it
 * dynamic so eval resizes it. */
#define SHP_STATIC_OR_DYNAMIC(ctx, t, known, resize_call) \
    do {                                                  \
        if (known) { EMBER_CHECK(resize_call); }          \
        else { EMBER_CHECK(ember_tensor_set_dynamic((ctx), (t))); } \
    } while (0)

#endif /* EMBER_SHAPE_COMMON_H */
