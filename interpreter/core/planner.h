/*
 * planner.h — places buffers with known lifetimes into one arena.
 *
 * Greedy by size: the largest buffer goes first at the lowest offset that
 * no buffer with an overlapping lifetime occupies. Lifetimes are inclusive
 * node indices [first, last]. Runs in caller-given memory: no allocation.
 */
#ifndef EMBER_PLANNER_H
#define EMBER_PLANNER_H
#include <stddef.h>
#include <stdint.h>

/* Host kernels read activations with 64-byte vector loads; a Cortex-M's
 * widest access is 8 bytes, so a device build packs buffers to 16 (as
 * TFLite Micro does) instead of wasting up to 63 bytes a buffer. */
#ifdef EMBER_MICRO
#define EMBER_ARENA_ALIGN 16
#else
#define EMBER_ARENA_ALIGN 64
#endif

typedef struct ember_plan_buffer {
    size_t size;
    int32_t first, last;
    size_t offset;          /* result */
} ember_plan_buffer;

/* Plans n buffers; `order` is scratch for n int32s. Returns the arena size. */
size_t ember_plan(ember_plan_buffer *bufs, int32_t n, int32_t *order);

#endif
