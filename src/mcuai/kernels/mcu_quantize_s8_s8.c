/*
 * mcu_quantize_s8_s8 - QUANTIZE (requantization) int8_t -> int8_t, per tensor:
 *   out = clamp(requantize(in + input_offset, M, shift) + output_offset, -128, 127),
 *   input_offset = -zp_in, output_offset = +zp_out, M * 2^(shift - 31) = s_in / s_out.
 *
 * Rule (TFLite reference_ops::Requantize, QUANTIZE with an integer input): the multiplier is
 * QuantizeMultiplier((double)s_in / (double)s_out) (computed at generation time), applied with
 * MultiplyByQuantizedMultiplier (mcu_requantize). When s_in == s_out (M = 2^30, shift = 1) the
 * product is exactly the input, so only the offsets apply (the reference's int8 <-> uint8 XOR
 * 0x80 fast path is the special case of that with zero points 128 apart).
 * Overflow: |in + input_offset| <= 255; with shift > 0 the left shift (s_in / s_out >= 1) wraps like the
 * reference's when |x| * 2^shift >= 2^31, i.e. only for absurd scale ratios.
 * in == out is allowed when the element types have the same size.
 */
#include "mcu_quantize_s8_s8.h"

void mcu_quantize_s8_s8(const mcu_quant_pc *q, int32_t input_offset, int32_t output_offset,
                        int32_t size, const int8_t *in, int8_t *out)
{
    const int32_t mult = q->multiplier[0], shift = q->shift[0];
    int32_t i;
    if (mult == ((int32_t)1 << 30) && shift == 1) {
        for (i = 0; i < size; ++i) {
            const int32_t v = (int32_t)in[i] + input_offset + output_offset;
            out[i] = (int8_t)mcu_clamp(v, -128, 127);
        }
        return;
    }
    for (i = 0; i < size; ++i) {
        const int32_t v = mcu_requantize((int32_t)in[i] + input_offset, mult, shift);
        out[i] = (int8_t)mcu_clamp(v + output_offset, -128, 127);
    }
}
