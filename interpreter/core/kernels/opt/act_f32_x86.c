/* opt/act_f32_x86.c — float LOGISTIC / TANH rows for AVX2+FMA and AVX-512F
 * (opt/act_f32.h). The loops are plain C over the branch-free fast_math.h
 * functions; the target attribute lets gcc/clang vectorise them 8 or 16
 * lanes wide (the same loop in activations.c gets SSE2's 4). The scalar
 * tail is compiled for the same target, so an element's result does not
 * depend on where it falls in the row. Other targets compile this file to
 * nothing. */
#include "../gemm.h"
#include "act_f32.h"

#ifdef EMBER_HAVE_AVX2_BUILD
#include "../fast_math.h"

#define ACT_ROW(NAME, TARGET, FN)                                               \
    __attribute__((target(TARGET))) void NAME(const void *in, void *out, size_t s, size_t e, \
                                              const void *pv) {                 \
        const float *restrict x = (const float *)in;                            \
        float *restrict y = (float *)out;                                       \
        (void)pv;                                                               \
        for (size_t i = s; i < e; i++) y[i] = FN(x[i]);                         \
    }

ACT_ROW(ember_logistic_f32_avx2, "avx2,fma", ember_fast_logisticf)
ACT_ROW(ember_tanh_f32_avx2, "avx2,fma", ember_fast_tanhf)
ACT_ROW(ember_logistic_f32_avx512, "avx512f", ember_fast_logisticf)
ACT_ROW(ember_tanh_f32_avx512, "avx512f", ember_fast_tanhf)

#else
typedef int ember_act_f32_x86_unused;  /* ISO C forbids an empty file */
#endif
