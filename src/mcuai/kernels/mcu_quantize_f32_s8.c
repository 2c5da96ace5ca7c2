/*
 * mcu_quantize_f32_s8 - QUANTIZE float32 -> int8_t, per tensor or per axis:
 *   q = clamp(roundf(x / scale) + zero_point, -128, 127).
 *
 * Rule (TFLite reference_ops::AffineQuantize / PerChannelQuantize): x / scale is a float32
 * division (not a multiplication by 1/scale), TfLiteRound = roundf (halves away from zero),
 * then the zero point is added and the result clamped. Adding the zero point in float gives the
 * same integers as in int32 or double: whenever the float sum is inexact, |x/scale| >= 2^24 -
 * 2^16 and the result saturates anyway. Bit-exact with LiteRT BUILTIN_REF for |x/scale| < 2^31.
 * Beyond that the reference converts round(x/scale) to int32 out of range (undefined in C++):
 * Arm saturates, which this kernel does for every input (+-inf included), while LiteRT on x86
 * gets INT32_MIN and returns the type's minimum even for large positive values. NaN gives the
 * zero point (real 0), as the reference on Arm (NaN converts to 0, then + zero_point).
 * dims = {1, outer, channels, inner}: the quantized axis is "channels" (1 per tensor).
 * No integer overflow: the clamp happens in float before the conversion.
 * In place (mcuai.memory.overlap relies on it): elements are converted in increasing order,
 * each read before it is written, so `out` may start at `in` (the int8 output then fills the
 * first quarter of the float input's bytes).
 */
#include <math.h>

#include "mcu_quantize_f32_s8.h"

void mcu_quantize_f32_s8(const float *scale, const int32_t *zero_point,
                         const mcu_dims *dims, const float *in, int8_t *out)
{
    const int32_t outer = dims->h, channels = dims->w, inner = dims->c;
    int32_t o, k, i;
    for (o = 0; o < outer; ++o) {
        for (k = 0; k < channels; ++k) {
            const float s = scale[k];
            const float zp = (float)zero_point[k];
            for (i = 0; i < inner; ++i) {
                const float v = roundf(*in++ / s) + zp;
                int8_t q;
                if (v != v) {
                    q = (int8_t)zero_point[k];
                } else if (v <= -128.0f) {
                    q = -128;
                } else if (v >= 127.0f) {
                    q = 127;
                } else {
                    q = (int8_t)(int32_t)v;
                }
                *out++ = q;
            }
        }
    }
}
