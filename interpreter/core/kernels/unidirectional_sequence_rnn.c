/*
 * unidirectional_sequence_rnn.c — UNIDIRECTIONAL_SEQUENCE_RNN (float).
 *
 * Inputs: input [T, B, I] (time_major) or [B, T, I], input_weights [U, I],
 * recurrent_weights [U, U], bias [U], hidden_state [B, U] (a variable tensor:
 * it carries over between invokes and is updated in place).
 * Output: [T, B, U] or [B, T, U].
 * Per step:  h = act(bias + W x_t + R h);  output_t = h.
 * Options: SequenceRNNOptions.time_major, fused_activation_function.
 * Hybrid (int8 weights) and quantised variants are not supported yet.
 */
#include <string.h>

#include "ember_kernel.h"
#include "rnn_common.h"

typedef struct rnn_dims {
    int64_t T, B, I, U;
    int time_major;
    int32_t act;
} rnn_dims;

/* ---- maths -------------------------------------------------------------- */

/* One step for n_batch rows: out = act(b + W x + R h); h = out. */
static void rnn_step_f32(const float *x, const float *W, const float *R, const float *bias,
                         int64_t n_batch, int64_t I, int64_t U, int32_t act, float *h,
                         float *out) {
    for (int64_t b = 0; b < n_batch; b++) memcpy(out + b * U, bias, (size_t)U * sizeof(float));
    ember_matrix_batch_vector_mac(W, U, I, x, n_batch, out);
    ember_matrix_batch_vector_mac(R, U, U, h, n_batch, out);
    ember_rnn_activate(act, out, n_batch * U, out);
    memcpy(h, out, (size_t)(n_batch * U) * sizeof(float));
}

static void rnn_seq_f32(const rnn_dims *d, const float *x, const float *W, const float *R,
                        const float *bias, float *h, float *y) {
    if (d->time_major) {
        for (int64_t t = 0; t < d->T; t++)
            rnn_step_f32(x + t * d->B * d->I, W, R, bias, d->B, d->I, d->U, d->act, h,
                         y + t * d->B * d->U);
    } else {
        for (int64_t b = 0; b < d->B; b++)
            for (int64_t t = 0; t < d->T; t++)
                rnn_step_f32(x + (b * d->T + t) * d->I, W, R, bias, 1, d->I, d->U, d->act,
                             h + b * d->U, y + (b * d->T + t) * d->U);
    }
}

/* ---- glue --------------------------------------------------------------- */

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(rnn_dims));
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    rnn_dims *d = node->data;
    EMBER_ENSURE(ctx, d, "UNIDIRECTIONAL_SEQUENCE_RNN: missing op data");
    EMBER_ENSURE(ctx, node->n_inputs == 5 && node->n_outputs == 1,
                 "UNIDIRECTIONAL_SEQUENCE_RNN needs 5 inputs and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0), *W = ember_input(ctx, node, 1),
                       *R = ember_input(ctx, node, 2), *bias = ember_input(ctx, node, 3);
    ember_tensor *h = ember_input(ctx, node, 4), *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && W && R && bias && h && y, "UNIDIRECTIONAL_SEQUENCE_RNN: missing tensor");
    const ember_tensor *all[] = { x, W, R, bias, h, y };
    for (int i = 0; i < 6; i++)
        if (all[i]->type != EMBER_TensorType_FLOAT32)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "UNIDIRECTIONAL_SEQUENCE_RNN: only float32 is supported (tensor '%s' is %s)",
                              all[i]->name ? all[i]->name : "?", ember_type_name(all[i]->type));
    d->time_major = ember_opt_int(node, EMBER_BuiltinOptions_SequenceRNNOptions,
                                  EMBER_SequenceRNNOptions_time_major, 0) != 0;
    d->act = (int32_t)ember_opt_int(node, EMBER_BuiltinOptions_SequenceRNNOptions,
                                    EMBER_SequenceRNNOptions_fused_activation_function, 0);
    if (!ember_rnn_activation_ok(d->act))
        return ember_fail(ctx, EMBER_ERR_MODEL, "UNIDIRECTIONAL_SEQUENCE_RNN: bad activation %d",
                          (int)d->act);
    EMBER_ENSURE(ctx, x->ndim == 3, "UNIDIRECTIONAL_SEQUENCE_RNN: input must be rank 3");
    d->T = d->time_major ? x->dims[0] : x->dims[1];
    d->B = d->time_major ? x->dims[1] : x->dims[0];
    d->I = x->dims[2];
    EMBER_ENSURE(ctx, W->ndim == 2 && W->dims[1] == d->I,
                 "UNIDIRECTIONAL_SEQUENCE_RNN: input_weights must be [units, %d]", (int)d->I);
    d->U = W->dims[0];
    EMBER_ENSURE(ctx, ember_rnn_shape_is(R, 2, (int32_t)d->U, (int32_t)d->U),
                 "UNIDIRECTIONAL_SEQUENCE_RNN: recurrent_weights must be [%d, %d]", (int)d->U,
                 (int)d->U);
    EMBER_ENSURE(ctx, ember_rnn_shape_is(bias, 1, (int32_t)d->U, -1),
                 "UNIDIRECTIONAL_SEQUENCE_RNN: bias must be [%d]", (int)d->U);
    EMBER_ENSURE(ctx, ember_rnn_shape_is(h, 2, (int32_t)d->B, (int32_t)d->U),
                 "UNIDIRECTIONAL_SEQUENCE_RNN: hidden_state must be [%d, %d]", (int)d->B, (int)d->U);
    EMBER_ENSURE(ctx, h->is_variable, "UNIDIRECTIONAL_SEQUENCE_RNN: hidden_state must be a variable tensor");
    int32_t dims[3] = { x->dims[0], x->dims[1], (int32_t)d->U };
    return ember_tensor_resize(ctx, y, 3, dims);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const rnn_dims *d = node->data;
    const ember_tensor *x = ember_input(ctx, node, 0), *W = ember_input(ctx, node, 1),
                       *R = ember_input(ctx, node, 2), *bias = ember_input(ctx, node, 3);
    ember_tensor *h = ember_input(ctx, node, 4), *y = ember_output(ctx, node, 0);
    if (d->T * d->B == 0) return EMBER_OK;
    rnn_seq_f32(d, x->data, W->data, R->data, bias->data, h->data, y->data);
    return EMBER_OK;
}

const ember_kernel ember_kernel_UNIDIRECTIONAL_SEQUENCE_RNN = {
    "UNIDIRECTIONAL_SEQUENCE_RNN", init, NULL, prepare, eval
};
