/*
 * rnn_common.h — small float helpers shared by the sequence RNN/LSTM kernels
 * (private to unidirectional_sequence_rnn.c and unidirectional_sequence_lstm.c).
 */
#ifndef EMBER_RNN_COMMON_H
#define EMBER_RNN_COMMON_H

#include <math.h>
#include <stdint.h>

#include "ember_kernel.h"

/* TFLite's ApplyActivationToVector: every fused activation an RNN cell may use. */
static inline int ember_rnn_activation_ok(int32_t act) {
    return act == EMBER_ActivationFunctionType_NONE || act == EMBER_ActivationFunctionType_RELU ||
           act == EMBER_ActivationFunctionType_RELU_N1_TO_1 ||
           act == EMBER_ActivationFunctionType_RELU6 || act == EMBER_ActivationFunctionType_TANH ||
           act == EMBER_ActivationFunctionType_SIGN_BIT;
}

static inline float ember_sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

static inline void ember_rnn_activate(int32_t act, const float *in, int64_t n, float *out) {
    int64_t i;
    switch (act) {
    case EMBER_ActivationFunctionType_RELU:
        for (i = 0; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
        break;
    case EMBER_ActivationFunctionType_RELU_N1_TO_1:
        for (i = 0; i < n; i++) out[i] = ember_clampf(in[i], -1.0f, 1.0f);
        break;
    case EMBER_ActivationFunctionType_RELU6:
        for (i = 0; i < n; i++) out[i] = ember_clampf(in[i], 0.0f, 6.0f);
        break;
    case EMBER_ActivationFunctionType_TANH:
        for (i = 0; i < n; i++) out[i] = tanhf(in[i]);
        break;
    case EMBER_ActivationFunctionType_SIGN_BIT:
        for (i = 0; i < n; i++) out[i] = signbit(in[i]) ? 1.0f : 0.0f;
        break;
    default:
        if (out != in)
            for (i = 0; i < n; i++) out[i] = in[i];
        break;
    }
}

/* out[b][r] += sum_c m[r][c] * v[b][c]  for b < n_batch (m is rows x cols). */
static inline void ember_matrix_batch_vector_mac(const float *m, int64_t rows, int64_t cols,
                                                 const float *v, int64_t n_batch, float *out) {
    for (int64_t b = 0; b < n_batch; b++) {
        const float *vb = v + b * cols;
        float *ob = out + b * rows;
        for (int64_t r = 0; r < rows; r++) {
            const float *mr = m + r * cols;
            float acc = 0.0f;
            for (int64_t c = 0; c < cols; c++) acc += mr[c] * vb[c];
            ob[r] += acc;
        }
    }
}

/* Checks a float tensor's rank and dims (-1 = any). */
static inline int ember_rnn_shape_is(const ember_tensor *t, int ndim, int32_t d0, int32_t d1) {
    if (!t || t->ndim != ndim) return 0;
    if (ndim >= 1 && d0 >= 0 && t->dims[0] != d0) return 0;
    if (ndim >= 2 && d1 >= 0 && t->dims[1] != d1) return 0;
    return 1;
}

#endif /* EMBER_RNN_COMMON_H */
