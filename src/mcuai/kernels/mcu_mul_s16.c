/*
 * mcu_mul_s16 - int16 MUL with broadcasting and a fused activation clamp.
 *
 * Math: real = s * (q - zp).
 * Rule (TFLite reference_integer_ops::MulElementwise,
 *   BroadcastMul6DSlow<int16_t>):
 *   out = clamp(MultiplyByQuantizedMultiplier((q1 - zp1) * (q2 - zp2), m, shift) + zp_out,
 *               act_min, act_max)
 *   with (m, shift) = QuantizeMultiplier(s1 * s2 / s_out), the product and quotient evaluated in
 *   float32 as TFLite's kernels/mul.cc Prepare does, then widened to double.
 * Overflow:
 *   zero points are 0 (TFLite requires it), so |q1 q2| <= 2^30 fits int32; the
 *   requantization's left shift (multipliers >= 1) wraps like the reference's.
 * In place: out may share storage with an input of the output's shape.
 */
#include "mcu_mul_s16.h"

static void mul_row_s16(const void *params, const void *a, int32_t a_step, const void *b,
                        int32_t b_step, void *out, int32_t n)
{
    const mcu_mul_params *p = (const mcu_mul_params *)params;
    const int16_t *x = (const int16_t *)a;
    const int16_t *y = (const int16_t *)b;
    int16_t *o = (int16_t *)out;
    int32_t i;

    for (i = 0; i < n; ++i) {
        const int32_t prod = ((int32_t)*x + p->input1_offset) * ((int32_t)*y + p->input2_offset);
        const int32_t r = mcu_requantize(prod, p->multiplier, p->shift) + p->output_offset;
        o[i] = (int16_t)mcu_clamp(r, p->act_min, p->act_max);
        x += a_step;
        y += b_step;
    }
}

void mcu_mul_s16(const mcu_mul_params *p, const mcu_bcast *bc, const int16_t *in1,
                 const int16_t *in2, int16_t *out)
{
    mcu_binary_bcast(p, bc, sizeof(int16_t), in1, in2, out, mul_row_s16);
}
