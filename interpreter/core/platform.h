/*
 * platform.h — the core's only door to the C library's heap and text formatting.
 *
 * Host builds map these names straight onto libc. Microcontroller builds
 * (EMBER_MICRO) get them from the application's platform file instead
 * (micro/c/ember_platform_micro.c): one arena handed in by the application,
 * carved by a bump allocator, and a small formatter for error messages, so a
 * firmware links neither malloc nor stdio. Only runtime.c, model.c and fb.c
 * include this; kernels must not allocate or print at all (ember_kernel.h).
 */
#ifndef EMBER_PLATFORM_H
#define EMBER_PLATFORM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef EMBER_MICRO

void *ember_pl_malloc(size_t n);
void *ember_pl_calloc(size_t n, size_t size);
void *ember_pl_realloc(void *p, size_t n);
/* Memory is only reclaimed when it is the most recent block (the arena is a
 * stack): the load/plan temporaries are freed in that order. */
void ember_pl_free(void *p);
/* Like posix_memalign: 0 on success. */
int ember_pl_aligned(void **out, size_t align, size_t n);
/* Memory kept until the arena is reclaimed as a whole (kernels' persistent
 * state): no block header, aligned to EMBER_PL_PERMANENT_ALIGN. NULL when full. */
void *ember_pl_permanent(size_t n);
#if UINTPTR_MAX > 0xffffffffu
#define EMBER_PL_PERMANENT_ALIGN 16   /* the 64-bit host probe: its vector paths */
#else
#define EMBER_PL_PERMANENT_ALIGN 8    /* a 32-bit core's widest access */
#endif
/* The activation arena: taken from the far end of the application's memory,
 * so the planner's temporaries below it can still be given back. */
int ember_pl_arena_alloc(void **out, size_t align, size_t n);
void ember_pl_arena_free(void *p);
int ember_pl_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ember_pl_snprintf(char *buf, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef EMBER_STRIP_ERROR_STRINGS
/* Release builds (`ember micro build --strip-errors`, like TFLite Micro's
 * TF_LITE_STRIP_ERROR_STRINGS): messages are never formatted, so their format
 * strings and arguments drop out of flash; every call still returns its
 * ember_status code, and ember_micro_error() names the code. */
int ember_pl_no_message(char *buf, size_t n);
#define ember_pl_snprintf(buf, n, ...) ember_pl_no_message((buf), (n))
#define ember_pl_vsnprintf(buf, n, fmt, ap) ember_pl_no_message((buf), (n))
#endif

#else   /* host: the C library */

#include <stdio.h>
#include <stdlib.h>

#define ember_pl_malloc malloc
#define ember_pl_calloc calloc
#define ember_pl_realloc realloc
#define ember_pl_free free
#define ember_pl_vsnprintf vsnprintf
#define ember_pl_snprintf snprintf
static inline int ember_pl_aligned(void **out, size_t align, size_t n) {
    return posix_memalign(out, align, n);
}
static inline int ember_pl_arena_alloc(void **out, size_t align, size_t n) {
    return posix_memalign(out, align, n);
}
static inline void ember_pl_arena_free(void *p) { free(p); }

#endif
#endif
