/* startup.c - vector table and reset handler of the mcuai Cortex-M harness.
 * Reset: copy .data from its load address, zero .bss, enable the FPU (and MVE on Armv8.1-M)
 * through CPACR, start SysTick on the core clock (reload CM_SYST_RELOAD, interrupt on wrap,
 * counted by cmcount.c), call main() and pass its return value to QEMU through semihosting. */
#include <stdint.h>

#include "cmrt.h"
#include "semihost.h"

#ifndef CM_SYST_RELOAD
#define CM_SYST_RELOAD 0x00FFFFFFu
#endif

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define SCB_CPACR REG32(0xE000ED88u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

/* Linker script symbols. __stack_top is declared as a function so that it can sit in the
   vector table of function pointers; it is only an address. */
extern void __stack_top(void);
extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[], __stack_limit__[];

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((naked, noreturn));
void cm_fault_report(const uint32_t *frame) __attribute__((noreturn, used));
void Default_Handler(void) __attribute__((noreturn));
void SysTick_Handler(void); /* cmcount.c */

__attribute__((section(".isr_vector"), used)) void (*const cm_vectors[16])(void) = {
    __stack_top,     /* initial main stack pointer */
    Reset_Handler,   /* 1 reset */
    Default_Handler, /* 2 NMI */
    Fault_Handler,   /* 3 HardFault */
    Fault_Handler,   /* 4 MemManage */
    Fault_Handler,   /* 5 BusFault */
    Fault_Handler,   /* 6 UsageFault */
    Fault_Handler,   /* 7 SecureFault (Armv8-M) */
    0,
    0,
    0,
    Default_Handler, /* 11 SVCall */
    Default_Handler, /* 12 DebugMonitor */
    0,
    Default_Handler, /* 14 PendSV */
    SysTick_Handler, /* 15 SysTick */
};

void Reset_Handler(void)
{
    uint32_t *src, *dst;
    /* FPU first: CP10/CP11 full access (also enables MVE on Cortex-M55) */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (src = __data_load__, dst = __data_start__; dst < __data_end__;) {
        *dst++ = *src++;
    }
    for (dst = __bss_start__; dst < __bss_end__;) {
        *dst++ = 0u;
    }
    SYST_CSR = 0u;
    SYST_RVR = CM_SYST_RELOAD;
    SYST_CVR = 0u;
    SYST_CSR = 7u; /* enable, interrupt on wrap, core clock */
    cm_sh_exit(main());
}

/* Pass the exception frame (r0-r3, r12, lr, pc, xpsr) of the faulting code, on the main or
   the process stack (EXC_RETURN bit 2), to cm_fault_report. */
void Fault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b cm_fault_report\n\t");
}

void cm_fault_report(const uint32_t *frame)
{
    cm_sh_puts("mcuai harness: fault, CFSR=");
    cm_sh_put_hex(SCB_CFSR);
    cm_sh_puts(" HFSR=");
    cm_sh_put_hex(SCB_HFSR);
    cm_sh_puts(" PC=");
    cm_sh_put_hex(frame[6]);
    cm_sh_puts(" LR=");
    cm_sh_put_hex(frame[5]);
    cm_sh_puts("\n");
    cm_sh_exit(CM_EXIT_FAULT);
}

void Default_Handler(void)
{
    cm_sh_puts("mcuai harness: unexpected exception\n");
    cm_sh_exit(CM_EXIT_FAULT);
}

#define CM_PAINT 0x5AA5C33Cu
static uint32_t *cm_paint_sp;

void cm_stack_paint(void)
{
    uint32_t *p, *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    cm_paint_sp = sp;
    /* leave 64 bytes below this (leaf) function's stack pointer alone */
    for (p = __stack_limit__; p < sp - 16; ++p) {
        *(volatile uint32_t *)p = CM_PAINT;
    }
}

uint32_t cm_stack_used(void)
{
    const uint32_t *p = __stack_limit__;
    while (p < cm_paint_sp - 16 && *(volatile const uint32_t *)p == CM_PAINT) {
        ++p;
    }
    return (uint32_t)((uintptr_t)cm_paint_sp - (uintptr_t)p);
}
