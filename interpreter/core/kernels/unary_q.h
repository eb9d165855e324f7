/*
 * unary_q.h — quantised int8/int16 paths of the unary maths ops (unary.c
 * owns the op glue), as LiteRT's reference kernels compute them:
 *   ABS    |x - zp_in|, rescaled when the scales differ
 *   NEG    -(x - zp_in), rescaled likewise (saturating; see unary_q.c)
 *   RSQRT  int8: TFLite's fixed-point Newton-Raphson 1/sqrt; int16: table
 *   SQRT   per element in float, truncated towards zero
 *   EXP    256-entry (int8) / 513-entry interpolated (int16) table
 *   LOG    tables likewise, log(x <= 0) giving the output's lowest value
 * int16 needs zero points of 0. int8/int16 tensors without quantisation
 * parameters are plain integers: ABS and NEG then work on the raw values
 * (wrapping at the type's minimum, as LiteRT).
 */
#ifndef EMBER_UNARY_Q_H
#define EMBER_UNARY_Q_H

#include <stdint.h>

#include "ember_kernel.h"

typedef struct unary_q {
    int32_t op;                 /* EMBER_BuiltinOperator_* */
    int32_t type;
    int kind;                   /* how eval runs (unary_q.c) */
    int32_t in_zp, out_zp;
    int32_t mult;
    int shift;
    int rescale;
    float in_scale, out_scale;
    uint8_t *lut8;              /* 256 entries, indexed by the raw byte */
    int16_t *lut16;             /* 513 entries */
} unary_q;

/* 1 when `op` has a quantised / raw integer path for `type`. */
int ember_unary_q_supports(int32_t op, int32_t type);
ember_status ember_unary_q_prepare(ember_context *ctx, unary_q *q, int32_t op, const char *name,
                                   const ember_tensor *x, const ember_tensor *y);
/* Fails only on inputs the op is undefined for (negative SQRT/RSQRT). */
ember_status ember_unary_q_eval(ember_context *ctx, const unary_q *q, const char *name,
                                const ember_tensor *x, ember_tensor *y);

#endif /* EMBER_UNARY_Q_H */
