/*
 * mcu_dsp_mm - column builder and 2-row dot products of the DSP-extension paths of
 * mcu_conv2d_s8, mcu_conv2d_1x1_s8 and mcu_fc_s8 (layout, exactness and overflow: see
 * mcu_dsp_mm.h). Empty on cores without the DSP extension and with -DMCU_PORTABLE.
 */
#include "mcu_dsp_mm.h"

#if defined(MCU_DSP_MM)
#include <arm_acle.h>

/* Bytes 1 and 3 sign-extended to 16-bit halves (SXTB16 with ROR #8: one instruction). */
MCU_INLINE int32_t mcu_mm_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* Bytes 1 and 3 sign-extended and added to the halves of a (SXTAB16 with ROR #8). */
MCU_INLINE int32_t mcu_mm_sxtab16_ror8(int32_t a, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

MCU_INLINE int32_t mcu_mm_pack(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

void mcu_mm_col_init(mcu_mm_col *col, int32_t *cols, int32_t ncols, int32_t c)
{
    col->word = cols + 2 * c;
    col->stride = 2 * ncols;
    col->n = 0;
    col->v[0] = col->v[1] = col->v[2] = 0;
}

/* Push n values x[i] + offset (zeros when x is NULL), 4 at a time into 2 words. */
static void mcu_mm_col_scalar(mcu_mm_col *col, const int8_t *x, int32_t n, int32_t offset)
{
    int32_t *word = col->word;
    const int32_t stride = col->stride;
    int32_t cnt = col->n, i;
    int32_t v0 = col->v[0], v1 = col->v[1], v2 = col->v[2];
    for (i = 0; i < n; ++i) {
        const int32_t v = x != NULL ? (int32_t)x[i] + offset : 0;
        switch (cnt) {
        case 0:
            v0 = v;
            break;
        case 1:
            v1 = v;
            break;
        case 2:
            v2 = v;
            break;
        default:
            word[0] = mcu_mm_pack(v0, v2);
            word[1] = mcu_mm_pack(v1, v);
            word += stride;
            cnt = -1;
            break;
        }
        ++cnt;
    }
    col->word = word;
    col->n = cnt;
    col->v[0] = v0;
    col->v[1] = v1;
    col->v[2] = v2;
}

void mcu_mm_col_push(mcu_mm_col *col, const int8_t *x, int32_t n, int32_t offset)
{
    int32_t i;
    if (col->n == 0 && (n & 3) == 0) {
        const int32_t off2 = mcu_mm_pack(offset, offset);
        int32_t *word = col->word;
        const int32_t stride = col->stride;
        for (i = n >> 2; i > 0; --i) {
            const uint32_t v = mcu_mm_ld4(x);
            x += 4;
            word[0] = __sxtab16(off2, (int32_t)v);
            word[1] = mcu_mm_sxtab16_ror8(off2, v);
            word += stride;
        }
        col->word = word;
        return;
    }
    mcu_mm_col_scalar(col, x, n, offset);
}

void mcu_mm_col_zeros(mcu_mm_col *col, int32_t n)
{
    int32_t i;
    if (col->n == 0 && (n & 3) == 0) {
        for (i = n >> 2; i > 0; --i) {
            col->word[0] = 0;
            col->word[1] = 0;
            col->word += col->stride;
        }
        return;
    }
    mcu_mm_col_scalar(col, NULL, n, 0);
}

void mcu_mm_col_end(mcu_mm_col *col, int32_t *cols, int32_t ncols, int32_t c, int32_t k)
{
    int32_t *tail = cols + (k >> 2) * 2 * ncols + c;
    int32_t j;
    for (j = 0; j < col->n; ++j) {
        tail[j * ncols] = col->v[j];
    }
}

void mcu_mm_cols2(int32_t *cols, const int8_t *x0, const int8_t *x1, int32_t k)
{
    int32_t g, j;
    for (g = k >> 2; g > 0; --g) {
        const uint32_t a = mcu_mm_ld4(x0), b = mcu_mm_ld4(x1);
        x0 += 4;
        x1 += 4;
        cols[0] = __sxtb16((int32_t)a);
        cols[1] = mcu_mm_sxtb16_ror8(a);
        cols[2] = __sxtb16((int32_t)b);
        cols[3] = mcu_mm_sxtb16_ror8(b);
        cols += 4;
    }
    for (j = 0; j < (k & 3); ++j) {
        cols[2 * j] = x0[j];
        cols[2 * j + 1] = x1[j];
    }
}

/* One group of the 2x2 block: r4..r7 += (w0, w1 words) x (c0a c0b c1a c1b in r8..r11). */
#define MCU_MM_K22_GROUP                                                                      \
    "    ldm     r3!, {r8-r11}\n"                                                             \
    "    ldr     r12, [r1], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r4, r0, r8, r4\n"                                                            \
    "    smlad   r4, r12, r9, r4\n"                                                           \
    "    smlad   r6, r0, r10, r6\n"                                                           \
    "    smlad   r6, r12, r11, r6\n"                                                          \
    "    ldr     r12, [r2], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r5, r0, r8, r5\n"                                                            \
    "    smlad   r5, r12, r9, r5\n"                                                           \
    "    smlad   r7, r0, r10, r7\n"                                                           \
    "    smlad   r7, r12, r11, r7\n"

/* One group of the 2x1 block: r4, r5 += (w0, w1 words) x (ca cb in r8, r9). */
#define MCU_MM_K21_GROUP                                                                      \
    "    ldm     r3!, {r8, r9}\n"                                                             \
    "    ldr     r12, [r1], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r4, r0, r8, r4\n"                                                            \
    "    smlad   r4, r12, r9, r4\n"                                                           \
    "    ldr     r12, [r2], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r5, r0, r8, r5\n"                                                            \
    "    smlad   r5, r12, r9, r5\n"

/* File-scope assembly (a whole function, so the register allocation is ours whatever the
 * C flags, e.g. -fno-omit-frame-pointer): AAPCS, r0 = acc, r1 = w0, r2 = w1, r3 = cols;
 * the group count is read from acc, r0 is saved on the stack and reused as a temporary. */
#define MCU_MM_KERN(name, ngroups_off, nacc_regs, group)                                     \
    __asm__("    .pushsection .text." #name ",\"ax\",%progbits\n"                         \
            "    .syntax unified\n"                                                       \
            "    .thumb\n"                                                                 \
            "    .balign 4\n"                                                             \
            "    .global " #name "\n"                                                     \
            "    .type " #name ", %function\n"                                            \
            "    .thumb_func\n"                                                           \
            #name ":\n"                                                                   \
            "    push    {r0, r4-r11, lr}\n"                                               \
            "    ldr     lr, [r0, #" #ngroups_off "]\n"                                   \
            "    ldm     r0, {" nacc_regs "}\n"                                           \
            "    tst     lr, #1\n"                                                         \
            "    beq     1f\n"                                                             \
            group                                                                          \
            "1:  lsrs    lr, lr, #1\n"                                                     \
            "    beq     3f\n"                                                             \
            "2:\n"                                                                        \
            group group                                                                    \
            "    subs    lr, lr, #1\n"                                                     \
            "    bne     2b\n"                                                             \
            "3:  pop     {r0}\n"                                                           \
            "    stm     r0, {" nacc_regs "}\n"                                           \
            "    pop     {r4-r11, pc}\n"                                                   \
            "    .size " #name ", . - " #name "\n"                                        \
            "    .popsection\n")

MCU_MM_KERN(mcu_mm_kern22, 16, "r4-r7", MCU_MM_K22_GROUP);

/* One group of the 4x1 block: r4..r7 += (words of w0..w3 at r1, r10, r11, r2) x (ca cb). */
#define MCU_MM_K41_ROW(acc, wp)                                                                \
    "    ldr     r12, [" wp "], #4\n"                                                       \
    "    sxtb16  r0, r12\n"                                                                 \
    "    sxtb16  r12, r12, ror #8\n"                                                        \
    "    smlad   " acc ", r0, r8, " acc "\n"                                                \
    "    smlad   " acc ", r12, r9, " acc "\n"
#define MCU_MM_K41_GROUP                                                                      \
    "    ldm     r3!, {r8, r9}\n"                                                           \
    MCU_MM_K41_ROW("r4", "r1") MCU_MM_K41_ROW("r5", "r10") MCU_MM_K41_ROW("r6", "r11")        \
    MCU_MM_K41_ROW("r7", "r2")

/* mcu_mm_kern41(acc, w0, k, cols): acc[0..3] += rows w0 + i*k (i < 4) times the column of a
 * 1-column buffer, over acc[4] groups (r0 = acc, r1 = w0, r2 = k, r3 = cols). */
__asm__("    .pushsection .text.mcu_mm_kern41,\"ax\",%progbits\n"
        "    .syntax unified\n"
        "    .thumb\n"
        "    .balign 4\n"
        "    .global mcu_mm_kern41\n"
        "    .type mcu_mm_kern41, %function\n"
        "    .thumb_func\n"
        "mcu_mm_kern41:\n"
        "    push    {r0, r4-r11, lr}\n"
        "    ldr     lr, [r0, #16]\n"
        "    ldm     r0, {r4-r7}\n"
        "    add     r10, r1, r2\n"
        "    add     r11, r10, r2\n"
        "    add     r2, r11, r2\n"
        "    tst     lr, #1\n"
        "    beq     1f\n"
        MCU_MM_K41_GROUP
        "1:  lsrs    lr, lr, #1\n"
        "    beq     3f\n"
        "2:\n"
        MCU_MM_K41_GROUP MCU_MM_K41_GROUP
        "    subs    lr, lr, #1\n"
        "    bne     2b\n"
        "3:  pop     {r0}\n"
        "    stm     r0, {r4-r7}\n"
        "    pop     {r4-r11, pc}\n"
        "    .size mcu_mm_kern41, . - mcu_mm_kern41\n"
        "    .popsection\n");

MCU_MM_KERN(mcu_mm_kern21, 8, "r4, r5", MCU_MM_K21_GROUP);

/* The x variants read 4 raw int8 inputs per group instead of 2 column words: SXTB16 and
 * SXTB16 ROR #8 split the input word into the (0, 2) / (1, 3) pairs exactly as they split the
 * weight words, so the products are those of a column built from x (2 more instructions per
 * group, no buffer; kern41x runs 4 groups per loop iteration to win some of them back).
 * r3 = x (any alignment). */
#define MCU_MM_X_GROUP_LOAD                                                                   \
    "    ldr     r9, [r3], #4\n"                                                             \
    "    sxtb16  r8, r9\n"                                                                   \
    "    sxtb16  r9, r9, ror #8\n"
#define MCU_MM_K41X_GROUP                                                                     \
    MCU_MM_X_GROUP_LOAD                                                                       \
    MCU_MM_K41_ROW("r4", "r1") MCU_MM_K41_ROW("r5", "r10") MCU_MM_K41_ROW("r6", "r11")        \
    MCU_MM_K41_ROW("r7", "r2")
#define MCU_MM_K21X_GROUP                                                                     \
    MCU_MM_X_GROUP_LOAD                                                                       \
    "    ldr     r12, [r1], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r4, r0, r8, r4\n"                                                            \
    "    smlad   r4, r12, r9, r4\n"                                                           \
    "    ldr     r12, [r2], #4\n"                                                             \
    "    sxtb16  r0, r12\n"                                                                   \
    "    sxtb16  r12, r12, ror #8\n"                                                          \
    "    smlad   r5, r0, r8, r5\n"                                                            \
    "    smlad   r5, r12, r9, r5\n"

__asm__("    .pushsection .text.mcu_mm_kern41x,\"ax\",%progbits\n"
        "    .syntax unified\n"
        "    .thumb\n"
        "    .balign 4\n"
        "    .global mcu_mm_kern41x\n"
        "    .type mcu_mm_kern41x, %function\n"
        "    .thumb_func\n"
        "mcu_mm_kern41x:\n"
        "    push    {r0, r4-r11, lr}\n"
        "    ldr     lr, [r0, #16]\n"
        "    ldm     r0, {r4-r7}\n"
        "    add     r10, r1, r2\n"
        "    add     r11, r10, r2\n"
        "    add     r2, r11, r2\n"
        "    tst     lr, #1\n"
        "    beq     1f\n"
        MCU_MM_K41X_GROUP
        "1:  tst     lr, #2\n"
        "    beq     4f\n"
        MCU_MM_K41X_GROUP MCU_MM_K41X_GROUP
        "4:  lsrs    lr, lr, #2\n"
        "    beq     3f\n"
        "2:\n"
        MCU_MM_K41X_GROUP MCU_MM_K41X_GROUP MCU_MM_K41X_GROUP MCU_MM_K41X_GROUP
        "    subs    lr, lr, #1\n"
        "    bne     2b\n"
        "3:  pop     {r0}\n"
        "    stm     r0, {r4-r7}\n"
        "    pop     {r4-r11, pc}\n"
        "    .size mcu_mm_kern41x, . - mcu_mm_kern41x\n"
        "    .popsection\n");

MCU_MM_KERN(mcu_mm_kern21x, 8, "r4, r5", MCU_MM_K21X_GROUP);

void mcu_mm_dot22(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[4])
{
    int32_t a[5], j;
    const int32_t *ct = cols + (k >> 2) * 4;
    a[0] = acc[0];
    a[1] = acc[1];
    a[2] = acc[2];
    a[3] = acc[3];
    a[4] = k >> 2;
    mcu_mm_kern22(a, w0, w1, cols);
    w0 += k & ~3;
    w1 += k & ~3;
    for (j = 0; j < (k & 3); ++j) {
        a[0] += (int32_t)w0[j] * ct[2 * j];
        a[1] += (int32_t)w1[j] * ct[2 * j];
        a[2] += (int32_t)w0[j] * ct[2 * j + 1];
        a[3] += (int32_t)w1[j] * ct[2 * j + 1];
    }
    acc[0] = a[0];
    acc[1] = a[1];
    acc[2] = a[2];
    acc[3] = a[3];
}

void mcu_mm_dot21(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[2])
{
    int32_t a[3], j;
    const int32_t *ct = cols + (k >> 2) * 2;
    a[0] = acc[0];
    a[1] = acc[1];
    a[2] = k >> 2;
    mcu_mm_kern21(a, w0, w1, cols);
    w0 += k & ~3;
    w1 += k & ~3;
    for (j = 0; j < (k & 3); ++j) {
        a[0] += (int32_t)w0[j] * ct[j];
        a[1] += (int32_t)w1[j] * ct[j];
    }
    acc[0] = a[0];
    acc[1] = a[1];
}

/* Requantization of the accumulator in register a for a channel whose constants are m (the
   multiplier), r1:r0 (lo:hi of mcu_mm_rq) and sh; r2, r3 scratch. The second SMLAL of
   mcu_mm_rq_apply (s * -2^31 with s = [a < 0]) is a 64-bit subtraction of a & 2^31. */
#define MCU_MM_RQ(a, m, sh)                                                                  \
    "    and     r2, " a ", #0x80000000\n"                                                  \
    "    subs    r2, r1, r2\n"                                                              \
    "    sbc     r3, r0, #0\n"                                                              \
    "    smlal   r2, r3, " a ", " m "\n"                                                    \
    "    asr     " a ", r3, " sh "\n"

/* mcu_mm_rq_init in registers: s (the shift, < 0) becomes sh = -s - 1, r1:r0 = lo:hi. */
#define MCU_MM_RQ_INIT(s)                                                                    \
    "    rsb     " s ", " s ", #0\n"                                                        \
    "    movs    r0, #1\n"                                                                  \
    "    lsl     r0, r0, " s "\n"                                                           \
    "    lsl     r1, r0, #30\n"                                                             \
    "    add     r1, r1, #0x40000000\n"                                                     \
    "    lsr     r0, r0, #2\n"                                                              \
    "    sub     " s ", " s ", #1\n"

/* a = a + off saturated to int8 (r0 = off): the clamp when [lo, hi] = [-128, 127]. */
#define MCU_MM_SAT8(a)                                                                       \
    "    add     " a ", " a ", r0\n"                                                        \
    "    ssat    " a ", #8, " a "\n"

/* a = clamp(a + off, lo, hi) with r0 = off, r1 = lo, r2 = hi. */
#define MCU_MM_CLAMP(a)                                                                      \
    "    add     " a ", " a ", r0\n"                                                        \
    "    cmp     " a ", r2\n"                                                               \
    "    it      gt\n"                                                                      \
    "    movgt   " a ", r2\n"                                                               \
    "    cmp     " a ", r1\n"                                                               \
    "    it      lt\n"                                                                      \
    "    movlt   " a ", r1\n"

/* mcu_mm_rows22(job): for job->npairs channel pairs (2 pixels each), the whole of
 * mcu_mm_rows_n's work in assembly: accumulators from the bias, the 2x2 loop, the merged
 * requantization (mcu_mm_rq, every shift < 0), output offset, clamp and the four stores;
 * job's pointers advance as it goes. Requires K % 4 == 0 and a bias. Offsets of mcu_mm_job:
 * 0 off, 4 lo, 8 hi, 12 cols, 16 w, 20 k, 24 groups, 28 bias, 32 mult, 36 shift, 40 y0,
 * 44 y1, 48 npairs, 52 sat8. */
__asm__("    .pushsection .text.mcu_mm_rows22,\"ax\",%progbits\n"
        "    .syntax unified\n"
        "    .thumb\n"
        "    .balign 4\n"
        "    .global mcu_mm_rows22\n"
        "    .type mcu_mm_rows22, %function\n"
        "    .thumb_func\n"
        "mcu_mm_rows22:\n"
        "    push    {r0, r4-r11, lr}\n"
        "1:  ldr     r12, [sp]\n"
        "    ldr     r1, [r12, #16]\n"
        "    ldr     r0, [r12, #20]\n"
        "    add     r2, r1, r0\n"
        "    add     r0, r2, r0\n"
        "    str     r0, [r12, #16]\n"
        "    ldr     r3, [r12, #12]\n"
        "    ldr     lr, [r12, #24]\n"
        "    ldr     r0, [r12, #28]\n"
        "    ldrd    r4, r5, [r0], #8\n"
        "    str     r0, [r12, #28]\n"
        "    mov     r6, r4\n"
        "    mov     r7, r5\n"
        "    tst     lr, #1\n"
        "    beq     2f\n"
        MCU_MM_K22_GROUP
        "2:  lsrs    lr, lr, #1\n"
        "    beq     4f\n"
        "3:\n"
        MCU_MM_K22_GROUP MCU_MM_K22_GROUP
        "    subs    lr, lr, #1\n"
        "    bne     3b\n"
        "4:  ldr     r12, [sp]\n"
        "    ldr     r0, [r12, #32]\n"
        "    ldrd    r8, r9, [r0], #8\n"
        "    str     r0, [r12, #32]\n"
        "    ldr     r0, [r12, #36]\n"
        "    ldrd    r10, r11, [r0], #8\n"
        "    str     r0, [r12, #36]\n"
        MCU_MM_RQ_INIT("r10")
        MCU_MM_RQ("r4", "r8", "r10")
        MCU_MM_RQ("r6", "r8", "r10")
        MCU_MM_RQ_INIT("r11")
        MCU_MM_RQ("r5", "r9", "r11")
        MCU_MM_RQ("r7", "r9", "r11")
        "    ldm     r12, {r0, r1, r2}\n"
        "    ldr     r3, [r12, #52]\n"
        "    cbz     r3, 5f\n"
        MCU_MM_SAT8("r4")
        MCU_MM_SAT8("r5")
        MCU_MM_SAT8("r6")
        MCU_MM_SAT8("r7")
        "    b       6f\n"
        "5:\n"
        MCU_MM_CLAMP("r4")
        MCU_MM_CLAMP("r5")
        MCU_MM_CLAMP("r6")
        MCU_MM_CLAMP("r7")
        "6:  ldr     r3, [r12, #40]\n"
        "    strb    r4, [r3]\n"
        "    strb    r5, [r3, #1]\n"
        "    adds    r3, r3, #2\n"
        "    str     r3, [r12, #40]\n"
        "    ldr     r3, [r12, #44]\n"
        "    strb    r6, [r3]\n"
        "    strb    r7, [r3, #1]\n"
        "    adds    r3, r3, #2\n"
        "    str     r3, [r12, #44]\n"
        "    ldr     r3, [r12, #48]\n"
        "    subs    r3, r3, #1\n"
        "    str     r3, [r12, #48]\n"
        "    bne     1b\n"
        "    pop     {r0}\n"
        "    pop     {r4-r11, pc}\n"
        "    .size mcu_mm_rows22, . - mcu_mm_rows22\n"
        "    .popsection\n");

/* The outputs of channels o, o1 with mcu_mm_out (a channel with shift >= 0: the rare path,
   kept out of line). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void mcu_mm_out_pair(const int32_t *acc, int32_t ncols, const mcu_quant_pc *q, int32_t o,
                            int32_t o1, const mcu_conv_params *p, int8_t *y0, int8_t *y1)
{
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t m0 = q->multiplier[o], s0 = q->shift[o];
    const int32_t m1 = q->multiplier[o1], s1 = q->shift[o1];
    y0[o] = mcu_mm_out(acc[0], m0, s0, off, lo, hi);
    y0[o1] = mcu_mm_out(acc[1], m1, s1, off, lo, hi);
    if (ncols == 2) {
        y1[o] = mcu_mm_out(acc[2], m0, s0, off, lo, hi);
        y1[o1] = mcu_mm_out(acc[3], m1, s1, off, lo, hi);
    }
}

/* mcu_mm_conv_rows for a constant ncols (inlined twice, so the ncols tests fold away). */
MCU_INLINE void mcu_mm_rows_n(const int32_t *cols, const int32_t ncols, const int8_t *filter,
                              int32_t k, int32_t cout, const int32_t *bias,
                              const mcu_conv_params *p, const mcu_quant_pc *q, int8_t *y0,
                              int8_t *y1)
{
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t groups = k >> 2, tail = k & 3;
    const int32_t *ct = cols + groups * 2 * ncols; /* the K % 4 tail words */
    int32_t o, j;
    for (o = 0; o < cout; o += 2) {
        const int32_t o1 = o + 1 < cout ? o + 1 : o;
        const int8_t *w0 = filter + (size_t)o * k, *w1 = filter + (size_t)o1 * k;
        const int32_t s0 = q->shift[o], s1 = q->shift[o1];
        int32_t acc[5];
        acc[0] = bias != NULL ? bias[o] : 0;
        acc[1] = bias != NULL ? bias[o1] : 0;
        if (ncols == 2) {
            acc[2] = acc[0];
            acc[3] = acc[1];
            acc[4] = groups;
            mcu_mm_kern22(acc, w0, w1, cols);
        } else {
            acc[2] = groups;
            mcu_mm_kern21(acc, w0, w1, cols);
        }
        w0 += 4 * groups;
        w1 += 4 * groups;
        for (j = 0; j < tail; ++j) {
            const int32_t c0 = ct[j * ncols];
            acc[0] += (int32_t)w0[j] * c0;
            acc[1] += (int32_t)w1[j] * c0;
            if (ncols == 2) {
                const int32_t c1 = ct[2 * j + 1];
                acc[2] += (int32_t)w0[j] * c1;
                acc[3] += (int32_t)w1[j] * c1;
            }
        }
        if (s0 < 0 && s1 < 0) {
            mcu_mm_rq r0, r1;
            mcu_mm_rq_init(&r0, q->multiplier[o], s0);
            mcu_mm_rq_init(&r1, q->multiplier[o1], s1);
            y0[o] = (int8_t)mcu_clamp(mcu_mm_rq_apply(acc[0], &r0) + off, lo, hi);
            y0[o1] = (int8_t)mcu_clamp(mcu_mm_rq_apply(acc[1], &r1) + off, lo, hi);
            if (ncols == 2) {
                y1[o] = (int8_t)mcu_clamp(mcu_mm_rq_apply(acc[2], &r0) + off, lo, hi);
                y1[o1] = (int8_t)mcu_clamp(mcu_mm_rq_apply(acc[3], &r1) + off, lo, hi);
            }
        } else {
            mcu_mm_out_pair(acc, ncols, q, o, o1, p, y0, y1);
        }
    }
}

void mcu_mm_conv_rows(const int32_t *cols, int32_t ncols, const int8_t *filter, int32_t k,
                      int32_t cout, const int32_t *bias, const mcu_conv_params *p,
                      const mcu_quant_pc *q, int8_t *y0, int8_t *y1, int32_t neg_shifts)
{
    if (ncols == 2 && neg_shifts && (k & 3) == 0 && bias != NULL && cout >= 2) {
        mcu_mm_job job;
        const int32_t done = cout & ~1;
        job.off = p->output_offset;
        job.lo = p->act_min;
        job.hi = p->act_max;
        job.cols = cols;
        job.w = filter;
        job.k = k;
        job.groups = k >> 2;
        job.bias = bias;
        job.mult = q->multiplier;
        job.shift = q->shift;
        job.y0 = y0;
        job.y1 = y1;
        job.npairs = cout >> 1;
        job.sat8 = p->act_min == -128 && p->act_max == 127;
        mcu_mm_rows22(&job);
        if (done < cout) { /* the last, odd channel */
            mcu_quant_pc qt;
            qt.multiplier = q->multiplier + done;
            qt.shift = q->shift + done;
            mcu_mm_rows_n(cols, 2, filter + (size_t)done * k, k, cout - done, bias + done, p,
                          &qt, y0 + done, y1 + done);
        }
        return;
    }
    if (ncols == 2) {
        mcu_mm_rows_n(cols, 2, filter, k, cout, bias, p, q, y0, y1);
    } else {
        mcu_mm_rows_n(cols, 1, filter, k, cout, bias, p, q, y0, y1);
    }
}

void mcu_mm_rows22_pad(const int32_t *cols, const int8_t *filter, int32_t k, int32_t cout,
                       const int32_t *bias, const mcu_conv_params *p, const mcu_quant_pc *q,
                       int8_t *y0, int8_t *y1)
{
    const int32_t np = (cout - 1) >> 1; /* pairs whose last group may read into row 2*np */
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    mcu_mm_job job;
    int32_t o, g, j;
    job.off = off;
    job.lo = lo;
    job.hi = hi;
    job.cols = cols;
    job.w = filter;
    job.k = k;
    job.groups = (k + 3) >> 2;
    job.bias = bias;
    job.mult = q->multiplier;
    job.shift = q->shift;
    job.y0 = y0;
    job.y1 = y1;
    job.npairs = np;
    job.sat8 = lo == -128 && hi == 127;
    if (np > 0) {
        mcu_mm_rows22(&job);
    }
    for (o = 2 * np; o < cout; ++o) { /* no reading past the last row */
        const int8_t *w = filter + (size_t)o * k;
        const int32_t *cw = cols;
        int32_t a0 = bias[o], a1 = bias[o];
        mcu_mm_rq r;
        for (g = k >> 2; g > 0; --g) {
            const uint32_t x = mcu_mm_ld4(w);
            const int32_t x02 = __sxtb16((int32_t)x), x13 = mcu_mm_sxtb16_ror8(x);
            w += 4;
            a0 = __smlad(x02, cw[0], a0);
            a0 = __smlad(x13, cw[1], a0);
            a1 = __smlad(x02, cw[2], a1);
            a1 = __smlad(x13, cw[3], a1);
            cw += 4;
        }
        for (j = 0; j < (k & 3); ++j) { /* value j of the padded group: word j & 1, half j >> 1 */
            const int32_t wj = w[j];
            const int32_t sh = 16 - 16 * (j >> 1);
            a0 += wj * (((int32_t)((uint32_t)cw[j & 1] << sh)) >> 16);
            a1 += wj * (((int32_t)((uint32_t)cw[2 + (j & 1)] << sh)) >> 16);
        }
        mcu_mm_rq_init(&r, q->multiplier[o], q->shift[o]);
        y0[o] = (int8_t)mcu_clamp(mcu_mm_rq_apply(a0, &r) + off, lo, hi);
        y1[o] = (int8_t)mcu_clamp(mcu_mm_rq_apply(a1, &r) + off, lo, hi);
    }
}
#else
typedef int mcu_dsp_mm_empty; /* ISO C forbids an empty translation unit */
#endif
