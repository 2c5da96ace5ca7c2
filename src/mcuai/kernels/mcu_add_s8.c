/*
 * mcu_add_s8 - int8 ADD with broadcasting and a fused activation clamp.
 *
 * Math: real = s * (q - zp).
 * Rule (TFLite reference_integer_ops::AddFunc, BroadcastAdd6DSlow):
 *   x1  = MultiplyByQuantizedMultiplierSmallerThanOneExp((q1 - zp1) << 20, m1, shift1)
 *   x2  = MultiplyByQuantizedMultiplierSmallerThanOneExp((q2 - zp2) << 20, m2, shift2)
 *   out = clamp(MultiplyByQuantizedMultiplierSmallerThanOneExp(x1 + x2, m_out, shift_out)
 *               + zp_out, act_min, act_max)
 *   with m_i = s_i / (2 max(s1, s2)) and m_out = 2 max(s1, s2) / (2^20 s_out), each quantized
 *   from double by QuantizeMultiplierSmallerThanOneExp at generation time (all shifts <= 0).
 * Overflow:
 *   |q - zp| <= 255, so (q - zp) << 20 < 2^28; m1, m2 <= 1/2, hence
 *   |x1 + x2| < 2^28: no int32 overflow.
 * Cortex-M DSP extension (__ARM_FEATURE_DSP, not MCU_PORTABLE): the same three requantizations
 *   as one 64-bit constant + two SMLALs + a shift each (exact, see below).
 * In place: out may share storage with an input of the output's shape (each element is read
 *   before it is written).
 */
#include "mcu_add_s8.h"

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_PORTABLE)
/* Cortex-M DSP path of the three MultiplyByQuantizedMultiplierSmallerThanOneExp steps
 * (shift <= 0 guaranteed by the lowering). For a right shift r >= 1,
 * SaturatingRoundingDoublingHighMul followed by RoundingDivideByPOT is exactly
 *   floor((x*m + 2^30 + 2^(30+r) - [x<0]*2^31) / 2^(31+r))
 * (derivation in mcu_dsp_dw.h): a 64-bit constant, two SMLALs, one shift of the high word. For
 * r = 0 it is floor((x*m + 2^30) / 2^31) = floor((2x*m + 2^31) / 2^32): the caller doubles x
 * (|x| < 2^29 here: inputs |q - zp| << 20 < 2^28, and |x1 + x2| < 2^28) and the constant is
 * 2^31 with no sign term. */
typedef struct {
    int32_t multiplier;
    uint32_t lo;
    int32_t hi;
    int32_t sh;
    int32_t neg;   /* INT32_MIN (sign term) for r >= 1, 0 for r = 0 */
    int32_t dbl;   /* 1: the caller doubles x (r = 0) */
} add_rq;

static inline void add_rq_init(add_rq *r, int32_t multiplier, int32_t shift)
{
    const uint32_t right = (uint32_t)-shift;
    r->multiplier = multiplier;
    if (right == 0) {
        r->lo = 1u << 31;
        r->hi = 0;
        r->sh = 0;
        r->neg = 0;
        r->dbl = 1;
    } else {
        r->lo = (1u << 30) + ((1u << right) << 30);
        r->hi = (int32_t)((1u << right) >> 2);
        r->sh = (int32_t)right - 1;
        r->neg = INT32_MIN;
        r->dbl = 0;
    }
}

static inline int32_t add_rq_apply(int32_t x, const add_rq *r)
{
    uint32_t vlo = r->lo;
    int32_t vhi = r->hi;
    const int32_t s = (int32_t)((uint32_t)x >> 31);
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(x), "r"(r->multiplier));
    __asm__("smlal %0, %1, %2, %3" : "+r"(vlo), "+r"(vhi) : "r"(s), "r"(r->neg));
    return vhi >> r->sh;
}
#define MCU_ADD_DSP 1
#endif

static void add_row_s8(const void *params, const void *a, int32_t a_step, const void *b,
                       int32_t b_step, void *out, int32_t n)
{
    const mcu_add_params *p = (const mcu_add_params *)params;
    const int8_t *x = (const int8_t *)a;
    const int8_t *y = (const int8_t *)b;
    int8_t *o = (int8_t *)out;
    int32_t i;

#if defined(MCU_ADD_DSP)
    if (p->input1_shift <= 0 && p->input2_shift <= 0 && p->output_shift <= 0) {
        add_rq r1, r2, ro;
        int32_t ls1, ls2;
        const int32_t off1 = p->input1_offset, off2 = p->input2_offset;
        const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
        add_rq_init(&r1, p->input1_multiplier, p->input1_shift);
        add_rq_init(&r2, p->input2_multiplier, p->input2_shift);
        add_rq_init(&ro, p->output_multiplier, p->output_shift);
        ls1 = p->left_shift + r1.dbl;
        ls2 = p->left_shift + r2.dbl;
        for (i = 0; i < n; ++i) {
            const int32_t x1 = add_rq_apply((*x + off1) * ((int32_t)1 << ls1), &r1);
            const int32_t x2 = add_rq_apply((*y + off2) * ((int32_t)1 << ls2), &r2);
            const int32_t r = add_rq_apply((x1 + x2) * ((int32_t)1 << ro.dbl), &ro) + out_off;
            o[i] = (int8_t)mcu_clamp(r, lo, hi);
            x += a_step;
            y += b_step;
        }
        return;
    }
#endif
    for (i = 0; i < n; ++i) {
        const int32_t x1 = mcu_add_rescale(*x, p->input1_offset, p->left_shift,
                                           p->input1_multiplier, p->input1_shift);
        const int32_t x2 = mcu_add_rescale(*y, p->input2_offset, p->left_shift,
                                           p->input2_multiplier, p->input2_shift);
        const int32_t r = mcu_requantize(x1 + x2, p->output_multiplier, p->output_shift) +
                          p->output_offset;
        o[i] = (int8_t)mcu_clamp(r, p->act_min, p->act_max);
        x += a_step;
        y += b_step;
    }
}

void mcu_add_s8(const mcu_add_params *p, const mcu_bcast *bc, const int8_t *in1,
                const int8_t *in2, int8_t *out)
{
    mcu_binary_bcast(p, bc, sizeof(int8_t), in1, in2, out, add_row_s8);
}
