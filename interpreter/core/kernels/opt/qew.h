/*
 * opt/qew.h — vector paths of the quantised (int8/uint8) element-wise
 * kernels: ADD/SUB/MUL (binary.c), PRELU (prelu.c) and 8-bit table lookups
 * (activations.c, dequantize.c, ...).
 *
 * Each computes exactly what the scalar reference rows compute (TFLite's
 * reference integer maths); they are chosen in prepare when
 * ember_kernel_path() allows AVX2 (AVX-512 where ember_qgemm8_usable says
 * so) and the node's parameters fit what the vector code assumes (checked by
 * ember_qbin_vp_fill / the callers). Plain structs here, intrinsics only in
 * the opt/ .c files, so every build can include this header.
 */
#ifndef EMBER_OPT_QEW_H
#define EMBER_OPT_QEW_H

#include <stddef.h>
#include <stdint.h>

/* Micro projects that only ever run the reference loops (see gemm.h) leave
 * the fast portable variants out too, so they cost no flash. */
#if defined(EMBER_MICRO) && defined(EMBER_MICRO_REF_ONLY) && !defined(EMBER_FAST_KERNELS)
#define EMBER_QEW_REF_ONLY 1
#endif

/* Quantised ADD/SUB/MUL on 8-bit tensors:
 *   ADD/SUB: t_k = MBQM((x_k + off_k) << left_shift, m_k, -r_k) (k = 1, 2),
 *            raw = t_1 +/- t_2;
 *   MUL:     raw = (x_1 + off_1) * (x_2 + off_2);
 *   out = clamp(MBQM(raw, mo, lo_shift - ro) + out_off, lo, hi).
 * Shifts are split into a left and a right part, as TFLite applies them;
 * the vector code needs 1 <= r_k <= 31 (ADD/SUB), ro <= 31, lo_shift <= 30
 * and at most one of lo_shift/ro non-zero. */
enum { EMBER_QBIN_ADD = 0, EMBER_QBIN_SUB = 1, EMBER_QBIN_MUL = 2 };
typedef struct ember_qbin_vp {
    int32_t kind, u8;
    int32_t off1, off2, out_off, left_shift;
    int32_t m1, m2, mo;
    int32_t r1, r2, ro, lo_shift;
    int32_t lo, hi;
} ember_qbin_vp;

/* Which operand is one value repeated along the row. */
enum { EMBER_QBIN_VV = 0, EMBER_QBIN_SV = 1, EMBER_QBIN_VS = 2 };

/* PRELU on 8-bit tensors (prelu.c): v = x - in_zp;
 *   v >= 0: MBQM(v, m1, s1), else MBQM(v * (alpha - alpha_zp), m2, s2);
 * + out_zp, clamped to the type. Shifts in [-31, 30]. */
typedef struct ember_qprelu_vp {
    int32_t u8, in_zp, alpha_zp, out_zp;
    int32_t m1, s1, m2, s2;
} ember_qprelu_vp;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* n elements of out from a and b (one of them read at [0] only when mode is
 * SV/VS). */
void ember_qbin_avx2(const ember_qbin_vp *p, const void *a, const void *b, void *out, size_t n,
                     int mode);
void ember_qbin_avx512(const ember_qbin_vp *p, const void *a, const void *b, void *out, size_t n,
                       int mode);
/* n elements; alpha read at [i] (alpha_vec) or [0]. */
void ember_qprelu_avx2(const ember_qprelu_vp *p, const void *x, const void *alpha, void *out,
                       size_t n, int alpha_vec);
void ember_qprelu_avx512(const ember_qprelu_vp *p, const void *x, const void *alpha, void *out,
                         size_t n, int alpha_vec);
/* out[i] = lut[in[i]] on bytes (AVX-512 VBMI: 64 at a time). */
void ember_lut8_apply_avx512(const uint8_t *lut, const uint8_t *in, uint8_t *out, size_t n);
int ember_cpu_has_avx512vbmi(void);
/* RESIZE_BILINEAR int8: n output pixels of one row from input rows row0/row1
 * (TFLite's 10-bit weights wx[k] per pixel and wy for the row). */
void ember_bilinear_i8_row_avx2(const int8_t *row0, const int8_t *row1, const int32_t *x0,
                                const int32_t *x1, const int32_t *wx, int32_t wy, int32_t n,
                                int32_t C, int8_t *out);
/* QUANTIZE float32 -> int8 (u8 = 0) / uint8 (u8 = 1), one scale and zero point. */
void ember_quantize_f32_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t lo,
                             int32_t hi, int u8, void *y);
#endif

#endif /* EMBER_OPT_QEW_H */
