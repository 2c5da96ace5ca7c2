/* cmcount.c - deterministic instruction counter for QEMU -icount shift=0 (1 insn = 1 ns).
 *
 * SysTick runs on the core clock, so one tick is P = 1e9 / f_core instructions (40 on
 * an386/an500, 50 on an505, 31.25 on an547): reading SYST_CVR alone resolves P instructions.
 * cm_mark() reaches 1-instruction resolution with a vernier:
 *   M   read CVR (v): the instant being measured;
 *       poll CVR in a 4-instruction loop until it changes (i iterations, new value c): a tick
 *       edge E1 lies in the last 4 instructions;
 *       wait CM_FINE_DELAY (= floor(P) - 10) nops so that the following 9 back-to-back reads
 *       of CVR (s0..s8, one instruction apart; under -icount every MMIO read ends a
 *       translation block and sees the exact virtual time) straddle the next edge E2;
 *       append v, i, c, s0..s8, the SysTick wrap count and ICSR to the record buffer;
 *   Z   write CVR: the counter restarts from 0 at this exact instruction, so the tick edges
 *       after Z fall at fixed offsets floor(n * P) from Z (exact while (RVR + 1) * P is an
 *       integer: QEMU truncates the fraction at each reload).
 * The host (mcuai.targets.cortexm.counting) finds the index n of E2 after the previous Z
 * from its value and the wraps, its offset from M from the first sample that differs from c,
 * and gets M - Z_prev = floor(n * P) - (E2 - M). The instructions from Z to the next M other
 * than the caller's are constant and removed by calibration with empty regions.
 * Interrupts are masked inside cm_mark; a SysTick wrap in a region costs the 6 instructions
 * of SysTick_Handler, which the host subtracts.
 *
 * cm_mark preserves every register but lr and the flags: call it with CM_MARK() so that the
 * compiler does not spill registers around it.
 */
#include <stdint.h>

#include "cmrt.h"

#ifndef CM_FINE_DELAY
#error "CM_FINE_DELAY (board specific) must be defined"
#endif
#define CM_STR2(x) #x
#define CM_STR(x) CM_STR2(x)

volatile uint32_t cm_wraps;
uint32_t *cm_rec_ptr;
uint32_t *cm_rec_end;

void SysTick_Handler(void) __attribute__((naked));
void SysTick_Handler(void)
{
    /* exactly 6 instructions (WRAP_COST on the host) */
    __asm__ volatile(
        "movw r0, #:lower16:cm_wraps\n\t"
        "movt r0, #:upper16:cm_wraps\n\t"
        "ldr r1, [r0]\n\t"
        "adds r1, r1, #1\n\t"
        "str r1, [r0]\n\t"
        "bx lr\n\t");
}

void cm_mark(void) __attribute__((naked, noinline, used));
void cm_mark(void)
{
    __asm__ volatile(
        "cpsid i\n\t"
        "push {r0-r12, lr}\n\t"
        "movw r12, #0xE018\n\t"
        "movt r12, #0xE000\n\t"
        "ldr r1, [r12]\n\t" /* M */
        "movs r2, #0\n"
        "1:\n\t"
        "ldr r3, [r12]\n\t"
        "adds r2, r2, #1\n\t"
        "cmp r3, r1\n\t"
        "beq 1b\n\t"
        ".rept " CM_STR(CM_FINE_DELAY) "\n\t"
        "nop\n\t"
        ".endr\n\t"
        "ldr r4, [r12]\n\t"
        "ldr r5, [r12]\n\t"
        "ldr r6, [r12]\n\t"
        "ldr r7, [r12]\n\t"
        "ldr r8, [r12]\n\t"
        "ldr r9, [r12]\n\t"
        "ldr r10, [r12]\n\t"
        "ldr r11, [r12]\n\t"
        "ldr lr, [r12]\n\t"
        /* append the record if there is room */
        "movw r0, #:lower16:cm_rec_ptr\n\t"
        "movt r0, #:upper16:cm_rec_ptr\n\t"
        "ldr r0, [r0]\n\t"
        "add r0, r0, #" CM_STR(CM_MARK_BYTES) "\n\t"
        "movw r12, #:lower16:cm_rec_end\n\t"
        "movt r12, #:upper16:cm_rec_end\n\t"
        "ldr r12, [r12]\n\t"
        "cmp r0, r12\n\t"
        "bhi 2f\n\t"
        "sub r0, r0, #" CM_STR(CM_MARK_BYTES) "\n\t"
        "stmia r0!, {r1-r11, lr}\n\t"
        "movw r3, #:lower16:cm_wraps\n\t"
        "movt r3, #:upper16:cm_wraps\n\t"
        "ldr r1, [r3]\n\t"
        "movw r2, #0xED04\n\t"
        "movt r2, #0xE000\n\t"
        "ldr r4, [r2]\n\t"
        "stmia r0!, {r1, r4}\n\t"
        "movw r1, #:lower16:cm_rec_ptr\n\t"
        "movt r1, #:upper16:cm_rec_ptr\n\t"
        "str r0, [r1]\n"
        "2:\n\t"
        "movw r12, #0xE018\n\t"
        "movt r12, #0xE000\n\t"
        "movw r3, #:lower16:cm_wraps\n\t"
        "movt r3, #:upper16:cm_wraps\n\t"
        "movw r2, #0xED04\n\t"
        "movt r2, #0xE000\n\t"
        "movs r1, #0\n\t"
        "mov r4, #0x02000000\n\t" /* ICSR.PENDSTCLR */
        "str r1, [r12]\n\t"       /* Z: restart SysTick */
        "str r1, [r3]\n\t"
        "str r4, [r2]\n\t"
        "pop {r0-r12, lr}\n\t"
        "cpsie i\n\t"
        "bx lr\n\t");
}
