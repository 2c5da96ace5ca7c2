/*
 * mcu_dsp_dw.h - inline helpers of the Cortex-M DSP-extension paths (M4, M7, M33) of the
 * depthwise convolution kernels (mcu_dwconv2d_3x3_s8, mcu_dwconv2d_s8).
 *
 * MCU_DSP_DW is 1 when the compiler targets a core with the DSP extension
 * (__ARM_FEATURE_DSP) and MCU_PORTABLE is not defined; the portable C of each kernel is the
 * reference, and -DMCU_PORTABLE forces it on every core.
 *
 * Four int8 channels travel in one 32-bit word (bytes c0 c1 c2 c3, little-endian); SXTB16
 * sign-extends bytes 0 and 2 (c0, c2) into the two 16-bit halves, SXTB16 with ROR #8 bytes 1
 * and 3 (c1, c3); SMLABB/SMLATT multiply the bottom/top halves and accumulate in 32 bits,
 * so each channel keeps its own exact int32 accumulator.
 *
 * mcu_dsp_requantize is mcu_requantize (TFLite MultiplyByQuantizedMultiplier), bit for bit,
 * for multipliers in [0, 2^31) (what QuantizeMultiplier produces):
 *   SaturatingRoundingDoublingHighMul(a, b) = trunc((a*b + nudge) / 2^31) with
 *   nudge = a*b >= 0 ? 2^30 : 1 - 2^30 equals floor((a*b + 2^30) / 2^31) (one SMLAL and a
 *   64-bit arithmetic shift): for a*b >= 0 both are floor((a*b + 2^30) / 2^31); for a*b < 0,
 *   trunc(v / 2^31) = ceil(v / 2^31) with v = a*b + 1 - 2^30 < 0, and
 *   ceil(v / 2^31) = floor((v + 2^31 - 1) / 2^31) = floor((a*b + 2^30) / 2^31). The saturating
 *   case a = b = INT32_MIN cannot occur since b >= 0. With shift >= 0 that is all.
 *   With right = -shift >= 1, RoundingDivideByPOT(h, right) = floor((h + 2^(right-1) - [h<0])
 *   / 2^right); [h<0] may be replaced by s = [x<0] (they differ only when
 *   -2^30 <= x*b < 0, where h = 0 and both give 0), and nested floor divisions merge:
 *     r = floor((x*b + 2^30 + 2^(30+right) - s*2^31) / 2^(31+right)),
 *   one 64-bit constant (lo = 2^30 + 2^(30+right) mod 2^32, hi = 2^(right-2)), SMLAL x*b,
 *   SMLAL s*(-2^31), then the high word shifted right by right-1 (|sum| < 2^63).
 *
 * This unit has no functions of its own: the generator copies kernel units as .h/.c pairs.
 */
#ifndef MCU_DSP_DW_H
#define MCU_DSP_DW_H
#include <string.h>
#include "mcu_nn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
#define MCU_DSP_DW 1
#include <arm_acle.h>

/* Four int8 values from any address (Cortex-M4/M7/M33 allow unaligned LDR). */
MCU_INLINE uint32_t mcu_dsp_ld4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Bytes 0 and 2, sign-extended to 16-bit halves. */
MCU_INLINE int32_t mcu_dsp_sxtb16(uint32_t x)
{
    return __sxtb16((int32_t)x);
}

/* Bytes 1 and 3, sign-extended to 16-bit halves (SXTB16 with ROR #8: one instruction). */
MCU_INLINE int32_t mcu_dsp_sxtb16_ror8(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* Bytes 0 and 2 sign-extended and added to the halves of a (SXTAB16). */
MCU_INLINE int32_t mcu_dsp_sxtab16(int32_t a, uint32_t x)
{
    return __sxtab16(a, (int32_t)x);
}

/* Bytes 1 and 3 sign-extended and added to the halves of a (SXTAB16 with ROR #8). */
MCU_INLINE int32_t mcu_dsp_sxtab16_ror8(int32_t a, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* mcu_requantize for multiplier in [0, 2^31) (see the header comment). */
MCU_INLINE int32_t mcu_dsp_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift >= 0) {
        const int64_t prod = (int64_t)(int32_t)((uint32_t)x << shift) * multiplier
                             + ((int64_t)1 << 30);
        return (int32_t)(prod >> 31);
    } else {
        const uint32_t right = (uint32_t)-shift;
        const uint32_t lo = (1u << 30) + ((1u << right) << 30);
        const uint32_t hi = (1u << right) >> 2;
        uint32_t vlo = lo;
        int32_t vhi = (int32_t)hi;
        const int32_t s = (int32_t)((uint32_t)x >> 31);
        /* two SMLALs (gcc would otherwise expand the second into five instructions) */
        __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(x), "r"(multiplier));
        __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(s), "r"(INT32_MIN));
        return vhi >> (right - 1u);
    }
}

/* Requantization constants of one channel with shift <= -1 (see the header comment):
 * r = (high word of lo:hi + x*multiplier + s*(-2^31)) >> sh. */
typedef struct {
    uint32_t lo;
    int32_t hi;
    int32_t multiplier;
    int32_t sh;
} mcu_dsp_rq;

/* The asm of mcu_dsp_rq_pack4 reads lo/hi and multiplier/sh as LDRD pairs at 16-byte steps. */
typedef char mcu_dsp_rq_layout[(sizeof(mcu_dsp_rq) == 16 && offsetof(mcu_dsp_rq, multiplier) == 8)
                                   ? 1
                                   : -1];

/* Fills r for (multiplier, shift); returns 0 (r unusable) when shift >= 0. */
MCU_INLINE int mcu_dsp_rq_init(mcu_dsp_rq *r, int32_t multiplier, int32_t shift)
{
    const uint32_t right = shift < 0 ? (uint32_t)-shift : 1u;
    r->multiplier = multiplier;
    r->lo = (1u << 30) + ((1u << right) << 30);
    r->hi = (int32_t)((1u << right) >> 2);
    r->sh = (int32_t)right - 1;
    return shift < 0;
}

/* mcu_requantize(x, multiplier, shift) with the constants of mcu_dsp_rq_init. */
MCU_INLINE int32_t mcu_dsp_rq_apply(int32_t x, const mcu_dsp_rq *r)
{
    uint32_t vlo = r->lo;
    int32_t vhi = r->hi;
    const int32_t s = (int32_t)((uint32_t)x >> 31);
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(x), "r"(r->multiplier));
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(s), "r"(INT32_MIN));
    return vhi >> r->sh;
}

/* Requantizes the four accumulators with the constants of mcu_dsp_rq_init (rq[4], 16 bytes
 * each: lo, hi, multiplier, sh), adds the output offset, saturates to int8 and packs the four
 * bytes in channel order (c0 in the lowest byte): mcu_dsp_rq_apply + SSAT + PKHBT/UXTB16, in one asm
 * block. */
#define MCU_DSP_ASM_RQ(A, OFF)                                                                     \
    "ldrd %[t0], %[t1], [%[rq], #" OFF "]\n\t"                                                   \
    "ldrd %[t2], %[t3], [%[rq], #" OFF "+8]\n\t"                                                 \
    "smlal %[t0], %[t1], %[" A "], %[t2]\n\t"                                                    \
    "lsr %[t2], %[" A "], #31\n\t"                                                               \
    "smlal %[t0], %[t1], %[t2], %[neg]\n\t"                                                      \
    "asr %[t1], %[t1], %[t3]\n\t"                                                                \
    "add %[t1], %[t1], %[off]\n\t"                                                               \
    "ssat %[" A "], #8, %[t1]\n\t"

MCU_INLINE uint32_t mcu_dsp_rq_pack4(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                     const mcu_dsp_rq *rq, int32_t off)
{
    int32_t t0, t1, t2, t3;
    const int32_t neg = INT32_MIN;
    __asm__(MCU_DSP_ASM_RQ("a0", "0") MCU_DSP_ASM_RQ("a1", "16") MCU_DSP_ASM_RQ("a2", "32")
            MCU_DSP_ASM_RQ("a3", "48")
            "pkhbt %[a0], %[a0], %[a2], lsl #16\n\t"
            "pkhbt %[a1], %[a1], %[a3], lsl #16\n\t"
            "uxtb16 %[a0], %[a0]\n\t"
            "uxtb16 %[a1], %[a1]\n\t"
            "orr %[a0], %[a0], %[a1], lsl #8\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t0] "=&r"(t0),
              [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
            : [rq] "r"(rq), [off] "r"(off), [neg] "r"(neg)
            : "memory");
    return (uint32_t)a0;
}
#undef MCU_DSP_ASM_RQ

/* Byte-wise signed maximum / minimum of four int8 lanes: SSUB8 sets the GE flag of each byte
 * where a >= b, SEL picks the bytes of its first operand there and of its second elsewhere
 * (one asm statement, so nothing comes between the flags and their use). */
MCU_INLINE uint32_t mcu_dsp_max4(uint32_t a, uint32_t b)
{
    uint32_t d, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %2, %3" : "=&r"(d), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)d;
    return r;
}

MCU_INLINE uint32_t mcu_dsp_min4(uint32_t a, uint32_t b)
{
    uint32_t d, r;
    __asm__("ssub8 %0, %2, %3\n\tsel %1, %3, %2" : "=&r"(d), "=r"(r) : "r"(a), "r"(b) : "cc");
    (void)d;
    return r;
}

/* out = clamp(requantize(acc) + output_offset, lo, hi) as int8. */
MCU_INLINE int8_t mcu_dsp_out(int32_t acc, int32_t multiplier, int32_t shift, int32_t offset,
                              int32_t lo, int32_t hi)
{
    return (int8_t)mcu_clamp(mcu_dsp_requantize(acc, multiplier, shift) + offset, lo, hi);
}
#endif

/* Helium (M-profile Vector Extension, Cortex-M55): four channels per int32x4 vector. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(MCU_PORTABLE)
#define MCU_MVE_DW 1
#include <arm_mve.h>

/* mcu_requantize on four lanes, bit-exact: VSHL by max(shift, 0); VQRDMULH computes
 * floor((a*b + 2^30) / 2^31) with the same saturation as SaturatingRoundingDoublingHighMul
 * (equal to its nudge-and-truncate form, see the header comment); RoundingDivideByPOT
 * (round half away) = VRSHL (round half up) applied to x - 1 for negative x when the shift is
 * a right shift (the -1 added saturating: only INT32_MIN is affected and rounds the same). */
MCU_INLINE int32x4_t mcu_mve_requantize(int32x4_t x, int32x4_t multiplier, int32x4_t shift)
{
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t left = vmaxq_s32(shift, zero);
    const int32x4_t right = vminq_s32(shift, zero);
    int32x4_t h = vqrdmulhq_s32(vshlq_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(h, right), 31);
    h = vqaddq_s32(h, fixup);
    return vrshlq_s32(h, right);
}
#endif

#endif /* MCU_DSP_DW_H */
