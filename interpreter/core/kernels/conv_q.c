/*
 * conv_q.c — the prepare-time work of the quantised convolution family
 * (conv_q.h): parameter checks and requantisation multipliers for CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV, and the hybrid-weights
 * check. Out of the header so a firmware links one copy, not one per kernel.
 */
#include "conv_q.h"

ember_status ember_convq_prepare(ember_context *ctx, const ember_convq_spec *sp,
                                 const ember_tensor *x, const ember_tensor *w,
                                 const ember_tensor *b, const ember_tensor *y,
                                 int32_t act, ember_convq *q) {
    const char *op = sp->op;
    const int32_t t = x->type;
    if (t != EMBER_TensorType_INT8 && t != EMBER_TensorType_UINT8 && t != EMBER_TensorType_INT16)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: input type %s is not supported", op,
                          ember_type_name(t));
    if (y->type != t)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: output type %s differs from input type %s",
                          op, ember_type_name(y->type), ember_type_name(t));
    const int32_t wt = t == EMBER_TensorType_UINT8 ? EMBER_TensorType_UINT8 : EMBER_TensorType_INT8;
    if (w->type != wt)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "%s: %s input needs %s weights, not %s", op,
                          ember_type_name(t), ember_type_name(wt), ember_type_name(w->type));
    EMBER_CHECK(ember_quant_require(ctx, x, op, "input"));
    EMBER_CHECK(ember_quant_require(ctx, w, op, "weights"));
    EMBER_CHECK(ember_quant_require(ctx, y, op, "output"));
    q->type = t;
    q->n_ch = sp->n_ch;
    q->in_zp = (int32_t)x->q.zero_point[0];
    q->out_zp = (int32_t)y->q.zero_point[0];
    q->w_zp = (int32_t)w->q.zero_point[0];
    int32_t lo, hi;
    ember_quant_type_range(t, &lo, &hi);
    EMBER_ENSURE(ctx, q->in_zp >= lo && q->in_zp <= hi && q->out_zp >= lo && q->out_zp <= hi,
                 "%s: zero point outside the %s range", op, ember_type_name(t));
    ember_quant_type_range(wt, &lo, &hi);
    EMBER_ENSURE(ctx, q->w_zp >= lo && q->w_zp <= hi, "%s: weights zero point %d outside the %s range",
                 op, (int)q->w_zp, ember_type_name(wt));
    const int per_channel = w->q.count > 1;
    if (per_channel) {
        if (t == EMBER_TensorType_UINT8)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "%s: per-channel weights need int8 or int16 activations", op);
        EMBER_ENSURE(ctx, w->q.count == sp->n_ch && w->q.quantized_dimension == sp->qdim,
                     "%s: weights '%s' have %d scales on dimension %d; expected %d on dimension %d",
                     op, w->name ? w->name : "?", (int)w->q.count, (int)w->q.quantized_dimension,
                     (int)sp->n_ch, (int)sp->qdim);
    }
    if (t != EMBER_TensorType_UINT8 && !(sp->allow_w_zp && !per_channel))
        EMBER_ENSURE(ctx, ember_quant_zp_all_zero(w),
                     "%s: int8 weights '%s' must be symmetric (zero point 0)", op,
                     w->name ? w->name : "?");
    if (t == EMBER_TensorType_INT16)
        EMBER_ENSURE(ctx, q->in_zp == 0 && q->out_zp == 0,
                     "%s: int16 activations must have zero point 0 (input %d, output %d)", op,
                     (int)q->in_zp, (int)q->out_zp);
    q->bias_type = 0;
    if (b) {
        if (t == EMBER_TensorType_INT16) {
            EMBER_ENSURE(ctx, b->type == EMBER_TensorType_INT32 || b->type == EMBER_TensorType_INT64,
                         "%s: int16 activations need an int32 or int64 bias, not %s", op,
                         ember_type_name(b->type));
        } else {
            EMBER_ENSURE(ctx, b->type == EMBER_TensorType_INT32, "%s: %s activations need an int32 bias, not %s",
                         op, ember_type_name(t), ember_type_name(b->type));
        }
        EMBER_ENSURE(ctx, b->q.count == 0 || ember_quant_zp_all_zero(b),
                     "%s: bias '%s' must have zero point 0", op, b->name ? b->name : "?");
        EMBER_ENSURE(ctx, ember_num_elements(b) == (size_t)sp->n_ch, "%s: bias must have %d elements",
                     op, (int)sp->n_ch);
        q->bias_type = b->type;
    }
    if (t == EMBER_TensorType_INT16 && sp->bias_type_opt != 0 && sp->bias_type_opt != EMBER_TensorType_FLOAT32) {
        EMBER_ENSURE(ctx, sp->bias_type_opt == EMBER_TensorType_INT32 || sp->bias_type_opt == EMBER_TensorType_INT64,
                     "%s: quantized_bias_type must be INT32 or INT64", op);
        EMBER_ENSURE(ctx, !b || b->type == sp->bias_type_opt,
                     "%s: bias type %s differs from quantized_bias_type %s", op,
                     ember_type_name(b->type), ember_type_name(sp->bias_type_opt));
    }
    q->acc64 = t == EMBER_TensorType_INT16 && q->bias_type != EMBER_TensorType_INT32;

    const int32_t n_q = per_channel && sp->n_ch > 1 ? sp->n_ch : 1;
    q->ch_mask = n_q > 1 ? -1 : 0;
    if (!q->mult || q->mult_cap < n_q) {
        q->mult = (int32_t *)ember_alloc_persistent(ctx, sizeof(int32_t) * 2 * (size_t)n_q);
        if (!q->mult) return EMBER_ERR_NOMEM;
        q->mult_cap = n_q;
    }
    q->shift = q->mult + q->mult_cap;
    const float in_s = x->q.scale[0], out_s = y->q.scale[0];
    const int legacy = !per_channel && (t == EMBER_TensorType_UINT8 || sp->float_product);
    if (legacy) {
        const float w_s = w->q.scale[0];
        if (b) {
            /* TFLite's sanity check: the bias must be on (about) the scale of
             * the accumulator, or the integer sum would mean something else */
            const double bias_s = b->q.count ? (double)b->q.scale[0] : 0.0;
            const double diff = (double)in_s * (double)w_s - bias_s;
            EMBER_ENSURE(ctx, (diff < 0 ? -diff : diff) / (double)out_s <= 0.02,
                         "%s: bias scale %g is not input scale x weights scale (%g)", op, bias_s,
                         (double)in_s * (double)w_s);
        }
        int32_t m;
        int s;
        EMBER_CHECK(ember_quantize_multiplier_checked(ctx, (double)(in_s * w_s) / (double)out_s, &m, &s, op));
        q->mult[0] = m;
        q->shift[0] = s;
    } else {
        for (int32_t c = 0; c < n_q; c++) {
            const double ws = (double)w->q.scale[per_channel ? c : 0];
            int s;
            EMBER_CHECK(ember_quantize_multiplier_checked(ctx, (double)in_s * ws / (double)out_s,
                                            &q->mult[c], &s, op));
            q->shift[c] = s;
        }
    }
    if (q->acc64)   /* the 64-bit rescale takes shifts in [-31, 7] (TFLite asserts it) */
        for (int32_t c = 0; c < n_q; c++)
            EMBER_ENSURE(ctx, q->shift[c] < 8, "%s: rescale factor of channel %d too large for int16",
                         op, (int)c);
    return (ember_status)ember_act_range_quant(ctx, act, y, &q->act_lo, &q->act_hi);
}

ember_status ember_convq_expand(ember_context *ctx, ember_convq *q) {
    if (q->ch_mask || q->n_ch <= 1) return EMBER_OK;
    const int32_t m = q->mult[0], s = q->shift[0];
    if (q->mult_cap < q->n_ch) {
        q->mult = (int32_t *)ember_alloc_persistent(ctx, sizeof(int32_t) * 2 * (size_t)q->n_ch);
        if (!q->mult) return EMBER_ERR_NOMEM;
        q->mult_cap = q->n_ch;
    }
    q->shift = q->mult + q->mult_cap;
    for (int32_t c = 0; c < q->n_ch; c++) {
        q->mult[c] = m;
        q->shift[c] = s;
    }
    q->ch_mask = -1;
    return EMBER_OK;
}

ember_status ember_hybrid_weights_check(ember_context *ctx, const char *op,
                                        const char *what, const ember_tensor *w,
                                        const ember_tensor *b, const ember_tensor *y,
                                        int32_t n, int32_t qdim) {
    if (w->type != EMBER_TensorType_INT8)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "%s: a float32 input needs float32 or int8 (hybrid) %s, not %s", op, what,
                          ember_type_name(w->type));
    EMBER_ENSURE(ctx, y->type == EMBER_TensorType_FLOAT32 && (!b || b->type == EMBER_TensorType_FLOAT32),
                 "%s: hybrid (int8 %s) needs a float32 output and bias (output %s)", op, what,
                 ember_type_name(y->type));
    EMBER_CHECK(ember_quant_require(ctx, w, op, what));
    EMBER_ENSURE(ctx, ember_quant_zp_all_zero(w), "%s: int8 %s '%s' must be symmetric (zero point 0)",
                 op, what, w->name ? w->name : "?");
    if (w->q.count > 1)
        EMBER_ENSURE(ctx, w->q.count == n && w->q.quantized_dimension == qdim,
                     "%s: %s '%s' has %d scales on dimension %d; expected %d on dimension %d", op,
                     what, w->name ? w->name : "?", (int)w->q.count, (int)w->q.quantized_dimension,
                     (int)n, (int)qdim);
    return EMBER_OK;
}
