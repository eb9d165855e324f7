/* registry.h — looks up the kernel for an op (generated table in kernels/registry.c). */
#ifndef EMBER_REGISTRY_H
#define EMBER_REGISTRY_H
#include "ember_kernel.h"

const ember_kernel *ember_builtin_kernel(int32_t op);
const ember_kernel *ember_custom_kernel(const char *name);
int32_t ember_registry_builtin_count(void);
int32_t ember_registry_builtin_op(int32_t i);
int32_t ember_registry_custom_count(void);
const char *ember_registry_custom_name(int32_t i);
#endif
