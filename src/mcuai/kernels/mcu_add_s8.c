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
 * In place: out may share storage with an input of the output's shape (each element is read
 *   before it is written).
 */
#include "mcu_add_s8.h"

static void add_row_s8(const void *params, const void *a, int32_t a_step, const void *b,
                       int32_t b_step, void *out, int32_t n)
{
    const mcu_add_params *p = (const mcu_add_params *)params;
    const int8_t *x = (const int8_t *)a;
    const int8_t *y = (const int8_t *)b;
    int8_t *o = (int8_t *)out;
    int32_t i;

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
