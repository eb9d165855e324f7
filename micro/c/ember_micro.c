/*
 * ember_micro.c — ember_micro.h over the interpreter: the flatbuffer is read
 * in place from flash (verified unless EMBER_NO_VERIFY), the op table is the
 * per-model one `ember micro build` generated (op_registry.c).
 */
#include <string.h>

#include "ember.h"
#include "ember_micro.h"
#include "model.h"
#include "platform.h"

extern const unsigned char ember_model_data[];
extern const unsigned int ember_model_size;
void ember_pl_init(void *mem, size_t bytes);
size_t ember_pl_used_peak(void);
size_t ember_pl_capacity(void);

static ember_model *g_model;
static ember_interp *g_it;
static char g_err[200];
static int g_status;          /* the last error's code (all a --strip-errors build keeps) */
const char *ember_micro_status_text(int st);

static int fail_it(int st) {
    g_status = st;
    const char *e = g_it ? ember_interp_error(g_it) : "";
    if (e && e[0]) {
        size_t n = strlen(e);
        if (n >= sizeof g_err) n = sizeof g_err - 1;
        memcpy(g_err, e, n);
        g_err[n] = 0;
    }
    if (st == EMBER_ERR_NOMEM)
        ember_pl_snprintf(g_err, sizeof g_err, "the arena (%u bytes) is too small for this model; "
                          "ember micro build reports the size it needs", (unsigned)ember_pl_capacity());
    return st;
}

int ember_micro_init(void *arena, size_t arena_bytes) {
    g_model = NULL;
    g_it = NULL;
    g_err[0] = 0;
    g_status = 0;
    ember_pl_init(arena, arena_bytes);
    int st = ember_model_load(ember_model_data, ember_model_size, &g_model, g_err, sizeof g_err);
    if (st != EMBER_OK) return fail_it(st);
    ember_interp_options o = ember_interp_default_options();
    st = ember_interp_create(g_model, &o, &g_it);
    if (st == EMBER_OK) st = ember_interp_allocate(g_it);
    if (st != EMBER_OK) return fail_it(st);
    return EMBER_OK;
}

int ember_micro_num_inputs(void) { return g_it ? ember_interp_num_inputs(g_it, 0) : 0; }
int ember_micro_num_outputs(void) { return g_it ? ember_interp_num_outputs(g_it, 0) : 0; }

void *ember_micro_input(int i, size_t *bytes) {
    ember_tensor *t = g_it ? ember_interp_input(g_it, i) : NULL;
    if (bytes) *bytes = t ? t->bytes : 0;
    return t ? t->data : NULL;
}

int ember_micro_set_input(int i, const void *data, size_t bytes) {
    size_t n;
    void *dst = ember_micro_input(i, &n);
    if (!dst) {
        ember_pl_snprintf(g_err, sizeof g_err, "input %d does not exist (the model has %d)", i,
                          ember_micro_num_inputs());
        return g_status = EMBER_ERR_ARG;
    }
    if (bytes != n) {
        ember_pl_snprintf(g_err, sizeof g_err, "input %d takes %u bytes, got %u", i, (unsigned)n,
                          (unsigned)bytes);
        return g_status = EMBER_ERR_ARG;
    }
    memcpy(dst, data, n);
    return EMBER_OK;
}

int ember_micro_invoke(void) {
    if (!g_it) {
        ember_pl_snprintf(g_err, sizeof g_err, "ember_micro_init has not succeeded");
        return g_status = EMBER_ERR_STATE;
    }
    int st = ember_interp_invoke(g_it);
    return st == EMBER_OK ? st : fail_it(st);
}

const void *ember_micro_output(int i, size_t *bytes) {
    ember_tensor *t = g_it ? ember_interp_output(g_it, i) : NULL;
    if (bytes) *bytes = t ? t->bytes : 0;
    return t ? t->data : NULL;
}

const char *ember_micro_error(void) { return g_err[0] ? g_err : ember_micro_status_text(g_status); }
size_t ember_micro_arena_used(void) { return ember_pl_used_peak(); }
size_t ember_micro_arena_planned(void) {
    size_t n = 0;
    for (int32_t s = 0; g_it && s < ember_interp_subgraph_count(g_it); s++) n += ember_interp_arena_size(g_it, s);
    return n;
}
size_t ember_micro_persistent_bytes(void) { return g_it ? ember_interp_persistent_bytes(g_it) : 0; }
