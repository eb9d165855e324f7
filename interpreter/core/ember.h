/*
 * ember.h — Ember's C API: load a .tflite model and run it.
 *
 *     ember_model *model;
 *     char err[256];
 *     if (ember_model_load(bytes, n, &model, err, sizeof err)) { puts(err); return 1; }
 *     ember_interp_options opt = ember_interp_default_options();
 *     ember_interp *it;
 *     if (ember_interp_create(model, &opt, &it)) ...;
 *     if (ember_interp_allocate(it)) puts(ember_interp_error(it));
 *     ember_tensor *in = ember_interp_input(it, 0);      // fill in->data
 *     if (ember_interp_invoke(it)) puts(ember_interp_error(it));
 *     ember_tensor *out = ember_interp_output(it, 0);
 *     ember_interp_destroy(it);
 *     ember_model_free(model);
 *
 * Lifetimes: the model borrows the bytes it was loaded from (keep them alive
 * and unchanged); an interpreter borrows its model. Tensor data pointers stay
 * valid until the next ember_interp_allocate / resize / destroy.
 * Custom ops: ember_interp_register_custom(it, "Name", &kernel) before
 * allocate; the kernel follows ember_kernel.h.
 */
#ifndef EMBER_H
#define EMBER_H

#include "ember_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_model ember_model;
typedef struct ember_interp ember_interp;

typedef struct ember_interp_options {
    int num_threads;            /* <= 0: 1 */
    int preserve_all_tensors;   /* keep every intermediate readable after invoke */
} ember_interp_options;

ember_interp_options ember_interp_default_options(void);
ember_status ember_interp_create(const ember_model *model, const ember_interp_options *opt,
                                 ember_interp **out);
void ember_interp_destroy(ember_interp *it);
const char *ember_interp_error(const ember_interp *it);

ember_status ember_interp_register_custom(ember_interp *it, const char *name,
                                          const ember_kernel *kernel);
/* Prepares every node of subgraph `sg` and plans its arena. */
ember_status ember_interp_allocate_subgraph(ember_interp *it, int32_t sg);
ember_status ember_interp_allocate(ember_interp *it);
ember_status ember_interp_invoke_subgraph(ember_interp *it, int32_t sg);
ember_status ember_interp_invoke(ember_interp *it);
ember_status ember_interp_resize_input(ember_interp *it, int32_t sg, int32_t tensor,
                                       int ndim, const int32_t *dims);
ember_status ember_interp_reset_variables(ember_interp *it);

int32_t ember_interp_subgraph_count(const ember_interp *it);
ember_context *ember_interp_subgraph(ember_interp *it, int32_t sg);
int32_t ember_interp_num_inputs(ember_interp *it, int32_t sg);
int32_t ember_interp_num_outputs(ember_interp *it, int32_t sg);
int32_t ember_interp_input_index(ember_interp *it, int32_t sg, int32_t i);
int32_t ember_interp_output_index(ember_interp *it, int32_t sg, int32_t i);
ember_tensor *ember_interp_input(ember_interp *it, int32_t i);
ember_tensor *ember_interp_output(ember_interp *it, int32_t i);
ember_tensor *ember_interp_tensor(ember_interp *it, int32_t sg, int32_t index);
int32_t ember_interp_tensor_count(ember_interp *it, int32_t sg);
size_t ember_interp_arena_size(const ember_interp *it, int32_t sg);
size_t ember_interp_persistent_bytes(const ember_interp *it);

/* The memory plan after allocate: for an arena tensor, its offset in the
 * arena and its lifetime [first, last] in node indices (last == node count:
 * alive past the end). Returns 0 for tensors not in the arena. */
int ember_interp_tensor_plan(ember_interp *it, int32_t sg, int32_t tensor, size_t *offset,
                             int32_t *first, int32_t *last);

/* Per-node timers (host): enable, then read after invoke. */
void ember_interp_set_profiling(ember_interp *it, int on);
int32_t ember_interp_node_count(ember_interp *it, int32_t sg);
const ember_node *ember_interp_node(ember_interp *it, int32_t sg, int32_t i);
uint64_t ember_interp_node_ns(const ember_interp *it, int32_t i);

#ifdef __cplusplus
}
#endif
#endif
