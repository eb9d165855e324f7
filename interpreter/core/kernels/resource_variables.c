/* VAR_HANDLE, ASSIGN_VARIABLE, READ_VARIABLE: resource variables shared by
 * all subgraphs of an interpreter (TF2 models with state, CALL_ONCE init). */
#include <string.h>

#include "ember_kernel.h"

/* Variables are named by (container, shared_name); the resource id is a hash
 * of both, and the resource remembers the shared_name so a collision is
 * reported rather than silently aliasing two variables. */
static int32_t resource_id(const char *container, const char *shared_name) {
    uint32_t h = 2166136261u;
    for (const char *s = container ? container : ""; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    h = (h ^ '/') * 16777619u;
    for (const char *s = shared_name ? shared_name : ""; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return (int32_t)(h & 0x7fffffffu);
}

static ember_status var_handle_prepare(ember_context *ctx, ember_node *node) {
    ember_tensor *out = ember_output(ctx, node, 0);
    EMBER_ENSURE(ctx, out && node->n_outputs == 1, "VAR_HANDLE needs one output");
    EMBER_ENSURE(ctx, out->type == EMBER_TensorType_RESOURCE || out->type == EMBER_TensorType_INT32,
                 "VAR_HANDLE output must be a resource tensor, not %s", ember_type_name(out->type));
    const char *container = ember_opt_string(node, EMBER_BuiltinOptions_VarHandleOptions,
                                             EMBER_VarHandleOptions_container);
    const char *name = ember_opt_string(node, EMBER_BuiltinOptions_VarHandleOptions,
                                        EMBER_VarHandleOptions_shared_name);
    ember_tensor *r = ember_resource(ctx, resource_id(container, name), 1);
    if (!r) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for a resource variable");
    const char *key = name ? name : "";
    if (strcmp(r->name, "resource") == 0) r->name = key;
    else EMBER_ENSURE(ctx, strcmp(r->name, key) == 0,
                      "resource variables '%s' and '%s' collide", r->name, key);
    int32_t one = 1;
    return ember_tensor_resize(ctx, out, out->ndim ? 1 : 0, &one);
}

static ember_status var_handle_eval(ember_context *ctx, ember_node *node) {
    const char *container = ember_opt_string(node, EMBER_BuiltinOptions_VarHandleOptions,
                                             EMBER_VarHandleOptions_container);
    const char *name = ember_opt_string(node, EMBER_BuiltinOptions_VarHandleOptions,
                                        EMBER_VarHandleOptions_shared_name);
    int32_t id = resource_id(container, name);
    memcpy(ember_output(ctx, node, 0)->data, &id, sizeof id);
    return EMBER_OK;
}

static ember_status handle_of(ember_context *ctx, const ember_tensor *h, int32_t *id) {
    EMBER_ENSURE(ctx, h && (h->type == EMBER_TensorType_RESOURCE || h->type == EMBER_TensorType_INT32) &&
                      h->bytes >= 4 && h->data,
                 "expected a resource handle from VAR_HANDLE");
    memcpy(id, h->data, sizeof *id);
    return EMBER_OK;
}

static ember_status assign_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 2 && ember_input(ctx, node, 0) && ember_input(ctx, node, 1),
                 "ASSIGN_VARIABLE needs a handle and a value");
    const ember_tensor *v = ember_input(ctx, node, 1);
    EMBER_ENSURE(ctx, ember_type_size(v->type) > 0, "cannot store a %s in a variable",
                 ember_type_name(v->type));
    return EMBER_OK;
}

static ember_status assign_eval(ember_context *ctx, ember_node *node) {
    int32_t id;
    EMBER_CHECK(handle_of(ctx, ember_input(ctx, node, 0), &id));
    const ember_tensor *v = ember_input(ctx, node, 1);
    ember_tensor *r = ember_resource(ctx, id, 1);
    if (!r) return ember_fail(ctx, EMBER_ERR_NOMEM, "out of memory for a resource variable");
    if (r->type >= 0 && r->type != v->type)
        return ember_fail(ctx, EMBER_ERR_MODEL, "variable '%s' holds %s, cannot assign %s", r->name,
                          ember_type_name(r->type), ember_type_name(v->type));
    r->type = v->type;
    EMBER_CHECK(ember_tensor_resize(ctx, r, v->ndim, v->dims));
    if (v->bytes) memcpy(r->data, v->data, v->bytes);
    return EMBER_OK;
}

static ember_status read_prepare(ember_context *ctx, ember_node *node) {
    EMBER_ENSURE(ctx, node->n_inputs == 1 && node->n_outputs == 1 && ember_input(ctx, node, 0),
                 "READ_VARIABLE needs a handle and one output");
    return ember_tensor_set_dynamic(ctx, ember_output(ctx, node, 0));
}

static ember_status read_eval(ember_context *ctx, ember_node *node) {
    int32_t id;
    EMBER_CHECK(handle_of(ctx, ember_input(ctx, node, 0), &id));
    ember_tensor *r = ember_resource(ctx, id, 0);
    if (!r || r->type < 0)
        return ember_fail(ctx, EMBER_ERR_STATE, "variable read before it was assigned");
    ember_tensor *out = ember_output(ctx, node, 0);
    if (out->type != r->type)
        return ember_fail(ctx, EMBER_ERR_MODEL, "variable '%s' holds %s but the output is %s", r->name,
                          ember_type_name(r->type), ember_type_name(out->type));
    EMBER_CHECK(ember_tensor_resize(ctx, out, r->ndim, r->dims));
    if (r->bytes) memcpy(out->data, r->data, r->bytes);
    return EMBER_OK;
}

const ember_kernel ember_kernel_VAR_HANDLE = { "VAR_HANDLE", NULL, NULL, var_handle_prepare, var_handle_eval };
const ember_kernel ember_kernel_ASSIGN_VARIABLE = { "ASSIGN_VARIABLE", NULL, NULL, assign_prepare, assign_eval };
const ember_kernel ember_kernel_READ_VARIABLE = { "READ_VARIABLE", NULL, NULL, read_prepare, read_eval };
