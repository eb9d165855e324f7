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
#include "platform.h"

#ifdef EMBER_STRIP_ERROR_STRINGS
#undef ember_pl_snprintf      /* the example's own output keeps the real formatter */
#endif

uint64_t ember_board_ticks(void);
uint32_t ember_board_stack_used(void);

static uint8_t arena[EMBER_MICRO_ARENA_BYTES] __attribute__((aligned(16)));

#ifdef EMBER_SEMIHOSTING
#include "semihost.h"

void ember_board_exit(int code) {
    /* ADP_Stopped_ApplicationExit makes QEMU exit 0; anything else, 1 */
    sh_call(0x18, (const void *)(uintptr_t)(code == 0 ? 0x20026u : 0x20023u));
}

static void say(const char *what, const char *detail) {
    char line[300];
    ember_pl_snprintf(line, sizeof line, "ember: %s%s\n", what, detail);
    sh_puts(line);
}

static int load_input(int i) {
    char name[32];
    size_t n;
    uint8_t *dst = ember_micro_input(i, &n);
    ember_pl_snprintf(name, sizeof name, "input%d.bin", i);
    int h = sh_open(name, 1);
    if (h < 0) { memset(dst, 0, n); return 0; }   /* no file: zeros */
    int len = sh_flen(h);
    int left = (len == (int)n) ? sh_read(h, dst, n) : -1;
    sh_close(h);
    if (left != 0) {
        char msg[96];
        ember_pl_snprintf(msg, sizeof msg, "%s holds %d bytes, input %d takes %u", name, len, i, (unsigned)n);
        say("error: ", msg);
        return 1;
    }
    return 0;
}

static int save_output(int i) {
    char name[32];
    size_t n;
    const void *src = ember_micro_output(i, &n);
    ember_pl_snprintf(name, sizeof name, "output%d.bin", i);
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
    char stats[200];
    ember_pl_snprintf(stats, sizeof stats,
                      "arena_used=%u arena_planned=%u persistent=%u arena_given=%u stack_used=%u ticks=%llu",
                      (unsigned)ember_micro_arena_used(), (unsigned)ember_micro_arena_planned(),
                      (unsigned)ember_micro_persistent_bytes(), (unsigned)sizeof arena,
                      (unsigned)ember_board_stack_used(), (unsigned long long)(t1 - t0));
    say("stats ", stats);
    return 0;
}

#else   /* a real board: run forever on zeros; plug in your I/O */

void ember_board_exit(int code) { (void)code; }

volatile int ember_last_status;

int main(void) {
    ember_last_status = ember_micro_init(arena, sizeof arena);
    if (ember_last_status) for (;;) {}
    for (;;) {
        size_t n;
        void *in = ember_micro_input(0, &n);
        memset(in, 0, n);
        ember_last_status = ember_micro_invoke();
    }
}
#endif
