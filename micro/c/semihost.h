/*
 * semihost.h — Arm semihosting (bkpt 0xAB): files and console on the host
 * of a debugger or QEMU (-semihosting-config enable=on). Only for boards
 * run under one: on a free-running board bkpt stops the core.
 */
#ifndef EMBER_SEMIHOST_H
#define EMBER_SEMIHOST_H
#include <stddef.h>
#include <stdint.h>

static inline int sh_call(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static inline size_t sh_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

/* mode: 1 = "rb", 5 = "wb". Returns a handle, or -1. */
static inline int sh_open(const char *path, int mode) {
    uint32_t a[3] = { (uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)sh_strlen(path) };
    return sh_call(0x01, a);
}
static inline int sh_close(int h) { uint32_t a[1] = { (uint32_t)h }; return sh_call(0x02, a); }
/* Both return the number of bytes NOT transferred (0 = all). */
static inline int sh_write(int h, const void *buf, size_t n) {
    uint32_t a[3] = { (uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n };
    return sh_call(0x05, a);
}
static inline int sh_read(int h, void *buf, size_t n) {
    uint32_t a[3] = { (uint32_t)h, (uint32_t)(uintptr_t)buf, (uint32_t)n };
    return sh_call(0x06, a);
}
static inline int sh_flen(int h) { uint32_t a[1] = { (uint32_t)h }; return sh_call(0x0C, a); }
static inline void sh_puts(const char *s) { sh_call(0x04, s); }
#endif
