/*
 * runtime.h — the interpreter's internals: subgraph contexts, allocation,
 * invocation. The public face is ember.h; kernels see ember_kernel.h.
 */
#ifndef EMBER_RUNTIME_H
#define EMBER_RUNTIME_H

#include "ember.h"
#include "model.h"

typedef struct ember_threadpool ember_threadpool;
ember_threadpool *ember_threadpool_create(int n_threads);
void ember_threadpool_destroy(ember_threadpool *p);
void ember_threadpool_run(ember_threadpool *p, int n_tasks, ember_task_fn fn, void *arg);

/* Room for the last error message. A device build keeps it short: the
 * interpreter's memory comes out of the application's arena, and its
 * messages are copied into ember_micro's own buffer anyway; a release build
 * (--strip-errors) formats none. -DEMBER_ERROR_BYTES=N overrides. */
#ifndef EMBER_ERROR_BYTES
#if defined(EMBER_MICRO) && defined(EMBER_STRIP_ERROR_STRINGS)
#define EMBER_ERROR_BYTES 4
#elif defined(EMBER_MICRO)
#define EMBER_ERROR_BYTES 200
#else
#define EMBER_ERROR_BYTES 1024
#endif
#endif

typedef struct ember_persistent {
    struct ember_persistent *next;
} ember_persistent;

typedef struct ember_resource {
    int32_t id;
    ember_tensor tensor;
} ember_resource_slot;

struct ember_context {
    ember_interp *interp;
    int32_t index;
    const ember_subgraph_def *def;
    ember_tensor *tensors;
    ember_node *nodes;
    int32_t n_tensors, n_nodes;
    uint8_t *arena;
    size_t arena_size;
    int32_t *first_use, *last_use;     /* planner lifetimes per tensor (-1: unplanned) */
    size_t *offsets;                   /* arena offset per tensor */
    int prepared;                      /* plan valid for the current input shapes */
    int preparing;                     /* guards against recursive subgraphs */
    int invoking;
    int32_t current_node;              /* for error messages; -1 outside nodes */
    int phase;                         /* 0 idle, 1 init/prepare, 2 eval */
    uint8_t *node_flags;               /* EMBER_NODE_* per node */
    void **node_heap_scratch;          /* scratch of deferred nodes (heap) */
    const struct ember_sparsity **sparsity;   /* per tensor, parsed on demand */
};

#define EMBER_NODE_INITED 1            /* kernel init has run */
#define EMBER_NODE_DEFERRED 2          /* has a dynamic input: prepared at eval */

typedef struct ember_custom_op {
    char *name;
    const ember_kernel *kernel;
} ember_custom_op;

struct ember_interp {
    const ember_model *model;
    ember_context *subgraphs;
    int32_t n_subgraphs;
    int num_threads;
    int preserve_all;
    ember_threadpool *pool;
    ember_persistent *persistent;
    size_t persistent_bytes;
    ember_resource_slot *resources;
    int32_t n_resources;
    ember_custom_op *custom;
    int32_t n_custom;
    int call_depth;
    int profiling;
    uint64_t *node_ns;                 /* per node of subgraph 0 when profiling */
    void *user_data;                   /* owner's handle (the Python binding's) */
    char error[EMBER_ERROR_BYTES];
};

#endif
