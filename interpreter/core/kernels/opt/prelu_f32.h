/*
 * opt/prelu_f32.h — the float PRELU rows of prelu.c on AVX-512F
 * (opt/prelu_f32_avx512.c): out = x < 0 ? x * alpha : x, as LiteRT
 * computes it (x >= 0, -0 and NaN pass through unchanged), 16 lanes with a
 * masked multiply. Chosen in prepare where ember_kernel_path() is the x86
 * vector path and ember_f32_avx512() agrees.
 */
#ifndef EMBER_OPT_PRELU_F32_H
#define EMBER_OPT_PRELU_F32_H

#include <stddef.h>

/* n elements; alpha per element (a_vec) or a[0] for all. */
void ember_prelu_f32_avx512(const float *x, const float *a, float *o, size_t n, int a_vec);

#endif
