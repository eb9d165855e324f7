/* resize.c — RESIZE_BILINEAR (float32, int8, uint8, int16) and
 * RESIZE_NEAREST_NEIGHBOR (any fixed-size type) on NHWC tensors; the new
 * [height, width] is input 1 (int32, two positive values). Coordinates
 * follow TFLite exactly:
 *   scale = in / out, or (in - 1) / (out - 1) with align_corners (out > 1);
 *   bilinear: src = (dst + 0.5) * scale - 0.5 with half_pixel_centers, else
 *             dst * scale; lo = max(floor(src), 0), hi = min(ceil(src), in-1),
 *             weights (src - lo) and 1 - (src - lo);
 *   nearest:  src = (dst + 0.5 if half_pixel_centers) * scale, rounded half
 *             away from zero with align_corners, floored otherwise, clamped
 *             to [0, in - 1] (the low clamp only with half_pixel_centers).
 * Quantised bilinear follows TFLite's reference kernels bit for bit: int8
 * and int16 in 10-bit fixed point (scale and source coordinate rounded to
 * 1/1024, the weighted sum rounded half away from zero), uint8 in float with
 * +0.5 before truncation. Quantised inputs and outputs must share their
 * quantisation (both ops only move or blend values).
 * half_pixel_centers together with align_corners is rejected for bilinear,
 * as in TFLite. Per-column tables are built once per eval in chunks on the
 * stack, and rows are spread over the thread pool. */
#include <math.h>

#include "gemm.h"
#include "opt/qew.h"
#include "shape_common.h"

#define RS_CHUNK 256

static float rs_scale(int32_t in, int32_t out, int align) {
    if (align && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

static void bilinear_coord(int32_t v, float scale, int half, int32_t in, int32_t *lo,
                           int32_t *hi, float *frac) {
    float s = half ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
    int32_t f = (int32_t)floorf(s), c = (int32_t)ceilf(s);
    *lo = f > 0 ? f : 0;
    *hi = c < in - 1 ? c : in - 1;
    *frac = s - (float)*lo;
}

static int32_t nearest_coord(int32_t v, float scale, int align, int half, int32_t in) {
    float s = ((float)v + (half ? 0.5f : 0.0f)) * scale;
    int32_t r = align ? (int32_t)roundf(s) : (int32_t)floorf(s);
    if (r > in - 1) r = in - 1;
    if (half && r < 0) r = 0;
    return r;
}

typedef struct rs_job {
    const void *src;
    void *dst;
    int32_t n, ih, iw, c, oh, ow;
    float sy, sx;
    int32_t sy10, sx10;         /* integer bilinear: scales in 1/1024 */
    int align, half;
    int path;                   /* ember_kernel_path() at prepare */
    size_t es;
} rs_job;

static void rs_rows(const rs_job *j, int t, int nt, int32_t *r0, int32_t *r1) {
    int64_t rows = (int64_t)j->n * j->oh;
    *r0 = (int32_t)(rows * t / nt);
    *r1 = (int32_t)(rows * (t + 1) / nt);
}

/* Bilinear, float32: rows [r0, r1) of the N*OH output rows. */
static void resize_bilinear_f32(void *arg, int t, int nt) {
    const rs_job *j = (const rs_job *)arg;
    int32_t r0, r1;
    rs_rows(j, t, nt, &r0, &r1);
    const float *in = (const float *)j->src;
    float *out = (float *)j->dst;
    const size_t C = (size_t)j->c;
    int32_t x0[RS_CHUNK], x1[RS_CHUNK];
    float fx[RS_CHUNK];
    for (int32_t xs = 0; xs < j->ow; xs += RS_CHUNK) {
        const int32_t xe = j->ow - xs < RS_CHUNK ? j->ow : xs + RS_CHUNK;
        for (int32_t x = xs; x < xe; x++)
            bilinear_coord(x, j->sx, j->half, j->iw, &x0[x - xs], &x1[x - xs], &fx[x - xs]);
        for (int32_t r = r0; r < r1; r++) {
            const int32_t b = r / j->oh, y = r % j->oh;
            int32_t y0, y1;
            float fy;
            bilinear_coord(y, j->sy, j->half, j->ih, &y0, &y1, &fy);
            const float *row0 = in + ((size_t)b * j->ih + y0) * j->iw * C;
            const float *row1 = in + ((size_t)b * j->ih + y1) * j->iw * C;
            float *o = out + ((size_t)r * j->ow + xs) * C;
            for (int32_t x = xs; x < xe; x++) {
                const int k = x - xs;
                const float dx = fx[k], dy = fy;
                const float w00 = (1 - dy) * (1 - dx), w10 = dy * (1 - dx);
                const float w01 = (1 - dy) * dx, w11 = dy * dx;
                const float *p00 = row0 + (size_t)x0[k] * C, *p01 = row0 + (size_t)x1[k] * C;
                const float *p10 = row1 + (size_t)x0[k] * C, *p11 = row1 + (size_t)x1[k] * C;
                for (size_t c = 0; c < C; c++)
                    o[c] = p00[c] * w00 + p10[c] * w10 + p01[c] * w01 + p11[c] * w11;
                o += C;
            }
        }
    }
}

/* TFLite's integer bilinear coordinate: src in 1/1024 and its neighbours. */
static void bilinear_coord10(int32_t v, int32_t scale10, int half, int32_t in, int32_t *src,
                             int32_t *lo, int32_t *hi) {
    *src = half ? v * scale10 + scale10 / 2 - (1 << 9) : v * scale10;
    const int32_t f = *src / (1 << 10), c = (*src + (1 << 10) - 1) / (1 << 10);
    *lo = f > 0 ? f : 0;
    *hi = c < in - 1 ? c : in - 1;
}

/* int8 / int16: weights in 1/1024 per axis, the sum of four products
 * (20 fractional bits) rounded half away from zero. */
#define RESIZE_BILINEAR_INT(NAME, T)                                            \
    static void NAME(void *arg, int t, int nt) {                                \
        const rs_job *j = (const rs_job *)arg;                                  \
        int32_t r0, r1;                                                         \
        rs_rows(j, t, nt, &r0, &r1);                                            \
        const T *in = (const T *)j->src;                                        \
        T *out = (T *)j->dst;                                                   \
        const size_t C = (size_t)j->c;                                          \
        int32_t x0[RS_CHUNK], x1[RS_CHUNK], wx[RS_CHUNK];                       \
        for (int32_t xs = 0; xs < j->ow; xs += RS_CHUNK) {                      \
            const int32_t xe = j->ow - xs < RS_CHUNK ? j->ow : xs + RS_CHUNK;   \
            for (int32_t x = xs; x < xe; x++) {                                 \
                int32_t sx;                                                     \
                const int k = x - xs;                                           \
                bilinear_coord10(x, j->sx10, j->half, j->iw, &sx, &x0[k], &x1[k]); \
                wx[k] = sx - (1 << 10) * x0[k];                                 \
            }                                                                   \
            for (int32_t r = r0; r < r1; r++) {                                 \
                const int32_t b = r / j->oh, y = r % j->oh;                     \
                int32_t sy, y0, y1;                                             \
                bilinear_coord10(y, j->sy10, j->half, j->ih, &sy, &y0, &y1);    \
                const int64_t wy = sy - (1 << 10) * y0;                         \
                const T *row0 = in + ((size_t)b * j->ih + y0) * j->iw * C;      \
                const T *row1 = in + ((size_t)b * j->ih + y1) * j->iw * C;      \
                T *o = out + ((size_t)r * j->ow + xs) * C;                      \
                if (FAST_ROW(j, row0, row1, x0, x1, wx, wy, xe - xs, o)) continue; \
                for (int32_t x = xs; x < xe; x++, o += C) {                     \
                    const int k = x - xs;                                       \
                    const int64_t dx = wx[k];                                   \
                    const T *p00 = row0 + (size_t)x0[k] * C, *p01 = row0 + (size_t)x1[k] * C; \
                    const T *p10 = row1 + (size_t)x0[k] * C, *p11 = row1 + (size_t)x1[k] * C; \
                    for (size_t c = 0; c < C; c++) {                            \
                        const int64_t v = (int64_t)p00[c] * ((1 << 10) - wy) * ((1 << 10) - dx) + \
                                          (int64_t)p10[c] * wy * ((1 << 10) - dx) +  \
                                          (int64_t)p01[c] * ((1 << 10) - wy) * dx +  \
                                          (int64_t)p11[c] * wy * dx;            \
                        const int64_t rnd = v > 0 ? (1 << 19) : -(1 << 19);     \
                        o[c] = (T)((v + rnd) / (1 << 20));                      \
                    }                                                           \
                }                                                               \
            }                                                                   \
        }                                                                       \
    }
/* The int8 rows through the AVX2 kernel when the path allows it. */
#ifdef EMBER_HAVE_AVX2_BUILD
#define FAST_ROW_I8(j, r0, r1, x0, x1, wx, wy, n, o)                            \
    ((j)->path >= EMBER_PATH_AVX2 &&                                            \
     (ember_bilinear_i8_row_avx2(r0, r1, x0, x1, wx, (int32_t)(wy), n, (j)->c, o), 1))
#else
#define FAST_ROW_I8(j, r0, r1, x0, x1, wx, wy, n, o) 0
#endif
#define FAST_ROW FAST_ROW_I8
RESIZE_BILINEAR_INT(resize_bilinear_i8, int8_t)
#undef FAST_ROW
#define FAST_ROW(j, r0, r1, x0, x1, wx, wy, n, o) 0
RESIZE_BILINEAR_INT(resize_bilinear_i16, int16_t)
#undef FAST_ROW

/* Each product is rounded to float on its own (no FMA), as TFLite's
 * reference computes the uint8 sum. */
static float rs_mul(volatile float a) { return a; }

/* uint8: TFLite's float formula on the raw values, + 0.5, truncated. */
static void resize_bilinear_u8(void *arg, int t, int nt) {
    const rs_job *j = (const rs_job *)arg;
    int32_t r0, r1;
    rs_rows(j, t, nt, &r0, &r1);
    const uint8_t *in = (const uint8_t *)j->src;
    uint8_t *out = (uint8_t *)j->dst;
    const size_t C = (size_t)j->c;
    for (int32_t r = r0; r < r1; r++) {
        const int32_t b = r / j->oh, y = r % j->oh;
        int32_t y0, y1;
        float fy;
        bilinear_coord(y, j->sy, j->half, j->ih, &y0, &y1, &fy);
        const uint8_t *row0 = in + ((size_t)b * j->ih + y0) * j->iw * C;
        const uint8_t *row1 = in + ((size_t)b * j->ih + y1) * j->iw * C;
        uint8_t *o = out + (size_t)r * j->ow * C;
        for (int32_t x = 0; x < j->ow; x++, o += C) {
            int32_t x0, x1;
            float fx;
            bilinear_coord(x, j->sx, j->half, j->iw, &x0, &x1, &fx);
            const uint8_t *p00 = row0 + (size_t)x0 * C, *p01 = row0 + (size_t)x1 * C;
            const uint8_t *p10 = row1 + (size_t)x0 * C, *p11 = row1 + (size_t)x1 * C;
            for (size_t c = 0; c < C; c++) {
                const float a = rs_mul(rs_mul((float)p00[c] * (1 - fy)) * (1 - fx));
                const float bb = rs_mul(rs_mul((float)p10[c] * fy) * (1 - fx));
                const float cc = rs_mul(rs_mul((float)p01[c] * (1 - fy)) * fx);
                const float d = rs_mul(rs_mul((float)p11[c] * fy) * fx);
                o[c] = (uint8_t)(a + bb + cc + d + 0.5f);
            }
        }
    }
}

static int32_t rs_scale10(int32_t in, int32_t out, int align) {
    if (align && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
    return ((1 << 10) * in + out / 2) / out;
}

/* Nearest neighbour over bytes: rows [r0, r1). */
static void resize_nearest_bytes(void *arg, int t, int nt) {
    const rs_job *j = (const rs_job *)arg;
    int32_t r0, r1;
    rs_rows(j, t, nt, &r0, &r1);
    const char *in = (const char *)j->src;
    char *out = (char *)j->dst;
    const size_t px = (size_t)j->c * j->es;
    int32_t xi[RS_CHUNK];
    for (int32_t xs = 0; xs < j->ow; xs += RS_CHUNK) {
        const int32_t xe = j->ow - xs < RS_CHUNK ? j->ow : xs + RS_CHUNK;
        for (int32_t x = xs; x < xe; x++)
            xi[x - xs] = nearest_coord(x, j->sx, j->align, j->half, j->iw);
        for (int32_t r = r0; r < r1; r++) {
            const int32_t b = r / j->oh, y = r % j->oh;
            const int32_t yi = nearest_coord(y, j->sy, j->align, j->half, j->ih);
            const char *row = in + ((size_t)b * j->ih + yi) * j->iw * px;
            char *o = out + ((size_t)r * j->ow + xs) * px;
            if (px == 4) {
                for (int32_t x = xs; x < xe; x++, o += 4) memcpy(o, row + (size_t)xi[x - xs] * 4, 4);
            } else {
                for (int32_t x = xs; x < xe; x++, o += px)
                    memcpy(o, row + (size_t)xi[x - xs] * px, px);
            }
        }
    }
}

static int rs_opt(const ember_node *node, int bilinear, int which);

static ember_status rs_size(ember_context *ctx, ember_node *node, int32_t *dims) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *s = ember_input(ctx, node, 1);
    EMBER_ENSURE(ctx, s->data && s->bytes >= 8, "resize: size has no data");
    const int32_t *v = (const int32_t *)s->data;
    EMBER_ENSURE(ctx, v[0] > 0 && v[1] > 0, "resize: output size %dx%d must be positive",
                 (int)v[0], (int)v[1]);
    /* the integer bilinear kernel forms dst * scale in 1/1024 in int32 */
    if (node->op == EMBER_BuiltinOperator_RESIZE_BILINEAR &&
        (x->type == EMBER_TensorType_INT8 || x->type == EMBER_TensorType_INT16)) {
        const int align = rs_opt(node, 1, 0);
        for (int a = 0; a < 2; a++) {
            const int64_t s10 = rs_scale10(x->dims[1 + a], v[a], align);
            EMBER_ENSURE(ctx, (int64_t)v[a] * s10 + s10 < INT32_MAX,
                         "resize: output size %dx%d too large for the integer bilinear kernel",
                         (int)v[0], (int)v[1]);
        }
    }
    dims[0] = x->dims[0];
    dims[1] = v[0];
    dims[2] = v[1];
    dims[3] = x->dims[3];
    return EMBER_OK;
}

static int rs_opt(const ember_node *node, int bilinear, int which) {
    if (bilinear)
        return ember_opt_int(node, EMBER_BuiltinOptions_ResizeBilinearOptions,
                             which ? EMBER_ResizeBilinearOptions_half_pixel_centers
                                   : EMBER_ResizeBilinearOptions_align_corners, 0) != 0;
    return ember_opt_int(node, EMBER_BuiltinOptions_ResizeNearestNeighborOptions,
                         which ? EMBER_ResizeNearestNeighborOptions_half_pixel_centers
                               : EMBER_ResizeNearestNeighborOptions_align_corners, 0) != 0;
}

static ember_status rs_prepare(ember_context *ctx, ember_node *node, int bilinear) {
    const char *name = bilinear ? "RESIZE_BILINEAR" : "RESIZE_NEAREST_NEIGHBOR";
    EMBER_ENSURE(ctx, node->n_inputs == 2 && node->n_outputs == 1,
                 "%s needs 2 inputs and 1 output", name);
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *s = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && s && y, "%s: missing input or output", name);
    EMBER_ENSURE(ctx, x->ndim == 4, "%s: input must be 4-D (NHWC)", name);
    EMBER_ENSURE(ctx, s->type == EMBER_TensorType_INT32 && s->ndim == 1 && s->dims[0] == 2,
                 "%s: size must be an int32 tensor of 2 values", name);
    EMBER_ENSURE(ctx, x->type == y->type, "%s: input and output types differ", name);
    if (bilinear) {
        const int32_t t = x->type;
        if (t != EMBER_TensorType_FLOAT32 && t != EMBER_TensorType_INT8 &&
            t != EMBER_TensorType_UINT8 && t != EMBER_TensorType_INT16)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "RESIZE_BILINEAR: type %s not supported",
                              ember_type_name(x->type));
        EMBER_ENSURE(ctx, !(rs_opt(node, 1, 0) && rs_opt(node, 1, 1)),
                     "RESIZE_BILINEAR: half_pixel_centers and align_corners both set");
        /* The 10-bit coordinates are formed in int32 as TFLite forms them. */
        EMBER_ENSURE(ctx, t == EMBER_TensorType_FLOAT32 || t == EMBER_TensorType_UINT8 ||
                              (x->dims[1] < (1 << 20) && x->dims[2] < (1 << 20)),
                     "RESIZE_BILINEAR: input %dx%d too large for the integer kernel",
                     (int)x->dims[1], (int)x->dims[2]);
    } else {
        size_t es;
        EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
    }
    if (x->q.count || y->q.count)
        if (!shp_same_quant(x, y))
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "%s: input and output quantisation differ (scale %g, zero point "
                              "%lld vs scale %g, zero point %lld)", name,
                              x->q.count ? (double)x->q.scale[0] : 0.0,
                              x->q.count && x->q.zero_point ? (long long)x->q.zero_point[0] : 0LL,
                              y->q.count ? (double)y->q.scale[0] : 0.0,
                              y->q.count && y->q.zero_point ? (long long)y->q.zero_point[0] : 0LL);
    if (!ember_is_const(s)) return ember_tensor_set_dynamic(ctx, y);
    int32_t dims[4];
    EMBER_CHECK(rs_size(ctx, node, dims));
    return ember_tensor_resize(ctx, y, 4, dims);
}

static ember_status rs_eval(ember_context *ctx, ember_node *node, int bilinear) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    if (y->mem == EMBER_MEM_DYNAMIC) {
        int32_t dims[4];
        EMBER_CHECK(rs_size(ctx, node, dims));
        EMBER_CHECK(ember_tensor_resize(ctx, y, 4, dims));
    }
    if (ember_num_elements(y) == 0) return EMBER_OK;
    rs_job j;
    j.src = x->data;
    j.dst = y->data;
    j.n = x->dims[0]; j.ih = x->dims[1]; j.iw = x->dims[2]; j.c = x->dims[3];
    j.oh = y->dims[1]; j.ow = y->dims[2];
    j.align = rs_opt(node, bilinear, 0);
    j.half = rs_opt(node, bilinear, 1);
    j.sy = rs_scale(j.ih, j.oh, j.align);
    j.sx = rs_scale(j.iw, j.ow, j.align);
    j.sy10 = rs_scale10(j.ih, j.oh, j.align);
    j.sx10 = rs_scale10(j.iw, j.ow, j.align);
    j.es = ember_type_size(x->type);
    j.path = node->data ? *(const int *)node->data : EMBER_PATH_REF;
    /* Split rows over threads only when there is enough work. */
    int64_t work = (int64_t)ember_num_elements(y);
    int nt = ember_num_threads(ctx);
    int64_t rows = (int64_t)j.n * j.oh;
    if (nt > rows) nt = (int)rows;
    if (work < 65536 || nt < 1) nt = 1;
    ember_task_fn fn = resize_nearest_bytes;
    if (bilinear) {
        switch (x->type) {
        case EMBER_TensorType_INT8: fn = resize_bilinear_i8; break;
        case EMBER_TensorType_INT16: fn = resize_bilinear_i16; break;
        case EMBER_TensorType_UINT8: fn = resize_bilinear_u8; break;
        default: fn = resize_bilinear_f32; break;
        }
    }
    if (nt == 1) fn(&j, 0, 1);
    else ember_parallel_for(ctx, nt, fn, &j);
    return EMBER_OK;
}

/* Node data: the kernel path, chosen in prepare (getenv stays out of eval). */
static void *init_bl(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(int));
}
static ember_status prepare_bl(ember_context *c, ember_node *n) {
    if (n->data) *(int *)n->data = ember_kernel_path();
    return rs_prepare(c, n, 1);
}
static ember_status eval_bl(ember_context *c, ember_node *n) { return rs_eval(c, n, 1); }
static ember_status prepare_nn(ember_context *c, ember_node *n) { return rs_prepare(c, n, 0); }
static ember_status eval_nn(ember_context *c, ember_node *n) { return rs_eval(c, n, 0); }

const ember_kernel ember_kernel_RESIZE_BILINEAR = { "RESIZE_BILINEAR", init_bl, NULL, prepare_bl,
                                                    eval_bl };
const ember_kernel ember_kernel_RESIZE_NEAREST_NEIGHBOR = { "RESIZE_NEAREST_NEIGHBOR", NULL, NULL,
                                                            prepare_nn, eval_nn };
