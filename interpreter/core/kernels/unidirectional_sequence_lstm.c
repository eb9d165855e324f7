/*
 * unidirectional_sequence_lstm.c — UNIDIRECTIONAL_SEQUENCE_LSTM (float).
 *
 * Inputs (TFLite order; optional ones may be -1):
 *   0 input [T,B,I] (time_major) or [B,T,I]
 *   1-4   input_to_{input*,forget,cell,output}_weights     [C, I]
 *   5-8   recurrent_to_{input*,forget,cell,output}_weights [C, O]
 *   9-11  cell_to_{input*,forget*,output*}_weights (peephole) [C]
 *   12-15 {input*,forget,cell,output}_gate_bias            [C]
 *   16    projection_weights* [O, C]     17 projection_bias* [O]
 *   18    output_state [B, O] (variable) 19 cell_state [B, C] (variable)
 *   20-23 {input*,forget,cell,output}_layer_norm_coefficients* [C] (24-input form)
 * Absent input-gate tensors mean CIFG (input gate = 1 - forget gate).
 *
 * Per step, for gate g in {i, f, o} (sigmoid) and the cell candidate z (act):
 *   pre_g = W_g x + R_g h [+ p_g ⊙ c]   (peephole on the old c for i, f and
 *                                         on the new c for o)
 *   g = σ(LN ? normalise(pre_g) ⊙ ln_g + b_g : pre_g + b_g)
 *   c = f ⊙ c + i ⊙ z,  clipped to ±cell_clip when cell_clip > 0
 *   h = o ⊙ act(c);  with projection h = P h + pb, clipped to ±proj_clip
 * act is the fused activation (TANH in practice; NONE reproduces a LiteRT
 * quirk, see lstm_step_f32). The state tensors keep their values across
 * invokes.
 */
#include <math.h>
#include <string.h>

#include "ember_kernel.h"
#include "rnn_common.h"

enum { IN = 0, W_I = 1, W_F, W_C, W_O, R_I = 5, R_F, R_C, R_O, P_I = 9, P_F, P_O,
       B_I = 12, B_F, B_C, B_O, PROJ_W = 16, PROJ_B, H_STATE = 18, C_STATE = 19,
       LN_I = 20, LN_F, LN_C, LN_O };

typedef struct lstm_data {
    int64_t T, B, I, C, O;
    int time_major, cifg, peephole, layer_norm, projection;
    int32_t act;
    float cell_clip, proj_clip;
    int scratch;
} lstm_data;

/* Pointers for one evaluation (gate order i, f, c, o). */
typedef struct lstm_weights {
    const float *w[4], *r[4], *p[4], *b[4], *ln[4];
    const float *proj_w, *proj_b;
} lstm_weights;

/* ---- maths -------------------------------------------------------------- */

/* Zero mean, unit variance over each row of n (epsilon 1e-8 as TFLite). */
static void mean_stddev_normalize(float *v, int64_t n, int64_t n_batch) {
    for (int64_t b = 0; b < n_batch; b++, v += n) {
        float sum = 0.0f;
        for (int64_t i = 0; i < n; i++) sum += v[i];
        const float mean = sum / (float)n;
        float sq = 0.0f;
        for (int64_t i = 0; i < n; i++) {
            const float dv = v[i] - mean;
            sq += dv * dv;
        }
        const float inv = 1.0f / sqrtf(sq / (float)n + 1e-8f);
        for (int64_t i = 0; i < n; i++) v[i] = (v[i] - mean) * inv;
    }
}

static void lstm_gate(float *g, int64_t B, int64_t I, int64_t C, int64_t O, const float *x,
                      const float *h, const float *c, const float *w, const float *r,
                      const float *peep, const float *ln, const float *bias, int sigmoid,
                      int32_t act) {
    for (int64_t b = 0; b < B; b++) {
        if (ln) memset(g + b * C, 0, (size_t)C * sizeof(float));
        else memcpy(g + b * C, bias, (size_t)C * sizeof(float));
    }
    ember_matrix_batch_vector_mac(w, C, I, x, B, g);
    ember_matrix_batch_vector_mac(r, C, O, h, B, g);
    if (peep)
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < C; i++) g[b * C + i] += peep[i] * c[b * C + i];
    if (ln) {
        mean_stddev_normalize(g, C, B);
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < C; i++) g[b * C + i] = g[b * C + i] * ln[i] + bias[i];
    }
    if (sigmoid)
        for (int64_t i = 0; i < B * C; i++) g[i] = ember_sigmoidf(g[i]);
    else
        ember_rnn_activate(act, g, B * C, g);
}

static inline void clip(float *v, int64_t n, float lim) {
    if (lim > 0.0f)
        for (int64_t i = 0; i < n; i++) v[i] = ember_clampf(v[i], -lim, lim);
}

/* One time step for B rows: reads x [B,I], updates h [B,O], c [B,C], writes out [B,O]. */
static void lstm_step_f32(const lstm_data *d, const lstm_weights *w, int64_t B, const float *x,
                          float *h, float *c, float *out, float *scratch) {
    const int64_t I = d->I, C = d->C, O = d->O, BC = B * C;
    float *ig = scratch, *fg = scratch + BC, *zg = scratch + 2 * BC, *og = scratch + 3 * BC,
          *tmp = scratch + 4 * BC;
    if (!d->cifg)
        lstm_gate(ig, B, I, C, O, x, h, c, w->w[0], w->r[0], w->p[0], w->ln[0], w->b[0], 1, 0);
    lstm_gate(fg, B, I, C, O, x, h, c, w->w[1], w->r[1], w->p[1], w->ln[1], w->b[1], 1, 0);
    lstm_gate(zg, B, I, C, O, x, h, c, w->w[2], w->r[2], NULL, w->ln[2], w->b[2], 0, d->act);
    for (int64_t i = 0; i < BC; i++) {
        const float in_gate = d->cifg ? 1.0f - fg[i] : ig[i];
        c[i] = fg[i] * c[i] + zg[i] * in_gate;
    }
    clip(c, BC, d->cell_clip);
    lstm_gate(og, B, I, C, O, x, h, c, w->w[3], w->r[3], w->p[3], w->ln[3], w->b[3], 1, 0);
    if (d->act == EMBER_ActivationFunctionType_NONE) {
        /* LiteRT parity: TFLite's ApplyActivationToVector returns without
         * writing its output for NONE, so its output-state computation reads
         * the scratch that still holds the cell candidate z: h = o ⊙ z rather
         * than o ⊙ c. Verified against LiteRT (test_lstm[act=NONE]). */
        memcpy(tmp, zg, (size_t)BC * sizeof(float));
    } else {
        ember_rnn_activate(d->act, c, BC, tmp);
    }
    for (int64_t i = 0; i < BC; i++) tmp[i] *= og[i];
    if (d->projection) {
        for (int64_t b = 0; b < B; b++) {
            if (w->proj_b) memcpy(h + b * O, w->proj_b, (size_t)O * sizeof(float));
            else memset(h + b * O, 0, (size_t)O * sizeof(float));
        }
        ember_matrix_batch_vector_mac(w->proj_w, O, C, tmp, B, h);
        clip(h, B * O, d->proj_clip);
    } else {
        memcpy(h, tmp, (size_t)(B * O) * sizeof(float));
    }
    memcpy(out, h, (size_t)(B * O) * sizeof(float));
}

static void lstm_seq_f32(const lstm_data *d, const lstm_weights *w, const float *x, float *h,
                         float *c, float *y, float *scratch) {
    if (d->time_major) {
        for (int64_t t = 0; t < d->T; t++)
            lstm_step_f32(d, w, d->B, x + t * d->B * d->I, h, c, y + t * d->B * d->O, scratch);
    } else {
        for (int64_t b = 0; b < d->B; b++)
            for (int64_t t = 0; t < d->T; t++)
                lstm_step_f32(d, w, 1, x + (b * d->T + t) * d->I, h + b * d->O, c + b * d->C,
                              y + (b * d->T + t) * d->O, scratch);
    }
}

/* ---- glue --------------------------------------------------------------- */

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(lstm_data));
}

static const ember_tensor *opt_in(ember_context *ctx, const ember_node *node, int i) {
    return i < node->n_inputs ? ember_input(ctx, node, i) : NULL;
}

#define LSTM_FAIL(...) return ember_fail(ctx, EMBER_ERR_MODEL, "UNIDIRECTIONAL_SEQUENCE_LSTM: " __VA_ARGS__)

static ember_status check_vec(ember_context *ctx, const ember_tensor *t, int64_t n, const char *what) {
    if (t && !(t->ndim == 1 && t->dims[0] == n))
        LSTM_FAIL("%s must be a vector of %lld", what, (long long)n);
    return EMBER_OK;
}

static ember_status check_mat(ember_context *ctx, const ember_tensor *t, int64_t r, int64_t c,
                              const char *what) {
    if (t && !(t->ndim == 2 && t->dims[0] == r && t->dims[1] == c))
        LSTM_FAIL("%s must be [%lld, %lld]", what, (long long)r, (long long)c);
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    lstm_data *d = node->data;
    EMBER_ENSURE(ctx, d, "UNIDIRECTIONAL_SEQUENCE_LSTM: missing op data");
    EMBER_ENSURE(ctx, (node->n_inputs == 20 || node->n_inputs == 24) && node->n_outputs == 1,
                 "UNIDIRECTIONAL_SEQUENCE_LSTM needs 20 or 24 inputs and 1 output, got %d and %d",
                 (int)node->n_inputs, (int)node->n_outputs);
    const ember_tensor *t[24];
    for (int i = 0; i < 24; i++) t[i] = opt_in(ctx, node, i);
    ember_tensor *y = ember_output(ctx, node, 0);
    ember_tensor *h = ember_input(ctx, node, H_STATE), *c = ember_input(ctx, node, C_STATE);
    EMBER_ENSURE(ctx, y, "UNIDIRECTIONAL_SEQUENCE_LSTM: missing output");
    static const int required[] = { IN, W_F, W_C, W_O, R_F, R_C, R_O, B_F, B_C, B_O, H_STATE, C_STATE };
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (!t[required[k]]) LSTM_FAIL("input %d is required", required[k]);
    for (int i = 0; i < 24; i++)
        if (t[i] && t[i]->type != EMBER_TensorType_FLOAT32)
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "UNIDIRECTIONAL_SEQUENCE_LSTM: only float32 is supported "
                              "(input %d '%s' is %s)", i, t[i]->name ? t[i]->name : "?",
                              ember_type_name(t[i]->type));
    if (y->type != EMBER_TensorType_FLOAT32)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: output must be float32");

    int tab = EMBER_BuiltinOptions_UnidirectionalSequenceLSTMOptions;
    d->act = (int32_t)ember_opt_int(node, tab, EMBER_UnidirectionalSequenceLSTMOptions_fused_activation_function, 0);
    d->cell_clip = ember_opt_float(node, tab, EMBER_UnidirectionalSequenceLSTMOptions_cell_clip, 0.0f);
    d->proj_clip = ember_opt_float(node, tab, EMBER_UnidirectionalSequenceLSTMOptions_proj_clip, 0.0f);
    d->time_major = ember_opt_int(node, tab, EMBER_UnidirectionalSequenceLSTMOptions_time_major, 0) != 0;
    if (ember_opt_int(node, tab, EMBER_UnidirectionalSequenceLSTMOptions_diagonal_recurrent_tensors, 0))
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                          "UNIDIRECTIONAL_SEQUENCE_LSTM: diagonal_recurrent_tensors is not supported");
    if (!ember_rnn_activation_ok(d->act)) LSTM_FAIL("bad activation %d", (int)d->act);
    if (!(d->cell_clip >= 0.0f) || !(d->proj_clip >= 0.0f)) LSTM_FAIL("clip values must be >= 0");

    const ember_tensor *x = t[IN];
    if (x->ndim != 3) LSTM_FAIL("input must be rank 3");
    d->T = d->time_major ? x->dims[0] : x->dims[1];
    d->B = d->time_major ? x->dims[1] : x->dims[0];
    d->I = x->dims[2];
    if (t[W_F]->ndim != 2) LSTM_FAIL("input_to_forget_weights must be rank 2");
    d->C = t[W_F]->dims[0];
    if (t[R_O]->ndim != 2) LSTM_FAIL("recurrent_to_output_weights must be rank 2");
    d->O = t[R_O]->dims[1];
    const int64_t I = d->I, C = d->C, O = d->O, B = d->B;

    d->cifg = t[W_I] == NULL;
    if (d->cifg) {
        if (t[R_I] || t[B_I] || t[P_I] || t[LN_I])
            LSTM_FAIL("CIFG (no input_to_input_weights) must omit every input-gate tensor");
    } else if (!t[R_I] || !t[B_I]) {
        LSTM_FAIL("input gate needs recurrent_to_input_weights and input_gate_bias");
    }
    d->peephole = t[P_F] != NULL || t[P_O] != NULL || t[P_I] != NULL;
    if (d->peephole && (!t[P_F] || !t[P_O] || (!d->cifg && !t[P_I])))
        LSTM_FAIL("peephole weights must be all present or all absent");
    int n_ln = 0;
    for (int i = LN_I; i <= LN_O; i++) n_ln += t[i] != NULL;
    d->layer_norm = n_ln > 0;
    if (d->layer_norm && (!t[LN_F] || !t[LN_C] || !t[LN_O] || (!d->cifg && !t[LN_I])))
        LSTM_FAIL("layer norm coefficients must be all present or all absent");
    d->projection = t[PROJ_W] != NULL;
    if (t[PROJ_B] && !d->projection) LSTM_FAIL("projection_bias without projection_weights");
    if (!d->projection && O != C) LSTM_FAIL("without projection the output size (%lld) must equal the cell size (%lld)",
                                            (long long)O, (long long)C);

    static const char *const gname[4] = { "input gate weights", "forget gate weights",
                                          "cell gate weights", "output gate weights" };
    for (int g = 0; g < 4; g++) {
        EMBER_CHECK(check_mat(ctx, t[W_I + g], C, I, gname[g]));   /* input_to_<gate> */
        EMBER_CHECK(check_mat(ctx, t[R_I + g], C, O, gname[g]));   /* recurrent_to_<gate> */
        EMBER_CHECK(check_vec(ctx, t[B_I + g], C, "gate bias"));
        EMBER_CHECK(check_vec(ctx, t[LN_I + g], C, "layer norm coefficients"));
    }
    for (int g = 0; g < 3; g++) EMBER_CHECK(check_vec(ctx, t[P_I + g], C, "peephole weights"));
    EMBER_CHECK(check_mat(ctx, t[PROJ_W], O, C, "projection_weights"));
    EMBER_CHECK(check_vec(ctx, t[PROJ_B], O, "projection_bias"));
    EMBER_CHECK(check_mat(ctx, h, B, O, "output_state"));
    EMBER_CHECK(check_mat(ctx, c, B, C, "cell_state"));
    if (!h->is_variable || !c->is_variable) LSTM_FAIL("output_state and cell_state must be variable tensors");

    int64_t sb = 5 * B * C;
    if (sb == 0) sb = 1;
    d->scratch = ember_request_scratch(ctx, node, (size_t)sb * sizeof(float));
    if (d->scratch < 0) return EMBER_ERR_NOMEM;
    int32_t dims[3] = { x->dims[0], x->dims[1], (int32_t)O };
    return ember_tensor_resize(ctx, y, 3, dims);
}

static const float *fdata(const ember_tensor *t) { return t ? (const float *)t->data : NULL; }

static ember_status eval(ember_context *ctx, ember_node *node) {
    const lstm_data *d = node->data;
    lstm_weights w;
    for (int g = 0; g < 4; g++) {
        w.w[g] = fdata(opt_in(ctx, node, W_I + g));
        w.r[g] = fdata(opt_in(ctx, node, R_I + g));
        w.b[g] = fdata(opt_in(ctx, node, B_I + g));
        w.ln[g] = fdata(opt_in(ctx, node, LN_I + g));
    }
    w.p[0] = fdata(opt_in(ctx, node, P_I));
    w.p[1] = fdata(opt_in(ctx, node, P_F));
    w.p[2] = NULL;
    w.p[3] = fdata(opt_in(ctx, node, P_O));
    w.proj_w = fdata(opt_in(ctx, node, PROJ_W));
    w.proj_b = fdata(opt_in(ctx, node, PROJ_B));
    ember_tensor *x = ember_input(ctx, node, IN), *h = ember_input(ctx, node, H_STATE),
                 *c = ember_input(ctx, node, C_STATE), *y = ember_output(ctx, node, 0);
    if (d->T * d->B == 0) return EMBER_OK;
    lstm_seq_f32(d, &w, x->data, h->data, c->data, y->data, node->scratch[d->scratch]);
    return EMBER_OK;
}

const ember_kernel ember_kernel_UNIDIRECTIONAL_SEQUENCE_LSTM = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM", init, NULL, prepare, eval
};
