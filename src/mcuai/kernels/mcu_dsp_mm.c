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

/* The 2x2 block: a0 = w0.c0, a1 = w1.c0, a2 = w0.c1, a3 = w1.c1. */
#define MCU_MM_DOT22_BODY                                                                     \
    for (g = k >> 2; g > 0; --g) {                                                            \
        const uint32_t x = mcu_mm_ld4(w0), y = mcu_mm_ld4(w1);                                \
        const int32_t x02 = __sxtb16((int32_t)x), x13 = mcu_mm_sxtb16_ror8(x);               \
        const int32_t y02 = __sxtb16((int32_t)y), y13 = mcu_mm_sxtb16_ror8(y);               \
        const int32_t c0a = cols[0], c0b = cols[1], c1a = cols[2], c1b = cols[3];            \
        w0 += 4;                                                                              \
        w1 += 4;                                                                              \
        cols += 4;                                                                            \
        a0 = __smlad(x02, c0a, a0);                                                           \
        a0 = __smlad(x13, c0b, a0);                                                           \
        a1 = __smlad(y02, c0a, a1);                                                           \
        a1 = __smlad(y13, c0b, a1);                                                           \
        a2 = __smlad(x02, c1a, a2);                                                           \
        a2 = __smlad(x13, c1b, a2);                                                           \
        a3 = __smlad(y02, c1a, a3);                                                           \
        a3 = __smlad(y13, c1b, a3);                                                           \
    }                                                                                         \
    for (j = 0; j < (k & 3); ++j) {                                                           \
        const int32_t c0 = cols[2 * j], c1 = cols[2 * j + 1];                                 \
        a0 += (int32_t)w0[j] * c0;                                                            \
        a1 += (int32_t)w1[j] * c0;                                                            \
        a2 += (int32_t)w0[j] * c1;                                                            \
        a3 += (int32_t)w1[j] * c1;                                                            \
    }

/* The 2x1 block: a0 = w0.c, a1 = w1.c. */
#define MCU_MM_DOT21_BODY                                                                     \
    for (g = k >> 2; g > 0; --g) {                                                            \
        const uint32_t x = mcu_mm_ld4(w0), y = mcu_mm_ld4(w1);                                \
        const int32_t ca = cols[0], cb = cols[1];                                             \
        w0 += 4;                                                                              \
        w1 += 4;                                                                              \
        cols += 2;                                                                            \
        a0 = __smlad(__sxtb16((int32_t)x), ca, a0);                                           \
        a0 = __smlad(mcu_mm_sxtb16_ror8(x), cb, a0);                                          \
        a1 = __smlad(__sxtb16((int32_t)y), ca, a1);                                           \
        a1 = __smlad(mcu_mm_sxtb16_ror8(y), cb, a1);                                          \
    }                                                                                         \
    for (j = 0; j < (k & 3); ++j) {                                                           \
        a0 += (int32_t)w0[j] * cols[j];                                                       \
        a1 += (int32_t)w1[j] * cols[j];                                                       \
    }

void mcu_mm_dot22(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t g, j;
    MCU_MM_DOT22_BODY
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

void mcu_mm_dot21(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t g, j;
    MCU_MM_DOT21_BODY
    acc[0] = a0;
    acc[1] = a1;
}

void mcu_mm_conv_rows(const int32_t *cols_in, int32_t ncols, const int8_t *filter, int32_t k,
                      int32_t cout, const int32_t *bias, const mcu_conv_params *p,
                      const mcu_quant_pc *q, int8_t *y0, int8_t *y1)
{
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    int32_t o, g, j;
    for (o = 0; o < cout; o += 2) {
        const int32_t o1 = o + 1 < cout ? o + 1 : o;
        const int8_t *w0 = filter + (size_t)o * k, *w1 = filter + (size_t)o1 * k;
        const int32_t *cols = cols_in;
        int32_t a0 = bias != NULL ? bias[o] : 0, a1 = bias != NULL ? bias[o1] : 0;
        const int32_t m0 = q->multiplier[o], s0 = q->shift[o];
        const int32_t m1 = q->multiplier[o1], s1 = q->shift[o1];
        if (ncols == 2) {
            int32_t a2 = a0, a3 = a1;
            MCU_MM_DOT22_BODY
            y1[o] = mcu_mm_out(a2, m0, s0, off, lo, hi);
            y1[o1] = mcu_mm_out(a3, m1, s1, off, lo, hi);
        } else {
            MCU_MM_DOT21_BODY
        }
        y0[o] = mcu_mm_out(a0, m0, s0, off, lo, hi);
        y0[o1] = mcu_mm_out(a1, m1, s1, off, lo, hi);
    }
}
#else
typedef int mcu_dsp_mm_empty; /* ISO C forbids an empty translation unit */
#endif
