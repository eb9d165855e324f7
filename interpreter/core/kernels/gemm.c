/* gemm.c — blocked float32 GEMM shared by the convolution family (see gemm.h). */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

#define EMBER_SFX(name) name##_generic
#define EMBER_VEC_BYTES 16
#define EMBER_CW 8
#define EMBER_VFMA(a, b, c) ((a) * (b) + (c))
#define EMBER_SFMA(a, b, c) ((a) * (b) + (c))
#include "gemm_kernels.inc"
#undef EMBER_SFX
#undef EMBER_VEC_BYTES
#undef EMBER_CW
#undef EMBER_VFMA
#undef EMBER_SFMA

int ember_kernel_path(void) {
#if !defined(EMBER_HOST) && !defined(EMBER_FAST_KERNELS)
    /* Microcontroller builds: the GEMM paths copy constant weights into
     * packed RAM buffers, which a device with weights in flash cannot
     * afford; plain loops unless the board opts in with EMBER_FAST_KERNELS. */
    return EMBER_PATH_REF;
#else
    int best = EMBER_PATH_GENERIC;
#ifdef EMBER_HAVE_AVX2_BUILD
    if (ember_cpu_has_avx2_fma()) best = EMBER_PATH_AVX2;
#endif
#ifdef EMBER_HOST
    const char *env = getenv("EMBER_KERNEL_PATH");
    if (env && *env) {
        int want = best;
        if (strcmp(env, "ref") == 0) want = EMBER_PATH_REF;
        else if (strcmp(env, "generic") == 0) want = EMBER_PATH_GENERIC;
        else if (strcmp(env, "avx2") == 0) want = EMBER_PATH_AVX2;
        /* "vnni" (or unset): the best path, plus the int8 VNNI kernels
         * (conv_q.h) where the CPU has them; "avx2" keeps int8 to pmaddwd.
         * "avx512": the best path with the float AVX-512 kernels
         * (ember_f32_avx512) and int8 on pmaddwd. */
        if (want < best) best = want;
    }
#endif
    return best;
#endif
}

#ifdef EMBER_HAVE_AVX2_BUILD
int ember_f32_avx512(void) {
    if (!ember_cpu_has_avx512f()) return 0;
#ifdef EMBER_HOST
    const char *env = getenv("EMBER_KERNEL_PATH");
    if (env && strcmp(env, "avx2") == 0) return 0;
#endif
    return 1;
}

ember_gemm_blockfn ember_gemm_block_x86(void) {
    return ember_f32_avx512() ? ember_gemm_block_avx512 : ember_gemm_block_avx2;
}
#endif

size_t ember_gemm_packed_floats(int32_t K, int32_t N) {
    size_t panels = (size_t)ember_ceil_div(N, EMBER_GEMM_NR);
    return panels * (size_t)EMBER_GEMM_NR * ((size_t)K + 1);
}

void ember_gemm_pack_b(const float *src, ptrdiff_t stride_k, ptrdiff_t stride_n,
                       int32_t K, int32_t N, const float *bias, float *dst,
                       ember_gemm_b *out) {
    int32_t panels = ember_ceil_div(N, EMBER_GEMM_NR);
    float *pb = dst + (size_t)panels * K * EMBER_GEMM_NR;
    for (int32_t p = 0; p < panels; p++) {
        float *panel = dst + (size_t)p * K * EMBER_GEMM_NR;
        for (int32_t k = 0; k < K; k++) {
            for (int32_t j = 0; j < EMBER_GEMM_NR; j++) {
                int32_t n = p * EMBER_GEMM_NR + j;
                panel[(size_t)k * EMBER_GEMM_NR + j] =
                    n < N ? src[k * stride_k + n * stride_n] : 0.0f;
            }
        }
        for (int32_t j = 0; j < EMBER_GEMM_NR; j++) {
            int32_t n = p * EMBER_GEMM_NR + j;
            pb[p * EMBER_GEMM_NR + j] = (bias && n < N) ? bias[n] : 0.0f;
        }
    }
    out->K = K;
    out->N = N;
    out->panels = panels;
    out->data = dst;
    out->bias = pb;
}

/* Rows handed out per A block: keeps an MC x K block of A around 128 KiB
 * (L2) while the panels of B stream through L1. */
int32_t ember_gemm_mc(int32_t K) {
    int32_t mc = (32 * 1024) / (K > 0 ? K : 1);
    mc = (mc / EMBER_GEMM_MR) * EMBER_GEMM_MR;
    if (mc < EMBER_GEMM_MR * 2) mc = EMBER_GEMM_MR * 2;
    if (mc > EMBER_GEMM_MR * 32) mc = EMBER_GEMM_MR * 32;
    return mc;
}

size_t ember_gemm_scratch_floats(int32_t K) {
    return (size_t)ember_gemm_mc(K) * (size_t)(K > 0 ? K : 1);
}

void ember_gemm_range(const ember_gemm_job *job, int32_t m_begin, int32_t m_end,
                      int32_t p_begin, int32_t p_end, float *scratch) {
    const ember_gemm_b *B = job->b;
    const int32_t K = B->K, N = B->N;
    ember_gemm_blockfn blk = ember_gemm_block_generic;
#ifdef EMBER_HAVE_AVX2_BUILD
    if (job->path == EMBER_PATH_AVX2) blk = ember_gemm_block_x86();
#endif
    const int32_t mc_max = ember_gemm_mc(K);
    int32_t mc;
    for (int32_t m0 = m_begin; m0 < m_end; m0 += mc) {
        const int32_t left = m_end - m0;
        mc = left < mc_max ? left : mc_max;
        /* A last block of a few rows would stream all of B again for them
         * (one row even through the matrix-vector kernel): the last two
         * blocks share the rows instead (49 rows, cap 48: 30 + 19). */
        if (left > mc_max && left < mc_max + 2 * EMBER_GEMM_MR)
            mc = ember_ceil_div(ember_ceil_div(left, 2), EMBER_GEMM_MR) * EMBER_GEMM_MR;
        const float *a;
        ptrdiff_t lda;
        if (job->a_fn) {
            a = job->a_fn(job->a_arg, m0, mc, scratch, &lda);
        } else {
            a = job->a + (ptrdiff_t)m0 * job->lda;
            lda = job->lda;
        }
        float *cblk = job->c + (ptrdiff_t)m0 * job->ldc;
        if (K == 0) {
            /* Degenerate: output is just the (clamped) bias. */
            for (int32_t i = 0; i < mc; i++)
                for (int32_t n = p_begin * EMBER_GEMM_NR; n < N && n < p_end * EMBER_GEMM_NR; n++)
                    cblk[i * job->ldc + n] = ember_clampf(B->bias[n], job->lo, job->hi);
            continue;
        }
        /* A few rows gain nothing from K blocking: stream each panel once. */
        const int32_t kc_max = mc <= EMBER_GEMM_MR ? K : EMBER_GEMM_KC;
        for (int32_t k0 = 0; k0 < K; k0 += kc_max) {
            int32_t kc = K - k0 < kc_max ? K - k0 : kc_max;
            int init = k0 == 0, last = k0 + kc >= K;
            blk(mc, kc, p_begin, p_end, N, a + k0, lda, B->data + (size_t)k0 * EMBER_GEMM_NR,
                (size_t)K * EMBER_GEMM_NR, B->bias, cblk, job->ldc, init, last, job->lo, job->hi);
        }
    }
}

/* ---- threading ---------------------------------------------------------- */

typedef struct gemm_task {
    const ember_gemm_job *job;
    float *scratch;
    size_t scratch_per_task;
    int split_n;
} gemm_task;

static void split(int32_t total, int32_t unit, int task, int n_tasks,
                  int32_t *begin, int32_t *end) {
    int32_t units = ember_ceil_div(total, unit);
    int32_t b = (int32_t)((int64_t)units * task / n_tasks);
    int32_t e = (int32_t)((int64_t)units * (task + 1) / n_tasks);
    *begin = b * unit;
    *end = e * unit < total ? e * unit : total;
}

static void gemm_task_fn(void *arg, int task, int n_tasks) {
    const gemm_task *t = (const gemm_task *)arg;
    const ember_gemm_job *job = t->job;
    float *scratch = t->scratch ? t->scratch + t->scratch_per_task * (size_t)task : NULL;
    int32_t b, e;
    if (t->split_n) {
        split(job->b->panels, 1, task, n_tasks, &b, &e);
        if (b < e) ember_gemm_range(job, 0, job->M, b, e, scratch);
    } else {
        split(job->M, EMBER_GEMM_MR, task, n_tasks, &b, &e);
        if (b < e) ember_gemm_range(job, b, e, 0, job->b->panels, scratch);
    }
}

int ember_gemm_tasks(ember_context *ctx, int32_t M, int32_t N, int32_t K) {
    int nt = ember_num_threads(ctx);
    if (nt < 1) nt = 1;
    double flops = 2.0 * M * N * (double)K;
    if (flops < 4.0e5) return 1;            /* too small to be worth a wake-up */
    int32_t by_m = ember_ceil_div(M, EMBER_GEMM_MR);
    int32_t by_n = ember_ceil_div(N, EMBER_GEMM_NR);
    int32_t units = by_m > by_n ? by_m : by_n;
    if (nt > units) nt = units;
    return nt < 1 ? 1 : nt;
}

void ember_gemm_run(ember_context *ctx, const ember_gemm_job *job, float *scratch) {
    const ember_gemm_b *B = job->b;
    int nt = job->tasks > 0 ? job->tasks : ember_gemm_tasks(ctx, job->M, B->N, B->K);
    if (nt <= 1) {
        ember_gemm_range(job, 0, job->M, 0, B->panels, scratch);
        return;
    }
    gemm_task t;
    t.job = job;
    t.scratch = scratch;
    t.scratch_per_task = ember_gemm_scratch_floats(B->K);
    /* Few rows (fully-connected, batch 1): split the output columns. */
    t.split_n = ember_ceil_div(job->M, EMBER_GEMM_MR) < nt * 2 && B->panels >= nt;
    ember_parallel_for(ctx, nt, gemm_task_fn, &t);
}

/* ---- integer GEMM ------------------------------------------------------ */

size_t ember_qgemm_packed_elems(int32_t K, int32_t N) {
    const size_t panels = (size_t)((N + EMBER_QGEMM_NR - 1) / EMBER_QGEMM_NR);
    return panels * (size_t)ember_qgemm_kp(K) * EMBER_QGEMM_NR;
}

void ember_qgemm_pack_b(const void *src, int32_t type, int32_t zp, ptrdiff_t row_stride,
                        int32_t K, int32_t N, int16_t *dst, ember_qgemm_b *out) {
    const int32_t Kp = ember_qgemm_kp(K);
    const int32_t panels = (N + EMBER_QGEMM_NR - 1) / EMBER_QGEMM_NR;
    for (int32_t p = 0; p < panels; p++) {
        int16_t *pd = dst + (size_t)p * Kp * EMBER_QGEMM_NR;
        for (int32_t j = 0; j < EMBER_QGEMM_NR; j++) {
            const int32_t n = p * EMBER_QGEMM_NR + j;
            for (int32_t k = 0; k < Kp; k++) {
                int32_t v = 0;
                if (n < N && k < K) {
                    const size_t i = (size_t)n * (size_t)row_stride + (size_t)k;
                    v = (type == EMBER_TensorType_UINT8 ? (int32_t)((const uint8_t *)src)[i]
                                                        : (int32_t)((const int8_t *)src)[i]) - zp;
                }
                /* pair k/2, column j, slot k&1 */
                pd[((size_t)(k >> 1) * EMBER_QGEMM_NR + j) * 2 + (k & 1)] = (int16_t)v;
            }
        }
    }
    out->K = K;
    out->Kp = Kp;
    out->N = N;
    out->panels = panels;
    out->data = dst;
}

/* One panel (nr <= NR valid columns) for mc rows; uint32 sums so the
 * wrap-around TFLite relies on stays defined behaviour. */
void ember_qgemm_panel_generic(int32_t mc, const int16_t *a, ptrdiff_t lda, const int16_t *bp,
                               int32_t pairs, int32_t nr, int32_t *c, ptrdiff_t ldc) {
    for (int32_t i = 0; i < mc; i++) {
        uint32_t acc[EMBER_QGEMM_NR] = {0};
        const int16_t *ai = a + (size_t)i * lda;
        for (int32_t j = 0; j < pairs; j++) {
            const int32_t a0 = ai[2 * j], a1 = ai[2 * j + 1];
            const int16_t *bj = bp + (size_t)j * 2 * EMBER_QGEMM_NR;
            for (int32_t n = 0; n < EMBER_QGEMM_NR; n++)
                acc[n] += (uint32_t)(a0 * bj[2 * n] + a1 * bj[2 * n + 1]);
        }
        for (int32_t n = 0; n < nr; n++) c[(size_t)i * ldc + n] = (int32_t)acc[n];
    }
}

void ember_qgemm_block(int path, int32_t mc, const int16_t *a, ptrdiff_t lda,
                       const ember_qgemm_b *b, int32_t *c, ptrdiff_t ldc) {
    const int32_t pairs = b->Kp / 2;
    for (int32_t p = 0; p < b->panels; p++) {
        const int16_t *bp = b->data + (size_t)p * b->Kp * EMBER_QGEMM_NR;
        int32_t nr = b->N - p * EMBER_QGEMM_NR;
        if (nr > EMBER_QGEMM_NR) nr = EMBER_QGEMM_NR;
        int32_t *cp = c + (size_t)p * EMBER_QGEMM_NR;
#ifdef EMBER_HAVE_AVX2_BUILD
        if (path == EMBER_PATH_AVX2) {
            ember_qgemm_panel_avx2(mc, a, lda, bp, pairs, nr, cp, ldc);
            continue;
        }
#endif
        ember_qgemm_panel_generic(mc, a, lda, bp, pairs, nr, cp, ldc);
    }
}
