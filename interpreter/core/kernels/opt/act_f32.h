/*
 * opt/act_f32.h — float LOGISTIC and TANH rows of activations.c compiled
 * for AVX2+FMA and AVX-512F (opt/act_f32_x86.c). They are the portable
 * fast_math.h functions, unchanged: only the vector width differs (the
 * portable build vectorises them for SSE2, 4 lanes; these give 8 and 16).
 * FMA contraction can move a result by an ulp or so within fast_math.h's
 * documented bounds. Chosen in prepare where ember_kernel_path() is the x86
 * vector path; the AVX-512 ones where ember_f32_avx512() agrees.
 * Signature: ember_ew_fn (elements [s, e) of in to out; pv unused).
 */
#ifndef EMBER_OPT_ACT_F32_H
#define EMBER_OPT_ACT_F32_H

#include <stddef.h>

void ember_logistic_f32_avx2(const void *in, void *out, size_t s, size_t e, const void *pv);
void ember_tanh_f32_avx2(const void *in, void *out, size_t s, size_t e, const void *pv);
void ember_logistic_f32_avx512(const void *in, void *out, size_t s, size_t e, const void *pv);
void ember_tanh_f32_avx512(const void *in, void *out, size_t s, size_t e, const void *pv);

#endif
