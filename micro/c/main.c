/*
 * main.c — example application: run the compiled-in model once.
 *
 * Emulated boards (EMBER_SEMIHOSTING): inputs come from input<i>.bin and
 * outputs go to output<i>.bin in QEMU's working directory; one line reports
 * the arena used, the stack high-water mark and the SysTick ticks of the
 * invoke. On a real board, replace the semihosting parts with your sensor
 * input and your use of the output.
 */
#include <stdint.h>
#include <string.h>

#include "ember_micro.h"


uint64_t ember_board_ticks(void);
uint32_t ember_board_stack_used(void);

static uint8_t arena[EMBER_MICRO_ARENA_BYTES] __attribute__((aligned(16)));

#ifdef EMBER_SEMIHOSTING
#include "semihost.h"

void ember_board_exit(int code) {
    /* ADP_Stopped_ApplicationExit makes QEMU exit 0; anything else, 1 */
    sh_call(0x18, (const void *)(uintptr_t)(code == 0 ? 0x20026u : 0x20023u));
}

/* A line of text built by hand: the example needs strings and unsigned
 * numbers only, and pulling in a general formatter would cost a kilobyte of
 * flash that a --strip-errors build has otherwise shed. */
typedef struct line { char buf[300]; size_t n; } line;

static void add(line *l, const char *s) {
    while (*s && l->n + 1 < sizeof l->buf) l->buf[l->n++] = *s++;
    l->buf[l->n] = 0;
}

static void add_u(line *l, unsigned long long v) {
    char rev[24];
    int k = 0;
    do { rev[k++] = (char)('0' + v % 10u); v /= 10u; } while (v);
    while (k && l->n + 1 < sizeof l->buf) l->buf[l->n++] = rev[--k];
    l->buf[l->n] = 0;
}

static void say(const char *what, const char *detail) {
    line l = {{0}, 0};
    add(&l, "ember: ");
    add(&l, what);
    add(&l, detail);
    add(&l, "\n");
    sh_puts(l.buf);
}

static void file_name(char *out, const char *stem, int i) {
    line l = {{0}, 0};
    add(&l, stem);
    add_u(&l, (unsigned)i);
    add(&l, ".bin");
    memcpy(out, l.buf, l.n + 1);
}

static int load_input(int i) {
    char name[32];
    size_t n;
    uint8_t *dst = ember_micro_input(i, &n);
    file_name(name, "input", i);
    int h = sh_open(name, 1);
    if (h < 0) { memset(dst, 0, n); return 0; }   /* no file: zeros */
    int len = sh_flen(h);
    int left = (len == (int)n) ? sh_read(h, dst, n) : -1;
    sh_close(h);
    if (left != 0) {
        line msg = {{0}, 0};
        add(&msg, name);
        add(&msg, " holds ");
        add_u(&msg, len < 0 ? 0u : (unsigned)len);
        add(&msg, " bytes, the input takes ");
        add_u(&msg, n);
        say("error: ", msg.buf);
        return 1;
    }
    return 0;
}

static int save_output(int i) {
    char name[32];
    size_t n;
    const void *src = ember_micro_output(i, &n);
    file_name(name, "output", i);
    int h = sh_open(name, 5);
    if (h < 0 || sh_write(h, src, n) != 0) { say("error: cannot write ", name); return 1; }
    sh_close(h);
    return 0;
}

int main(void) {
    if (ember_micro_init(arena, sizeof arena)) { say("error: init: ", ember_micro_error()); return 1; }
    for (int i = 0; i < ember_micro_num_inputs(); i++)
        if (load_input(i)) return 1;
    uint64_t t0 = ember_board_ticks();
    int st = ember_micro_invoke();
    uint64_t t1 = ember_board_ticks();
    if (st) { say("error: invoke: ", ember_micro_error()); return 1; }
    for (int i = 0; i < ember_micro_num_outputs(); i++)
        if (save_output(i)) return 1;
    line stats = {{0}, 0};
    add(&stats, "arena_used="); add_u(&stats, ember_micro_arena_used());
    add(&stats, " arena_planned="); add_u(&stats, ember_micro_arena_planned());
    add(&stats, " persistent="); add_u(&stats, ember_micro_persistent_bytes());
    add(&stats, " arena_given="); add_u(&stats, sizeof arena);
    add(&stats, " stack_used="); add_u(&stats, ember_board_stack_used());
    add(&stats, " ticks="); add_u(&stats, t1 - t0);
    say("stats ", stats.buf);
    return 0;
}

#else   /* a real board: run forever on zeros; plug in your I/O */

void ember_board_exit(int code) { (void)code; }

volatile int ember_last_status;

int main(void) {
    ember_last_status = ember_micro_init(arena, sizeof arena);
    if (ember_last_status) for (;;) {}
    for (;;) {
        /* inputs are set before every invoke: the last one reused their memory */
        size_t n;
        void *in = ember_micro_input(0, &n);
        memset(in, 0, n);
        ember_last_status = ember_micro_invoke();
    }
}
#endif
