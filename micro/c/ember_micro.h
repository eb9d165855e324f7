/*
 * ember_micro.h — run the model compiled into this firmware.
 *
 *     static uint8_t arena[EMBER_MICRO_ARENA_BYTES] __attribute__((aligned(16)));
 *     if (ember_micro_init(arena, sizeof arena)) fail(ember_micro_error());
 *     ember_micro_set_input(0, x, sizeof x);           // or write ember_micro_input(0, &n)
 *     if (ember_micro_invoke()) fail(ember_micro_error());
 *     const int8_t *y = ember_micro_output(0, &n);
 *
 * One model per firmware (its flatbuffer, or its AOT tables, are compiled in);
 * all memory comes from the arena handed to ember_micro_init: no malloc, no
 * stdio, no threads. EMBER_MICRO_ARENA_BYTES (ember_micro_config.h) is the
 * size `ember micro build` computed for this model.
 *
 * Set every input again before every invoke: the planner reuses an input's
 * memory for later activations once its last reader has run (as TFLite Micro
 * does), so after an invoke the input buffers hold scratch, not your data.
 */
#ifndef EMBER_MICRO_API_H
#define EMBER_MICRO_API_H

#include <stddef.h>
#include <stdint.h>

#include "ember_micro_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0 on success; otherwise an ember_status code (see ember_micro_error()). */
int ember_micro_init(void *arena, size_t arena_bytes);
int ember_micro_num_inputs(void);
int ember_micro_num_outputs(void);
/* The input's memory (write it in place, before each invoke) and its size in
 * bytes; NULL if i is out of range. */
void *ember_micro_input(int i, size_t *bytes);
int ember_micro_set_input(int i, const void *data, size_t bytes);
int ember_micro_invoke(void);
const void *ember_micro_output(int i, size_t *bytes);
/* The last error, "" when none. */
const char *ember_micro_error(void);
/* Peak bytes of the application's arena in use (exact, measured here). */
size_t ember_micro_arena_used(void);
/* The planner's activation arena (part of the above). */
size_t ember_micro_arena_planned(void);
/* Kernel state that lives as long as the model (part of the above). */
size_t ember_micro_persistent_bytes(void);

#ifdef __cplusplus
}
#endif
#endif
