/* opt/gemm_avx2.c — the GEMM and depthwise inner loops of gemm_kernels.inc
 * compiled for AVX2 + FMA; chosen at run time when the CPU has them
 * (ember_kernel_path). Other targets compile this file to nothing. */
#include "../gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#ifdef EMBER_HAVE_AVX2_BUILD

int ember_cpu_has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define EMBER_SFX(name) name##_avx2
#define EMBER_VEC_BYTES 32
#define EMBER_CW 16
#define EMBER_VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define EMBER_SFMA(a, b, c) __builtin_fmaf((a), (b), (c))   /* one vfmadd: the vector lanes' rounding */
/* max/min return their second operand when one is NaN: NaN stays NaN. */
#define EMBER_VCLAMP(v, l, h) _mm256_min_ps((h), _mm256_max_ps((l), (v)))
#include "../gemm_kernels.inc"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
typedef int ember_gemm_avx2_unused;  /* ISO C forbids an empty file */
#endif
