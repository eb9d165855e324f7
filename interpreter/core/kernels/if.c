/* IF: runs the then- or else-subgraph on inputs[1..], chosen by the boolean inputs[0]. */
#include "subgraph_io.h"

typedef struct if_data {
    ember_context *branch[2];   /* 0: else, 1: then */
} if_data;

static void *init(ember_context *ctx, ember_node *node) {
    return ember_alloc_persistent(ctx, sizeof(if_data));
}

/* Shapes the branch's inputs from the node's and prepares it. */
static ember_status prepare_branch(ember_context *ctx, ember_node *node, ember_context *sg) {
    EMBER_ENSURE(ctx, ember_subgraph_num_inputs(sg) == node->n_inputs - 1,
                 "branch takes %d inputs but IF passes %d", (int)ember_subgraph_num_inputs(sg),
                 node->n_inputs - 1);
    EMBER_ENSURE(ctx, ember_subgraph_num_outputs(sg) == node->n_outputs,
                 "branch gives %d outputs but IF has %d", (int)ember_subgraph_num_outputs(sg),
                 node->n_outputs);
    int changed = 0;
    for (int i = 1; i < node->n_inputs; i++) {
        const ember_tensor *in = ember_input(ctx, node, i);
        EMBER_ENSURE(ctx, in, "IF input %d is missing", i);
        EMBER_CHECK(subgraph_shape_input(ctx, sg, i - 1, in, &changed));
    }
    ember_status st = ember_subgraph_prepare(sg);
    if (st != EMBER_OK) return st;    /* the subgraph wrote the message */
    return EMBER_OK;
}

static ember_status prepare(ember_context *ctx, ember_node *node) {
    if_data *d = node->data;
    EMBER_ENSURE(ctx, node->n_inputs >= 1, "IF needs a condition input");
    const ember_tensor *cond = ember_input(ctx, node, 0);
    EMBER_ENSURE(ctx, cond && cond->type == EMBER_TensorType_BOOL && ember_num_elements(cond) == 1,
                 "IF condition must be a single bool");
    EMBER_CHECK(subgraph_arg(ctx, ember_opt_int(node, EMBER_BuiltinOptions_IfOptions,
                                                EMBER_IfOptions_then_subgraph_index, EMBER_IfOptions_then_subgraph_index_DEFAULT),
                             "then", &d->branch[1]));
    EMBER_CHECK(subgraph_arg(ctx, ember_opt_int(node, EMBER_BuiltinOptions_IfOptions,
                                                EMBER_IfOptions_else_subgraph_index, EMBER_IfOptions_else_subgraph_index_DEFAULT),
                             "else", &d->branch[0]));
    for (int b = 0; b < 2; b++) EMBER_CHECK(prepare_branch(ctx, node, d->branch[b]));
    for (int i = 0; i < node->n_outputs; i++) {
        ember_tensor *out = ember_output(ctx, node, i);
        const ember_tensor *t = ember_subgraph_output(d->branch[1], i);
        const ember_tensor *e = ember_subgraph_output(d->branch[0], i);
        EMBER_ENSURE(ctx, t->type == out->type && e->type == out->type,
                     "IF output %d is %s but the branches give %s and %s", i,
                     ember_type_name(out->type), ember_type_name(t->type), ember_type_name(e->type));
        if (ember_same_shape(t, e) && t->mem != EMBER_MEM_DYNAMIC && e->mem != EMBER_MEM_DYNAMIC)
            EMBER_CHECK(ember_tensor_resize(ctx, out, t->ndim, t->dims));
        else
            EMBER_CHECK(ember_tensor_set_dynamic(ctx, out));
    }
    return EMBER_OK;
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    if_data *d = node->data;
    const ember_tensor *cond = ember_input(ctx, node, 0);
    ember_context *sg = d->branch[((const uint8_t *)cond->data)[0] ? 1 : 0];
    for (int i = 1; i < node->n_inputs; i++)
        EMBER_CHECK(copy_tensor_data(ctx, ember_subgraph_input(sg, i - 1), ember_input(ctx, node, i)));
    EMBER_CHECK(ember_subgraph_invoke(sg));
    for (int i = 0; i < node->n_outputs; i++)
        EMBER_CHECK(copy_tensor_data(ctx, ember_output(ctx, node, i), ember_subgraph_output(sg, i)));
    return EMBER_OK;
}

const ember_kernel ember_kernel_IF = { "IF", init, NULL, prepare, eval };
