/* runtime.c — subgraph preparation, arena planning and invocation. */
#include <stdarg.h>
#include <string.h>
#ifdef EMBER_HOST
#include <time.h>
#endif

#include "planner.h"
#include "platform.h"
#include "registry.h"
#include "runtime.h"

/* ---- errors ------------------------------------------------------------ */

static void set_error(ember_interp *it, const char *prefix, const char *fmt, va_list ap) {
    int n = ember_pl_snprintf(it->error, sizeof it->error, "%s", prefix);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof it->error) ember_pl_vsnprintf(it->error + n, sizeof it->error - n, fmt, ap);
}

static const char *node_op_name(const ember_node *n) {
    if (n->op == EMBER_BuiltinOperator_CUSTOM && n->custom_name) return n->custom_name;
    const char *s = ember_builtin_operator_name(n->op);
    return s ? s : "unknown op";
}

ember_status ember_fail(ember_context *ctx, ember_status code, const char *fmt, ...) {
    char prefix[160] = "";
    if (ctx->current_node >= 0 && ctx->current_node < ctx->n_nodes) {
        const ember_node *n = &ctx->nodes[ctx->current_node];
        if (ctx->index)
            ember_pl_snprintf(prefix, sizeof prefix, "subgraph %d node %d (%s): ", (int)ctx->index,
                     (int)ctx->current_node, node_op_name(n));
        else
            ember_pl_snprintf(prefix, sizeof prefix, "node %d (%s): ", (int)ctx->current_node, node_op_name(n));
    }
    va_list ap;
    va_start(ap, fmt);
    set_error(ctx->interp, prefix, fmt, ap);
    va_end(ap);
    return code == EMBER_OK ? EMBER_ERROR : code;
}

static ember_status interp_fail(ember_interp *it, ember_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error(it, "", fmt, ap);
    va_end(ap);
    return code;
}

/* ---- tensors ----------------------------------------------------------- */

size_t ember_type_size(int32_t type) {
    switch (type) {
    case EMBER_TensorType_FLOAT32: case EMBER_TensorType_INT32: case EMBER_TensorType_UINT32:
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
    case EMBER_TensorType_RESOURCE:
        return 4;   /* holds a resource id */
    default:
        return 0;   /* STRING, VARIANT, INT4, ... */
    }
}

const char *ember_type_name(int32_t type) {
    const char *s = ember_tensor_type_name(type);
    return s ? s : "unknown";
}

size_t ember_num_elements(const ember_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dims[i];
    return n;
}

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

static ember_status shape_bytes(ember_context *ctx, const ember_tensor *t, int ndim,
                                const int32_t *dims, size_t *bytes) {
    if (ndim < 0 || ndim > EMBER_MAX_DIMS)
        return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s': rank %d exceeds %d", t->name,
                          ndim, EMBER_MAX_DIMS);
    uint64_t count = 1;
    int too_big = 0;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s': negative dimension %d",
                              t->name, (int)dims[i]);
        /* check before multiplying: 2^40 * (2^31 - 1) wraps a uint64 */
        if (dims[i] && count > ((uint64_t)1 << 40) / (uint64_t)dims[i]) too_big = 1;
        else count *= (uint64_t)dims[i];
    }
    if (too_big && count)
        return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s': element count overflows", t->name);
    size_t es = ember_type_size(t->type);
    if (!es && count)
        return ember_fail(ctx, EMBER_ERR_UNSUPPORTED, "tensor '%s': type %s has no fixed size",
                          t->name, ember_type_name(t->type));
    uint64_t b = count * es;
    if (b > (uint64_t)SIZE_MAX / 2)
        return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s' is too large", t->name);
    *bytes = (size_t)b;
    return EMBER_OK;
}

ember_status ember_tensor_resize(ember_context *ctx, ember_tensor *t, int ndim,
                                 const int32_t *dims) {
    size_t bytes;
    EMBER_CHECK(shape_bytes(ctx, t, ndim, dims, &bytes));
    if (t->mem == EMBER_MEM_CONST)
        return ember_fail(ctx, EMBER_ERR_MODEL, "cannot resize constant tensor '%s'", t->name);
    if (t->mem == EMBER_MEM_DYNAMIC && ctx->phase == 2) {
        if (bytes != t->bytes || !t->data) {
            void *p = ember_pl_realloc(t->data, bytes ? bytes : 1);
            if (!p) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for tensor '%s'", t->name);
            t->data = p;
        }
    } else if (t->mem == EMBER_MEM_ARENA && ctx->phase == 2 && bytes > t->bytes) {
        return ember_fail(ctx, EMBER_ERR_STATE,
                          "tensor '%s' grew during invoke; mark it dynamic in prepare", t->name);
    }
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
    t->bytes = bytes;
    return EMBER_OK;
}

ember_status ember_tensor_set_dynamic(ember_context *ctx, ember_tensor *t) {
    if (t->mem == EMBER_MEM_CONST || t->mem == EMBER_MEM_PERSISTENT)
        return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s' cannot be dynamic", t->name);
#ifndef EMBER_HOST
    return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                      "tensor '%s' has a data-dependent shape, which needs a heap", t->name);
#else
    t->mem = EMBER_MEM_DYNAMIC;
    return EMBER_OK;
#endif
}

ember_tensor *ember_tensor_at(ember_context *ctx, int32_t index) {
    return (index >= 0 && index < ctx->n_tensors) ? &ctx->tensors[index] : NULL;
}
int32_t ember_tensor_count(ember_context *ctx) { return ctx->n_tensors; }

ember_tensor *ember_input(ember_context *ctx, const ember_node *node, int i) {
    return (i >= 0 && i < node->n_inputs) ? ember_tensor_at(ctx, node->inputs[i]) : NULL;
}
ember_tensor *ember_output(ember_context *ctx, const ember_node *node, int i) {
    return (i >= 0 && i < node->n_outputs) ? ember_tensor_at(ctx, node->outputs[i]) : NULL;
}

/* ---- options ----------------------------------------------------------- */

static const ember_fb_field_desc *opt_field(const ember_node *node, int table, int field) {
    if (node->options_type != table || table <= 0 || !node->options.pos) return NULL;
    const ember_fb_union_desc *u = &ember_fb_unions[EMBER_FB_UNION_BuiltinOptions];
    if (table >= u->n_members || u->member_table[table] < 0) return NULL;
    int t = u->member_table[table];
    int fi = ember_fb_field_desc_find(t, field);
    return fi < 0 ? NULL : &ember_fb_tables[t].fields[fi];
}

int64_t ember_opt_int(const ember_node *node, int table, int field, int64_t def) {
    const ember_fb_field_desc *f = opt_field(node, table, field);
    if (!f || f->kind != EMBER_FB_SCALAR || (f->flags & EMBER_FB_FLOAT)) return def;
    return fb_int(&node->options, field, f->width, f->flags & EMBER_FB_SIGNED, def);
}

float ember_opt_float(const ember_node *node, int table, int field, float def) {
    const ember_fb_field_desc *f = opt_field(node, table, field);
    if (!f || f->kind != EMBER_FB_SCALAR || !(f->flags & EMBER_FB_FLOAT)) return def;
    return (float)fb_float(&node->options, field, f->width, def);
}

int ember_opt_ints(const ember_node *node, int table, int field, int32_t *out, int max) {
    const ember_fb_field_desc *f = opt_field(node, table, field);
    if (!f || f->kind != EMBER_FB_VEC_SCALAR || (f->flags & EMBER_FB_FLOAT)) return -1;
    fb_vec v = fb_vector(&node->options, field, f->width);
    if (!v.pos && !fb_has(&node->options, field)) return -1;
    for (uint32_t i = 0; i < v.len && (int)i < max; i++)
        out[i] = (int32_t)fb_vec_int(&v, i, f->width, f->flags & EMBER_FB_SIGNED);
    return v.len > INT32_MAX ? INT32_MAX : (int)v.len;
}

const char *ember_opt_string(const ember_node *node, int table, int field) {
    const ember_fb_field_desc *f = opt_field(node, table, field);
    if (!f || f->kind != EMBER_FB_STRING) return NULL;
    return fb_string(&node->options, field, NULL);
}

/* ---- memory ------------------------------------------------------------ */

int ember_request_scratch(ember_context *ctx, ember_node *node, size_t bytes) {
    if (node->n_scratch >= EMBER_MAX_SCRATCH) {
        ember_fail(ctx, EMBER_ERR_STATE, "more than %d scratch buffers requested", EMBER_MAX_SCRATCH);
        return -1;
    }
    node->scratch_bytes[node->n_scratch] = bytes;
    node->scratch[node->n_scratch] = NULL;
    return node->n_scratch++;
}

void *ember_alloc_persistent(ember_context *ctx, size_t bytes) {
    ember_interp *it = ctx->interp;
#ifdef EMBER_MICRO
    /* The application's arena is reclaimed as a whole, so a device build
     * skips the 64-byte list header the host needs to free block by block. */
    void *mem = ember_pl_permanent(bytes);
    if (!mem) {
        ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory (%zu persistent bytes)", bytes);
        return NULL;
    }
    it->persistent_bytes += bytes;
    return mem;
#endif
    size_t head = 64;   /* keeps the payload 64-byte aligned */
    if (bytes > SIZE_MAX - head) {
        ember_fail(ctx, EMBER_ERR_NOMEM, "persistent allocation of %zu bytes", bytes);
        return NULL;
    }
    void *block = NULL;
    if (ember_pl_aligned(&block, 64, head + bytes) != 0) {
        ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory (%zu persistent bytes)", bytes);
        return NULL;
    }
    memset(block, 0, head + bytes);
    ((ember_persistent *)block)->next = it->persistent;
    it->persistent = block;
    it->persistent_bytes += bytes;
    return (uint8_t *)block + head;
}

/* ---- threads ----------------------------------------------------------- */

void ember_parallel_for(ember_context *ctx, int n_tasks, ember_task_fn fn, void *arg) {
    if (n_tasks <= 0) return;
    if (n_tasks == 1 || !ctx->interp->pool) {
        for (int t = 0; t < n_tasks; t++) fn(arg, t, n_tasks);
        return;
    }
    ember_threadpool_run(ctx->interp->pool, n_tasks, fn, arg);
}

int ember_num_threads(ember_context *ctx) { return ctx->interp->num_threads; }

/* ---- resources --------------------------------------------------------- */

ember_tensor *ember_resource(ember_context *ctx, int32_t id, int create) {
    ember_interp *it = ctx->interp;
    for (int32_t i = 0; i < it->n_resources; i++)
        if (it->resources[i].id == id) return &it->resources[i].tensor;
    if (!create) return NULL;
    ember_resource_slot *grown = ember_pl_realloc(it->resources, (size_t)(it->n_resources + 1) * sizeof *grown);
    if (!grown) return NULL;
    it->resources = grown;
    ember_resource_slot *r = &it->resources[it->n_resources++];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->tensor.name = "resource";
    r->tensor.mem = EMBER_MEM_DYNAMIC;
    r->tensor.type = -1;    /* unset until the first assignment */
    return &r->tensor;
}

/* ---- subgraph set-up ----------------------------------------------------- */

static void free_dynamic(ember_tensor *t) {
    if (t->mem == EMBER_MEM_DYNAMIC) ember_pl_free(t->data);
    if (t->mem == EMBER_MEM_DYNAMIC || t->mem == EMBER_MEM_ARENA) t->data = NULL;
}

/* The model's shape of a tensor (a device build's description holds only
 * ndim entries, read in place from the file). */
static void set_def_shape(ember_tensor *t, const ember_tensor_def *td) {
    t->ndim = td->ndim;
    for (int d = 0; d < EMBER_MAX_DIMS; d++) t->dims[d] = d < td->ndim ? td->dims[d] : 0;
}

static ember_status context_init(ember_interp *it, ember_context *ctx, int32_t index) {
    const ember_subgraph_def *def = &it->model->subgraphs[index];
    ctx->interp = it;
    ctx->index = index;
    ctx->def = def;
    ctx->current_node = -1;
    ctx->n_tensors = def->n_tensors;
    ctx->n_nodes = def->n_ops;
    size_t nt = (size_t)(def->n_tensors ? def->n_tensors : 1);
    size_t nn = (size_t)(def->n_ops ? def->n_ops : 1);
    ctx->tensors = ember_pl_calloc(nt, sizeof *ctx->tensors);
    ctx->nodes = ember_pl_calloc(nn, sizeof *ctx->nodes);
#ifndef EMBER_MICRO    /* the host's API reports each tensor's plan (ember_interp_tensor_plan) */
    ctx->first_use = ember_pl_calloc(nt, sizeof *ctx->first_use);
    ctx->last_use = ember_pl_calloc(nt, sizeof *ctx->last_use);
    ctx->offsets = ember_pl_calloc(nt, sizeof *ctx->offsets);
    if (!ctx->first_use || !ctx->last_use || !ctx->offsets)
        return interp_fail(it, EMBER_ERR_NOMEM, "out of memory creating subgraph %d", (int)index);
#endif
    ctx->node_flags = ember_pl_calloc(nn, 1);
    if (!ctx->tensors || !ctx->nodes || !ctx->node_flags)
        return interp_fail(it, EMBER_ERR_NOMEM, "out of memory creating subgraph %d", (int)index);
    for (int32_t i = 0; i < def->n_tensors; i++) {
        const ember_tensor_def *td = &def->tensors[i];
        ember_tensor *t = &ctx->tensors[i];
        t->type = td->type;
        t->ndim = td->ndim;
        set_def_shape(t, td);
        t->q = td->q;
        t->name = td->name;
        t->is_variable = td->is_variable;
        if (td->data) {
            t->mem = EMBER_MEM_CONST;
            t->data = (void *)td->data;
            t->bytes = td->data_size;
        } else {
            t->bytes = ember_num_elements(t) * ember_type_size(t->type);
        }
    }
    for (int32_t i = 0; i < def->n_ops; i++) {
        const ember_op_def *od = &def->ops[i];
        const ember_opcode_def *oc = &it->model->opcodes[od->opcode];
        ember_node *n = &ctx->nodes[i];
        n->op = oc->builtin;
        n->version = oc->version;
        n->index = i;
        n->n_inputs = od->n_inputs;
        n->n_outputs = od->n_outputs;
        n->n_intermediates = od->n_intermediates;
        n->inputs = od->inputs;
        n->outputs = od->outputs;
        n->intermediates = od->intermediates;
        n->options_type = od->options_type;
        n->options = od->options;
        n->custom_options = od->custom_options;
        n->custom_options_size = od->custom_options_size;
        n->custom_name = oc->custom_name;
    }
    return EMBER_OK;
}

static void context_free(ember_context *ctx) {
    for (int32_t i = 0; ctx->nodes && i < ctx->n_nodes; i++) {
        ember_node *n = &ctx->nodes[i];
        if ((ctx->node_flags[i] & EMBER_NODE_INITED) && n->kernel && n->kernel->free)
            n->kernel->free(ctx, n->data);
        for (int s = 0; ctx->node_heap_scratch && s < EMBER_MAX_SCRATCH; s++)
            ember_pl_free(ctx->node_heap_scratch[(size_t)i * EMBER_MAX_SCRATCH + s]);
    }
    for (int32_t i = 0; ctx->tensors && i < ctx->n_tensors; i++) {
        ember_tensor *t = &ctx->tensors[i];
        if (t->mem == EMBER_MEM_DYNAMIC || (t->mem == EMBER_MEM_PERSISTENT && t->is_variable))
            ember_pl_free(t->data);
    }
    ember_pl_arena_free(ctx->arena);
    ember_pl_free(ctx->tensors);
    ember_pl_free(ctx->nodes);
    ember_pl_free(ctx->first_use);
    ember_pl_free(ctx->last_use);
    ember_pl_free(ctx->offsets);
    ember_pl_free(ctx->node_flags);
    ember_pl_free(ctx->node_heap_scratch);
}

static const ember_kernel *find_kernel(ember_interp *it, const ember_node *n) {
    if (n->op == EMBER_BuiltinOperator_CUSTOM) {
        for (int32_t i = 0; i < it->n_custom; i++)
            if (n->custom_name && strcmp(it->custom[i].name, n->custom_name) == 0)
                return it->custom[i].kernel;
        return ember_custom_kernel(n->custom_name);
    }
    return ember_builtin_kernel(n->op);
}

static int is_subgraph_input(const ember_context *ctx, int32_t t) {
    for (int32_t i = 0; i < ctx->def->n_inputs; i++)
        if (ctx->def->inputs[i] == t) return 1;
    return 0;
}

/* Variables keep their data across re-preparation; (re)allocate on shape change. */
static ember_status prepare_variable(ember_context *ctx, ember_tensor *t, int32_t index) {
    const ember_tensor_def *td = &ctx->def->tensors[index];
    size_t bytes = ember_num_elements(t) * ember_type_size(t->type);
    if (t->mem == EMBER_MEM_PERSISTENT && t->data && t->bytes == bytes) return EMBER_OK;
    ember_pl_free(t->mem == EMBER_MEM_PERSISTENT ? t->data : NULL);
    t->data = ember_pl_calloc(bytes ? bytes : 1, 1);
    if (!t->data) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for variable '%s'", t->name);
    t->bytes = bytes;
    t->mem = EMBER_MEM_PERSISTENT;
    (void)td;
    return EMBER_OK;
}

static void release_lifetimes(int32_t *first_use, int32_t *last_use) {
#ifdef EMBER_MICRO
    ember_pl_free(last_use);
    ember_pl_free(first_use);
#else
    (void)first_use; (void)last_use;
#endif
}

static ember_status plan_arena(ember_context *ctx) {
    ember_interp *it = ctx->interp;
    int32_t nt = ctx->n_tensors, nn = ctx->n_nodes;
    int32_t end = nn;    /* outputs live past the last node */
#ifdef EMBER_MICRO
    /* Lifetimes matter only while planning: a device takes them from the top
     * of its arena and gives them back before the activation arena is cut. */
    int32_t *first_use = ember_pl_calloc((size_t)(nt ? nt : 1), sizeof *first_use);
    int32_t *last_use = ember_pl_calloc((size_t)(nt ? nt : 1), sizeof *last_use);
    if (!first_use || !last_use) {
        ember_pl_free(last_use); ember_pl_free(first_use);
        return interp_fail(it, EMBER_ERR_NOMEM, "out of memory planning subgraph %d", (int)ctx->index);
    }
#else
    int32_t *first_use = ctx->first_use, *last_use = ctx->last_use;
#endif
    for (int32_t i = 0; i < nt; i++) { first_use[i] = INT32_MAX; last_use[i] = -1; }
    /* Inputs are written before node 0 runs, so they live from 0. On the host
     * they also live to the end: a caller sets them once and may invoke again
     * (as TFLite allows) without their memory having been reused. A device
     * build's API (ember_micro.h) has the caller set the model's inputs before
     * every invoke, so there they end at their last reader and the planner may
     * reuse them, as TFLite Micro does. Only subgraph 0's: control-flow
     * kernels may rely on their subgraphs' inputs surviving an invoke. */
#ifdef EMBER_MICRO
    int32_t input_end = ctx->index == 0 ? 0 : end;
#else
    int32_t input_end = end;
#endif
    for (int32_t i = 0; i < ctx->def->n_inputs; i++) {
        int32_t t = ctx->def->inputs[i];
        first_use[t] = 0;
        last_use[t] = input_end;
    }
    for (int32_t n = 0; n < nn; n++) {
        const ember_node *node = &ctx->nodes[n];
        for (int32_t k = 0; k < node->n_inputs; k++) {
            int32_t t = node->inputs[k];
            if (t < 0) continue;
            if (first_use[t] > n) first_use[t] = n;
            if (last_use[t] < n) last_use[t] = n;
        }
        for (int32_t k = 0; k < node->n_outputs; k++) {
            int32_t t = node->outputs[k];
            if (first_use[t] > n) first_use[t] = n;
            if (last_use[t] < n) last_use[t] = n;
        }
        for (int32_t k = 0; k < node->n_intermediates; k++) {
            int32_t t = node->intermediates[k];
            if (t < 0) continue;
            if (first_use[t] > n) first_use[t] = n;
            if (last_use[t] < n) last_use[t] = n;
        }
    }
    for (int32_t i = 0; i < ctx->def->n_outputs; i++) {
        int32_t t = ctx->def->outputs[i];
        if (first_use[t] == INT32_MAX) first_use[t] = 0;
        last_use[t] = end;
    }
    /* count planned buffers: arena tensors + scratch */
    int32_t nb = 0;
    for (int32_t i = 0; i < nt; i++) {
        ember_tensor *t = &ctx->tensors[i];
        if (t->mem != EMBER_MEM_NONE && t->mem != EMBER_MEM_ARENA) continue;
        if (first_use[i] == INT32_MAX) continue;   /* never used */
        if (it->preserve_all) { first_use[i] = 0; last_use[i] = end; }
        nb++;
    }
    for (int32_t n = 0; n < nn; n++)
        if (!(ctx->node_flags[n] & EMBER_NODE_DEFERRED)) nb += ctx->nodes[n].n_scratch;
    ember_plan_buffer *bufs = ember_pl_calloc((size_t)(nb ? nb : 1), sizeof *bufs);
    int32_t *order = ember_pl_calloc((size_t)(nb ? nb : 1), sizeof *order);
    if (!bufs || !order) {
        ember_pl_free(order); ember_pl_free(bufs);
        release_lifetimes(first_use, last_use);
        return interp_fail(it, EMBER_ERR_NOMEM, "out of memory planning subgraph %d", (int)ctx->index);
    }
    int32_t b = 0;
    for (int32_t i = 0; i < nt; i++) {
        ember_tensor *t = &ctx->tensors[i];
        if (t->mem != EMBER_MEM_NONE && t->mem != EMBER_MEM_ARENA) continue;
        if (first_use[i] == INT32_MAX) continue;
        bufs[b].size = t->bytes;
        bufs[b].first = first_use[i];
        bufs[b].last = last_use[i];
        b++;
    }
    for (int32_t n = 0; n < nn; n++) {
        if (ctx->node_flags[n] & EMBER_NODE_DEFERRED) continue;
        for (int32_t s = 0; s < ctx->nodes[n].n_scratch; s++, b++) {
            bufs[b].size = ctx->nodes[n].scratch_bytes[s];
            bufs[b].first = bufs[b].last = n;
        }
    }
    size_t size = ember_plan(bufs, nb, order);
    /* Each planned buffer's offset is parked in its data pointer until the
     * arena exists, so that every planning temporary is given back first
     * (on a device they would otherwise add to the peak). */
    b = 0;
    for (int32_t i = 0; i < nt; i++) {
        ember_tensor *t = &ctx->tensors[i];
        if (t->mem != EMBER_MEM_NONE && t->mem != EMBER_MEM_ARENA) continue;
        if (first_use[i] == INT32_MAX) { t->data = NULL; t->mem = EMBER_MEM_NONE; continue; }
        t->mem = EMBER_MEM_ARENA;
        t->data = (void *)(uintptr_t)bufs[b].offset;
#ifndef EMBER_MICRO
        ctx->offsets[i] = bufs[b].offset;
#endif
        b++;
    }
    for (int32_t n = 0; n < nn; n++) {
        if (ctx->node_flags[n] & EMBER_NODE_DEFERRED) continue;
        for (int32_t s = 0; s < ctx->nodes[n].n_scratch; s++, b++)
            ctx->nodes[n].scratch[s] = (void *)(uintptr_t)bufs[b].offset;
    }
    ember_pl_free(order);
    ember_pl_free(bufs);
    release_lifetimes(first_use, last_use);
    uint8_t *arena = NULL;
    if (ember_pl_arena_alloc((void **)&arena, EMBER_ARENA_ALIGN, size ? size : EMBER_ARENA_ALIGN) != 0) {
        for (int32_t i = 0; i < nt; i++)
            if (ctx->tensors[i].mem == EMBER_MEM_ARENA) { ctx->tensors[i].data = NULL; ctx->tensors[i].mem = EMBER_MEM_NONE; }
        return interp_fail(it, EMBER_ERR_NOMEM, "cannot allocate a %zu-byte arena", size);
    }
    if (ctx->arena) ember_pl_arena_free(ctx->arena);
    ctx->arena = arena;
    ctx->arena_size = size;
    for (int32_t i = 0; i < nt; i++) {
        ember_tensor *t = &ctx->tensors[i];
        if (t->mem == EMBER_MEM_ARENA) t->data = arena + (uintptr_t)t->data;
    }
    for (int32_t n = 0; n < nn; n++) {
        if (ctx->node_flags[n] & EMBER_NODE_DEFERRED) continue;
        for (int32_t s = 0; s < ctx->nodes[n].n_scratch; s++)
            ctx->nodes[n].scratch[s] = arena + (uintptr_t)ctx->nodes[n].scratch[s];
    }
    return EMBER_OK;
}

static int has_dynamic_input(ember_context *ctx, const ember_node *n) {
    for (int32_t k = 0; k < n->n_inputs; k++) {
        ember_tensor *t = ember_input(ctx, n, k);
        if (t && t->mem == EMBER_MEM_DYNAMIC) return 1;
    }
    return 0;
}

static ember_status prepare_node(ember_context *ctx, int32_t i) {
    ember_node *n = &ctx->nodes[i];
    ember_interp *it = ctx->interp;
    ctx->current_node = i;
    if (!n->kernel) {
        n->kernel = find_kernel(it, n);
        if (!n->kernel) {
            if (n->op == EMBER_BuiltinOperator_CUSTOM)
                return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                                  "custom op '%s' is not registered (register it with "
                                  "ember_interp_register_custom or the Python custom_ops argument)",
                                  n->custom_name ? n->custom_name : "?");
            const char *name = ember_builtin_operator_name(n->op);
            return ember_fail(ctx, EMBER_ERR_UNSUPPORTED,
                              "op %s (builtin code %d, version %d) is not supported by Ember",
                              name ? name : "unknown", (int)n->op, (int)n->version);
        }
    }
    if (!(ctx->node_flags[i] & EMBER_NODE_INITED)) {
        ctx->node_flags[i] |= EMBER_NODE_INITED;
        if (n->kernel->init) {
            n->data = n->kernel->init(ctx, n);
            if (!n->data && it->error[0]) return EMBER_ERR_NOMEM;
        }
    }
    n->n_scratch = 0;
    return n->kernel->prepare ? n->kernel->prepare(ctx, n) : EMBER_OK;
}

ember_status ember_subgraph_prepare(ember_context *ctx) {
    ember_interp *it = ctx->interp;
    if (ctx->preparing)
        return interp_fail(it, EMBER_ERR_MODEL, "subgraph %d calls itself (recursive subgraphs)",
                           (int)ctx->index);
    if (ctx->invoking)
        return interp_fail(it, EMBER_ERR_STATE, "subgraph %d is being invoked", (int)ctx->index);
    if (++it->call_depth > EMBER_MAX_CALL_DEPTH) {
        it->call_depth--;
        return interp_fail(it, EMBER_ERR_MODEL, "subgraphs nest deeper than %d", EMBER_MAX_CALL_DEPTH);
    }
    ctx->preparing = 1;
    ctx->prepared = 0;
    ctx->phase = 1;
    it->error[0] = 0;
    ember_status st = EMBER_OK;
    /* reset every non-constant, non-input tensor */
    for (int32_t i = 0; i < ctx->n_tensors; i++) {
        ember_tensor *t = &ctx->tensors[i];
        const ember_tensor_def *td = &ctx->def->tensors[i];
        if (td->data) {             /* model constant: restore (a kernel may not touch it) */
            t->mem = EMBER_MEM_CONST;
            t->data = (void *)td->data;
            continue;
        }
        if (t->is_variable) {
            if ((st = prepare_variable(ctx, t, i)) != EMBER_OK) goto done;
            continue;
        }
        if (is_subgraph_input(ctx, i)) {
            if (t->mem == EMBER_MEM_DYNAMIC) ember_pl_free(t->data);
            t->mem = EMBER_MEM_NONE;
            t->data = NULL;
            t->bytes = ember_num_elements(t) * ember_type_size(t->type);
            continue;
        }
        free_dynamic(t);
        t->mem = EMBER_MEM_NONE;
        set_def_shape(t, td);
        t->bytes = ember_num_elements(t) * ember_type_size(t->type);
    }
    for (int32_t i = 0; i < ctx->n_nodes; i++) {
        ember_node *n = &ctx->nodes[i];
        ctx->node_flags[i] &= (uint8_t)~EMBER_NODE_DEFERRED;
        if (has_dynamic_input(ctx, n)) {
            /* shapes unknown until the producer has run: prepare at eval time */
            ctx->node_flags[i] |= EMBER_NODE_DEFERRED;
            ctx->current_node = i;
            for (int32_t k = 0; k < n->n_outputs; k++)
                if ((st = ember_tensor_set_dynamic(ctx, ember_output(ctx, n, k))) != EMBER_OK) goto done;
            continue;
        }
        if ((st = prepare_node(ctx, i)) != EMBER_OK) goto done;
    }
    ctx->current_node = -1;
    if ((st = plan_arena(ctx)) != EMBER_OK) goto done;
    ctx->prepared = 1;
done:
    if (st != EMBER_OK && !it->error[0]) interp_fail(it, st, "preparing subgraph %d failed", (int)ctx->index);
    ctx->phase = 0;
    ctx->preparing = 0;
    it->call_depth--;
    return st;
}

static uint64_t now_ns(void) {
#ifdef EMBER_HOST
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#else
    return 0;
#endif
}

static ember_status eval_deferred(ember_context *ctx, int32_t i) {
    ember_node *n = &ctx->nodes[i];
    ctx->phase = 1;
    for (int32_t k = 0; k < n->n_outputs; k++) {
        ember_tensor *t = ember_output(ctx, n, k);
        t->mem = EMBER_MEM_DYNAMIC;
    }
    ember_status st = prepare_node(ctx, i);
    ctx->phase = 2;
    if (st != EMBER_OK) return st;
    for (int32_t k = 0; k < n->n_outputs; k++) {
        ember_tensor *t = ember_output(ctx, n, k);
        if (t->mem == EMBER_MEM_DYNAMIC && (!t->data || t->bytes)) {
            void *p = ember_pl_realloc(t->data, t->bytes ? t->bytes : 1);
            if (!p) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for '%s'", t->name);
            t->data = p;
        }
    }
    if (n->n_scratch && !ctx->node_heap_scratch) {   /* only models with dynamic shapes need it */
        ctx->node_heap_scratch = ember_pl_calloc((size_t)ctx->n_nodes * EMBER_MAX_SCRATCH, sizeof(void *));
        if (!ctx->node_heap_scratch) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for scratch");
    }
    for (int32_t s = 0; s < n->n_scratch; s++) {
        void **slot = &ctx->node_heap_scratch[(size_t)i * EMBER_MAX_SCRATCH + s];
        ember_pl_free(*slot);
        *slot = NULL;
        if (ember_pl_aligned(slot, 64, n->scratch_bytes[s] ? n->scratch_bytes[s] : 64) != 0)
            return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for scratch");
        n->scratch[s] = *slot;
    }
    return EMBER_OK;
}

ember_status ember_subgraph_invoke(ember_context *ctx) {
    ember_interp *it = ctx->interp;
    if (!ctx->prepared)
        return interp_fail(it, EMBER_ERR_STATE,
                           "subgraph %d is not allocated: call allocate_tensors() first", (int)ctx->index);
    if (ctx->invoking)
        return interp_fail(it, EMBER_ERR_MODEL, "subgraph %d invokes itself (recursive subgraphs)",
                           (int)ctx->index);
    if (++it->call_depth > EMBER_MAX_CALL_DEPTH) {
        it->call_depth--;
        return interp_fail(it, EMBER_ERR_MODEL, "subgraphs nest deeper than %d", EMBER_MAX_CALL_DEPTH);
    }
    ctx->invoking = 1;
    ember_status st = EMBER_OK;
    int profile = it->profiling && ctx->index == 0 && it->node_ns;
    for (int32_t i = 0; i < ctx->n_nodes && st == EMBER_OK; i++) {
        ember_node *n = &ctx->nodes[i];
        ctx->current_node = i;
        ctx->phase = 2;
        uint64_t t0 = profile ? now_ns() : 0;
        if (ctx->node_flags[i] & EMBER_NODE_DEFERRED) st = eval_deferred(ctx, i);
        if (st == EMBER_OK) st = n->kernel->eval(ctx, n);
        if (profile) it->node_ns[i] += now_ns() - t0;
    }
    if (st != EMBER_OK && !it->error[0]) ember_fail(ctx, st, "failed");
    ctx->current_node = -1;
    ctx->phase = 0;
    ctx->invoking = 0;
    it->call_depth--;
    return st;
}

int32_t ember_subgraph_count(ember_context *ctx) { return ctx->interp->n_subgraphs; }
ember_context *ember_subgraph(ember_context *ctx, int32_t index) {
    ember_interp *it = ctx->interp;
    return (index >= 0 && index < it->n_subgraphs) ? &it->subgraphs[index] : NULL;
}
int32_t ember_subgraph_num_inputs(ember_context *sg) { return sg->def->n_inputs; }
int32_t ember_subgraph_num_outputs(ember_context *sg) { return sg->def->n_outputs; }
ember_tensor *ember_subgraph_input(ember_context *sg, int i) {
    return (i >= 0 && i < sg->def->n_inputs) ? &sg->tensors[sg->def->inputs[i]] : NULL;
}
ember_tensor *ember_subgraph_output(ember_context *sg, int i) {
    return (i >= 0 && i < sg->def->n_outputs) ? &sg->tensors[sg->def->outputs[i]] : NULL;
}

/* ---- public API ---------------------------------------------------------- */

ember_interp_options ember_interp_default_options(void) {
    ember_interp_options o = { 1, 0 };
    return o;
}

ember_status ember_interp_create(const ember_model *model, const ember_interp_options *opt,
                                 ember_interp **out) {
    *out = NULL;
    ember_interp *it = ember_pl_calloc(1, sizeof *it);
    if (!it) return EMBER_ERR_NOMEM;
    ember_interp_options o = opt ? *opt : ember_interp_default_options();
    it->model = model;
    it->num_threads = o.num_threads > 0 ? (o.num_threads > 64 ? 64 : o.num_threads) : 1;
    it->preserve_all = o.preserve_all_tensors;
    it->n_subgraphs = model->n_subgraphs;
    it->subgraphs = ember_pl_calloc((size_t)model->n_subgraphs, sizeof *it->subgraphs);
    ember_status st = it->subgraphs ? EMBER_OK : EMBER_ERR_NOMEM;
    for (int32_t i = 0; st == EMBER_OK && i < model->n_subgraphs; i++)
        st = context_init(it, &it->subgraphs[i], i);
    if (st == EMBER_OK && it->num_threads > 1) {
        it->pool = ember_threadpool_create(it->num_threads);
        if (!it->pool) st = EMBER_ERR_NOMEM;
    }
    *out = it;   /* returned even on failure so the caller can read the error */
    return st;
}

void ember_interp_destroy(ember_interp *it) {
    if (!it) return;
    for (int32_t i = 0; it->subgraphs && i < it->n_subgraphs; i++) context_free(&it->subgraphs[i]);
    ember_pl_free(it->subgraphs);
    if (it->pool) ember_threadpool_destroy(it->pool);
#ifndef EMBER_MICRO
    while (it->persistent) {
        ember_persistent *next = it->persistent->next;
        ember_pl_free(it->persistent);
        it->persistent = next;
    }
#endif
    for (int32_t i = 0; i < it->n_resources; i++) ember_pl_free(it->resources[i].tensor.data);
    ember_pl_free(it->resources);
    for (int32_t i = 0; i < it->n_custom; i++) ember_pl_free(it->custom[i].name);
    ember_pl_free(it->custom);
    ember_pl_free(it->node_ns);
    ember_pl_free(it);
}

const char *ember_interp_error(const ember_interp *it) { return it->error; }

ember_status ember_interp_register_custom(ember_interp *it, const char *name,
                                          const ember_kernel *kernel) {
    if (!name || !kernel || !kernel->eval)
        return interp_fail(it, EMBER_ERR_ARG, "custom op needs a name and an eval function");
    for (int32_t i = 0; i < it->n_custom; i++)
        if (strcmp(it->custom[i].name, name) == 0) { it->custom[i].kernel = kernel; return EMBER_OK; }
    ember_custom_op *grown = ember_pl_realloc(it->custom, (size_t)(it->n_custom + 1) * sizeof *grown);
    if (!grown) return EMBER_ERR_NOMEM;
    it->custom = grown;
    size_t len = strlen(name);
    char *copy = ember_pl_malloc(len + 1);
    if (!copy) return EMBER_ERR_NOMEM;
    memcpy(copy, name, len + 1);
    it->custom[it->n_custom].name = copy;
    it->custom[it->n_custom].kernel = kernel;
    it->n_custom++;
    return EMBER_OK;
}

ember_status ember_interp_allocate_subgraph(ember_interp *it, int32_t sg) {
    if (sg < 0 || sg >= it->n_subgraphs)
        return interp_fail(it, EMBER_ERR_ARG, "subgraph %d out of range", (int)sg);
    return ember_subgraph_prepare(&it->subgraphs[sg]);
}

ember_status ember_interp_allocate(ember_interp *it) {
    ember_status st = ember_interp_allocate_subgraph(it, 0);
    if (st == EMBER_OK && it->profiling) {
        ember_pl_free(it->node_ns);
        it->node_ns = ember_pl_calloc((size_t)(it->subgraphs[0].n_nodes + 1), sizeof *it->node_ns);
    }
    return st;
}

ember_status ember_interp_invoke_subgraph(ember_interp *it, int32_t sg) {
    if (sg < 0 || sg >= it->n_subgraphs)
        return interp_fail(it, EMBER_ERR_ARG, "subgraph %d out of range", (int)sg);
    it->error[0] = 0;
    return ember_subgraph_invoke(&it->subgraphs[sg]);
}

ember_status ember_interp_invoke(ember_interp *it) { return ember_interp_invoke_subgraph(it, 0); }

ember_status ember_interp_resize_input(ember_interp *it, int32_t sg, int32_t tensor, int ndim,
                                       const int32_t *dims) {
    if (sg < 0 || sg >= it->n_subgraphs)
        return interp_fail(it, EMBER_ERR_ARG, "subgraph %d out of range", (int)sg);
    ember_context *ctx = &it->subgraphs[sg];
    if (!is_subgraph_input(ctx, tensor))
        return interp_fail(it, EMBER_ERR_ARG, "tensor %d is not an input of subgraph %d", (int)tensor, (int)sg);
    ember_tensor *t = &ctx->tensors[tensor];
    if (t->mem == EMBER_MEM_CONST)
        return interp_fail(it, EMBER_ERR_ARG, "tensor %d is constant", (int)tensor);
    ctx->current_node = -1;
    size_t bytes;
    ember_status st = shape_bytes(ctx, t, ndim, dims, &bytes);
    if (st != EMBER_OK) return st;
    if (ndim == t->ndim && memcmp(dims, t->dims, sizeof(int32_t) * (size_t)ndim) == 0) return EMBER_OK;
    t->ndim = ndim;
    memcpy(t->dims, dims, sizeof(int32_t) * (size_t)ndim);
    t->bytes = bytes;
    ctx->prepared = 0;
    return EMBER_OK;
}

ember_status ember_interp_reset_variables(ember_interp *it) {
    for (int32_t s = 0; s < it->n_subgraphs; s++) {
        ember_context *ctx = &it->subgraphs[s];
        for (int32_t i = 0; i < ctx->n_tensors; i++) {
            ember_tensor *t = &ctx->tensors[i];
            if (t->is_variable && t->data && t->mem == EMBER_MEM_PERSISTENT) memset(t->data, 0, t->bytes);
        }
    }
    /* Like TFLite, resource variables keep their values: only is_variable
     * tensors (RNN/LSTM state) are reset. */
    return EMBER_OK;
}

int32_t ember_interp_subgraph_count(const ember_interp *it) { return it->n_subgraphs; }
ember_context *ember_interp_subgraph(ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? &it->subgraphs[sg] : NULL;
}
int32_t ember_interp_num_inputs(ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? it->subgraphs[sg].def->n_inputs : 0;
}
int32_t ember_interp_num_outputs(ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? it->subgraphs[sg].def->n_outputs : 0;
}
int32_t ember_interp_input_index(ember_interp *it, int32_t sg, int32_t i) {
    if (sg < 0 || sg >= it->n_subgraphs || i < 0 || i >= it->subgraphs[sg].def->n_inputs) return -1;
    return it->subgraphs[sg].def->inputs[i];
}
int32_t ember_interp_output_index(ember_interp *it, int32_t sg, int32_t i) {
    if (sg < 0 || sg >= it->n_subgraphs || i < 0 || i >= it->subgraphs[sg].def->n_outputs) return -1;
    return it->subgraphs[sg].def->outputs[i];
}
ember_tensor *ember_interp_tensor(ember_interp *it, int32_t sg, int32_t index) {
    if (sg < 0 || sg >= it->n_subgraphs) return NULL;
    return ember_tensor_at(&it->subgraphs[sg], index);
}
ember_tensor *ember_interp_input(ember_interp *it, int32_t i) {
    return ember_interp_tensor(it, 0, ember_interp_input_index(it, 0, i));
}
ember_tensor *ember_interp_output(ember_interp *it, int32_t i) {
    return ember_interp_tensor(it, 0, ember_interp_output_index(it, 0, i));
}
int32_t ember_interp_tensor_count(ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? it->subgraphs[sg].n_tensors : 0;
}
size_t ember_interp_arena_size(const ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? it->subgraphs[sg].arena_size : 0;
}
size_t ember_interp_persistent_bytes(const ember_interp *it) { return it->persistent_bytes; }

int ember_interp_tensor_plan(ember_interp *it, int32_t sg, int32_t tensor, size_t *offset,
                             int32_t *first, int32_t *last) {
    ember_context *ctx = ember_interp_subgraph(it, sg);
    if (!ctx || !ctx->prepared || tensor < 0 || tensor >= ctx->n_tensors) return 0;
    if (ctx->tensors[tensor].mem != EMBER_MEM_ARENA) return 0;
#ifdef EMBER_MICRO   /* a device keeps no lifetimes after planning */
    *offset = (size_t)((uint8_t *)ctx->tensors[tensor].data - ctx->arena);
    *first = *last = -1;
#else
    *offset = ctx->offsets[tensor];
    *first = ctx->first_use[tensor];
    *last = ctx->last_use[tensor];
#endif
    return 1;
}

void ember_interp_set_profiling(ember_interp *it, int on) {
    it->profiling = on;
    if (on && !it->node_ns && it->n_subgraphs)
        it->node_ns = ember_pl_calloc((size_t)(it->subgraphs[0].n_nodes + 1), sizeof *it->node_ns);
    else if (on && it->node_ns)
        memset(it->node_ns, 0, (size_t)(it->subgraphs[0].n_nodes + 1) * sizeof *it->node_ns);
}
int32_t ember_interp_node_count(ember_interp *it, int32_t sg) {
    return (sg >= 0 && sg < it->n_subgraphs) ? it->subgraphs[sg].n_nodes : 0;
}
const ember_node *ember_interp_node(ember_interp *it, int32_t sg, int32_t i) {
    if (sg < 0 || sg >= it->n_subgraphs || i < 0 || i >= it->subgraphs[sg].n_nodes) return NULL;
    return &it->subgraphs[sg].nodes[i];
}
uint64_t ember_interp_node_ns(const ember_interp *it, int32_t i) {
    if (!it->node_ns || !it->n_subgraphs || i < 0 || i >= it->subgraphs[0].n_nodes) return 0;
    return it->node_ns[i];
}
