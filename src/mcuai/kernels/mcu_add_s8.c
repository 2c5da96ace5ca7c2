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
 *   as one 64-bit constant + two SMLALs + a shift each (exact, see below). Helium
 *   (__ARM_FEATURE_MVE, Cortex-M55): four elements per int32x4 vector, VQRDMULH + VRSHL with
 *   the round-half-away fix-up (add_mve_rescale), tail-predicated.
 * In place: out may share storage with an input of the output's shape (each element is read
 *   before it is written).
 */
#include "mcu_add_s8.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(MCU_PORTABLE)
#include <arm_mve.h>
#define MCU_ADD_MVE 1

/* MultiplyByQuantizedMultiplierSmallerThanOneExp on four lanes (shift <= 0), bit-exact:
 * VQRDMULH is SaturatingRoundingDoublingHighMul (floor((a*b + 2^30) / 2^31), same
 * saturation), and RoundingDivideByPOT (round half away) is VRSHL (round half up) applied to
 * h - 1 for negative h (saturating: only INT32_MIN is affected and rounds the same). */
static inline int32x4_t add_mve_rescale(int32x4_t x, int32x4_t multiplier, int32x4_t shift)
{
    int32x4_t h = vqrdmulhq_s32(x, multiplier);
    h = vqaddq_s32(h, vshrq_n_s32(vandq_s32(h, shift), 31));
    return vrshlq_s32(h, shift);
}
#endif

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

/* SMMULR: (a*b + 2^31) >> 32 (signed 64-bit product, high word rounded). */
static inline int32_t add_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* The fast same-size form, for left_shift 20 (int8) and right shifts r >= 1. With x = v << 20
 * (|x| < 2^28), SaturatingRoundingDoublingHighMul(x, m) = floor((x*m + 2^30) / 2^31)
 * = SMMULR(2x, m), and RoundingDivideByPOT(h, r) = (h + 2^(r-1) - [x<0]) >> r (derivation in
 * mcu_dsp_dw.h). The input of the larger scale has m = 2^30, shift 0 (ratio exactly 1/2): its
 * rescaled value is x / 2 = v << 19 exactly. The output step is the same with x = x1 + x2
 * (|x| < 2^28, so 2x fits). */
typedef struct {
    int32_t m1, c1, r1, m2, c2, r2, mo, co, ro;
} add_fast_k;

static inline int32_t add_fast_in(int32_t v, int half, int32_t m, int32_t c, int32_t r)
{
    return half ? v * (1 << 19)
                : (add_smmulr(v * (1 << 21), m) + c - (int32_t)((uint32_t)v >> 31)) >> r;
}

static inline __attribute__((always_inline)) void add_fast_row(
    const mcu_add_params *p, const add_fast_k *k, int half1, int half2, const int8_t *x,
    int32_t a_step, const int8_t *y, int32_t b_step, int8_t *o, int32_t n)
{
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, out_off = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    int32_t i;
    for (i = 0; i < n; ++i, x += a_step, y += b_step) {
        const int32_t x1 = add_fast_in(*x + off1, half1, k->m1, k->c1, k->r1);
        const int32_t x2 = add_fast_in(*y + off2, half2, k->m2, k->c2, k->r2);
        const int32_t sum = x1 + x2;
        const int32_t r = ((add_smmulr(sum * 2, k->mo) + k->co - (int32_t)((uint32_t)sum >> 31))
                           >> k->ro) + out_off;
        o[i] = (int8_t)mcu_clamp(r, lo, hi);
    }
}

/* 1: the input's multiplier is exactly 1/2 (m = 2^30, shift 0); 0: shift <= -1; -1: neither. */
static inline int add_fast_kind(int32_t m, int32_t shift)
{
    return (m == (1 << 30) && shift == 0) ? 1 : (shift <= -1 ? 0 : -1);
}
#endif

static void add_row_s8(const void *params, const void *a, int32_t a_step, const void *b,
                       int32_t b_step, void *out, int32_t n)
{
    const mcu_add_params *p = (const mcu_add_params *)params;
    const int8_t *x = (const int8_t *)a;
    const int8_t *y = (const int8_t *)b;
    int8_t *o = (int8_t *)out;
    int32_t i;

#if defined(MCU_ADD_MVE)
    if ((a_step == 0 || a_step == 1) && (b_step == 0 || b_step == 1) && p->input1_shift <= 0
        && p->input2_shift <= 0 && p->output_shift <= 0) {
        /* four elements per int32x4 vector (a step of 0 broadcasts the element) */
        const int32x4_t off1 = vdupq_n_s32(p->input1_offset);
        const int32x4_t off2 = vdupq_n_s32(p->input2_offset);
        const int32x4_t ls = vdupq_n_s32(p->left_shift);
        const int32x4_t m1 = vdupq_n_s32(p->input1_multiplier);
        const int32x4_t s1 = vdupq_n_s32(p->input1_shift);
        const int32x4_t m2 = vdupq_n_s32(p->input2_multiplier);
        const int32x4_t s2 = vdupq_n_s32(p->input2_shift);
        const int32x4_t mo = vdupq_n_s32(p->output_multiplier);
        const int32x4_t so = vdupq_n_s32(p->output_shift);
        const int32x4_t oo = vdupq_n_s32(p->output_offset);
        const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
        for (i = 0; i < n; i += 4) {
            const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
            int32x4_t v1 = a_step != 0 ? vldrbq_z_s32(x + i, pr) : vdupq_n_s32(*x);
            int32x4_t v2 = b_step != 0 ? vldrbq_z_s32(y + i, pr) : vdupq_n_s32(*y);
            int32x4_t r;
            v1 = add_mve_rescale(vshlq_s32(vaddq_s32(v1, off1), ls), m1, s1);
            v2 = add_mve_rescale(vshlq_s32(vaddq_s32(v2, off2), ls), m2, s2);
            r = vaddq_s32(add_mve_rescale(vaddq_s32(v1, v2), mo, so), oo);
            vstrbq_p_s32(o + i, vminq_s32(vmaxq_s32(r, lo), hi), pr);
        }
        return;
    }
#endif
#if defined(MCU_ADD_DSP)
    {
        const int h1 = add_fast_kind(p->input1_multiplier, p->input1_shift);
        const int h2 = add_fast_kind(p->input2_multiplier, p->input2_shift);
        if (p->left_shift == 20 && h1 >= 0 && h2 >= 0 && p->output_shift <= -1) {
            add_fast_k k;
            k.m1 = p->input1_multiplier;
            k.r1 = h1 ? 1 : -p->input1_shift;
            k.c1 = 1 << (k.r1 - 1);
            k.m2 = p->input2_multiplier;
            k.r2 = h2 ? 1 : -p->input2_shift;
            k.c2 = 1 << (k.r2 - 1);
            k.mo = p->output_multiplier;
            k.ro = -p->output_shift;
            k.co = 1 << (k.ro - 1);
            if (h1 && !h2) {
                add_fast_row(p, &k, 1, 0, x, a_step, y, b_step, o, n);
            } else if (!h1 && h2) {
                add_fast_row(p, &k, 0, 1, x, a_step, y, b_step, o, n);
            } else if (h1 && h2) {
                add_fast_row(p, &k, 1, 1, x, a_step, y, b_step, o, n);
            } else {
                add_fast_row(p, &k, 0, 0, x, a_step, y, b_step, o, n);
            }
            return;
        }
    }
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
