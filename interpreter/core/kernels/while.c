/* WHILE: loop state = the inputs; while cond(state) holds, state = body(state). */
#include "subgraph_io.h"

typedef struct while_data {
    ember_context *cond, *body;
    int dynamic;                /* body changes shapes: re-prepare per iteration */
} while_data;

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(while_data));
}

/* Shapes a subgraph's inputs like the tensors in `state` and prepares it
 * when anything changed (or when `force`). */
static ember_status shape_and_prepare(ember_context *ctx, ember_context *sg, ember_tensor **state,
                                      int n, int force) {
    int changed = force;
    for (int i = 0; i < n; i++) EMBER_CHECK(subgraph_shape_input(ctx, sg, i, state[i], &changed));
    return changed ? ember_subgraph_prepare(sg) : EMBER_OK;
}

static ember_status check_cond(ember_context *ctx, ember_context *cond) {
    const ember_tensor *c = ember_subgraph_output(cond, 0);
    EMBER_ENSURE(ctx, ember_subgraph_num_outputs(cond) == 1 && c->type == EMBER_TensorType_BOOL &&
                      ember_num_elements(c) == 1,
                 "WHILE condition subgraph must give one bool");
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    while_data *d = node->data;
    int n = node->n_inputs;
    EMBER_ENSURE(ctx, n == node->n_outputs && n <= 64,
                 "WHILE needs as many outputs as inputs (%d vs %d, at most 64)", n, node->n_outputs);
    EMBER_CHECK(subgraph_arg(ctx, ember_opt_int(node, EMBER_BuiltinOptions_WhileOptions,
                                                EMBER_WhileOptions_cond_subgraph_index, EMBER_WhileOptions_cond_subgraph_index_DEFAULT),
                             "cond", &d->cond));
    EMBER_CHECK(subgraph_arg(ctx, ember_opt_int(node, EMBER_BuiltinOptions_WhileOptions,
                                                EMBER_WhileOptions_body_subgraph_index, EMBER_WhileOptions_body_subgraph_index_DEFAULT),
                             "body", &d->body));
    EMBER_ENSURE(ctx, ember_subgraph_num_inputs(d->cond) == n && ember_subgraph_num_inputs(d->body) == n &&
                      ember_subgraph_num_outputs(d->body) == n,
                 "WHILE with %d values needs cond and body subgraphs with %d inputs and a body with %d outputs",
                 n, n, n);
    ember_tensor *state[64];
    for (int i = 0; i < n; i++) {
        state[i] = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, state[i], "WHILE input %d is missing", i);
    }
    EMBER_CHECK(shape_and_prepare(ctx, d->cond, state, n, 1));
    EMBER_CHECK(check_cond(ctx, d->cond));
    EMBER_CHECK(shape_and_prepare(ctx, d->body, state, n, 1));
    d->dynamic = 0;
    for (int i = 0; i < n; i++) {
        const ember_tensor *bo = ember_subgraph_output(d->body, i);
        EMBER_ENSURE(ctx, bo->type == state[i]->type, "WHILE body output %d is %s, input is %s", i,
                     ember_type_name(bo->type), ember_type_name(state[i]->type));
        if (!ember_same_shape(bo, state[i]) || bo->mem == EMBER_MEM_DYNAMIC) d->dynamic = 1;
    }
    for (int i = 0; i < n; i++) {
        ember_tensor *out = ember_output(ctx, node, i);
        EMBER_ENSURE(ctx, out->type == state[i]->type, "WHILE output %d has the wrong type", i);
        if (d->dynamic)
            EMBER_CHECK(ember_tensor_set_dynamic(ctx, out));
        else
            EMBER_CHECK(ember_tensor_resize(ctx, out, state[i]->ndim, state[i]->dims));
    }
    return EMBER_OK;
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    while_data *d = node->data;
    int n = node->n_inputs;
    ember_tensor *state[64];
    for (int i = 0; i < n; i++) {
        state[i] = ember_output(ctx, node, i);
        EMBER_CHECK(copy_tensor_data(ctx, state[i], ember_input(ctx, node, i)));
    }
    for (;;) {
        if (d->dynamic) {
            EMBER_CHECK(shape_and_prepare(ctx, d->cond, state, n, 0));
            EMBER_CHECK(check_cond(ctx, d->cond));
        }
        for (int i = 0; i < n; i++)
            EMBER_CHECK(copy_tensor_data(ctx, ember_subgraph_input(d->cond, i), state[i]));
        EMBER_CHECK(ember_subgraph_invoke(d->cond));
        if (!((const uint8_t *)ember_subgraph_output(d->cond, 0)->data)[0]) break;
        if (d->dynamic) EMBER_CHECK(shape_and_prepare(ctx, d->body, state, n, 0));
        for (int i = 0; i < n; i++)
            EMBER_CHECK(copy_tensor_data(ctx, ember_subgraph_input(d->body, i), state[i]));
        EMBER_CHECK(ember_subgraph_invoke(d->body));
        for (int i = 0; i < n; i++)
            EMBER_CHECK(copy_tensor_data(ctx, state[i], ember_subgraph_output(d->body, i)));
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_WHILE = { "WHILE", init, NULL, prepare, eval };
