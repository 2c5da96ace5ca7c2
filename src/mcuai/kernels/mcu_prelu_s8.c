/*
 * mcu_prelu_s8 - int8 PRELU, y = x if x >= 0 else alpha * x, alpha broadcast to x's shape.
 *
 * Math: real = s * (q - zp) for input, alpha and output.
 * Rule (LiteRT PreluPrepare + reference_ops::BroadcastPrelu4DSlow / Prelu):
 *   v = q_in - zp_in;
 *   v >= 0: out = MultiplyByQuantizedMultiplier(v, M1) + zp_out,
 *           M1 = QuantizeMultiplier(s_in / s_out);
 *   v <  0: out = MultiplyByQuantizedMultiplier(v * (q_alpha - zp_alpha), M2) + zp_out,
 *           M2 = QuantizeMultiplier(s_in * s_alpha / s_out);
 *   clamped to [-128, 127]. LiteRT evaluates both ratios in float32 (the scales are float),
 *   then widens them to double; the generator does the same.
 * Overflow: |v| <= 255 and |q_alpha - zp_alpha| <= 255, so |v * alpha| <= 65025; a
 *   multiplier >= 1 shifts left first and wraps like the reference's int32 arithmetic only for
 *   absurd scale ratios (>= 2^15).
 * In place: out may share storage with in (not with a broadcast alpha).
 */
#include "mcu_prelu_s8.h"

static void prelu_row_s8(const void *params, const void *a, int32_t a_step, const void *b,
                         int32_t b_step, void *out, int32_t n)
{
    const mcu_prelu_params *p = (const mcu_prelu_params *)params;
    const int8_t *x = (const int8_t *)a;
    const int8_t *al = (const int8_t *)b;
    int8_t *o = (int8_t *)out;
    int32_t i;

    for (i = 0; i < n; ++i) {
        const int32_t v = (int32_t)*x + p->input_offset;
        int32_t r;
        if (v >= 0) {
            r = mcu_requantize(v, p->multiplier_pos, p->shift_pos);
        } else {
            r = mcu_requantize(v * ((int32_t)*al + p->alpha_offset), p->multiplier_neg,
                               p->shift_neg);
        }
        o[i] = (int8_t)mcu_clamp(r + p->output_offset, -128, 127);
        x += a_step;
        al += b_step;
    }
}

void mcu_prelu_s8(const mcu_prelu_params *p, const mcu_bcast *bc, const int8_t *in,
                  const int8_t *alpha, int8_t *out)
{
    mcu_binary_bcast(p, bc, sizeof(int8_t), in, alpha, out, prelu_row_s8);
}
