/*
 * mcu_quantize_ort_f32_s8 - ONNX QuantizeLinear float32 -> int8 with ONNX Runtime's rule,
 * per tensor or per axis:
 *   q = saturate(round_half_to_even(x / scale) + zero_point)
 * (MlasQuantizeLinear: float32 division, clamp to [-128 - zp, 127 - zp] in float, conversion
 * with round half to even, zero point added in int32). NaN gives -128 (the float clamp with
 * maxps keeps the bound). A uint8 tensor stored as int8 (zero point - 128) gives the same
 * integers as ORT's uint8 kernel minus 128.
 * dims = {1, outer, channels, inner}: the quantized axis is "channels" (1 per tensor).
 * No integer overflow: the clamp happens in float before the conversion.
 */
#include "mcu_quantize_ort_f32_s8.h"

void mcu_quantize_ort_f32_s8(const float *scale, const int32_t *zero_point,
                             const mcu_dims *dims, const float *in, int8_t *out)
{
    const int32_t outer = dims->h, channels = dims->w, inner = dims->c;
    int32_t o, k, i;
    for (o = 0; o < outer; ++o) {
        for (k = 0; k < channels; ++k) {
            const float s = scale[k];
            const int32_t zp = zero_point[k];
            for (i = 0; i < inner; ++i) {
                *out++ = (int8_t)mcu_ort_saturate(*in++ / s, zp, -128, 127);
            }
        }
    }
}
