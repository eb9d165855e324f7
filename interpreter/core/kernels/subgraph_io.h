/* subgraph_io.h — moving tensors in and out of called subgraphs (IF, WHILE). */
#ifndef EMBER_SUBGRAPH_IO_H
#define EMBER_SUBGRAPH_IO_H
#include <string.h>

#include "ember_kernel.h"

/* A subgraph index from an option: in range and not the caller itself
 * (deeper cycles are caught when the subgraphs are prepared). */
static inline ember_status subgraph_arg(ember_context *ctx, int64_t index, const char *what,
                                        ember_context **out) {
    *out = ember_subgraph(ctx, (int32_t)index);
    if (index < 0 || index > INT32_MAX || !*out)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s subgraph %lld does not exist (%d subgraphs)",
                          what, (long long)index, (int)ember_subgraph_count(ctx));
    if (*out == ctx)
        return ember_fail(ctx, EMBER_ERR_MODEL, "%s subgraph %lld is the calling subgraph "
                          "(recursive subgraphs)", what, (long long)index);
    return EMBER_OK;
}

/* Gives the subgraph's input i the type and shape of `src`. Returns 1 in
 * *changed when the shape differs from before (the subgraph then needs
 * preparing again). */
static inline ember_status subgraph_shape_input(ember_context *ctx, ember_context *sg, int i,
                                                const ember_tensor *src, int *changed) {
    ember_tensor *dst = ember_subgraph_input(sg, i);
    if (!dst) return ember_fail(ctx, EMBER_ERR_MODEL, "called subgraph has no input %d", i);
    if (dst->type != src->type)
        return ember_fail(ctx, EMBER_ERR_MODEL, "subgraph input %d is %s but gets %s", i,
                          ember_type_name(dst->type), ember_type_name(src->type));
    if (!ember_same_shape(dst, src)) {
        *changed = 1;
        return ember_tensor_resize(sg, dst, src->ndim, src->dims);
    }
    return EMBER_OK;
}

static inline ember_status copy_tensor_data(ember_context *ctx, ember_tensor *dst,
                                            const ember_tensor *src) {
    if (dst->mem == EMBER_MEM_DYNAMIC && !ember_same_shape(dst, src))
        EMBER_CHECK(ember_tensor_resize(ctx, dst, src->ndim, src->dims));
    if (dst->bytes != src->bytes || dst->type != src->type)
        return ember_fail(ctx, EMBER_ERR_MODEL, "tensor '%s' (%zu bytes) cannot take '%s' (%zu bytes)",
                          dst->name, dst->bytes, src->name, src->bytes);
    if (dst->data != src->data && src->bytes) memcpy(dst->data, src->data, src->bytes);
    return EMBER_OK;
}

#endif
