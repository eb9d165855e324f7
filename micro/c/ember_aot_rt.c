/*
 * ember_aot_rt.c — the kernel contract (ember_kernel.h) and ember_micro.h over
 * the generated AOT tables. Kernels are the same files the interpreter runs;
 * what goes away is the flatbuffer: no verifier, no loader, no op lookup,
 * no planner — offsets come from the tables, options are pre-decoded.
 * Kernels still run their prepare once at init (it computes their constants).
 */
#include <string.h>

#include "ember_aot.h"
#include "ember_micro.h"
#include "platform.h"

void ember_pl_init(void *mem, size_t bytes);
size_t ember_pl_used_peak(void);
size_t ember_pl_capacity(void);

/* Nodes take no table in RAM: a node's description is in flash, and what
 * init and prepare leave behind is its op data (node_data) and, known only
 * once the arena exists, its scratch pointers (arena + the planned offset).
 * ember_aot_node_at rebuilds the one node that runs in `node` (kernels keep no
 * node pointer past a call), which saves an ember_node (108 bytes on a
 * Cortex-M) per node less one. */
struct ember_context {
    ember_tensor *tensors;
    ember_node *node;           /* the running node */
    void **node_data;           /* each node's op data from init */
    uint8_t *arena;
    int32_t n_tensors, n_nodes, current;
    int phase;                  /* 1 prepare, 2 eval */
    size_t persistent;
};

static ember_context g_ctx;
static int g_ready;
static char g_err[200];
static int g_status;          /* the last error's code (all a --strip-errors build keeps) */
const char *ember_micro_status_text(int st);

/* ---- kernel contract ----------------------------------------------------- */

ember_tensor *ember_tensor_at(ember_context *ctx, int32_t i) {
    if (i < 0 || i >= ctx->n_tensors) return NULL;
    int32_t s = ember_aot_slot[i];
    /* a constant's descriptor lives in flash; kernels never write their inputs */
    return s >= 0 ? &ctx->tensors[s] : (ember_tensor *)&ember_aot_consts[-1 - s];
}
int32_t ember_tensor_count(ember_context *ctx) { return ctx->n_tensors; }
ember_tensor *ember_input(ember_context *ctx, const ember_node *n, int i) {
    return (i >= 0 && i < n->n_inputs) ? ember_tensor_at(ctx, n->inputs[i]) : NULL;
}
ember_tensor *ember_output(ember_context *ctx, const ember_node *n, int i) {
    return (i >= 0 && i < n->n_outputs) ? ember_tensor_at(ctx, n->outputs[i]) : NULL;
}

size_t ember_num_elements(const ember_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dims[i];
    return n;
}

size_t ember_type_size(int32_t type) {
    switch (type) {
    case EMBER_TensorType_FLOAT32: case EMBER_TensorType_INT32: case EMBER_TensorType_UINT32:
    case EMBER_TensorType_RESOURCE:
        return 4;
    case EMBER_TensorType_FLOAT16: case EMBER_TensorType_INT16: case EMBER_TensorType_UINT16:
    case EMBER_TensorType_BFLOAT16:
        return 2;
    case EMBER_TensorType_UINT8: case EMBER_TensorType_INT8: case EMBER_TensorType_BOOL:
        return 1;
    case EMBER_TensorType_INT64: case EMBER_TensorType_FLOAT64: case EMBER_TensorType_UINT64:
    case EMBER_TensorType_COMPLEX64:
        return 8;
    case EMBER_TensorType_COMPLEX128:
        return 16;
    default:
        return 0;
    }
}

const char *ember_type_name(int32_t type) { (void)type; return "type"; }
int ember_is_const(const ember_tensor *t) { return t && t->mem == EMBER_MEM_CONST; }
int ember_same_shape(const ember_tensor *a, const ember_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}
int32_t ember_dim(const ember_tensor *t, int i) {
    if (i < 0) i += t->ndim;
    return (i >= 0 && i < t->ndim) ? t->dims[i] : 1;
}

/* (ember_fail): a definition --strip-errors' macro (ember_strip.h) leaves alone */
ember_status (ember_fail)(ember_context *ctx, ember_status code, const char *fmt, ...) {
    g_status = code == EMBER_OK ? EMBER_ERROR : code;
    int n = ember_pl_snprintf(g_err, sizeof g_err, "node %d: ", (int)ctx->current);
    if (n < 0 || (size_t)n >= sizeof g_err) n = 0;
    va_list ap;
    va_start(ap, fmt);
    ember_pl_vsnprintf(g_err + n, sizeof g_err - (size_t)n, fmt, ap);
    va_end(ap);
    return code == EMBER_OK ? EMBER_ERROR : code;
}

ember_status ember_tensor_resize(ember_context *ctx, ember_tensor *t, int ndim, const int32_t *dims) {
    if (ndim < 0 || ndim > EMBER_MAX_DIMS) return ember_fail(ctx, EMBER_ERR_MODEL, "bad rank %d", ndim);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0) return ember_fail(ctx, EMBER_ERR_MODEL, "negative dimension");
        count *= (size_t)dims[i];
    }
    size_t bytes = count * ember_type_size(t->type);
    if (t->mem == EMBER_MEM_CONST) return ember_fail(ctx, EMBER_ERR_MODEL, "cannot resize a constant");
    if (bytes > t->bytes)   /* the planner sized it; an AOT build cannot grow it */
        return ember_fail(ctx, EMBER_ERR_STATE, "tensor '%s' needs %u bytes, the AOT plan gave %u",
                          t->name, (unsigned)bytes, (unsigned)t->bytes);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
    t->bytes = bytes;
    return EMBER_OK;
}

ember_status ember_tensor_set_dynamic(ember_context *ctx, ember_tensor *t) {
    return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "tensor '%s' has a data-dependent shape", t->name);
}

static const ember_aot_opt *find_opt(const ember_node *node, int table, int field, int kind) {
    if (node->options_type != table || !node->options.pos) return NULL;
    const ember_aot_opts *o = (const ember_aot_opts *)(const void *)node->options.buf;
    for (int32_t i = 0; i < o->n; i++)
        if (o->items[i].field == field) return o->items[i].kind == kind ? &o->items[i] : NULL;
    return NULL;
}

int64_t ember_opt_int(const ember_node *node, int table, int field, int64_t def) {
    const ember_aot_opt *o = find_opt(node, table, field, EMBER_AOT_INT);
    return o ? o->i : def;
}
float ember_opt_float(const ember_node *node, int table, int field, float def) {
    const ember_aot_opt *o = find_opt(node, table, field, EMBER_AOT_FLOAT);
    return o ? o->f : def;
}
int ember_opt_ints(const ember_node *node, int table, int field, int32_t *out, int max) {
    const ember_aot_opt *o = find_opt(node, table, field, EMBER_AOT_INTS);
    if (!o) return -1;
    for (int32_t i = 0; i < o->n && i < max; i++) out[i] = o->v[i];
    return o->n;
}
const char *ember_opt_string(const ember_node *node, int table, int field) {
    const ember_aot_opt *o = find_opt(node, table, field, EMBER_AOT_STRING);
    return o ? o->s : NULL;
}

int ember_request_scratch(ember_context *ctx, ember_node *node, size_t bytes) {
    if (node->n_scratch >= EMBER_MAX_SCRATCH) {
        ember_fail(ctx, EMBER_ERR_STATE, "more than %d scratch buffers", EMBER_MAX_SCRATCH);
        return -1;
    }
    node->scratch_bytes[node->n_scratch] = bytes;
    node->scratch[node->n_scratch] = NULL;
    return node->n_scratch++;
}

void *ember_alloc_persistent(ember_context *ctx, size_t bytes) {
    void *p = ember_pl_permanent(bytes);
    if (!p) {
        ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory (%u persistent bytes)", (unsigned)bytes);
        return NULL;
    }
    ctx->persistent += bytes;
    return p;
}

void ember_parallel_for(ember_context *ctx, int n_tasks, ember_task_fn fn, void *arg) {
    (void)ctx;
    for (int t = 0; t < n_tasks; t++) fn(arg, t, n_tasks);
}
int ember_num_threads(ember_context *ctx) { (void)ctx; return 1; }

/* Control flow and resources need the interpreter; ember micro refuses such
 * models for --aot, these only satisfy the linker for family files. */
int32_t ember_subgraph_count(ember_context *ctx) { (void)ctx; return 1; }
ember_context *ember_subgraph(ember_context *ctx, int32_t i) { return i == 0 ? ctx : NULL; }
int32_t ember_subgraph_num_inputs(ember_context *sg) { (void)sg; return ember_aot_n_inputs; }
int32_t ember_subgraph_num_outputs(ember_context *sg) { (void)sg; return ember_aot_n_outputs; }
ember_tensor *ember_subgraph_input(ember_context *sg, int i) {
    return (i >= 0 && i < ember_aot_n_inputs) ? ember_tensor_at(sg, ember_aot_inputs[i]) : NULL;
}
ember_tensor *ember_subgraph_output(ember_context *sg, int i) {
    return (i >= 0 && i < ember_aot_n_outputs) ? ember_tensor_at(sg, ember_aot_outputs[i]) : NULL;
}
ember_status ember_subgraph_prepare(ember_context *sg) {
    return ember_fail(sg, EMBER_ERR_UNSUPPORTED, "subgraphs need the interpreted build");
}
ember_status ember_subgraph_invoke(ember_context *sg) {
    return ember_fail(sg, EMBER_ERR_UNSUPPORTED, "subgraphs need the interpreted build");
}
ember_tensor *ember_resource(ember_context *ctx, int32_t id, int create) {
    (void)ctx; (void)id; (void)create;
    return NULL;
}
struct ember_sparsity;
const struct ember_sparsity *ember_tensor_sparsity(ember_context *ctx, int32_t index) {
    (void)ctx; (void)index;
    return NULL;
}

/* Fills ctx->node with node i's description; with_plan adds the scratch
 * buffers the plan gave it (prepare requests them instead). */
static ember_node *load_node(ember_context *ctx, int32_t i, int with_plan) {
    const ember_aot_node *d = &ember_aot_nodes[i];
    ember_node *n = ctx->node;
    memset(n, 0, sizeof *n);
    ctx->current = i;
    n->op = d->op;
    n->version = d->version;
    n->index = i;
    n->n_inputs = d->n_inputs;
    n->n_outputs = d->n_outputs;
    n->inputs = d->inputs;
    n->outputs = d->outputs;
    n->options_type = d->options_type;
    n->options.buf = (const uint8_t *)(const void *)d->opts;
    n->options.pos = d->opts ? 1u : 0u;
    n->kernel = d->kernel;
    n->data = ctx->node_data[i];
    if (with_plan) {
        n->n_scratch = d->n_scratch;
        for (int32_t s = 0; s < d->n_scratch; s++) {
            n->scratch_bytes[s] = d->scratch_bytes[s];
            n->scratch[s] = ctx->arena + d->scratch_offset[s];
        }
    }
    return n;
}

ember_node *ember_aot_node_at(ember_context *ctx, int32_t i) { return load_node(ctx, i, 1); }

/* ---- ember_micro.h -------------------------------------------------------- */

int ember_micro_init(void *arena_mem, size_t arena_bytes) {
    g_ready = 0;
    g_err[0] = 0;
    g_status = 0;
    memset(&g_ctx, 0, sizeof g_ctx);
    ember_pl_init(arena_mem, arena_bytes);
    ember_context *ctx = &g_ctx;
    void *arena = NULL;
    ctx->n_tensors = ember_aot_n_tensors;
    ctx->n_nodes = ember_aot_n_nodes;
    ctx->tensors = ember_pl_calloc((size_t)(ember_aot_n_ram ? ember_aot_n_ram : 1), sizeof *ctx->tensors);
    ctx->node = ember_pl_calloc(1, sizeof *ctx->node);
    ctx->node_data = ember_pl_calloc((size_t)(ctx->n_nodes ? ctx->n_nodes : 1), sizeof *ctx->node_data);
    if (!ctx->tensors || !ctx->node || !ctx->node_data ||
        ember_pl_arena_alloc(&arena, 16, ember_aot_arena_bytes ? ember_aot_arena_bytes : 16) != 0) {
        ember_pl_snprintf(g_err, sizeof g_err, "the arena (%u bytes) is too small: the plan alone "
                          "needs %u", (unsigned)ember_pl_capacity(), (unsigned)ember_aot_arena_bytes);
        return g_status = EMBER_ERR_NOMEM;
    }
    ctx->arena = arena;
    for (int32_t i = 0; i < ember_aot_n_ram; i++) {
        const ember_aot_tensor *d = &ember_aot_tensors[i];
        ember_tensor *t = &ctx->tensors[i];
        t->type = d->type;
        t->ndim = d->ndim;
        memcpy(t->dims, d->dims, sizeof t->dims);
        t->q = d->q;
        t->name = d->name;
        t->bytes = ember_num_elements(t) * ember_type_size(t->type);
        if (d->data) { t->mem = EMBER_MEM_CONST; t->data = (void *)d->data; }
        else if (d->offset >= 0) { t->mem = EMBER_MEM_ARENA; t->data = (uint8_t *)arena + d->offset; }
    }
    ctx->phase = 1;
    for (int32_t i = 0; i < ctx->n_nodes; i++) {
        const ember_aot_node *d = &ember_aot_nodes[i];
        ember_node *n = load_node(ctx, i, 0);
        if (n->kernel->init) {
            n->data = n->kernel->init(ctx, n);
            if (!n->data && g_status) return EMBER_ERR_NOMEM;
        }
        int st = n->kernel->prepare ? n->kernel->prepare(ctx, n) : EMBER_OK;
        if (st != EMBER_OK) return g_status = st;
        ctx->node_data[i] = n->data;
        if (n->n_scratch != d->n_scratch) {
            ember_fail(ctx, EMBER_ERR_STATE, "kernel asked for %d scratch buffers, the AOT plan has %d",
                       (int)n->n_scratch, (int)d->n_scratch);
            return EMBER_ERR_STATE;
        }
        for (int32_t s = 0; s < n->n_scratch; s++) {
            if (n->scratch_bytes[s] > d->scratch_bytes[s]) {
                ember_fail(ctx, EMBER_ERR_STATE, "scratch %d: %u bytes, the AOT plan has %u", (int)s,
                           (unsigned)n->scratch_bytes[s], (unsigned)d->scratch_bytes[s]);
                return EMBER_ERR_STATE;
            }
        }
    }
    ctx->phase = 0;
    ctx->current = -1;
    g_ready = 1;
    return EMBER_OK;
}

int ember_micro_num_inputs(void) { return ember_aot_n_inputs; }
int ember_micro_num_outputs(void) { return ember_aot_n_outputs; }

void *ember_micro_input(int i, size_t *bytes) {
    ember_tensor *t = (g_ready && i >= 0 && i < ember_aot_n_inputs) ? ember_tensor_at(&g_ctx, ember_aot_inputs[i]) : NULL;
    if (bytes) *bytes = t ? t->bytes : 0;
    return t ? t->data : NULL;
}

int ember_micro_set_input(int i, const void *data, size_t bytes) {
    size_t n;
    void *dst = ember_micro_input(i, &n);
    if (!dst || bytes != n) {
        ember_pl_snprintf(g_err, sizeof g_err, "input %d: wrong index or size (%u bytes, want %u)", i,
                          (unsigned)bytes, (unsigned)n);
        return g_status = EMBER_ERR_ARG;
    }
    memcpy(dst, data, n);
    return EMBER_OK;
}

int ember_micro_invoke(void) {
    if (!g_ready) {
        ember_pl_snprintf(g_err, sizeof g_err, "ember_micro_init has not succeeded");
        return g_status = EMBER_ERR_STATE;
    }
    g_ctx.phase = 2;
    int st = ember_aot_invoke(&g_ctx);
    g_ctx.phase = 0;
    if (st != EMBER_OK) g_status = st;
    return st;
}

const void *ember_micro_output(int i, size_t *bytes) {
    ember_tensor *t = (g_ready && i >= 0 && i < ember_aot_n_outputs) ? ember_tensor_at(&g_ctx, ember_aot_outputs[i]) : NULL;
    if (bytes) *bytes = t ? t->bytes : 0;
    return t ? t->data : NULL;
}

const char *ember_micro_error(void) { return g_err[0] ? g_err : ember_micro_status_text(g_status); }
size_t ember_micro_arena_used(void) { return ember_pl_used_peak(); }
size_t ember_micro_arena_planned(void) { return ember_aot_arena_bytes; }
size_t ember_micro_persistent_bytes(void) { return g_ctx.persistent; }
