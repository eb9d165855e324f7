/*
 * prelu.c — PRELU: out = x >= 0 ? x : x * alpha, with alpha broadcast
 * against x (NumPy rules; typically alpha is [C] or [1,1,C]). The output
 * takes the broadcast shape.
 *
 * Types: float32; int8 and uint8 (alpha of the same type) and int16 with an
 * int8 alpha, quantised as TFLite's reference kernel: x - zp >= 0 is
 * rescaled by in_scale / out_scale, otherwise (x - zp)(alpha - alpha_zp) by
 * in_scale * alpha_scale / out_scale, each as a Q31 multiplier derived in
 * float as LiteRT derives it, then offset and clamped to the output type.
 */
#include <stdint.h>
#include <string.h>

#include "conv_q.h"
#include "ember_kernel.h"
#include "elementwise_common.h"
#include "gemm.h"
#include "opt/prelu_f32.h"
#include "opt/qew.h"
#include "quant_elementwise.h"

typedef struct qprelu_params {
    int32_t in_zp, alpha_zp, out_zp;
    int32_t m1, m2;
    int s1, s2;
} qprelu_params;

typedef struct prelu_data {
    ember_bcast bc;
    ember_bc_row row;
    ember_bc_rows blk;
    size_t esz[2], oesz;
    qprelu_params q;
    ember_qprelu_vp v;              /* the vector rows' copy (opt/qew.h) */
    int vec;                        /* eval hands v, not q, to the rows */
} prelu_data;

#define QPRELU_ROW(NAME, T, U, LO, HI, XI, AI)                                  \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const T *restrict x_ = (const T *)in[0];                                \
        const U *restrict a_ = (const U *)in[1];                                \
        T *restrict o_ = (T *)out;                                              \
        const qprelu_params *p = (const qprelu_params *)pv;                     \
        for (size_t i = 0; i < n; i++) {                                        \
            const int32_t v = (int32_t)x_[XI] - p->in_zp;                       \
            int32_t r = v >= 0 ? ember_multiply_by_quantized_multiplier(v, p->m1, p->s1) \
                               : ember_multiply_by_quantized_multiplier(        \
                                     v * ((int32_t)a_[AI] - p->alpha_zp), p->m2, p->s2); \
            r += p->out_zp;                                                     \
            o_[i] = (T)(r < (LO) ? (LO) : (r > (HI) ? (HI) : r));               \
        }                                                                       \
    }
#define QPRELU_ROWS(NAME, T, U, LO, HI)                                         \
    QPRELU_ROW(NAME##_ss, T, U, LO, HI, 0, 0)                                   \
    QPRELU_ROW(NAME##_vs, T, U, LO, HI, i, 0)                                   \
    QPRELU_ROW(NAME##_sv, T, U, LO, HI, 0, i)                                   \
    QPRELU_ROW(NAME##_vv, T, U, LO, HI, i, i)                                   \
    static const ember_bc_row NAME[4] = {NAME##_ss, NAME##_vs, NAME##_sv, NAME##_vv};
QPRELU_ROWS(qprelu_i8, int8_t, int8_t, -128, 127)
QPRELU_ROWS(qprelu_u8, uint8_t, uint8_t, 0, 255)
QPRELU_ROWS(qprelu_i16, int16_t, int8_t, -32768, 32767)

/* x < 0 ? x * al : x, exactly LiteRT's (-0 and NaN pass through), as a
 * bit select between x and x * al: gcc vectorises this form; a plain ?: of
 * a product it will not (the multiply might trap), and pos + al * neg turns
 * -0 into +0. */
static inline float prelu1(float x, float al) {
    const float m = x * al;
    uint32_t xb, mb;
    memcpy(&xb, &x, sizeof xb);
    memcpy(&mb, &m, sizeof mb);
    const uint32_t sel = 0u - (uint32_t)(x < 0.0f);
    const uint32_t ob = (mb & sel) | (xb & ~sel);
    float o;
    memcpy(&o, &ob, sizeof o);
    return o;
}

#define PRELU_ROW(NAME, XI, AI)                                                 \
    static void NAME(const void *const *in, void *out, size_t n, const void *pv) { \
        const float *restrict x_ = (const float *)in[0];                        \
        const float *restrict a_ = (const float *)in[1];                        \
        float *restrict o_ = (float *)out;                                      \
        (void)pv;                                                               \
        for (size_t i = 0; i < n; i++) o_[i] = prelu1(x_[XI], a_[AI]);        \
    }
#define PRELU_BLK(NAME, XI, AI)                                                 \
    static void NAME(const void *const *in, const size_t *rs, void *out, size_t rows, \
                     size_t n, const void *pv) {                                \
        const float *x_r = (const float *)in[0], *a_r = (const float *)in[1];   \
        float *o_r = (float *)out;                                              \
        (void)pv;                                                               \
        for (size_t r = 0; r < rows; r++, x_r += rs[0], a_r += rs[1], o_r += n) { \
            const float *restrict x_ = x_r;                                     \
            const float *restrict a_ = a_r;                                     \
            float *restrict o_ = o_r;                                           \
            for (size_t i = 0; i < n; i++) o_[i] = prelu1(x_[XI], a_[AI]);    \
        }                                                                       \
    }
PRELU_BLK(prelu_bss, 0, 0)
PRELU_BLK(prelu_bvs, i, 0)
PRELU_BLK(prelu_bsv, 0, i)
PRELU_BLK(prelu_bvv, i, i)
static const ember_bc_rows prelu_blks[4] = {prelu_bss, prelu_bvs, prelu_bsv, prelu_bvv};
PRELU_ROW(prelu_ss, 0, 0)
PRELU_ROW(prelu_vs, i, 0)
PRELU_ROW(prelu_sv, 0, i)
PRELU_ROW(prelu_vv, i, i)
static const ember_bc_row prelu_rows[4] = {prelu_ss, prelu_vs, prelu_sv, prelu_vv};

#ifdef EMBER_HAVE_AVX2_BUILD
/* AVX-512 rows for x read contiguously: alpha per element (vv) or one
 * value along the row (vs); blocks of rows for the per-channel alpha. */
static void fv_vs(const void *const *in, void *out, size_t n, const void *pv) {
    ember_prelu_f32_avx512((const float *)in[0], (const float *)in[1], (float *)out, n, 0);
}
static void fv_vv(const void *const *in, void *out, size_t n, const void *pv) {
    ember_prelu_f32_avx512((const float *)in[0], (const float *)in[1], (float *)out, n, 1);
}
#define FV_BLK(NAME, AV)                                                        \
    static void NAME(const void *const *in, const size_t *rs, void *out, size_t rows, \
                     size_t n, const void *pv) {                                \
        const float *x = (const float *)in[0], *a = (const float *)in[1];       \
        float *o = (float *)out;                                                \
        for (size_t r = 0; r < rows; r++, x += rs[0], a += rs[1], o += n)       \
            ember_prelu_f32_avx512(x, a, o, n, AV);                             \
    }
FV_BLK(fv_bvs, 0)
FV_BLK(fv_bvv, 1)
#endif

#ifdef EMBER_HAVE_AVX2_BUILD
/* Vector rows for 8-bit x read contiguously; alpha per element (vv) or one
 * value along the row (vs), blocks of rows for the per-channel alpha. */
#define QV_PRELU(ISA)                                                           \
    static void qv_##ISA##_vs(const void *const *in, void *out, size_t n, const void *pv) { \
        ember_qprelu_##ISA((const ember_qprelu_vp *)pv, in[0], in[1], out, n, 0); \
    }                                                                           \
    static void qv_##ISA##_vv(const void *const *in, void *out, size_t n, const void *pv) { \
        ember_qprelu_##ISA((const ember_qprelu_vp *)pv, in[0], in[1], out, n, 1); \
    }                                                                           \
    static void qv_##ISA##_bvs(const void *const *in, const size_t *rs, void *out, size_t rows, \
                               size_t n, const void *pv) {                      \
        for (size_t r = 0; r < rows; r++)                                       \
            ember_qprelu_##ISA((const ember_qprelu_vp *)pv, (const char *)in[0] + r * rs[0], \
                               (const char *)in[1] + r * rs[1], (char *)out + r * n, n, 0); \
    }                                                                           \
    static void qv_##ISA##_bvv(const void *const *in, const size_t *rs, void *out, size_t rows, \
                               size_t n, const void *pv) {                      \
        for (size_t r = 0; r < rows; r++)                                       \
            ember_qprelu_##ISA((const ember_qprelu_vp *)pv, (const char *)in[0] + r * rs[0], \
                               (const char *)in[1] + r * rs[1], (char *)out + r * n, n, 1); \
    }
QV_PRELU(avx2)
QV_PRELU(avx512)

/* Picks the vector rows for an 8-bit PRELU whose x is contiguous along the row. */
static void prelu_vec(prelu_data *d, int32_t type) {
    const unsigned pat = d->bc.pattern & 3u;
    d->vec = 0;
    if ((type != EMBER_TensorType_INT8 && type != EMBER_TensorType_UINT8) || !(pat & 1u)) return;
    if (d->q.s1 < -31 || d->q.s1 > 30 || d->q.s2 < -31 || d->q.s2 > 30 || d->q.m1 < 0 || d->q.m2 < 0)
        return;
    const int path = ember_kernel_path();
    const int wide = ember_qgemm8_usable(path);
    if (!wide && path < EMBER_PATH_AVX2) return;
    d->v.u8 = type == EMBER_TensorType_UINT8;
    d->v.in_zp = d->q.in_zp;
    d->v.alpha_zp = d->q.alpha_zp;
    d->v.out_zp = d->q.out_zp;
    d->v.m1 = d->q.m1;
    d->v.s1 = d->q.s1;
    d->v.m2 = d->q.m2;
    d->v.s2 = d->q.s2;
    d->vec = 1;
    if (pat == 3u) {
        d->row = wide ? qv_avx512_vv : qv_avx2_vv;
        d->blk = wide ? qv_avx512_bvv : qv_avx2_bvv;
    } else {
        d->row = wide ? qv_avx512_vs : qv_avx2_vs;
        d->blk = wide ? qv_avx512_bvs : qv_avx2_bvs;
    }
}
#endif

static void *prelu_init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(prelu_data));
}

static ember_status prelu_prepare(ember_context *ctx, ember_node *node) {
    prelu_data *d = (prelu_data *)node->data;
    EMBER_ENSURE(ctx, d != NULL, "PRELU: no op data");
    EMBER_CHECK(ember_ew_check_io(ctx, node, 2, 1));
    const ember_tensor *x = ember_input(ctx, node, 0), *a = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const int32_t tx = x->type, ta = a->type, ty = y->type;
    const ember_bc_row *qrows = NULL;
    if (tx == EMBER_TensorType_FLOAT32 && ta == tx && ty == tx) {
        d->esz[0] = d->esz[1] = d->oesz = 4;
    } else if ((tx == EMBER_TensorType_INT8 || tx == EMBER_TensorType_UINT8) && ta == tx &&
               ty == tx) {
        qrows = tx == EMBER_TensorType_INT8 ? qprelu_i8 : qprelu_u8;
        d->esz[0] = d->esz[1] = d->oesz = 1;
    } else if (tx == EMBER_TensorType_INT16 && ta == EMBER_TensorType_INT8 && ty == tx) {
        qrows = qprelu_i16;
        d->esz[0] = d->oesz = 2;
        d->esz[1] = 1;
    } else {
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "PRELU does not support %s input, %s alpha -> %s (float32; int8 or "
                          "uint8 with the same alpha type; int16 with int8 alpha)",
                          ember_type_name(tx), ember_type_name(ta), ember_type_name(ty));
    }
    if (qrows) {
        EMBER_CHECK(ember_qe_check_tensor(ctx, x, "PRELU", "input"));
        EMBER_CHECK(ember_qe_check_tensor(ctx, a, "PRELU", "alpha"));
        EMBER_CHECK(ember_qe_check_tensor(ctx, y, "PRELU", "output"));
        /* LiteRT forms both ratios in float before widening to double. */
        volatile float r1 = ember_qe_scale(x) / ember_qe_scale(y);
        volatile float r2p = ember_qe_scale(x) * ember_qe_scale(a);
        volatile float r2 = r2p / ember_qe_scale(y);
        ember_quantize_multiplier((double)r1, &d->q.m1, &d->q.s1);
        ember_quantize_multiplier((double)r2, &d->q.m2, &d->q.s2);
        if (d->q.s1 > 30 || d->q.s2 > 30)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "PRELU: output scale %g too small for the input/alpha scales",
                              (double)ember_qe_scale(y));
        d->q.in_zp = ember_qe_zp(x);
        d->q.alpha_zp = ember_qe_zp(a);
        d->q.out_zp = ember_qe_zp(y);
    }
    const ember_tensor *in[2] = {x, a};
    int32_t nd, dims[EMBER_MAX_DIMS];
    EMBER_CHECK(ember_bcast_shape_n(ctx, 2, in, &nd, dims));
    EMBER_CHECK(ember_tensor_resize(ctx, y, nd, dims));
    ember_bcast_plan(&d->bc, 2, in, nd, dims);
    d->row = (qrows ? qrows : prelu_rows)[d->bc.pattern & 3u];
    d->blk = qrows ? NULL : prelu_blks[d->bc.pattern & 3u];
    d->vec = 0;
#ifdef EMBER_HAVE_AVX2_BUILD
    if (qrows) prelu_vec(d, tx);
    if (!qrows && (d->bc.pattern & 1u) && ember_kernel_path() == EMBER_PATH_AVX2 &&
        ember_f32_avx512()) {
        const int av = (d->bc.pattern & 2u) != 0;
        d->row = av ? fv_vv : fv_vs;
        d->blk = av ? fv_bvv : fv_bvs;
    }
#endif
    return EMBER_OK;
}

static ember_status prelu_eval(ember_context *ctx, ember_node *node) {
    const prelu_data *d = (const prelu_data *)node->data;
    const ember_tensor *x = ember_input(ctx, node, 0), *a = ember_input(ctx, node, 1);
    ember_tensor *y = ember_output(ctx, node, 0);
    const void *base[2] = {x->data, a->data};
    ember_bcast_run_rows(ctx, &d->bc, base, d->esz, y->data, d->oesz, d->row, d->blk,
                         d->vec ? (const void *)&d->v : (const void *)&d->q);
    return EMBER_OK;
}

const ember_kernel ember_kernel_PRELU = {"PRELU", prelu_init, NULL, prelu_prepare, prelu_eval};
