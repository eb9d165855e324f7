/*
 * elementwise_common.h — private helpers shared by the element-wise kernels
 * (binary.c, comparisons.c, logical.c, select_v2.c, prelu.c, unary.c,
 * activations.c, cast.c).
 *
 * Broadcasting. A plan (ember_bcast) is built in prepare from the input and
 * output shapes: output dimensions of size 1 are dropped and neighbouring
 * dimensions in which every input is either "full" or "broadcast" alike are
 * merged. Equal shapes therefore collapse to one flat dimension; a scalar
 * against a tensor collapses to one dimension with stride 0 on the scalar;
 * [N,H,W,C] + [C] collapses to [NHW, C]. The innermost collapsed dimension
 * is handed to a row function that is specialised (chosen in prepare, by the
 * "inner pattern") for each combination of contiguous / broadcast inputs, so
 * the hot loops are plain `o[i] = f(a[i], b[i])` or `f(a0, b[i])` loops that
 * the compiler vectorises. Outer dimensions are walked with an odometer, one
 * row-function call per row.
 *
 * Large outputs are split over the interpreter's thread pool by element
 * ranges; each task walks its own range with the same machinery.
 */
#ifndef EMBER_ELEMENTWISE_COMMON_H
#define EMBER_ELEMENTWISE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ember_kernel.h"

#define EMBER_BC_MAX_IN 3

/* Elements below which an element-wise op runs on the calling thread only. */
#ifndef EMBER_EW_PARALLEL_MIN
#define EMBER_EW_PARALLEL_MIN 32768
#endif

/* One row: n output elements. in[k] points at input k's first element for
 * this row; an input whose inner-pattern bit is clear is read at in[k][0]
 * only (broadcast along the row). */
typedef void (*ember_bc_row)(const void *const *in, void *out, size_t n, const void *params);

/* Optional block of `rows` consecutive rows of n elements each: input k's
 * row pointer advances by rs[k] elements per row (0 = same row again), the
 * output by n. Lets an op keep the whole [rows x n] loop nest in one
 * function (per-channel broadcasts of NHWC tensors have short rows). */
typedef void (*ember_bc_rows)(const void *const *in, const size_t *rs, void *out, size_t rows,
                              size_t n, const void *params);

typedef struct ember_bcast {
    int nin;                                   /* inputs (1..3) */
    int ndim;                                  /* collapsed rank, >= 1 */
    size_t count;                              /* output elements */
    size_t dims[EMBER_MAX_DIMS];               /* collapsed output dims */
    size_t strides[EMBER_BC_MAX_IN][EMBER_MAX_DIMS]; /* element strides, 0 = broadcast */
    unsigned pattern;                          /* bit k: input k contiguous along the row */
} ember_bcast;

/* Output shape of broadcasting up to three tensors (NumPy rules). */
static inline ember_status ember_bcast_shape_n(ember_context *ctx, int nin,
                                               const ember_tensor *const *in,
                                               int32_t *ndim, int32_t *dims) {
    ember_tensor acc;
    memset(&acc, 0, sizeof acc);
    acc.ndim = in[0]->ndim;
    memcpy(acc.dims, in[0]->dims, sizeof acc.dims);
    for (int k = 1; k < nin; k++) {
        int32_t nd, d[EMBER_MAX_DIMS];
        EMBER_CHECK(ember_broadcast_shape(ctx, &acc, in[k], &nd, d));
        acc.ndim = nd;
        memcpy(acc.dims, d, sizeof d);
    }
    *ndim = acc.ndim;
    memcpy(dims, acc.dims, sizeof acc.dims);
    return EMBER_OK;
}

/* Builds the plan for inputs `in` broadcast into an output of shape
 * (ondim, odims). The caller has checked that the shapes broadcast. */
static inline void ember_bcast_plan(ember_bcast *p, int nin, const ember_tensor *const *in,
                                    int ondim, const int32_t *odims) {
    memset(p, 0, sizeof *p);
    p->nin = nin;
    size_t count = 1;
    for (int d = 0; d < ondim; d++) count *= (size_t)odims[d];
    p->count = count;

    /* Per output dim (size > 1): which inputs are full there. */
    size_t cdims[EMBER_MAX_DIMS];
    unsigned cmask[EMBER_MAX_DIMS];
    int nc = 0;
    for (int d = 0; d < ondim; d++) {
        if (odims[d] == 1) continue;
        unsigned m = 0;
        for (int k = 0; k < nin; k++) {
            int kd = d - (ondim - in[k]->ndim);
            if (kd >= 0 && in[k]->dims[kd] != 1) m |= 1u << k;
        }
        if (nc > 0 && cmask[nc - 1] == m) {
            cdims[nc - 1] *= (size_t)odims[d];
        } else {
            cdims[nc] = (size_t)odims[d];
            cmask[nc] = m;
            nc++;
        }
    }
    if (nc == 0) {              /* a single element (or all-ones shapes) */
        cdims[0] = 1;
        cmask[0] = (1u << nin) - 1;
        nc = 1;
    }
    p->ndim = nc;
    for (int d = 0; d < nc; d++) p->dims[d] = cdims[d];
    for (int k = 0; k < nin; k++) {
        size_t s = 1;
        for (int d = nc - 1; d >= 0; d--) {
            if (cmask[d] & (1u << k)) {
                p->strides[k][d] = s;
                s *= cdims[d];
            } else {
                p->strides[k][d] = 0;
            }
        }
    }
    p->pattern = cmask[nc - 1];
}

/* Walks output elements [start, end) of the plan, one row call per (part
 * of a) row, or, when `rows` is given, one block call per run of whole rows
 * along the second-innermost collapsed dimension. esz[k]/oesz are element
 * sizes in bytes. */
static inline void ember_bcast_range(const ember_bcast *p, const void *const *base,
                                     const size_t *esz, void *out, size_t oesz,
                                     ember_bc_row row, ember_bc_rows rows, const void *params,
                                     size_t start, size_t end) {
    const int nd = p->ndim, nin = p->nin;
    const size_t inner = p->dims[nd - 1];
    size_t r = start / inner, j = start % inner;
    size_t idx[EMBER_MAX_DIMS];
    size_t off[EMBER_BC_MAX_IN] = {0, 0, 0};
    for (int d = nd - 2; d >= 0; d--) {
        idx[d] = r % p->dims[d];
        r /= p->dims[d];
        for (int k = 0; k < nin; k++) off[k] += idx[d] * p->strides[k][d];
    }
    const void *ptr[EMBER_BC_MAX_IN];
    char *o = (char *)out + start * oesz;
    while (start < end) {
        size_t n = inner - j;
        if (n > end - start) n = end - start;
        for (int k = 0; k < nin; k++)
            ptr[k] = (const char *)base[k] + (off[k] + j * p->strides[k][nd - 1]) * esz[k];
        size_t m = 1;                               /* whole rows in this call */
        if (rows && nd >= 2 && j == 0 && n == inner) {
            m = (end - start) / inner;
            if (m > p->dims[nd - 2] - idx[nd - 2]) m = p->dims[nd - 2] - idx[nd - 2];
        }
        if (m > 1) {
            size_t rs[EMBER_BC_MAX_IN] = {0, 0, 0};
            for (int k = 0; k < nin; k++) rs[k] = p->strides[k][nd - 2];
            rows(ptr, rs, o, m, n, params);
        } else {
            row(ptr, o, n, params);
        }
        o += m * n * oesz;
        start += m * n;
        j = 0;
        int d = nd - 2;                             /* odometer over outer dims */
        if (d < 0) continue;
        for (int k = 0; k < nin; k++) off[k] += m * p->strides[k][d];
        idx[d] += m;
        while (idx[d] >= p->dims[d]) {
            for (int k = 0; k < nin; k++) off[k] -= p->strides[k][d] * p->dims[d];
            idx[d] = 0;
            if (--d < 0) break;
            for (int k = 0; k < nin; k++) off[k] += p->strides[k][d];
            idx[d]++;
        }
    }
}

typedef struct ember_bcast_job {
    const ember_bcast *p;
    const void *const *base;
    const size_t *esz;
    void *out;
    size_t oesz;
    ember_bc_row row;
    ember_bc_rows rows;
    const void *params;
    size_t chunk;
} ember_bcast_job;

static inline void ember_bcast_task(void *arg, int task, int n_tasks) {
    const ember_bcast_job *j = (const ember_bcast_job *)arg;
    size_t s = (size_t)task * j->chunk, e = s + j->chunk;
    (void)n_tasks;
    if (e > j->p->count) e = j->p->count;
    if (s < e)
        ember_bcast_range(j->p, j->base, j->esz, j->out, j->oesz, j->row, j->rows, j->params, s, e);
}

/* How many tasks to split `count` elements into (1 = run inline). */
static inline int ember_ew_tasks(ember_context *ctx, size_t count) {
    if (count < EMBER_EW_PARALLEL_MIN) return 1;
    int t = ember_num_threads(ctx);
    size_t most = count / (EMBER_EW_PARALLEL_MIN / 2);
    if (t < 1) t = 1;
    if ((size_t)t > most) t = (int)most;
    return t < 1 ? 1 : t;
}

/* Chunk size for n tasks over count elements (multiple of 64 elements). */
static inline size_t ember_ew_chunk(size_t count, int n) {
    size_t c = (count + (size_t)n - 1) / (size_t)n;
    return (c + 63) & ~(size_t)63;
}

/* rows may be NULL (row calls only). */
static inline void ember_bcast_run_rows(ember_context *ctx, const ember_bcast *p,
                                        const void *const *base, const size_t *esz,
                                        void *out, size_t oesz, ember_bc_row row,
                                        ember_bc_rows rows, const void *params) {
    if (p->count == 0) return;
    int n = ember_ew_tasks(ctx, p->count);
    if (n <= 1) {
        ember_bcast_range(p, base, esz, out, oesz, row, rows, params, 0, p->count);
        return;
    }
    ember_bcast_job job = {p, base, esz, out, oesz, row, rows, params, ember_ew_chunk(p->count, n)};
    n = (int)((p->count + job.chunk - 1) / job.chunk);
    ember_parallel_for(ctx, n, ember_bcast_task, &job);
}

static inline void ember_bcast_run(ember_context *ctx, const ember_bcast *p,
                                   const void *const *base, const size_t *esz,
                                   void *out, size_t oesz, ember_bc_row row,
                                   const void *params) {
    ember_bcast_run_rows(ctx, p, base, esz, out, oesz, row, NULL, params);
}

/* ---- flat (same-shape) element-wise loops, e.g. unary ops ------------- */

/* fn processes elements [start, end). */
typedef void (*ember_ew_fn)(const void *in, void *out, size_t start, size_t end,
                            const void *params);

typedef struct ember_ew_job {
    ember_ew_fn fn;
    const void *in;
    void *out;
    const void *params;
    size_t count, chunk;
} ember_ew_job;

static inline void ember_ew_task(void *arg, int task, int n_tasks) {
    const ember_ew_job *j = (const ember_ew_job *)arg;
    size_t s = (size_t)task * j->chunk, e = s + j->chunk;
    (void)n_tasks;
    if (e > j->count) e = j->count;
    if (s < e) j->fn(j->in, j->out, s, e, j->params);
}

static inline void ember_ew_run(ember_context *ctx, ember_ew_fn fn, const void *in,
                                void *out, size_t count, const void *params) {
    if (count == 0) return;
    int n = ember_ew_tasks(ctx, count);
    if (n <= 1) {
        fn(in, out, 0, count, params);
        return;
    }
    ember_ew_job job = {fn, in, out, params, count, ember_ew_chunk(count, n)};
    n = (int)((count + job.chunk - 1) / job.chunk);
    ember_parallel_for(ctx, n, ember_ew_task, &job);
}

/* ---- shared checks ------------------------------------------------------ */

/* Integer clamp range [lo, hi] of a fused activation for a type spanning
 * [tmin, tmax] (TFLite's CalculateActivationRange for integer outputs). */
static inline ember_status ember_act_range_int(ember_context *ctx, int32_t act,
                                               int64_t tmin, int64_t tmax,
                                               int64_t *lo, int64_t *hi) {
    float flo, fhi;
    EMBER_CHECK(ember_act_range_f32(ctx, act, &flo, &fhi));
    *lo = flo < -1e30f ? tmin : (int64_t)flo;
    *hi = fhi > 1e30f ? tmax : (int64_t)fhi;
    return EMBER_OK;
}

static inline ember_status ember_ew_check_io(ember_context *ctx, const ember_node *node,
                                             int nin, int nout) {
    EMBER_ENSURE(ctx, node->n_inputs == nin && node->n_outputs == nout,
                 "expects %d input(s) and %d output(s), got %d and %d", nin, nout,
                 (int)node->n_inputs, (int)node->n_outputs);
    for (int i = 0; i < nin; i++)
        EMBER_ENSURE(ctx, ember_input(ctx, node, i) != NULL, "input %d is missing", i);
    for (int i = 0; i < nout; i++)
        EMBER_ENSURE(ctx, ember_output(ctx, node, i) != NULL, "output %d is missing", i);
    return EMBER_OK;
}

#endif /* EMBER_ELEMENTWISE_COMMON_H */
