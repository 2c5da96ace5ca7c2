/*
 * mcu_dsp_mm.h - int8 matrix-product core of the Cortex-M DSP-extension paths (M4, M7, M33) of
 * mcu_conv2d_s8, mcu_conv2d_1x1_s8 and mcu_fc_s8.
 *
 * MCU_DSP_MM is 1 when the compiler targets a core with the DSP extension (__ARM_FEATURE_DSP)
 * and MCU_PORTABLE is not defined. The portable C of each kernel is the reference;
 * -DMCU_PORTABLE forces it on every core. The weights keep the portable layout (one row of K
 * int8 values per output channel, the model's OHWI order): the packing the inner loop wants is
 * done on the *activation* side, in a scratch "column" buffer, so flash holds one copy of the
 * weights and the generated code is the same for every target.
 *
 * Column layout. A column is K int16 values v[k] (activations plus the input offset for the
 * generic convolution, raw activations for the 1x1 convolution and the fully connected layer)
 * stored as 32-bit words, "ncols" (1 or 2) columns interleaved:
 *   full groups g < K/4:  word[(2g + h) * ncols... ] see below; for column c
 *       word[g*2*ncols + 2c + 0] = (v[4g] low half, v[4g+2] high half)
 *       word[g*2*ncols + 2c + 1] = (v[4g+1] low half, v[4g+3] high half)
 *   tail k >= 4*(K/4):    word[(K/4)*2*ncols + (k - 4*(K/4))*ncols + c] = v[k] (int32)
 * A weight word holding w[4g..4g+3] gives, with SXTB16, (w[4g], w[4g+2]) and, with SXTB16
 * ROR #8, (w[4g+1], w[4g+3]): exactly the halves of the two column words, so one SMLAD per
 * column word adds two products. Size in bytes: mcu_mm_cols_bytes(K, ncols) =
 *   ncols * (8 * (K/4) + 4 * (K%4)).
 *
 * Exactness: every product v*w and every partial sum is an exact integer; SMLAD adds the two
 * 16x16 products to the 32-bit accumulator modulo 2^32 (it only sets the Q flag), so the sum
 * equals the portable int32 sum (integer addition is associative) whenever the reference does
 * not overflow. |v| <= 255, |w| <= 128, so a product pair is <= 65280 and never wraps alone.
 *
 * mcu_mm_requantize is mcu_requantize (TFLite MultiplyByQuantizedMultiplier), bit for bit,
 * for multipliers in [0, 2^31) (what QuantizeMultiplier produces):
 *   SaturatingRoundingDoublingHighMul(a, b) = trunc((a*b + nudge) / 2^31) with
 *   nudge = a*b >= 0 ? 2^30 : 1 - 2^30 equals floor((a*b + 2^30) / 2^31): for a*b >= 0 both
 *   are floor((a*b + 2^30) / 2^31); for a*b < 0 and v = a*b + 1 - 2^30 < 0,
 *   trunc(v / 2^31) = ceil(v / 2^31) = floor((v + 2^31 - 1) / 2^31) = floor((a*b + 2^30)/2^31).
 *   The saturating case a = b = INT32_MIN cannot occur since b >= 0. floor(p / 2^31) of the
 *   64-bit p is an arithmetic shift (on DSP cores: SMLAL of a*b onto 2^30, then bits 31..62
 *   of the 64-bit sum, which is that shift truncated to int32). RoundingDivideByPOT is unchanged (round half away).
 *   With right = -shift >= 1 (mcu_mm_rq, used whenever both channels of a pair have it), the
 *   two roundings merge into one 64-bit sum (the derivation of mcu_dsp_dw.h):
 *   RoundingDivideByPOT(h, right) = floor((h + 2^(right-1) - [h<0]) / 2^right), [h<0] may be
 *   replaced by s = [x<0] (they differ only when -2^30 <= x*b < 0, where h = 0 and both give
 *   0), and nested floor divisions merge:
 *     r = floor((x*b + 2^30 + 2^(30+right) - s*2^31) / 2^(31+right)),
 *   i.e. a constant hi:lo (lo = 2^30 + 2^(30+right) mod 2^32, hi = 2^(right-2)), SMLAL x*b,
 *   SMLAL s*(-2^31), and the high word shifted right by right-1 (|sum| < 2^63).
 */
#ifndef MCU_DSP_MM_H
#define MCU_DSP_MM_H
#include <string.h>
#include "mcu_nn.h"

/* Bytes of a column buffer of ncols columns of K values (also used by the portable build of
   the generated code, which reserves the scratch either way). */
#define MCU_MM_COLS_BYTES(k, ncols) ((ncols) * (8 * ((k) / 4) + 4 * ((k) % 4)))

/* mcu_requantize for multiplier in [0, 2^31) (see the header comment). */
MCU_INLINE int32_t mcu_mm_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
    /* one SMLAL onto 2^30; h = bits 31..62 of the 64-bit sum */
    uint32_t lo = (uint32_t)1 << 30;
    int32_t hi = 0;
    const int32_t xs = (int32_t)((uint32_t)x << left);
    int32_t h;
    __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(xs), "r"(multiplier));
    h = (int32_t)(((uint32_t)hi << 1) | (lo >> 31));
#else
    const int64_t prod =
        (int64_t)(int32_t)((uint32_t)x << left) * multiplier + ((int64_t)1 << 30);
    const int32_t h = (int32_t)(prod >> 31);
#endif
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t remainder = h & mask;
    const int32_t threshold = (mask >> 1) + (h < 0 ? 1 : 0);
    return (h >> right) + (remainder > threshold ? 1 : 0);
}

/* clamp(requantize(acc) + offset, lo, hi) as int8. */
MCU_INLINE int8_t mcu_mm_out(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset,
                             int32_t lo, int32_t hi)
{
    return (int8_t)mcu_clamp(mcu_mm_requantize(acc, multiplier, shift) + offset, lo, hi);
}

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(MCU_PORTABLE)
/* Helium (M55): int8 dot products 16 lanes at a time (VMLADAVA), taking precedence over the
 * DSP path. Products and int32 sums are those of the portable loop (VMLADAVA adds the 16
 * exact int8 x int8 products to a 32-bit accumulator, modulo 2^32 as SMLAD); the last vector
 * of a row is predicated (VCTP), and predicated loads read nothing for inactive lanes. */
#define MCU_MVE_MM 1
#include <arm_mve.h>

/* acc[r] += x . (row w + r*k), r < 4, rows of k int8 values; ws[r] += the sum of row r's
   weights when ws is not NULL. */
MCU_INLINE void mcu_mve_dot4(const int8_t *x, const int8_t *w, int32_t k, int32_t acc[4],
                             int32_t ws[4])
{
    const int8_t *w1 = w + k, *w2 = w1 + k, *w3 = w2 + k;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i;
    if (ws != NULL) {
        int32_t s0 = ws[0], s1 = ws[1], s2 = ws[2], s3 = ws[3];
        for (i = 0; i + 16 <= k; i += 16) { /* whole vectors: no predication */
            const int8x16_t xv = vldrbq_s8(x + i);
            const int8x16_t v0 = vldrbq_s8(w + i), v1 = vldrbq_s8(w1 + i);
            const int8x16_t v2 = vldrbq_s8(w2 + i), v3 = vldrbq_s8(w3 + i);
            a0 = vmladavaq_s8(a0, xv, v0);
            a1 = vmladavaq_s8(a1, xv, v1);
            a2 = vmladavaq_s8(a2, xv, v2);
            a3 = vmladavaq_s8(a3, xv, v3);
            s0 = vaddvaq_s8(s0, v0);
            s1 = vaddvaq_s8(s1, v1);
            s2 = vaddvaq_s8(s2, v2);
            s3 = vaddvaq_s8(s3, v3);
        }
        if (i < k) {
            const mve_pred16_t pr = vctp8q((uint32_t)(k - i));
            const int8x16_t xv = vldrbq_z_s8(x + i, pr);
            const int8x16_t v0 = vldrbq_z_s8(w + i, pr), v1 = vldrbq_z_s8(w1 + i, pr);
            const int8x16_t v2 = vldrbq_z_s8(w2 + i, pr), v3 = vldrbq_z_s8(w3 + i, pr);
            a0 = vmladavaq_s8(a0, xv, v0);
            a1 = vmladavaq_s8(a1, xv, v1);
            a2 = vmladavaq_s8(a2, xv, v2);
            a3 = vmladavaq_s8(a3, xv, v3);
            s0 = vaddvaq_s8(s0, v0);
            s1 = vaddvaq_s8(s1, v1);
            s2 = vaddvaq_s8(s2, v2);
            s3 = vaddvaq_s8(s3, v3);
        }
        ws[0] = s0;
        ws[1] = s1;
        ws[2] = s2;
        ws[3] = s3;
    } else {
        for (i = 0; i + 16 <= k; i += 16) { /* whole vectors: no predication */
            const int8x16_t xv = vldrbq_s8(x + i);
            a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w + i));
            a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1 + i));
            a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2 + i));
            a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3 + i));
        }
        if (i < k) {
            const mve_pred16_t pr = vctp8q((uint32_t)(k - i));
            const int8x16_t xv = vldrbq_z_s8(x + i, pr);
            a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w + i, pr));
            a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1 + i, pr));
            a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2 + i, pr));
            a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3 + i, pr));
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc + x . w (one row of k int8 values); *ws += the sum of the row when ws is not NULL. */
MCU_INLINE int32_t mcu_mve_dot1(const int8_t *x, const int8_t *w, int32_t k, int32_t acc,
                                int32_t *ws)
{
    int32_t i, s = 0;
    for (i = 0; i < k; i += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(k - i));
        const int8x16_t wv = vldrbq_z_s8(w + i, pr);
        acc = vmladavaq_s8(acc, vldrbq_z_s8(x + i, pr), wv);
        s = vaddvaq_s8(s, wv);
    }
    if (ws != NULL) {
        *ws += s;
    }
    return acc;
}
#endif

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
#define MCU_DSP_MM 1

/* Four int8 values from any address (Cortex-M4/M7/M33 allow unaligned LDR). */
MCU_INLINE uint32_t mcu_mm_ld4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Requantization constants of one channel with shift <= -1 (right = -shift >= 1; see the
 * header comment): r = (high word of (hi:lo + x*multiplier + s*(-2^31))) >> sh, s = [x < 0]. */
typedef struct {
    int32_t multiplier;
    uint32_t lo;
    int32_t hi;
    int32_t sh;
} mcu_mm_rq;

/* Fills r for (multiplier, shift) with shift <= -1. */
MCU_INLINE void mcu_mm_rq_init(mcu_mm_rq *r, int32_t multiplier, int32_t shift)
{
    const uint32_t right = (uint32_t)-shift;
    r->multiplier = multiplier;
    r->lo = (1u << 30) + ((1u << right) << 30);
    r->hi = (int32_t)((1u << right) >> 2);
    r->sh = (int32_t)right - 1;
}

/* mcu_mm_requantize(x, r->multiplier, shift) for the shift r was made for: two SMLALs. */
MCU_INLINE int32_t mcu_mm_rq_apply(int32_t x, const mcu_mm_rq *r)
{
    uint32_t vlo = r->lo;
    int32_t vhi = r->hi;
    const int32_t s = (int32_t)((uint32_t)x >> 31);
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(x), "r"(r->multiplier));
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(s), "r"(INT32_MIN));
    return vhi >> r->sh;
}

/* clamp(mcu_mm_requantize(x, multiplier, shift) + offset, -128, 127) for shift <= -1: the
 * constants of mcu_mm_rq_init computed in registers (no stores), then mcu_mm_rq_apply and
 * SSAT #8, in one asm block (16 instructions). */
MCU_INLINE int32_t mcu_mm_rq_sat8(int32_t x, int32_t multiplier, int32_t shift, int32_t offset)
{
    int32_t r, lo, hi, m = multiplier;
    __asm__("rsb %[r], %[sh], #0\n\t"             /* right = -shift */
            "mov %[lo], #1\n\t"
            "lsl %[lo], %[lo], %[r]\n\t"           /* 2^right */
            "lsr %[hi], %[lo], #2\n\t"             /* hi = 2^(right-2) */
            "lsl %[lo], %[lo], #30\n\t"
            "add %[lo], %[lo], #0x40000000\n\t"    /* lo = 2^30 + 2^(30+right) mod 2^32 */
            "smlal %[lo], %[hi], %[x], %[m]\n\t"
            "lsr %[m], %[x], #31\n\t"              /* s = [x < 0] */
            "mov %[x], #0x80000000\n\t"
            "smlal %[lo], %[hi], %[m], %[x]\n\t"   /* + s * (-2^31) */
            "sub %[r], %[r], #1\n\t"
            "asr %[hi], %[hi], %[r]\n\t"
            "add %[hi], %[hi], %[off]\n\t"
            "ssat %[x], #8, %[hi]\n\t"
            : [x] "+&r"(x), [m] "+&r"(m), [r] "=&r"(r), [lo] "=&r"(lo), [hi] "=&r"(hi)
            : [sh] "r"(shift), [off] "r"(offset));
    return x;
}

/* Four outputs o..o+3 (acc[0..3]) as int8 bytes in one word (channel o lowest), clamped to
 * [lo, hi] (-128 <= lo <= hi <= 127) by byte-wise SSUB8/SEL max and min; 0 (nothing
 * computed) unless the four shifts are <= -1. */
MCU_INLINE int32_t mcu_mm_out4(const int32_t acc[4], const int32_t *multiplier,
                               const int32_t *shift, int32_t offset, int32_t lo, int32_t hi,
                               uint32_t *word)
{
    uint32_t a0, a1, a2, a3, d, lo4, hi4;
    if ((shift[0] & shift[1] & shift[2] & shift[3]) >= 0) {
        return 0;
    }
    a0 = (uint32_t)mcu_mm_rq_sat8(acc[0], multiplier[0], shift[0], offset);
    a1 = (uint32_t)mcu_mm_rq_sat8(acc[1], multiplier[1], shift[1], offset);
    a2 = (uint32_t)mcu_mm_rq_sat8(acc[2], multiplier[2], shift[2], offset);
    a3 = (uint32_t)mcu_mm_rq_sat8(acc[3], multiplier[3], shift[3], offset);
    lo4 = 0x01010101u * ((uint32_t)lo & 0xffu);
    hi4 = 0x01010101u * ((uint32_t)hi & 0xffu);
    __asm__("pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
            "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"
            "uxtb16 %[a0], %[a0]\n\t"
            "uxtb16 %[a1], %[a1]\n\t"
            "orr %[a0], %[a0], %[a1], lsl #8\n\t"
            "ssub8 %[d], %[a0], %[lo4]\n\t"
            "sel %[a0], %[a0], %[lo4]\n\t"
            "ssub8 %[d], %[a0], %[hi4]\n\t"
            "sel %[a0], %[hi4], %[a0]\n\t"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [d] "=&r"(d)
            : [a2] "r"(a2), [a3] "r"(a3), [lo4] "r"(lo4), [hi4] "r"(hi4)
            : "cc");
    (void)d;
    *word = a0;
    return 1;
}

/* mcu_mm_out4 for callers that checked the shifts once per layer (every shift in [-31, -1],
 * r = -shift): the four channels' requantization in one asm block with the constants of
 * mcu_mm_rq_sat8 made from the shift in registers, 13 instructions a channel: r - 1 = ~shift,
 * hi = 2^(r-2) = 2^31 >> (33 - r) (LSR by 32 gives 0: r = 1), lo = 2^30 + 2^(30+r) mod 2^32
 * = (2^31 << (r-1)) | 2^30 (2^(30+r) mod 2^32 is 2^31 or 0: no carry into bit 30); then the two
 * SMLALs, ASR r - 1, + offset, SSAT 8; then PKHBT/UXTB16 packing and the byte-wise SSUB8/SEL
 * clamp to [lo4, hi4] (four equal bytes each). Returns the 4 bytes, channel 0 lowest. */
#define MCU_MM_ASM_RQ(A)                                                                      \
    "ldr %[t3], [%[sp_]], #4\n\t"                                                           \
    "ldr %[t2], [%[mp]], #4\n\t"                                                            \
    "mvn %[t3], %[t3]\n\t"                                                                  \
    "rsb %[t1], %[t3], #32\n\t"                                                             \
    "lsr %[t1], %[neg], %[t1]\n\t"                                                          \
    "lsl %[t0], %[neg], %[t3]\n\t"                                                          \
    "orr %[t0], %[t0], #0x40000000\n\t"                                                     \
    "smlal %[t0], %[t1], %[" A "], %[t2]\n\t"                                               \
    "lsr %[t2], %[" A "], #31\n\t"                                                          \
    "smlal %[t0], %[t1], %[t2], %[neg]\n\t"                                                 \
    "asr %[t1], %[t1], %[t3]\n\t"                                                           \
    "add %[t1], %[t1], %[off]\n\t"                                                          \
    "ssat %[" A "], #8, %[t1]\n\t"
MCU_INLINE uint32_t mcu_mm_out4_neg(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                    const int32_t *multiplier, const int32_t *shift,
                                    int32_t off, uint32_t lo4, uint32_t hi4)
{
    int32_t t0, t1, t2, t3;
    const int32_t neg = INT32_MIN;
    const int32_t *mp = multiplier, *sp_ = shift;
    /* two channels per block: 10 register operands, which -O0 (frame pointer) can give */
    __asm__(MCU_MM_ASM_RQ("a0") MCU_MM_ASM_RQ("a1")
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
              [t3] "=&r"(t3), [mp] "+&r"(mp), [sp_] "+&r"(sp_)
            : [off] "r"(off), [neg] "r"(neg)
            : "memory");
    __asm__(MCU_MM_ASM_RQ("a2") MCU_MM_ASM_RQ("a3")
            : [a2] "+&r"(a2), [a3] "+&r"(a3), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
              [t3] "=&r"(t3), [mp] "+&r"(mp), [sp_] "+&r"(sp_)
            : [off] "r"(off), [neg] "r"(neg)
            : "memory");
    __asm__("pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
            "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"
            "uxtb16 %[a0], %[a0]\n\t"
            "uxtb16 %[a1], %[a1]\n\t"
            "orr %[a0], %[a0], %[a1], lsl #8\n\t"
            "ssub8 %[t0], %[a0], %[lo4]\n\t"
            "sel %[a0], %[a0], %[lo4]\n\t"
            "ssub8 %[t0], %[a0], %[hi4]\n\t"
            "sel %[a0], %[hi4], %[a0]\n\t"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [t0] "=&r"(t0)
            : [a2] "r"(a2), [a3] "r"(a3), [lo4] "r"(lo4), [hi4] "r"(hi4)
            : "cc");
    return (uint32_t)a0;
}
#undef MCU_MM_ASM_RQ

/* 1 when every shift[o], o < n, is in [-31, -1] (what mcu_mm_out4_neg requires). */
MCU_INLINE int32_t mcu_mm_out4_neg_ok(const int32_t *shift, int32_t n)
{
    int32_t o;
    for (o = 0; o < n; ++o) {
        if (shift[o] >= 0 || shift[o] < -31) {
            return 0;
        }
    }
    return 1;
}

/* Column builder: values are pushed in k order; every 4 values become 2 words. */
typedef struct {
    int32_t *word;  /* next group's first word of this column */
    int32_t stride; /* words between groups: 2 * ncols */
    int32_t n;      /* values pending in v */
    int32_t v[3];
} mcu_mm_col;

/* Start column c of a buffer of ncols columns. */
void mcu_mm_col_init(mcu_mm_col *col, int32_t *cols, int32_t ncols, int32_t c);
/* Push n int8 values plus offset (n % 4 == 0 and no pending value: SXTAB16 fast path). */
void mcu_mm_col_push(mcu_mm_col *col, const int8_t *x, int32_t n, int32_t offset);
/* Push n zeros (padding taps: x + offset with x = zero point). */
void mcu_mm_col_zeros(mcu_mm_col *col, int32_t n);
/* Write the tail (K % 4 values) of column c: call once after the last push. */
void mcu_mm_col_end(mcu_mm_col *col, int32_t *cols, int32_t ncols, int32_t c, int32_t k);
/* Columns 0 and 1 of a 2-column buffer from two rows x0, x1 of k int8 values (offset 0). */
void mcu_mm_cols2(int32_t *cols, const int8_t *x0, const int8_t *x1, int32_t k);

/* Assembly inner loops (Thumb-2, in mcu_dsp_mm.c), over g = acc[4] (kern22) or acc[2]
 * (kern21) groups of 4 values; cols must be word aligned (LDM), w0 and w1 need not be:
 *   kern22: acc[0] += w0.c0, acc[1] += w1.c0, acc[2] += w0.c1, acc[3] += w1.c1
 *           (cols: a 2-column buffer, 4 words per group);
 *   kern21: acc[0] += w0.c, acc[1] += w1.c (cols: a 1-column buffer, 2 words per group).
 * Per group of 4 values: one LDM of the column words, one LDR per weight row, two SXTB16
 * per weight word and one SMLAD per (weight halves, column word) pair; the loop runs two
 * groups per iteration. Same products and int32 sums as the C of mcu_mm_dot22/dot21. */
void mcu_mm_kern22(int32_t acc[5], const int8_t *w0, const int8_t *w1, const int32_t *cols);
void mcu_mm_kern21(int32_t acc[3], const int8_t *w0, const int8_t *w1, const int32_t *cols);
/* kern41: acc[i] += (row w0 + i*k) . c for i < 4 over acc[4] groups (a 1-column buffer; the
   fully connected layer's 4 rows per pass, 22 instructions per 16 MACs unrolled). */
void mcu_mm_kern41(int32_t acc[5], const int8_t *w0, int32_t k, const int32_t *cols);
/* kern41x / kern21x: kern41 / kern21 reading the column's values straight from int8 x
   (4 per group, any alignment, no offset): the input word is split by SXTB16 / SXTB16 ROR #8
   into the (0, 2) / (1, 3) pairs, as the weights; no column buffer, 2 more instructions per
   group of 4 values. */
void mcu_mm_kern41x(int32_t acc[5], const int8_t *w0, int32_t k, const int8_t *x);
void mcu_mm_kern21x(int32_t acc[3], const int8_t *w0, const int8_t *w1, const int8_t *x);

/* acc[0..3] += rows w0, w1 (K int8 each) times columns 0, 1 of a 2-column buffer:
   acc[0] = w0.c0, acc[1] = w1.c0, acc[2] = w0.c1, acc[3] = w1.c1. */
void mcu_mm_dot22(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[4]);
/* acc[0..1] += rows w0, w1 times the column of a 1-column buffer. */
void mcu_mm_dot21(const int8_t *w0, const int8_t *w1, int32_t k, const int32_t *cols,
                  int32_t acc[2]);
/* y0[o] (and y1[o] for ncols 2) = clamp(requantize(bias[o] + w_o . column) + offset) for
   every output channel o of a convolution (bias may be NULL). neg_shifts: 1 when every
   q->shift[o] < 0 (mcu_mm_neg_shifts), which with 2 columns, K % 4 == 0 and a bias lets
   mcu_mm_rows22 do everything in assembly. */
void mcu_mm_conv_rows(const int32_t *cols, int32_t ncols, const int8_t *filter, int32_t k,
                      int32_t cout, const int32_t *bias, const mcu_conv_params *p,
                      const mcu_quant_pc *q, int8_t *y0, int8_t *y1, int32_t neg_shifts);

/* Job of mcu_mm_rows22 (field offsets are used by the assembly: do not reorder). */
typedef struct {
    int32_t off, lo, hi;
    const int32_t *cols;
    const int8_t *w;
    int32_t k, groups;
    const int32_t *bias, *mult, *shift;
    int8_t *y0, *y1;
    int32_t npairs;
    int32_t sat8; /* [act_min, act_max] = [-128, 127]: the clamp is SSAT #8 */
} mcu_mm_job;
/* npairs >= 1 channel pairs of mcu_mm_conv_rows (2 columns, K % 4 == 0, bias, shifts < 0). */
void mcu_mm_rows22(mcu_mm_job *job);

/* mcu_mm_conv_rows for 2 columns of K rounded up to whole groups (the K % 4 last values
 * followed by zeros: column words as in a full group), K % 4 != 0, bias given, shifts < 0,
 * cout >= 2: mcu_mm_rows22 over the padded groups for the channel pairs whose last weight word
 * stays inside the filter (reading up to 3 bytes of the next row, multiplied by the zeros),
 * C for the last one or two channels. */
void mcu_mm_rows22_pad(const int32_t *cols, const int8_t *filter, int32_t k, int32_t cout,
                       const int32_t *bias, const mcu_conv_params *p, const mcu_quant_pc *q,
                       int8_t *y0, int8_t *y1);

/* 1 when every shift[o] < 0, o < n. */
MCU_INLINE int32_t mcu_mm_neg_shifts(const int32_t *shift, int32_t n)
{
    int32_t o;
    for (o = 0; o < n; ++o) {
        if (shift[o] >= 0) {
            return 0;
        }
    }
    return 1;
}
#endif

#endif /* MCU_DSP_MM_H */
