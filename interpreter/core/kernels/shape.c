/* shape.c — SHAPE: the input's dimensions as a 1-D int32 or int64 tensor
 * (ShapeOptions.out_type, default int32). The input may be of any type. */
#include "shape_common.h"

static ember_status prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1,
                 "SHAPE needs 1 input and 1 output");
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, x && y, "SHAPE: missing input or output");
    int64_t t = ember_opt_int(node, EMBER_BuiltinOptions_ShapeOptions,
                              EMBER_ShapeOptions_out_type, EMBER_TensorType_INT32);
    EMBER_ENSURE(ctx, t == EMBER_TensorType_INT32 || t == EMBER_TensorType_INT64,
                 "SHAPE: out_type must be int32 or int64");
    EMBER_ENSURE(ctx, y->type == t, "SHAPE: output is %s but out_type is %s",
                 ember_type_name(y->type), ember_type_name((int32_t)t));
    int32_t d = x->ndim;
    return ember_tensor_resize(ctx, y, 1, &d);
}

static ember_status eval(ember_context *ctx, ember_node *node) {
    const ember_tensor *x = ember_input(ctx, node, 0);
    ember_tensor *y = ember_output(ctx, node, 0);
    for (int i = 0; i < x->ndim; i++) {
        if (y->type == EMBER_TensorType_INT32) ((int32_t *)y->data)[i] = x->dims[i];
        else ((int64_t *)y->data)[i] = x->dims[i];
    }
    return EMBER_OK;
}

const ember_kernel ember_kernel_SHAPE = { "SHAPE", NULL, NULL, prepare, eval };
