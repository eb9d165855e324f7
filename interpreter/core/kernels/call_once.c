/* CALL_ONCE: runs an initialisation subgraph (typically assigning resource
 * variables) on the first invoke only. */
#include "subgraph_io.h"

typedef struct call_once_data {
    ember_context *init;
    int done;
} call_once_data;

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(call_once_data));
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    call_once_data *d = node->data;
    EMBER_ENSURE(ctx, node->n_inputs == 0 && node->n_outputs == 0, "CALL_ONCE takes no tensors");
    EMBER_CHECK(subgraph_arg(ctx, ember_opt_int(node, EMBER_BuiltinOptions_CallOnceOptions,
                                                EMBER_CallOnceOptions_init_subgraph_index, EMBER_CallOnceOptions_init_subgraph_index_DEFAULT),
                             "init", &d->init));
    EMBER_ENSURE(ctx, ember_subgraph_num_inputs(d->init) == 0 && ember_subgraph_num_outputs(d->init) == 0,
                 "CALL_ONCE's subgraph must have no inputs or outputs");
    return d->done ? EMBER_OK : ember_subgraph_prepare(d->init);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    call_once_data *d = node->data;
    if (d->done) return EMBER_OK;
    EMBER_CHECK(ember_subgraph_invoke(d->init));
    d->done = 1;
    return EMBER_OK;
}

const ember_kernel ember_kernel_CALL_ONCE = { "CALL_ONCE", init, NULL, prepare, eval };
