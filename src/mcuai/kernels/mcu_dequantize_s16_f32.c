/*
 * mcu_dequantize_s16_f32 - DEQUANTIZE int16_t -> float32, per tensor or per axis: x = scale * (q - zero_point).
 *
 * Rule (TFLite reference_ops::Dequantize / PerChannelDequantize): the reference multiplies in
 * double, (double)scale * (q - zp), then rounds to float. q - zp is an integer below 2^17 in
 * magnitude and scale has a 24-bit significand, so the double product is exact and rounding it
 * to float gives the correctly rounded product - which is exactly what one float32
 * multiplication of scale by (float)(q - zp) (exact) returns. Hence float32 arithmetic here,
 * bit-exact with LiteRT BUILTIN_REF, and no double arithmetic on single-precision FPUs.
 * dims = {1, outer, channels, inner}: the quantized axis is "channels" (1 per tensor).
 */
#include "mcu_dequantize_s16_f32.h"

void mcu_dequantize_s16_f32(const float *scale, const int32_t *zero_point,
                            const mcu_dims *dims, const int16_t *in, float *out)
{
    const int32_t outer = dims->h, channels = dims->w, inner = dims->c;
    int32_t o, k, i;
    for (o = 0; o < outer; ++o) {
        for (k = 0; k < channels; ++k) {
            const float s = scale[k];
            const int32_t zp = zero_point[k];
            for (i = 0; i < inner; ++i) {
                *out++ = s * (float)((int32_t)*in++ - zp);
            }
        }
    }
}
