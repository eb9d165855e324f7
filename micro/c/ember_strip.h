/*
 * ember_strip.h — force-included (-include) into every file of a
 * `ember micro build --strip-errors` project, after the kernel contract.
 *
 * ember_fail(ctx, code, fmt, ...) keeps its status code but loses its
 * message: the format string and everything computed only for it (type
 * names, shapes) never reach flash. Definitions of ember_fail write the name
 * in parentheses, `(ember_fail)(...)`, which this function-like macro leaves
 * alone. Like TFLite Micro's TF_LITE_STRIP_ERROR_STRINGS.
 */
#ifndef EMBER_STRIP_H
#define EMBER_STRIP_H

#include "ember_kernel.h"

ember_status ember_fail_code(ember_context *ctx, ember_status code);
#define ember_fail(ctx, code, ...) ember_fail_code((ctx), (code))

#endif
