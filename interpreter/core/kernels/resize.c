/* resize.c — RESIZE_BILINEAR (float32) and RESIZE_NEAREST_NEIGHBOR (any
 * fixed-size type) on NHWC tensors; the new [height, width] is input 1
 * (int32, two positive values). Coordinates follow TFLite exactly:
 *   scale = in / out, or (in - 1) / (out - 1) with align_corners (out > 1);
 *   bilinear: src = (dst + 0.5) * scale - 0.5 with half_pixel_centers, else
 *             dst * scale; lo = max(floor(src), 0), hi = min(ceil(src), in-1),
 *             weights (src - lo) and 1 - (src - lo);
 *   nearest:  src = (dst + 0.5 if half_pixel_centers) * scale, rounded half
 *             away from zero with align_corners, floored otherwise, clamped
 *             to [0, in - 1] (the low clamp only with half_pixel_centers).
 * half_pixel_centers together with align_corners is rejected for bilinear,
 * as in TFLite. Per-column tables are built once per eval in chunks on the
 * stack, and rows are spread over the thread pool. */
#include <math.h>

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
    int align, half;
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

static ember_status rs_size(ember_context *ctx, ember_node *node, int32_t *dims) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    const ember_tensor *s = ember_input(ctx, node, 1);
    EMBER_ENSURE(ctx, s->data && s->bytes >= 8, "resize: size has no data");
    const int32_t *v = (const int32_t *)s->data;
    EMBER_ENSURE(ctx, v[0] > 0 && v[1] > 0, "resize: output size %dx%d must be positive",
                 (int)v[0], (int)v[1]);
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
        if (x->type != EMBER_TensorType_FLOAT32)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "RESIZE_BILINEAR: type %s not supported",
                              ember_type_name(x->type));
        EMBER_ENSURE(ctx, !(rs_opt(node, 1, 0) && rs_opt(node, 1, 1)),
                     "RESIZE_BILINEAR: half_pixel_centers and align_corners both set");
    } else {
        size_t es;
        EMBER_CHECK(shp_elem_size(ctx, x, name, &es));
        if (x->q.count || y->q.count)
            if (!shp_same_quant(x, y))
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                                  "RESIZE_NEAREST_NEIGHBOR: input and output quantisation differ");
    }
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
    j.es = ember_type_size(x->type);
    /* Split rows over threads only when there is enough work. */
    int64_t work = (int64_t)ember_num_elements(y);
    int nt = ember_num_threads(ctx);
    int64_t rows = (int64_t)j.n * j.oh;
    if (nt > rows) nt = (int)rows;
    if (work < 65536 || nt < 1) nt = 1;
    if (nt == 1) {
        if (bilinear) resize_bilinear_f32(&j, 0, 1);
        else resize_nearest_bytes(&j, 0, 1);
    } else {
        ember_parallel_for(ctx, nt, bilinear ? resize_bilinear_f32 : resize_nearest_bytes, &j);
    }
    return EMBER_OK;
}

static ember_status prepare_bl(ember_context *c, ember_node *n) { return rs_prepare(c, n, 1); }
static ember_status eval_bl(ember_context *c, ember_node *n) { return rs_eval(c, n, 1); }
static ember_status prepare_nn(ember_context *c, ember_node *n) { return rs_prepare(c, n, 0); }
static ember_status eval_nn(ember_context *c, ember_node *n) { return rs_eval(c, n, 0); }

const ember_kernel ember_kernel_RESIZE_BILINEAR = { "RESIZE_BILINEAR", NULL, NULL, prepare_bl,
                                                    eval_bl };
const ember_kernel ember_kernel_RESIZE_NEAREST_NEIGHBOR = { "RESIZE_NEAREST_NEIGHBOR", NULL, NULL,
                                                            prepare_nn, eval_nn };
