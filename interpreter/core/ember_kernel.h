/*
 * ember_kernel.h — the contract between the Ember runtime and an op kernel.
 *
 * A kernel is one C file, kernels/<op>.c, exporting one registration:
 *
 *     static ember_status prepare(ember_context *ctx, ember_node *node) {
 *         const ember_tensor *x = ember_input(ctx, node, 0);
 *         ember_tensor *y = ember_output(ctx, node, 0);
 *         EMBER_ENSURE(ctx, x && y, "ADD needs 2 inputs and 1 output");
 *         return ember_tensor_resize(ctx, y, x->ndim, x->dims);
 *     }
 *     static ember_status eval(ember_context *ctx, ember_node *node) { ... }
 *     const ember_kernel ember_kernel_ADD = { "ADD", NULL, NULL, prepare, eval };
 *
 * Lifecycle (per node): init (optional; allocates op data only) → prepare
 * (validate inputs, compute output shapes, multipliers, scratch requests —
 * everything that can be known before data arrives) → eval (only the maths;
 * no allocation, no string formatting except on a genuine error).
 *
 * Error policy: everything read from a model file is untrusted. prepare
 * checks every shape, type and option it relies on and reports failure with
 * ember_fail() (or EMBER_ENSURE), which records a message naming the node.
 * eval may assume prepare's checks hold. Nothing ever aborts.
 */
#ifndef EMBER_KERNEL_H
#define EMBER_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "schema_generated.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_MAX_DIMS 8        /* most dimensions a tensor may have */
#define EMBER_MAX_SCRATCH 4     /* scratch buffers one node may request */

typedef enum ember_status {
    EMBER_OK = 0,
    EMBER_ERROR = 1,            /* generic failure; message says what */
    EMBER_ERR_MODEL = 2,        /* malformed model file */
    EMBER_ERR_UNSUPPORTED = 3,  /* valid model using something Ember lacks */
    EMBER_ERR_NOMEM = 4,        /* allocation failed / arena too small */
    EMBER_ERR_ARG = 5,          /* bad argument from the caller */
    EMBER_ERR_STATE = 6         /* call made in the wrong state */
} ember_status;

/* Where a tensor's bytes live. */
typedef enum ember_mem {
    EMBER_MEM_NONE = 0,         /* not allocated (yet) */
    EMBER_MEM_CONST = 1,        /* points into the model's buffer (read-only) */
    EMBER_MEM_ARENA = 2,        /* planned into the activation arena */
    EMBER_MEM_DYNAMIC = 3,      /* shape known only at eval; heap (host only) */
    EMBER_MEM_PERSISTENT = 4    /* lives as long as the interpreter (variables) */
} ember_mem;

/* Quantisation parameters, copied out of the file (owned by the runtime). */
typedef struct ember_quant {
    int32_t count;              /* number of scale/zero-point pairs, 0 = none */
    const float *scale;
    const int64_t *zero_point;
    int32_t quantized_dimension;
} ember_quant;

typedef struct ember_tensor {
    void *data;
    size_t bytes;
    int32_t type;               /* EMBER_TensorType_* (TFLite's TensorType) */
    int32_t ndim;
    int32_t dims[EMBER_MAX_DIMS];
    ember_quant q;
    uint8_t mem;                /* ember_mem */
    uint8_t is_variable;
    const char *name;
} ember_tensor;

/* A bounds-checked view of a flatbuffer table (verified at load). */
typedef struct ember_fb_table {
    const uint8_t *buf;         /* start of the model buffer */
    size_t size;                /* its length */
    uint32_t pos;               /* table offset within buf; 0 = absent */
} ember_fb_table;

struct ember_kernel;

typedef struct ember_node {
    int32_t op;                 /* EMBER_BuiltinOperator_* */
    int32_t version;
    int32_t index;              /* position in the subgraph's execution plan */
    int32_t n_inputs, n_outputs, n_intermediates;
    const int32_t *inputs;      /* tensor indices; -1 = optional input absent */
    const int32_t *outputs;
    const int32_t *intermediates;
    int32_t options_type;       /* EMBER_BuiltinOptions_* (0 = none) */
    ember_fb_table options;     /* the builtin_options table */
    const uint8_t *custom_options;
    uint32_t custom_options_size;
    const char *custom_name;    /* for CUSTOM ops */
    const struct ember_kernel *kernel;
    void *data;                 /* op data returned by init */
    int32_t n_scratch;
    size_t scratch_bytes[EMBER_MAX_SCRATCH];
    void *scratch[EMBER_MAX_SCRATCH];   /* filled by the runtime after planning */
} ember_node;

typedef struct ember_context ember_context;   /* one per subgraph; opaque */

typedef struct ember_kernel {
    const char *name;
    void *(*init)(ember_context *ctx, ember_node *node);      /* may be NULL */
    void (*free)(ember_context *ctx, void *data);             /* may be NULL */
    ember_status (*prepare)(ember_context *ctx, ember_node *node);
    ember_status (*eval)(ember_context *ctx, ember_node *node);
} ember_kernel;

/* ---- tensors of a node ------------------------------------------------ */

/* NULL when i is out of range or the optional input is absent (-1). */
ember_tensor *ember_input(ember_context *ctx, const ember_node *node, int i);
ember_tensor *ember_output(ember_context *ctx, const ember_node *node, int i);
ember_tensor *ember_tensor_at(ember_context *ctx, int32_t index);
int32_t ember_tensor_count(ember_context *ctx);

/* Number of elements (product of dims; 1 for a scalar). */
size_t ember_num_elements(const ember_tensor *t);
/* Bytes per element of a TensorType, 0 for types without a fixed size. */
size_t ember_type_size(int32_t type);
const char *ember_type_name(int32_t type);
int ember_is_const(const ember_tensor *t);
int ember_same_shape(const ember_tensor *a, const ember_tensor *b);
/* Dimension i counted from the end when negative; 1 when out of range. */
int32_t ember_dim(const ember_tensor *t, int i);

/* Sets shape (and byte size) in prepare. Checks ndim, negative dims and
 * overflow of the element count and byte size. On a dynamic tensor (see
 * below) it may be called in eval too and (re)allocates the data. */
ember_status ember_tensor_resize(ember_context *ctx, ember_tensor *t,
                                 int ndim, const int32_t *dims);
/* Marks an output whose shape depends on input *values*: it is not planned
 * into the arena; eval calls ember_tensor_resize, which allocates it. */
ember_status ember_tensor_set_dynamic(ember_context *ctx, ember_tensor *t);

/* ---- op options (builtin_options) ------------------------------------ */
/* `table` is the EMBER_BuiltinOptions_* value the op expects; when the node
 * carries another options table (or none) the default is returned, so a
 * malformed file cannot make a kernel misread fields. Field ids are the
 * EMBER_<Table>_<field> constants of schema_generated.h. */
int64_t ember_opt_int(const ember_node *node, int table, int field, int64_t def);
float ember_opt_float(const ember_node *node, int table, int field, float def);
/* Copies an int vector field (any integer element width) into out[0..max);
 * returns its full length, or -1 when absent. */
int ember_opt_ints(const ember_node *node, int table, int field,
                   int32_t *out, int max);
/* A string field (NUL-terminated, inside the model), or NULL when absent. */
const char *ember_opt_string(const ember_node *node, int table, int field);

/* ---- memory ---------------------------------------------------------- */
/* In prepare: asks for a scratch buffer alive only during this node's eval.
 * Returns its slot (0..EMBER_MAX_SCRATCH-1) or -1 after recording an error.
 * In eval: node->scratch[slot] points to it (16-byte aligned). */
int ember_request_scratch(ember_context *ctx, ember_node *node, size_t bytes);
/* In init/prepare: memory that lives until the interpreter is destroyed.
 * Zeroed, 16-byte aligned. NULL (with an error recorded) when out of memory. */
void *ember_alloc_persistent(ember_context *ctx, size_t bytes);

/* ---- errors ---------------------------------------------------------- */
/* Records a printf-style message (the runtime prefixes the node and op)
 * and returns `code`. */
ember_status ember_fail(ember_context *ctx, ember_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define EMBER_ENSURE(ctx, cond, ...)                                   \
    do {                                                               \
        if (!(cond)) return ember_fail((ctx), EMBER_ERR_MODEL, __VA_ARGS__); \
    } while (0)

#define EMBER_CHECK(expr)                                              \
    do {                                                               \
        ember_status ember_s_ = (expr);                                \
        if (ember_s_ != EMBER_OK) return ember_s_;                     \
    } while (0)

/* ---- threads (host build; serial on micro) ---------------------------- */
typedef void (*ember_task_fn)(void *arg, int task, int n_tasks);
/* Runs fn(arg, t, n_tasks) for t in [0, n_tasks) on the interpreter's pool
 * and returns when all are done. n_tasks is best kept <= ember_num_threads. */
void ember_parallel_for(ember_context *ctx, int n_tasks, ember_task_fn fn, void *arg);
int ember_num_threads(ember_context *ctx);

/* ---- subgraphs (control flow) ---------------------------------------- */
int32_t ember_subgraph_count(ember_context *ctx);
ember_context *ember_subgraph(ember_context *ctx, int32_t index);
int32_t ember_subgraph_num_inputs(ember_context *sg);
int32_t ember_subgraph_num_outputs(ember_context *sg);
ember_tensor *ember_subgraph_input(ember_context *sg, int i);
ember_tensor *ember_subgraph_output(ember_context *sg, int i);
/* Prepares (once, or again after an input resize) and invokes a subgraph.
 * Recursion deeper than EMBER_MAX_CALL_DEPTH is refused. */
ember_status ember_subgraph_prepare(ember_context *sg);
ember_status ember_subgraph_invoke(ember_context *sg);
#define EMBER_MAX_CALL_DEPTH 16

/* Resource variables (VAR_HANDLE / ASSIGN_VARIABLE / READ_VARIABLE). */
ember_tensor *ember_resource(ember_context *ctx, int32_t id, int create);

/* ---- shared maths helpers (kernels/common.c) -------------------------- */
/* Clamp range for a fused activation (EMBER_ActivationFunctionType_*);
 * fails on an unknown one. */
ember_status ember_act_range_f32(ember_context *ctx, int32_t act, float *lo, float *hi);
static inline float ember_clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}
/* Output size and leading padding for a SAME/VALID window; fails on zero or
 * negative stride/dilation/filter and on an empty output. */
ember_status ember_conv_geometry(ember_context *ctx, int32_t padding,
                                 int32_t in, int32_t filter, int32_t stride,
                                 int32_t dilation, int32_t *out, int32_t *pad);
/* NumPy-style broadcast of two shapes into out (ndim returned in *ndim). */
ember_status ember_broadcast_shape(ember_context *ctx, const ember_tensor *a,
                                   const ember_tensor *b, int32_t *ndim,
                                   int32_t *dims);
/* float16 <-> float32 (IEEE binary16, round to nearest even). */
float ember_f16_to_f32(uint16_t h);
uint16_t ember_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif
#endif /* EMBER_KERNEL_H */
