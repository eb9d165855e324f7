/*
 * ember_platform_micro.c — platform.h for bare metal: the application's one
 * arena, carved by a two-ended bump allocator, and a small formatter for
 * error messages. Nothing here calls the C library's heap or stdio.
 *
 * Layout of the arena: descriptions, kernel state and planner temporaries
 * grow up from the bottom; activation arenas come down from the top. A block
 * is only given back when it is the most recent at its end (the load and
 * plan temporaries are freed in that order), so nothing fragments.
 */
#include <stdint.h>
#include <string.h>

#include "platform.h"

#ifdef EMBER_STRIP_ERROR_STRINGS
/* platform.h maps the core's formatting onto ember_pl_no_message; the real
 * formatter below is then unreferenced and the linker drops it. */
#undef ember_pl_snprintf
#undef ember_pl_vsnprintf
int ember_pl_no_message(char *buf, size_t n) {
    if (buf && n) buf[0] = 0;
    return 0;
}
#endif

/* The core compares short names only (custom ops); newlib's word-at-a-time
 * strcmp costs about 700 bytes of flash, this one a few dozen. */
int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

/* What ember_micro_error() says when no message was recorded (--strip-errors
 * builds keep only the status code). */
const char *ember_micro_status_text(int st) {
    switch (st) {
    case 0: return "";
    case 2: return "ember error 2: malformed model";
    case 3: return "ember error 3: unsupported";
    case 4: return "ember error 4: out of memory (arena too small)";
    case 5: return "ember error 5: bad argument";
    case 6: return "ember error 6: wrong state";
    default: return "ember error 1";
    }
}

typedef struct block { size_t size; size_t pad; } block;   /* 8-byte header keeps 8 alignment */

static uint8_t *g_base, *g_lo, *g_hi, *g_end;
static size_t g_peak;        /* most bytes ever in use (both ends) */

void ember_pl_init(void *mem, size_t bytes) {
    uintptr_t b = ((uintptr_t)mem + 15u) & ~(uintptr_t)15u;
    uintptr_t e = ((uintptr_t)mem + bytes) & ~(uintptr_t)15u;
    if (!mem || e < b) e = b;
    g_base = g_lo = (uint8_t *)b;
    g_hi = g_end = (uint8_t *)e;
    g_peak = 0;
}

size_t ember_pl_used_peak(void) { return g_peak; }
size_t ember_pl_capacity(void) { return (size_t)(g_end - g_base); }

static void note_peak(void) {
    size_t used = (size_t)(g_lo - g_base) + (size_t)(g_end - g_hi);
    if (used > g_peak) g_peak = used;
}

int ember_pl_aligned(void **out, size_t align, size_t n) {
    *out = NULL;
    if (!g_base || align < 8 || (align & (align - 1))) return 1;
    uintptr_t payload = ((uintptr_t)g_lo + sizeof(block) + align - 1) & ~(uintptr_t)(align - 1);
    if (n > (size_t)(g_hi - g_base) || payload > (uintptr_t)g_hi || n > (uintptr_t)g_hi - payload) return 1;
    block *h = (block *)(payload - sizeof(block));
    h->size = n;
    h->pad = (size_t)((uint8_t *)h - g_lo);
    g_lo = (uint8_t *)(payload + ((n + 7u) & ~(size_t)7u));
    if (g_lo > g_hi) g_lo = g_hi;
    note_peak();
    *out = (void *)payload;
    return 0;
}

void *ember_pl_malloc(size_t n) {
    void *p;
    return ember_pl_aligned(&p, 8, n ? n : 1) == 0 ? p : NULL;
}

void *ember_pl_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    size_t total = n * size;
    void *p = ember_pl_malloc(total);
    if (p) memset(p, 0, total ? total : 1);
    return p;
}

static int is_top(const void *p) {
    const block *h = (const block *)((const uint8_t *)p - sizeof(block));
    return (const uint8_t *)p + ((h->size + 7u) & ~(size_t)7u) == g_lo;
}

void ember_pl_free(void *p) {
    if (!p || !is_top(p)) return;     /* not the latest block: reclaimed with the arena */
    block *h = (block *)((uint8_t *)p - sizeof(block));
    g_lo = (uint8_t *)h - h->pad;
}

void *ember_pl_realloc(void *p, size_t n) {
    if (!p) return ember_pl_malloc(n);
    block *h = (block *)((uint8_t *)p - sizeof(block));
    if (is_top(p) && n <= (size_t)(g_hi - (uint8_t *)p)) {   /* grow in place */
        h->size = n;
        g_lo = (uint8_t *)p + ((n + 7u) & ~(size_t)7u);
        note_peak();
        return p;
    }
    void *q = ember_pl_malloc(n);
    if (q) memcpy(q, p, h->size < n ? h->size : n);
    return q;
}

void *ember_pl_permanent(size_t n) {
    if (!g_base) return NULL;
    uintptr_t p = ((uintptr_t)g_lo + EMBER_PL_PERMANENT_ALIGN - 1) & ~(uintptr_t)(EMBER_PL_PERMANENT_ALIGN - 1);
    if (n == 0) n = 1;
    if (p > (uintptr_t)g_hi || n > (uintptr_t)g_hi - p) return NULL;
    /* the block before it is no longer the latest, so it is never given back
     * (is_top fails): permanent blocks only follow permanent state */
    g_lo = (uint8_t *)(p + n);
    note_peak();
    memset((void *)p, 0, n);
    return (void *)p;
}

int ember_pl_arena_alloc(void **out, size_t align, size_t n) {
    *out = NULL;
    if (!g_base || n > (size_t)(g_hi - g_lo)) return 1;
    uintptr_t p = ((uintptr_t)g_hi - n) & ~(uintptr_t)(align - 1);
    if (p < (uintptr_t)g_lo) return 1;
    g_hi = (uint8_t *)p;
    note_peak();
    *out = (void *)p;
    return 0;
}

void ember_pl_arena_free(void *p) {
    (void)p;    /* arenas are planned once per ember_micro_init */
}

/* ---- formatting -------------------------------------------------------- */
/* Enough of printf for the core's error messages: %d %i %u %x %X %p %s %c %%
 * %f %g %e with flags '-', '0', width, precision and the h/l/ll/z/t lengths.
 * Floats print as fixed-point with up to 6 decimals (messages, not data). */

typedef struct out { char *buf; size_t cap, len; } out;

static void put(out *o, char c) {
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void put_padded(out *o, const char *s, size_t n, int width, int left, char pad) {
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (s[0] == '-')) { put(o, '-'); s++; n--; }
    if (!left) while (fill-- > 0) put(o, pad);
    for (size_t i = 0; i < n; i++) put(o, s[i]);
    if (left) while (fill-- > 0) put(o, ' ');
}

static size_t utoa_(char *tmp, unsigned long long v, unsigned base, int upper) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0;
    do { rev[n++] = digits[v % base]; v /= base; } while (v);
    for (size_t i = 0; i < n; i++) tmp[i] = rev[n - 1 - i];
    return n;
}

static size_t ftoa_(char *tmp, double v, int prec) {
    size_t n = 0;
    if (v != v) { memcpy(tmp, "nan", 3); return 3; }
    if (v < 0) { tmp[n++] = '-'; v = -v; }
    if (v > 1e18) { memcpy(tmp + n, "inf", 3); return n + 3; }   /* too big to matter here */
    if (prec < 0) prec = 6;
    if (prec > 9) prec = 9;
    double scale = 1.0;
    for (int i = 0; i < prec; i++) scale *= 10.0;
    unsigned long long whole = (unsigned long long)v;
    unsigned long long frac = (unsigned long long)((v - (double)whole) * scale + 0.5);
    if ((double)frac >= scale) { whole++; frac = 0; }
    n += utoa_(tmp + n, whole, 10, 0);
    if (prec) {
        tmp[n++] = '.';
        char f[24];
        size_t k = utoa_(f, frac, 10, 0);
        for (int i = (int)k; i < prec; i++) tmp[n++] = '0';
        memcpy(tmp + n, f, k);
        n += k;
    }
    return n;
}

int ember_pl_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
    out o = { buf, cap, 0 };
    char tmp[48];
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') { put(&o, *p); continue; }
        p++;
        int left = 0, width = 0, prec = -1, lng = 0;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-') left = 1;
            else if (*p == '0') pad = '0';
            else if (*p == '+' || *p == ' ' || *p == '#') continue;
            else break;
        }
        if (*p == '*') { width = va_arg(ap, int); p++; }
        else while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') { prec = va_arg(ap, int); p++; }
            else while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
        }
        for (;; p++) {
            if (*p == 'h') continue;
            if (*p == 'l') { lng++; continue; }
            if (*p == 'z' || *p == 't' || *p == 'j') { lng = sizeof(size_t) > 4 ? 2 : 0; if (*p == 'j') lng = 2; continue; }
            break;
        }
        size_t n = 0;
        switch (*p) {
        case 'd': case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            if (v < 0) tmp[n++] = '-';
            n += utoa_(tmp + n, u, 10, 0);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'u': case 'x': case 'X': {
            unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                                 : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            n = utoa_(tmp, v, *p == 'u' ? 10 : 16, *p == 'X');
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'p': {
            tmp[0] = '0'; tmp[1] = 'x';
            n = 2 + utoa_(tmp + 2, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16, 0);
            put_padded(&o, tmp, n, width, left, ' ');
            break;
        }
        case 'f': case 'F': case 'g': case 'G': case 'e': case 'E': {
            n = ftoa_(tmp, va_arg(ap, double), *p == 'f' || *p == 'F' ? prec : (prec < 0 ? 4 : prec));
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            size_t len = 0;
            while (s[len] && (prec < 0 || (int)len < prec)) len++;
            put_padded(&o, s, len, width, left, ' ');
            break;
        }
        case 'c': tmp[0] = (char)va_arg(ap, int); put_padded(&o, tmp, 1, width, left, ' '); break;
        case '%': put(&o, '%'); break;
        case 0: p--; break;
        default: put(&o, '%'); put(&o, *p); break;
        }
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
    return (int)o.len;
}

int ember_pl_snprintf(char *buf, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = ember_pl_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
