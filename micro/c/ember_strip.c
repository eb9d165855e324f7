/*
 * ember_strip.c — the one real call behind the stripped ember_fail (see
 * ember_strip.h): the runtime still records that, and where, a node failed.
 */
#include "ember_kernel.h"

ember_status ember_fail_code(ember_context *ctx, ember_status code) {
    return (ember_fail)(ctx, code, "%s", "");
}
