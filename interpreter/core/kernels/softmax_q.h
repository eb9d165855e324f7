/*
 * softmax_q.h — op data of SOFTMAX / LOG_SOFTMAX and the prepare steps of
 * their quantised paths (softmax_q.c). softmax.c owns the op glue.
 */
#ifndef EMBER_SOFTMAX_Q_H
#define EMBER_SOFTMAX_Q_H

#include <stddef.h>
#include <stdint.h>

#include "ember_kernel.h"

enum { SM_F32, SM_LOG_F32, SM_Q8, SM_Q16, SM_LOG_Q8 };

struct softmax_data;
/* Runs `rows` rows of a quantised softmax from x into y. */
typedef void (*softmax_q_rows)(const struct softmax_data *d, const void *x, void *y, size_t rows);

typedef struct softmax_data {
    int kind;                   /* SM_* */
    float beta;
    size_t rows, depth;
    size_t in_size, out_size;   /* element bytes */
    softmax_q_rows qrows;
    /* 8-bit inputs: indexed by max - x (0..255); host builds only (micro
     * builds recompute each value from diff_mult/diff_shift, as TFLite
     * Micro does, to save their 1-2 KB of RAM) */
    int32_t *exp_q0;            /* exp of the rescaled difference, Q0; 0 where TFLite skips */
    int32_t *diff_q5;           /* LOG_SOFTMAX: the rescaled difference, Q5 */
    int32_t diff_mult;          /* difference -> Q5.26 (beta * input scale) */
    int diff_shift;
    int32_t diff_min;           /* differences below this are skipped */
    int32_t rev_mult;           /* LOG_SOFTMAX: Q5 back to input steps */
    int rev_shift;
    int rev_none;               /* 1: nothing but diff_min limits the outputs */
    int32_t out_zp;             /* LOG_SOFTMAX output zero point (127 / 255) */
    /* int16 input */
    int32_t mult16;
    int shift16;
    int16_t *exp_lut, *recip_lut;   /* 513 entries each */
} softmax_data;

ember_status ember_softmax_q_prepare(ember_context *ctx, softmax_data *d, const ember_tensor *x,
                                     const ember_tensor *y);
ember_status ember_log_softmax_q_prepare(ember_context *ctx, softmax_data *d,
                                         const ember_tensor *x, const ember_tensor *y);

#endif /* EMBER_SOFTMAX_Q_H */
