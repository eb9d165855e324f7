/*
 * startup.c — the smallest Cortex-M start: vector table, .data copy, .bss
 * clear, FPU on for hard-float builds, a SysTick counter, then main().
 * The stack is painted so the example can measure how deep it went.
 */
#include <stdint.h>

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];
int main(void);
void ember_board_exit(int code);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define STACK_PAINT 0xA5A5A5A5u

static volatile uint32_t g_systick_wraps;

void SysTick_Handler(void) { g_systick_wraps++; }

/* SysTick ticks since start (processor clock, 24-bit counter + wraps). */
uint64_t ember_board_ticks(void) {
    uint32_t w, v;
    do {
        w = g_systick_wraps;
        v = SYST_CVR;
    } while (w != g_systick_wraps);
    return (uint64_t)w * 0x1000000u + (0xFFFFFFu - v);
}

/* Deepest stack use so far, from the painted region. */
uint32_t ember_board_stack_used(void) {
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT) p++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

__attribute__((noreturn)) void Reset_Handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= 0xFu << 20;        /* CP10/CP11 full access: FPU (and MVE) */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
    {   /* paint the stack below the current frame */
        uint32_t *sp;
        __asm__ volatile("mov %0, sp" : "=r"(sp));
        for (uint32_t *p = __stack_limit; p < sp - 16; p++) *p = STACK_PAINT;
    }
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u;                  /* enable, interrupt, processor clock */
    ember_board_exit(main());
    for (;;) {}
}

__attribute__((noreturn)) static void fault(void) {
    ember_board_exit(99);
    for (;;) {}
}
void NMI_Handler(void) { fault(); }
void HardFault_Handler(void) { fault(); }
void Default_Handler(void) { fault(); }

__attribute__((section(".vectors"), used)) void (*const ember_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top, Reset_Handler, NMI_Handler, HardFault_Handler,
    Default_Handler, Default_Handler, Default_Handler, 0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, SysTick_Handler,
};
